"""The CSV export of a CFA's catalogue, taken in as upsertOffers records.

Each line becomes the record upsertOffers takes, and goes through the same checks: a file with
some bad lines stores the good ones and reports each bad one with its line number (the header
is line 1), its column as the file names it, the code and the message. Tolerated: `;` or `,` as
the separator, UTF-8 with or without a byte-order mark, French dates (31/08/2027) as well as ISO
ones, French or English column names (see COLUMNS), columns in any order, and extra columns
(ignored, and listed in the report).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.auth import Principal
from app.db import RequestSession
from app.errors import BadInput
from app.services.offers import upsert_offers
from app.settings import Settings

CHUNK = 2000
# Field of OfferInput -> the column names accepted for it (normalised: lower case, no accents,
# "_" between words).
COLUMNS: dict[str, tuple[str, ...]] = {
    "offerRef": ("offer_ref", "cle", "cle_offre", "reference", "ref", "id_offre", "identifiant"),
    "uai": ("uai", "code_uai", "uai_formateur", "uai_lieu"),
    "siret": ("siret", "siret_lieu", "siret_formateur"),
    "certification": ("certification", "code_certification", "cfd", "rncp", "code_diplome", "diplome", "code_rncp"),
    "title": ("title", "intitule", "libelle", "intitule_formation", "libelle_formation"),
    "departmentCode": ("department", "department_code", "departement", "code_departement", "dept"),
    "sessionStart": ("session_start", "date_debut", "debut", "debut_session", "date_debut_session"),
    "sessionEnd": ("session_end", "date_fin", "fin", "fin_session", "date_fin_session"),
    "capacity": ("capacity", "capacite", "capacite_accueil", "capacite_d_accueil", "places", "nombre_places",
                 "nombre_de_places"),
    "parcoursupId": ("parcoursup_id", "id_parcoursup", "parcoursup", "code_parcoursup"),
    "affelnetId": ("affelnet_id", "id_affelnet", "affelnet", "code_affelnet"),
}
REQUIRED = ("offerRef", "uai", "certification", "departmentCode")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def normalise(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


_FIELD_OF = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}


@dataclass
class LineError:
    line: int
    column: str | None
    code: str
    message: str


@dataclass
class ImportReport:
    lines: int = 0
    accepted: int = 0
    unchanged: int = 0
    rejected: list[LineError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines, "accepted": self.accepted, "unchanged": self.unchanged,
            "rejected": [vars(error) for error in self.rejected], "ignoredColumns": self.ignored_columns,
        }


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("the file is not UTF-8 text: export it as CSV UTF-8", field="file", reason="INVALID_ENCODING") from None


def _date(value: str) -> str:
    """ISO for a French date; anything else as it is (the record's check reports it)."""
    match = _FRENCH_DATE.match(value)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return value
    return value


def _capacity(value: str) -> Any:
    compact = value.replace(" ", "").replace("\u00a0", "")
    return int(compact) if compact.isdigit() else value


class OfferFile:
    """A CSV file read line by line: its records, with the line and the columns they came from."""

    def __init__(self, text: str):
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        self.rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            header = next(self.rows)
        except StopIteration:
            raise BadInput("the file is empty: it needs a header line", field="file", reason="EMPTY_FILE") from None
        self.fields: list[str | None] = []
        self.column_of: dict[str, str] = {}
        self.ignored: list[str] = []
        for name in header:
            field_name = _FIELD_OF.get(normalise(name))
            if field_name is None or field_name in self.column_of:
                self.fields.append(None)
                if name.strip():
                    self.ignored.append(name.strip())
            else:
                self.fields.append(field_name)
                self.column_of[field_name] = name.strip()
        missing = [f for f in REQUIRED if f not in self.column_of]
        if missing:
            accepted = "; ".join(f"{f}: {', '.join(COLUMNS[f])}" for f in missing)
            raise BadInput(f"missing columns ({accepted})", field="file", reason="MISSING_COLUMN")

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for line, row in enumerate(self.rows, start=2):
            if not any(cell.strip() for cell in row):
                continue  # blank line
            record: dict[str, Any] = {}
            for field_name, cell in zip(self.fields, row):
                value = cell.strip()
                if field_name is None or not value:
                    continue
                if field_name in ("sessionStart", "sessionEnd"):
                    record[field_name] = _date(value)
                elif field_name == "capacity":
                    record[field_name] = _capacity(value)
                else:
                    record[field_name] = value
            yield line, record


async def import_offers(
    db: RequestSession, settings: Settings, principal: Principal, text: str,
    *, on_chunk: Callable[[int], None] | None = None,
) -> ImportReport:
    """Take in a CSV file as upsertOffers would, a transaction per 2,000 lines."""
    offer_file = OfferFile(text)
    report = ImportReport(ignored_columns=offer_file.ignored)
    chunk: list[tuple[int, dict[str, Any]]] = []

    async def flush() -> None:
        result = await upsert_offers(db, settings, principal, [record for _, record in chunk])
        await db.commit()
        report.accepted += result.accepted
        report.unchanged += result.unchanged
        for error in result.rejected:
            column = offer_file.column_of.get(error.field, error.field) if error.field else None
            line, _ = chunk[error.index]
            report.rejected.append(LineError(line, column, error.code, error.message))
        report.lines += len(chunk)
        if on_chunk is not None:
            on_chunk(len(chunk))
        chunk.clear()

    seen: dict[tuple[str, str], int] = {}
    for line, record in offer_file.records():
        key = (str(record.get("uai", "")).replace(" ", "").upper().zfill(8), str(record.get("offerRef", "")))
        if key[1] and key in seen:
            report.lines += 1
            report.rejected.append(LineError(
                line, offer_file.column_of["offerRef"], "DUPLICATE_IN_FILE", f"this offer is already on line {seen[key]}"
            ))
            continue
        seen[key] = line
        chunk.append((line, record))
        if len(chunk) == CHUNK:
            await flush()
    if chunk:
        await flush()
    return report
