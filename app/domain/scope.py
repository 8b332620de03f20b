"""What one caller may read: its :class:`Scope`, built once per request from its key (the
principal, app/auth.py) and passed down. Who may call a field is the access policy's business
(app/domain/policy.py); which rows the field then reads is the scope's: the repositories turn it
into their readable-rows conditions, and no service or exporter decides it by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.actors import Portal, Role

NOWHERE: frozenset[str] = frozenset()  # a territory with no department: reads nothing


@dataclass(frozen=True, slots=True)
class Scope:
    role: Role
    portal: Portal | None = None
    departments: frozenset[str] | None = None  # the client's territory; None: national

    def __post_init__(self) -> None:
        if self.role == Role.PORTAL and self.portal is None:  # the store refuses such a client too
            raise ValueError("a PORTAL client belongs to a portal")

    @property
    def wishes_of_portal(self) -> Portal | None:
        """The portal whose wishes alone it reads (a PORTAL), else None."""
        return self.portal if self.role == Role.PORTAL else None

    @property
    def wish_departments(self) -> frozenset[str] | None:
        """The departments of the wished CFAs whose wishes it counts (a PILOT's territory);
        None: every wish it may read."""
        return self.departments if self.role == Role.PILOT else None

    @property
    def risk_departments(self) -> frozenset[str] | None:
        """The departments of residence of the youths at risk it reads: an ADVISER's territory
        (none given: nowhere, an adviser always has one), None for everywhere (ADMIN)."""
        if self.role == Role.ADVISER:
            return NOWHERE if self.departments is None else self.departments
        return None

    @property
    def headcount_departments(self) -> frozenset[str] | None:
        """The departments whose headcounts it reads (a PILOT's territory); None: national."""
        return self.departments if self.role == Role.PILOT else None

    @property
    def walled_to_departments(self) -> bool:
        """Whether its reads of youths run behind the database's per-department wall (row-level
        security), besides the repositories' conditions: an ADVISER's."""
        return self.role == Role.ADVISER

    @property
    def sees_ine(self) -> bool:
        """Whether it may read youths' INEs (an ADVISER in its territory, the ADMIN)."""
        return self.role in (Role.ADVISER, Role.ADMIN)

    @property
    def protected_counts(self) -> bool:
        """Whether the counts of youths or wishes it reads in aggregates (headcounts, series,
        outcome summaries, conversion, coverage) are protected (app/domain/disclosure.py): a
        PILOT's. The ADMIN reads them exact; a PORTAL's summary of its own wishes is its own data."""
        return self.role == Role.PILOT

    @property
    def protected_offer_counts(self) -> bool:
        """Whether it reads offers' ``enrolled`` and ``vacancies`` protected: every role but the
        ADMIN (they are other CFAs' figures; a CFA's own will be exact for it)."""
        return self.role != Role.ADMIN
