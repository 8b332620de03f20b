"""The derived path of each youth: its indicator statuses over time, in one row per youth.

Recomputed from the youth's steps whenever a batch touches it, so that reads (situations,
headcount roll-ups, offers' enrolment) never replay whole histories. One row per youth, with
the segments as parallel arrays (segment i runs from ``starts[i]`` to ``starts[i+1]``, the last
one open): a batch rewrites one row per youth instead of deleting and inserting a row per
segment, and the update stays HOT (only the primary key is indexed).

No foreign key: the row is derived and rewritten in bulk; erasure and merges delete it
explicitly.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ARRAY, BigInteger, Boolean, Date, Index, String, false
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field


class YouthPath(SQLModel, table=True):
    __tablename__ = "youth_path"

    youth_id: int = Field(primary_key=True, sa_type=BigInteger)
    starts: list[date] = Field(sa_type=ARRAY(Date))
    statuses: list[str] = Field(sa_type=ARRAY(String(16)))
    uais: list[str] = Field(sa_type=ARRAY(String(8)))
    certifications: list[str] = Field(sa_type=ARRAY(String(12)))
    causes: list[str] = Field(sa_type=ARRAY(String(24)))
    rule_version: str = Field(max_length=20)
    computed_at: datetime = created_at_field()


class YouthRisk(SQLModel, table=True):
    """The spans of time during which a youth is at risk (app/domain/risk.py), with the reasons,
    the start of the period of risk and the territory: one row per span, computed with the path.

    An adviser's page is a range read: ``valid_from <= D < valid_to`` in its departments, ordered by
    ``since`` then youth. No foreign key, for the same reason as the path.
    """

    __tablename__ = "youth_risk"
    __table_args__ = (
        # An adviser's page and its count read this index alone (an index-only scan): the
        # territory and the start of the span in the key, what the page shows in the leaves.
        # 0.8 ms for a department at 1,000,000 youths, against 67 ms through the heap.
        Index(
            "ix_youth_risk_department_code_valid_from", "department_code", "valid_from",
            postgresql_include=["valid_to", "since", "youth_id", "reasons"],
        ),

    )

    youth_id: int = Field(primary_key=True, sa_type=BigInteger)
    valid_from: date = Field(primary_key=True)
    valid_to: date | None = None  # exclusive; NULL: open
    reasons: list[str] = Field(sa_type=ARRAY(String(24)))
    since: date
    uai: str = Field(max_length=8)  # the last step's CFA, else the latest wish's
    department_code: str = Field(max_length=3)  # the territory: the residence, else the CFA's department
    rule_version: str = Field(max_length=20)


class StatusChange(SQLModel, table=True):
    """Change points of the headcounts: on ``day``, how many youths' path segments with this
    status at this CFA and certification begin (``entries``) and end (``exits``).

    Maintained with the paths (a youth's old segments are taken out, its new ones put in), so
    that a count on a date D is a sum over ``day <= D`` of ``entries - exits``: the youths
    enrolled on an offer, the pilots' headcounts, without reading a single path. A youth counts
    once at a date: exactly one of its segments covers it.
    """

    __tablename__ = "status_change"
    # the days of a month (the month of a headcount's date by CFA), every CFA at once
    __table_args__ = (Index("ix_status_change_day", "day"),)

    uai: str = Field(primary_key=True, max_length=8)
    certification_code: str = Field(primary_key=True, max_length=12)
    status: str = Field(primary_key=True, max_length=16)
    day: date = Field(primary_key=True)
    entries: int = 0
    exits: int = 0


class IntakeChange(SQLModel, table=True):
    """Change points of the offers' intakes (app/domain/intake.py): on ``day``, how many youths
    who entered this CFA and certification on ``entered_on`` start (+) or stop (-) filling a place
    there (REGISTERED, APPRENTICE or CONTRACT_BROKEN). Maintained with the paths, like
    ``status_change``; an offer's enrolled on D sums, up to D, the entries its session takes in.
    """

    __tablename__ = "intake_change"
    # the days since the cut, every CFA at once (app/repositories/headcounts.py, offers_open)
    __table_args__ = (Index("ix_intake_change_day", "day"),)

    uai: str = Field(primary_key=True, max_length=8)
    certification_code: str = Field(primary_key=True, max_length=12)
    entered_on: date = Field(primary_key=True)
    day: date = Field(primary_key=True)
    youths: int = 0


class StatusCut(SQLModel, table=True):
    """The day up to which ``cfa_status_base`` holds the change points' sums (one row): advanced
    to today by every hub process's sweeper (``hub sweep`` too); ``year_cut``: the 31 July
    before the cut's school year."""

    __tablename__ = "status_cut"

    id: int = Field(primary_key=True)
    cut: date
    year_cut: date


class CfaStatusBase(SQLModel, table=True):
    """Each CFA's headcount change points summed up to the cut (``status_cut``): ``net`` (entries
    minus exits: the youths in the status on the cut), ``entries``, and ``year_entries`` (entries
    up to the year cut). Kept with ``status_change`` in the same statement for days up to the
    cut (a late report), moved on by the sweeper: a headcount by CFA on a day after the cut reads
    one row per CFA and status and the days since the cut, never the whole history."""

    __tablename__ = "cfa_status_base"

    uai: str = Field(primary_key=True, max_length=8)
    status: str = Field(primary_key=True, max_length=16)
    net: int = 0
    entries: int = 0
    year_entries: int = 0


class OfferIntakeBase(SQLModel, table=True):
    """Each offer's enrolled on the cut (``status_cut``): the youths of its intake filling a place,
    from the intakes' change points up to the cut (app/domain/intake.py; offers without dates take
    in over the cut's school year). Kept for the days the cut covers (a late report), rebuilt for
    a CFA and certification whose offers change, moved on by the sweeper: national headcounts read
    it and a day of change points instead of every offer's history."""

    __tablename__ = "offer_intake_base"

    offer_id: int = Field(primary_key=True, sa_type=BigInteger)
    youths: int = 0


class OfferIntakeMonth(SQLModel, table=True):
    """Each offer's intake at the cut by month of the change points: ``youths`` sums those dated
    in ``month`` (its first day; the points before the cut's school year in its first month), so
    that an offer's enrolled on a month end of the cut's school year before the cut is the sum of
    its months up to it (a pilot's monthly series). Kept with ``offer_intake_base``, by the same
    statements (app/repositories/offers.py, intake_at_cut_sql)."""

    __tablename__ = "offer_intake_month"

    offer_id: int = Field(primary_key=True, sa_type=BigInteger)
    month: date = Field(primary_key=True)
    youths: int = 0


class DepartmentStatusChange(SQLModel, table=True):
    """The change points summed by department (the CFA's), kept with ``status_change`` in the
    same statements: a headcount by region or department on a date sums a few hundred thousand
    rows at national scale instead of millions."""

    __tablename__ = "department_status_change"
    # the days of a month (the month of a headcount's date), every department at once
    __table_args__ = (Index("ix_department_status_change_day", "day"),)

    department_code: str = Field(primary_key=True, max_length=3)
    status: str = Field(primary_key=True, max_length=16)
    day: date = Field(primary_key=True)
    entries: int = 0
    exits: int = 0


class CfaStatusMonth(SQLModel, table=True):
    """The change points of each CFA summed by month, all certifications together, kept in the
    same statement: a headcount by CFA on a date sums the months before it and the days of its
    own month (national: some 500,000 rows instead of 6 million)."""

    __tablename__ = "cfa_status_month"

    uai: str = Field(primary_key=True, max_length=8)
    status: str = Field(primary_key=True, max_length=16)
    month: date = Field(primary_key=True)
    entries: int = 0
    exits: int = 0


class DepartmentStatusMonth(SQLModel, table=True):
    """The department change points summed by month (``month``: its first day), kept in the same
    statement: a headcount on a date sums the months before it and the days of its own month
    (some 30,000 rows at national scale instead of 300,000; a series of month ends, months only).
    """

    __tablename__ = "department_status_month"

    department_code: str = Field(primary_key=True, max_length=3)
    status: str = Field(primary_key=True, max_length=16)
    month: date = Field(primary_key=True)
    entries: int = 0
    exits: int = 0


class PendingDerivation(SQLModel, table=True):
    """Youths whose derived rows (path, change points, spans of risk, wishes' outcomes) wait for
    the deriver (``HUB_DERIVATION=deferred``): recordSteps stores the facts and queues the youths
    it touched, in its transaction; the derivers of the hub processes recompute them
    (app/services/derivation.py).

    A row holds youths as parallel arrays (``paths[i]``: whether a status step of
    ``youth_ids[i]`` came, so that its path itself must be recomputed, or only what the outcomes
    and the territory read). A batch appends one row: its 2,000 records queue their youths with
    one heap tuple and one index entry instead of one per youth (3.4 → 0.5 ms of PostgreSQL a
    batch, measured). A deriver first merges the rows batches appended into ``coalesced`` rows
    of at most ``HUB_DERIVATION_BATCH`` distinct youths each, so that a youth queued by several
    batches in between is derived once, then takes one coalesced row a transaction.
    ``queued_at`` is when the oldest of a row's youths was queued. The arrays are stored
    uncompressed (migration 0017: ``STORAGE EXTERNAL``).
    """

    __tablename__ = "pending_derivation"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    youth_ids: list[int] = Field(sa_type=ARRAY(BigInteger))
    paths: list[bool] = Field(sa_type=ARRAY(Boolean))
    coalesced: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    queued_at: datetime = created_at_field()


class DerivationFailure(SQLModel, table=True):
    """Youths whose derivation failed, set aside so that the others' goes on (app/services/
    derivation.py): the error's kind and text (no identifier: the hub's own messages and
    PostgreSQL's, its statements' parameters hidden), when, how many times. ``/readyz`` counts
    them; ``hub derive --retry`` queues them again; a later derivation that succeeds (new steps
    of the youth) takes the youth off."""

    __tablename__ = "derivation_failure"

    youth_id: int = Field(primary_key=True, sa_type=BigInteger, foreign_key="youth.id", ondelete="CASCADE")
    error: str = Field(max_length=300)
    failed_at: datetime = created_at_field()
    attempts: int = 1


class RecomputeProgress(SQLModel, table=True):
    """Where ``hub recompute`` stands for a set of rules (their version and thresholds): the last
    youth of the last chunk committed, so that an interrupted run resumes there. Removed once the
    run is over."""

    __tablename__ = "recompute_progress"

    rules: str = Field(primary_key=True, max_length=200)
    last_youth_id: int = Field(sa_type=BigInteger)
    done: int = Field(sa_type=BigInteger)
    started_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
