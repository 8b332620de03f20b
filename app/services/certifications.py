"""The certification referential: registration by an ADMIN, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.db import RequestSession
from app.domain.batch import BatchResult
from app.domain.identifiers import Invalid, check_certification
from app.repositories.certifications import CertificationRepository

MIN_LEVEL, MAX_LEVEL = 1, 8


@dataclass(frozen=True, slots=True)
class CertificationRecord:
    code: str
    title: str
    level: int | None


async def register_certifications(db: RequestSession, records: Sequence[CertificationRecord]) -> BatchResult:
    result = BatchResult()
    valid: dict[str, dict[str, object]] = {}
    for index, record in enumerate(records):
        checked = check_certification(record.code)
        if isinstance(checked, Invalid):
            result.reject(index, record.code, "code", checked.code, checked.message)
            continue
        title = record.title.strip()
        if not title or len(title) > 500:
            result.reject(index, checked.code, "title", "INVALID_TITLE", "a title is 1 to 500 characters")
            continue
        if record.level is not None and not MIN_LEVEL <= record.level <= MAX_LEVEL:
            result.reject(
                index, checked.code, "level", "INVALID_LEVEL",
                f"a level is from {MIN_LEVEL} to {MAX_LEVEL} (3: CAP, 7: master)",
            )
            continue
        if checked.code in valid:
            result.reject(
                index, checked.code, "code", "DUPLICATE_IN_BATCH",
                "this code appears earlier in the same batch",
            )
            continue
        valid[checked.code] = {
            "code": checked.code,
            "kind": str(checked.kind),
            "title": title,
            "level": record.level,
        }
    changed = await CertificationRepository(db).upsert_verified(list(valid.values()))
    result.accepted = changed
    result.unchanged = len(valid) - changed
    return result
