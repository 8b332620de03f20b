"""The result of batch writes, and rejected records kept for their senders."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain.batch import BatchResult
from app.domain.batch import RecordError as RecordErrorData
from graphql_schema.types.pagination import PageInfo


@strawberry.type(description="A record of a batch that was not stored, and why.")
class RecordError:
    index: int = strawberry.field(
        description="Position of the record in the input list (from 0); -1 in `myRejections` for a step refused after "
        "its batch (WISH_YOUTH_MISMATCH: the wish it names came later and is another youth's)."
    )
    ref: str | None = strawberry.field(description="The record's eventId / portalWishId / offerRef / code.")
    field: str | None = strawberry.field(description="The offending input field, when one is at fault.")
    code: str = strawberry.field(
        description="A stable code, e.g. INVALID_UAI, INVALID_INE, UNKNOWN_CFA, CONSENT_MISSING, "
        "NOT_AUTHORIZED_FOR_CFA, UNKNOWN_CERTIFICATION."
    )
    message: str = strawberry.field(description="What is wrong, for a person; never repeats an identifier.")

    @classmethod
    def from_data(cls, error: RecordErrorData) -> RecordError:
        return cls(index=error.index, ref=error.ref, field=error.field, code=error.code, message=error.message)


@strawberry.type(
    description="What a batch write did. Per-record problems are listed here, not raised: every "
    "valid record of the batch is stored."
)
class BatchPayload:
    accepted: int = strawberry.field(description="Records stored or updated by this call.")
    unchanged: int = strawberry.field(description="Records already known exactly (idempotent replays).")
    rejected: list[RecordError] = strawberry.field(description="Records not stored, with the reason.")

    @classmethod
    def from_result(cls, result: BatchResult) -> BatchPayload:
        return cls(
            accepted=result.accepted,
            unchanged=result.unchanged,
            rejected=[RecordError.from_data(error) for error in result.rejected],
        )


@strawberry.type(description="A rejected record, kept for the client that sent it.")
class Rejection:
    received_at: datetime = strawberry.field(description="When the batch arrived.")
    operation: str = strawberry.field(description="recordSteps, upsertOffers or submitWishes.")
    error: RecordError = strawberry.field(description="Which record and why.")


@strawberry.type(description="An edge of a rejection list.")
class RejectionEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this edge.")
    node: Rejection = strawberry.field(description="The rejection.")


@strawberry.type(description="A page of rejections, newest first.")
class RejectionConnection:
    edges: list[RejectionEdge] = strawberry.field(description="The page.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")
    total_count: int = strawberry.field(description="All rejections matching, over every page.")
