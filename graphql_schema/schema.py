"""The composition root of the GraphQL API: Query, Mutation, extensions, error logging.

Every root field carries the policy's guard (``guard()``: the roles are in app/domain/policy.py);
a test fails on a root field without one. Descriptions state who may call (as the policy says,
tests/test_policy.py) and the limits.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.errors import HubError
from app.settings import Settings
from graphql_schema import bulk
from graphql_schema.execution import PlainCompletion
from graphql_schema.extensions import ErrorShapeExtension, ReadReplicaRouting, TransactionExtension
from graphql_schema.limits import DocumentLimits, Limits
from graphql_schema.mutations import admin
from graphql_schema.mutations import offers as offer_mutations
from graphql_schema.mutations import steps as step_mutations
from graphql_schema.mutations import wishes as wish_mutations
from graphql_schema.permissions import guard
from graphql_schema.queries import cfas as cfa_queries
from graphql_schema.queries import clients as client_queries
from graphql_schema.queries import feedback as feedback_queries
from graphql_schema.queries import headcounts as headcount_queries
from graphql_schema.queries import offers as offer_queries
from graphql_schema.queries import risks as risk_queries
from graphql_schema.queries import wishes as wish_queries
from graphql_schema.queries import youths as youth_queries
from graphql_schema.scalars import SCALARS

log = logging.getLogger("hub.graphql")


@strawberry.type(description="Reads. Every request carries `Authorization: Bearer <api key>`.")
class Query:
    me = strawberry.field(resolver=client_queries.me, extensions=[guard()], description="The calling client. Any role.")
    cfa = strawberry.field(
        resolver=cfa_queries.cfa, extensions=[guard()], description="A CFA by UAI; null when unknown or invalid. Any role."
    )
    cfas = strawberry.field(
        resolver=cfa_queries.cfas, extensions=[guard()], description="Every CFA, in UAI order; `first` 1 to 500. Any role."
    )
    certification = strawberry.field(
        resolver=cfa_queries.certification,
        extensions=[guard()],
        description="A certification by CFD or RNCP code; null when unknown. Any role.",
    )
    youth = strawberry.field(
        resolver=youth_queries.youth,
        extensions=[guard()],
        description="ADMIN: a youth by INE (or NIR, with NIR matching on; v2: or its CFA's uai and learnerRef), with its "
        "path; null when unknown. Audited.",
    )
    offers = strawberry.field(
        resolver=offer_queries.offers,
        extensions=[guard()],
        description="Training offers with capacities and vacancies; `first` 1 to 500. Any role.",
    )
    wishes = strawberry.field(
        resolver=wish_queries.wishes_,
        extensions=[guard()],
        description="PORTAL: only its own portal's wishes, with their outcome; `first` 1 to 500. Reads are audited.",
    )
    wish = strawberry.field(
        resolver=wish_queries.wish,
        extensions=[guard()],
        description="PORTAL: one of its wishes; null for an unknown id and for another portal's wish alike.",
    )
    wish_outcome_summary = strawberry.field(
        resolver=wish_queries.wish_outcome_summary,
        extensions=[guard()],
        description="Counts of wishes by stage and match. PORTAL (own wishes), PILOT (all, in scope).",
    )
    my_rejections = strawberry.field(
        resolver=feedback_queries.my_rejections,
        extensions=[guard()],
        description="VENDOR and PORTAL: their own rejected records, newest first; `first` 1 to 500.",
    )
    at_risk_youths = strawberry.field(
        resolver=risk_queries.at_risk_youths,
        extensions=[guard()],
        description="ADVISER: only youths of its departments (ADMIN: all); `first` 1 to 500. Reads are audited.",
    )
    headcounts = strawberry.field(
        resolver=headcount_queries.headcounts,
        extensions=[guard()],
        description="PILOT (in scope), ADMIN: headcounts on a date against capacities. Never a person.",
    )
    headcount_series = strawberry.field(
        resolver=headcount_queries.headcount_series,
        extensions=[guard()],
        description="PILOT, ADMIN: headcounts at each week or month end in [from, to]; at most 60 points.",
    )
    transmission_coverage = strawberry.field(
        resolver=headcount_queries.transmission_coverage,
        extensions=[guard()],
        description="v2: PILOT (in scope), ADMIN: how many CFAs are known, consent and transmit (a record received in "
        "the 30 days up to `on`), and the apprentices of the transmitting ones, by place.",
    )
    wish_conversion = strawberry.field(
        resolver=headcount_queries.wish_conversion,
        extensions=[guard()],
        description="v2: PILOT (in scope, by the wished CFA), ADMIN: what became of the wishes, by place, per portal "
        "and submission window; the wishes' outcomes, counted. Never a person; protected for a PILOT.",
    )


@strawberry.type(description="Writes. Batches take 1 to 2,000 records; per-record problems come back in the payload.")
class Mutation:
    record_steps = strawberry.field(
        resolver=step_mutations.record_steps,
        extensions=[guard()],
        description="VENDOR: at most 2,000 records a call; only CFAs that consented and authorised this vendor.",
    )
    upsert_offers = strawberry.field(
        resolver=offer_mutations.upsert_offers,
        extensions=[guard()],
        description="VENDOR: at most 2,000 records a call; same CFA rules as recordSteps.",
    )
    submit_wishes = strawberry.field(
        resolver=wish_mutations.submit_wishes,
        extensions=[guard()],
        description="PORTAL: at most 2,000 records a call; stored under the caller's portal.",
    )
    revise_capacity = strawberry.field(
        resolver=offer_mutations.revise_capacity,
        extensions=[guard()],
        description="ADMIN: the capacity revised by the authorities (e.g. sanitary rules); it overrides the CFA's "
        "capacity in vacancies and headcounts; null withdraws it.",
    )
    register_certifications = strawberry.field(
        resolver=admin.register_certifications,
        extensions=[guard()],
        description="ADMIN: the certification referential, at most 2,000 records a call (a valid but "
        "unknown code in a step or wish is kept, as an unverified certification).",
    )
    register_cfa = strawberry.field(
        resolver=admin.register_cfa,
        extensions=[guard()],
        description="ADMIN: registers a CFA, or updates its SIRET, name and department.",
    )
    set_cfa_consent = strawberry.field(
        resolver=admin.set_cfa_consent,
        extensions=[guard()],
        description="ADMIN: consent and the vendors authorised to write for the CFA; every change is kept in its history.",
    )
    create_client = strawberry.field(
        resolver=admin.create_client,
        extensions=[guard()],
        description="ADMIN: a new client and its key (shown once). Regions expand to their departments.",
    )
    revoke_client = strawberry.field(
        resolver=admin.revoke_client,
        extensions=[guard()],
        description="ADMIN: the client's keys stop working at once (next request).",
    )
    erase_youth = strawberry.field(
        resolver=step_mutations.erase_youth,
        extensions=[guard()],
        description="ADMIN: right to erasure; removes the youth, its wishes' personal link, its events and its learner "
        "references (v2: found by INE, NIR, or its CFA's uai and learnerRef).",
    )


class HubSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log unexpected errors only (with traceback and request id); never variables."""
        for error in errors:
            original: Any = error.original_error
            if original is None or isinstance(original, HubError) or error.path is None:
                continue
            request_id = getattr(getattr(execution_context, "context", None), "request_id", None)
            log.error(
                "unexpected error in %s (request %s)",
                ".".join(str(p) for p in error.path or []),
                request_id,
                exc_info=original,
            )


def build_schema(settings: Settings | None = None) -> HubSchema:
    """The schema with the limits of ``settings`` (the defaults when None: the committed SDL)."""
    settings = settings or Settings()
    limits = Limits(max_depth=settings.max_query_depth, max_aliases=settings.max_aliases,
                    max_cost=settings.max_query_cost, max_fields=settings.max_query_fields,
                    variable_page=settings.max_page_size)
    return _build(limits, settings.max_tokens, settings.introspection_enabled, settings.is_production)


@functools.lru_cache(maxsize=8)
def _build(limits: Limits, max_tokens: int, introspection: bool, production: bool) -> HubSchema:
    extensions: list[Any] = [
        ErrorShapeExtension,
        TransactionExtension,
        ReadReplicaRouting,
        bulk.RawBulkInputs,
        lambda: ParserCache(maxsize=256),
        # Abuse: refused while validating, before any resolver runs, in time linear in the
        # document whatever its fragments spread (graphql_schema/limits.py); validation results
        # are cached by document.
        lambda: DocumentLimits(limits),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    built = HubSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
        scalar_overrides=SCALARS,
        execution_context_class=PlainCompletion,
    )
    bulk.install(
        built,
        {
            "recordSteps": step_mutations.record_steps_raw,
            "submitWishes": wish_mutations.submit_wishes_raw,
            "upsertOffers": offer_mutations.upsert_offers_raw,
        },
    )
    return built


schema = build_schema()
