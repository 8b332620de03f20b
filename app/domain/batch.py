"""The outcome of a batch write: counts and per-record errors (index, ref, field, code)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RecordError:
    index: int
    ref: str | None
    field: str | None
    code: str
    message: str


@dataclass(slots=True)
class BatchResult:
    accepted: int = 0
    unchanged: int = 0
    rejected: list[RecordError] = field(default_factory=list)

    def reject(self, index: int, ref: str | None, field_name: str | None, code: str, message: str) -> None:
        self.rejected.append(RecordError(index, ref, field_name, code, message))
