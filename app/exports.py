"""CSV over HTTP. Exports (every text cell safe to open in a spreadsheet), streamed in constant memory: ``GET /exports/wishes.csv`` (PORTAL) and
``GET /exports/at-risk.csv`` (ADVISER, ADMIN); and the import of a CFA's catalogue,
``POST /imports/offers`` (VENDOR).

The same bearer key as the GraphQL API, the same scope, the filters of the list as query
parameters (wishes: ``submittedFrom``, ``submittedTo``, ``uai``, ``stage``,
``outcomeChangedSince``; at-risk: ``on``, ``departments`` and ``reasons``, comma-separated). Rows
are read in id order, a chunk at a time (keyset, never OFFSET); before each chunk is sent, the
audit log records it and is committed, so that nothing leaves unrecorded. Errors answer JSON in
the GraphQL error shape (``errors[0].extensions.code``) with the matching HTTP status.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.auth import Principal
from app.db import RequestSession
from app.domain import policy
from app.domain.actors import Portal
from app.domain.dates import RANGE_TEXT, in_calendar
from app.domain.dates import today as france_today
from app.domain.outcome import Stage
from app.errors import BadInput
from app.services import clients, offer_import, risks, wishes, youths
from app.services.territory import DIMENSIONS, Filter

CHUNK = 5000
STAGES = frozenset(Stage)
WISH_COLUMNS = [
    "portal_wish_id", "submitted_at", "uai", "certification", "offer_id", "outcome_stage", "outcome_match",
    "outcome_since", "outcome_uai", "outcome_certification", "outcome_changed_at", "outcome_handled_by_wished_cfa",
]


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    extensions = {"code": code} | ({"field": field} if field else {})
    return JSONResponse({"errors": [{"message": message, "extensions": extensions}]}, status_code=status)


def _instant(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise BadInput(
            f"{name} is an ISO 8601 instant with its offset, e.g. 2026-06-01T00:00:00+02:00", field=name, reason="INVALID_DATE"
        )
    if not in_calendar(value):
        raise BadInput(f"{name} is {RANGE_TEXT}", field=name, reason="INVALID_DATE")
    return value


def _day(request: Request, name: str) -> date | None:
    """A date parameter (ISO 8601), in the hub's calendar; None when absent."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"{name} is an ISO 8601 date, e.g. 2026-11-30", field=name, reason="INVALID_DATE") from None
    if not in_calendar(value):
        raise BadInput(f"{name} is {RANGE_TEXT}", field=name, reason="INVALID_DATE")
    return value


async def _principal(request: Request, action: str) -> Principal | Response:
    """The caller (admitted by app/admission.py) if the policy lets its role do ``action``
    (app/domain/policy.py), or the error to answer."""
    roles = policy.roles_for(action)
    principal: Principal | None = request.scope["state"].get("principal")
    if principal is None:
        return _error(401, "UNAUTHENTICATED", "missing or unknown API key: send Authorization: Bearer <key>")
    if principal.role not in roles:
        return _error(403, "FORBIDDEN", f"this export is for {', '.join(sorted(r.value for r in roles))} clients")
    return principal


# A spreadsheet takes a cell starting with one of these for a formula (OWASP, "CSV injection"):
# portalWishId is the portal's text, CFA names and certification titles the operator's.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A cell as a spreadsheet shows it, never runs it: text starting like a formula gets a
    leading ``'`` (numbers, dates and None are left alone)."""
    if type(value) is str and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every text cell is :func:`spreadsheet_safe` (None written empty)."""

    def __init__(self, out: io.StringIO):
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, values: list[Any]) -> None:
        self._writer.writerow(["" if value is None else spreadsheet_safe(value) for value in values])


def _csv(rows: list[Any], columns: list[Callable[[Any], Any]]) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    for row in rows:
        writer.writerow([column(row) for column in columns])
    return out.getvalue()


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


WISH_VALUES: list[Callable[[Any], Any]] = [
    lambda r: r["portal_wish_id"], lambda r: _iso(r["submitted_at"]), lambda r: r["uai"], lambda r: r["certification_code"],
    lambda r: r["offer_id"], lambda r: r["outcome_stage"], lambda r: r["outcome_match"], lambda r: _iso(r["outcome_since"]),
    lambda r: r["outcome_uai"], lambda r: r["outcome_certification"], lambda r: _iso(r["outcome_changed_at"]),
    lambda r: "true" if r["outcome_handled_by_wished_cfa"] else "false",
]


async def wishes_csv(request: Request) -> Response:
    """PORTAL: its wishes with their outcome, every one, for a full resynchronisation."""
    found = await _principal(request, "GET /exports/wishes.csv")
    if isinstance(found, Response):
        return found
    principal = found
    try:
        stage = request.query_params.get("stage") or None
        if stage is not None and stage not in STAGES:
            raise BadInput(f"stage is one of {', '.join(sorted(STAGES))}", field="stage", reason="INVALID_STAGE")
        values = wishes.WishFilterValues(
            submitted_from=_instant(request, "submittedFrom"), submitted_to=_instant(request, "submittedTo"),
            uai=request.query_params.get("uai") or None, stage=stage,
            outcome_changed_since=_instant(request, "outcomeChangedSince"),
        )
        query = wishes.query_for(principal, values, field="")
    except BadInput as problem:
        return JSONResponse({"errors": [{"message": problem.message, "extensions": problem.extensions()}]}, status_code=400)
    db: RequestSession = request.scope["state"]["db"]
    request_id = request.scope["state"].get("request_id")

    async def body() -> AsyncIterator[str]:
        yield ",".join(WISH_COLUMNS) + "\n"
        async for rows in wishes.chunks(db, principal, query, "wishes.csv", request_id, CHUNK):
            request.scope["state"]["cost"].rows += len(rows)
            yield _csv(rows, WISH_VALUES)

    return StreamingResponse(
        body(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="wishes.csv"'}
    )


AT_RISK_COLUMNS = [
    "youth_id", "ine", "reasons", "since", "department", "last_step", "last_step_date", "last_step_uai",
]


async def at_risk_csv(request: Request) -> Response:
    """ADVISER (its departments) and ADMIN: the youths at risk on a date, with their INE."""
    found = await _principal(request, "GET /exports/at-risk.csv")
    if isinstance(found, Response):
        return found
    principal = found
    params = request.query_params
    try:
        on = _day(request, "on")
        departments = [d for d in params.get("departments", "").split(",") if d.strip()] or None
        reasons = [r.strip() for r in params.get("reasons", "").split(",") if r.strip()] or None
        query = risks.query_for(principal, on, departments, reasons)
    except BadInput as problem:
        return JSONResponse({"errors": [{"message": problem.message, "extensions": problem.extensions()}]}, status_code=400)
    db: RequestSession = request.scope["state"]["db"]
    vault = request.app.state.vault
    request_id = request.scope["state"].get("request_id")

    async def body() -> AsyncIterator[str]:
        yield ",".join(AT_RISK_COLUMNS) + "\n"
        async for rows in risks.chunks(db, principal, query, "at-risk.csv", request_id, CHUNK):
            request.scope["state"]["cost"].rows += len(rows)
            ids = [row["youth_id"] for row in rows]
            ines = dict(zip(ids, await youths.ines(db, vault, ids)))
            steps = await risks.last_steps(db, ids, query.on)
            out = io.StringIO()
            writer = SafeWriter(out)
            for row in rows:
                step = steps.get(row["youth_id"])
                writer.writerow([
                    row["youth_id"], ines.get(row["youth_id"]) or "", "|".join(row["reasons"]), row["since"].isoformat(),
                    row["department_code"], step["step"] if step else "", step["effective_date"].isoformat() if step else "",
                    step["uai"] if step else "",
                ])
            yield out.getvalue()

    return StreamingResponse(
        body(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="at-risk.csv"'}
    )


async def offers_import(request: Request) -> Response:
    """VENDOR: a CFA's catalogue as CSV (a text/csv body, or a multipart form's ``file``), taken
    in as upsertOffers; the report lists each rejected line with its column and code. The body
    was read, within ``HUB_MAX_IMPORT_BYTES``, before the key was looked up (app/bodies.py)."""
    found = await _principal(request, "POST /imports/offers")
    if isinstance(found, Response):
        return found
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                return _error(400, "BAD_USER_INPUT", "send the CSV as the form's field named file", "file")
            data = await upload.read()
    else:
        data = await request.body()
    db: RequestSession = request.scope["state"]["db"]
    try:
        report = await offer_import.import_offers(db, request.app.state.settings, found, offer_import.decode(data))
    except BadInput as problem:
        return JSONResponse({"errors": [{"message": problem.message, "extensions": problem.extensions()}]}, status_code=400)
    request.scope["state"]["cost"].records += report.lines
    if db.has_replica and report.accepted:  # the vendor's next reads find its offers (read-your-writes)
        await clients.note_write(db, found.client_id)
    return JSONResponse(report.as_dict())


def _grouping(request: Request) -> tuple[str, Filter]:
    """The ``groupBy`` parameter (default REGION) and the filter of an aggregate's export:
    ``regions``, ``departments``, ``uais``, ``certifications``, each comma-separated."""
    params = request.query_params

    def listed(name: str) -> list[str] | None:
        return [v.strip() for v in params.get(name, "").split(",") if v.strip()] or None

    group_by = params.get("groupBy", "REGION").upper()
    if group_by not in DIMENSIONS:
        raise BadInput(f"groupBy is one of {', '.join(DIMENSIONS)}", field="groupBy", reason="INVALID_GROUP")
    return group_by, Filter(regions=listed("regions"), departments=listed("departments"), uais=listed("uais"),
                            certifications=listed("certifications"))


HEADCOUNT_COLUMNS = [
    "on", "key", "label", "registered", "apprentices", "contract_broken", "dropped_out", "capacity", "vacancies",
    "over_capacity", "suppressed", "suppressed_fields", "rule_version",
]


async def headcounts_csv(request: Request) -> Response:
    """PILOT (in scope) and ADMIN: headcounts on a date, the same rows (and the same small-count
    rule) as the `headcounts` query. Parameters: ``on``, ``groupBy``, ``regions``,
    ``departments``, ``uais``, ``certifications`` (lists comma-separated)."""
    from app.services import headcounts

    found = await _principal(request, "GET /exports/headcounts.csv")
    if isinstance(found, Response):
        return found
    try:
        on = _day(request, "on") or france_today()
        group_by, wanted = _grouping(request)
        db: RequestSession = request.scope["state"]["db"]
        (rows,) = await headcounts.series(db, found, [on], group_by, wanted, request.app.state.settings.rule_version)
    except BadInput as problem:
        return JSONResponse({"errors": [{"message": problem.message, "extensions": problem.extensions()}]}, status_code=400)
    return _aggregate_csv(request, f"headcounts-{on.isoformat()}.csv", HEADCOUNT_COLUMNS, [[
        on.isoformat(), row.key, row.label, row.registered, row.apprentices, row.contract_broken, row.dropped_out,
        "" if row.capacity is None else row.capacity, "" if row.vacancies is None else row.vacancies,
        str(row.over_capacity).lower(), str(row.suppressed).lower(), "|".join(row.suppressed_fields), row.rule_version,
    ] for row in rows])


CONVERSION_COLUMNS = [
    "key", "label", "wishes", "handled", "handled_by_wished_cfa", "registered", "apprentices", "apprentices_as_wished",
    "left", "suppressed", "suppressed_fields",
]


async def conversion_csv(request: Request) -> Response:
    """PILOT (in scope, by the wished CFA) and ADMIN: the `wishConversion` rows (and the same
    small-count rule). Parameters: ``groupBy``, ``portal``, ``submittedFrom``, ``submittedTo``,
    ``regions``, ``departments``, ``uais``, ``certifications`` (lists comma-separated)."""
    from app.services import conversion

    found = await _principal(request, "GET /exports/conversion.csv")
    if isinstance(found, Response):
        return found
    try:
        group_by, wanted = _grouping(request)
        portal = request.query_params.get("portal")
        if portal is not None and portal.upper() not in {p.value for p in Portal}:
            raise BadInput("portal is PARCOURSUP or AFFELNET", field="portal", reason="INVALID_PORTAL")
        db: RequestSession = request.scope["state"]["db"]
        rows = await conversion.conversion(
            db, found, group_by, wanted, portal=None if portal is None else portal.upper(),
            submitted_from=_instant(request, "submittedFrom"), submitted_to=_instant(request, "submittedTo"),
        )
    except BadInput as problem:
        return JSONResponse({"errors": [{"message": problem.message, "extensions": problem.extensions()}]}, status_code=400)
    return _aggregate_csv(request, "conversion.csv", CONVERSION_COLUMNS, [[
        row.key, row.label, row.wishes, row.handled, row.handled_by_wished_cfa, row.registered, row.apprentices,
        row.apprentices_as_wished, row.left, str(row.suppressed).lower(), "|".join(row.suppressed_fields),
    ] for row in rows])


def _aggregate_csv(request: Request, filename: str, columns: list[str], lines: list[list[Any]]) -> Response:
    """An aggregate's rows as a CSV attachment (safe against formulas), counted in the request's cost."""
    request.scope["state"]["cost"].rows += len(lines)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(columns)
    for line in lines:
        writer.writerow(line)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
