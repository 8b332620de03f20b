"""Settings read from the environment (prefix ``HUB_``), validated once per process.

Secrets are ``SecretStr`` so that they never print; in production the hub refuses to start
with a development default (see :meth:`Settings.check_production`).
"""

from __future__ import annotations

import base64
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development defaults: known to everybody, therefore refused in production.
DEV_KEY_PEPPER = "dev-key-pepper-not-secret"
DEV_IDENTITY_HASH_KEY = "dev-identity-hash-key-not-secret"
DEV_IDENTITY_ENCRYPTION_KEY = base64.b64encode(b"dev-encryption-key-32-bytes-long").decode()


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class NirMatching(StrEnum):
    OFF = "off"  # the NIR is validated then discarded; only the fact that one was given is kept
    HMAC = "hmac"  # a keyed hash of the NIR is kept to match youths who have no INE


class Derivation(StrEnum):
    INLINE = "inline"  # recordSteps derives paths, outcomes, spans and change points in its transaction
    DEFERRED = "deferred"  # recordSteps queues the youths; a deriver in each hub process catches up


class Settings(BaseSettings):
    """Every setting of the hub; docs/configuration.md lists them with their defaults."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=None, extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+asyncpg://...). Unset: embedded PostgreSQL.",
    )
    # A streaming replica for read-only operations (queries); the caller's own writes are read
    # from the primary until the replica has replayed them (docs/scaling.md).
    database_read_url: str | None = None
    # Direct to PostgreSQL for migrations, when HUB_DATABASE_URL goes through PgBouncer (the
    # migration lock is a session lock, which transaction pooling cannot hold).
    database_migrate_url: str | None = None
    # HUB_DATABASE_URL (and the read URL) go through PgBouncer in transaction mode: no prepared
    # statement outlives a transaction, no startup parameter beyond application_name, no COPY.
    db_pgbouncer: bool = False
    data_dir: Path = Path(".hub")
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    request_timeout_s: float = Field(default=60.0, gt=0)  # a request still running then is cut (504)

    key_pepper: SecretStr = SecretStr(DEV_KEY_PEPPER)
    identity_hash_key: SecretStr = SecretStr(DEV_IDENTITY_HASH_KEY)
    identity_encryption_key: SecretStr = SecretStr(DEV_IDENTITY_ENCRYPTION_KEY)
    nir_matching: NirMatching = NirMatching.OFF

    rate_limit_per_second: float = Field(default=20.0, gt=0)  # per client key, shared by all workers
    rate_limit_burst: int = Field(default=60, ge=1)
    # A request costs the larger of a token and a token per so many bulk records, exported rows
    # and units of estimated cost (a 2,000-record batch: 10; a page of 500 wishes with history: ~11).
    rate_cost_records_per_token: int = Field(default=200, ge=1)
    rate_cost_rows_per_token: int = Field(default=1_000, ge=1)
    rate_cost_estimate_per_token: int = Field(default=1_000, ge=1)
    # Requests without a valid key (none, malformed or unknown), per client address (IPv6: per
    # /64), in each process: refused before anything touches the database.
    anonymous_rate_per_second: float = Field(default=2.0, gt=0)
    anonymous_burst: int = Field(default=30, ge=1)
    # Once an address's bucket is empty, keys the process does not know yet are still looked up
    # at this pace per address (a valid client behind the same address gets in).
    unknown_key_lookups_per_second: float = Field(default=1.0, gt=0)
    # A refused request (429) is answered after a pause of up to this many seconds (never longer
    # than its Retry-After): a flood on one connection then costs the hub a request a second.
    refusal_delay_s: float = Field(default=1.0, ge=0)
    # Request bodies (app/bodies.py): all of it within body_timeout_s, plus a second for every
    # body_min_bytes_per_s bytes received.
    body_timeout_s: float = Field(default=10.0, gt=0)
    body_min_bytes_per_s: int = Field(default=65_536, ge=1)
    max_import_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)  # POST /imports/…
    max_query_cost: int = Field(default=100_000, ge=1)  # estimated from page sizes and nesting
    key_lifetime_days: int = Field(default=365, ge=1)
    retention_days: int = Field(default=5 * 365, ge=30)  # hub purge: youths without a step or wish for this long  # API keys expire; rotate them before (hub clients rotate)
    max_page_size: int = Field(default=500, ge=1)
    max_batch_size: int = Field(default=2_000, ge=1)
    # Query abuse: refused with a coded error before any resolver runs.
    max_query_depth: int = Field(default=10, ge=2)
    max_aliases: int = Field(default=15, ge=0)
    max_tokens: int = Field(default=2_000, ge=10)
    # Fields of a document once its fragments are expanded where they are spread (a fragment
    # spreading another twice doubles it: the fragment bombs).
    max_query_fields: int = Field(default=2_000, ge=10)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)  # GraphQL requests; imports have their own
    # Introspection is on outside production; in production only when asked for.
    introspection: bool | None = None

    # Status rules (DOMAIN.md, "Status rules 2027.1"): thresholds are settings, and figures carry
    # the rule version. Changing one: set it everywhere, then `hub recompute`.
    rule_version: str = "2027.1"
    registered_dropout_days: int = Field(default=90, ge=1)  # registered without contract longer: abandon
    broken_dropout_days: int = Field(default=180, ge=1)  # rupturant longer: abandon
    completion_window_days: int = Field(default=60, ge=0)  # a contract ending this close to the training end completes
    no_contract_alert_days: int = Field(default=60, ge=1)  # advisers: registered without contract this long
    wish_not_handled_days: int = Field(default=30, ge=1)  # advisers: a wish with no step this long
    handled_not_registered_days: int = Field(default=45, ge=1)  # advisers: a first step as the last step this long
    dropped_out_shown_days: int = Field(default=180, ge=1)  # advisers: an abandon is shown this long
    # Outcomes a rule changes (an abandon after 90 days) are refreshed by a sweep in every hub
    # process this often (and by `hub sweep`).
    outcome_sweep_s: float = Field(default=300.0, gt=0)
    # A wish is dated at most this many days before the hub receives it (never in the future):
    # a backdated wish would read the youth's older past (DOMAIN.md, rules 2027.1).
    wish_max_age_days: int = Field(default=400, ge=1)

    # Derived rows (paths, change points, spans of risk, outcomes): in recordSteps's transaction
    # (inline: reads are exact as soon as the batch is answered) or by the deriver of every hub
    # process (deferred: ingestion about 4x faster, derived reads lag the facts by the queue's
    # age, at most about derivation_max_wait_s plus a round; docs/ingestion.md).
    derivation: Derivation = Derivation.INLINE
    derivation_batch: int = Field(default=4_000, ge=1)  # youths a deriver transaction takes
    derivation_idle_s: float = Field(default=0.25, gt=0)  # pause of an idle deriver between looks
    # A deriver gives way to its process's batches (derives once none came for quiet_s), but
    # never waits more than max_wait_s: bursts are taken at full speed, derived just after.
    derivation_quiet_s: float = Field(default=0.5, ge=0)
    derivation_max_wait_s: float = Field(default=10.0, gt=0)

    migrate_on_start: bool = True
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|text)$")  # text: for a developer's terminal

    @field_validator("identity_encryption_key")
    @classmethod
    def _aes_key_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        try:
            raw = base64.b64decode(value.get_secret_value(), validate=True)
        except ValueError as exc:
            raise ValueError("HUB_IDENTITY_ENCRYPTION_KEY must be base64") from exc
        if len(raw) != 32:
            raise ValueError("HUB_IDENTITY_ENCRYPTION_KEY must decode to 32 bytes (AES-256)")
        return value

    @property
    def is_development(self) -> bool:
        return self.env == Environment.DEVELOPMENT

    @property
    def is_production(self) -> bool:
        return self.env == Environment.PRODUCTION

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def encryption_key_bytes(self) -> bytes:
        return base64.b64decode(self.identity_encryption_key.get_secret_value())

    def check_production(self) -> None:
        """Raise if production would run with a missing database or a development secret."""
        if self.env != Environment.PRODUCTION:
            return
        problems = []
        if not self.database_url:
            problems.append("HUB_DATABASE_URL must be set in production (no embedded database)")
        defaults = {
            "HUB_KEY_PEPPER": (self.key_pepper, DEV_KEY_PEPPER),
            "HUB_IDENTITY_HASH_KEY": (self.identity_hash_key, DEV_IDENTITY_HASH_KEY),
            "HUB_IDENTITY_ENCRYPTION_KEY": (
                self.identity_encryption_key,
                DEV_IDENTITY_ENCRYPTION_KEY,
            ),
        }
        for name, (secret, default) in defaults.items():
            value = secret.get_secret_value()
            if value == default or len(value) < 32:
                problems.append(f"{name} must be set to a secret of at least 32 characters")
        if problems:
            raise RuntimeError("refusing to start in production: " + "; ".join(problems))


@lru_cache
def get_settings() -> Settings:
    return Settings()
