"""Settings: production refuses development secrets and the embedded database."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from app.settings import Environment, Settings

STRONG = "x" * 40
AES = base64.b64encode(b"k" * 32).decode()


def test_development_runs_with_defaults():
    Settings(env=Environment.DEVELOPMENT).check_production()


def test_production_refuses_default_secrets_and_no_database():
    with pytest.raises(RuntimeError) as refused:
        Settings(env=Environment.PRODUCTION).check_production()
    message = str(refused.value)
    for name in ("HUB_DATABASE_URL", "HUB_KEY_PEPPER", "HUB_IDENTITY_HASH_KEY", "HUB_IDENTITY_ENCRYPTION_KEY"):
        assert name in message


def test_production_starts_with_real_secrets():
    Settings(
        env=Environment.PRODUCTION,
        database_url="postgresql+asyncpg://hub@db/hub",
        key_pepper=STRONG,
        identity_hash_key=STRONG + "y",
        identity_encryption_key=AES,
    ).check_production()


def test_production_refuses_a_short_secret():
    with pytest.raises(RuntimeError, match="HUB_KEY_PEPPER"):
        Settings(
            env=Environment.PRODUCTION, database_url="postgresql+asyncpg://hub@db/hub",
            key_pepper="short", identity_hash_key=STRONG, identity_encryption_key=AES,
        ).check_production()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"16 bytes only!!!").decode()])
def test_the_encryption_key_must_be_32_bytes_of_base64(value):
    with pytest.raises(ValidationError):
        Settings(identity_encryption_key=value)


def test_settings_come_from_hub_environment_variables(monkeypatch):
    monkeypatch.setenv("HUB_ENV", "test")
    monkeypatch.setenv("HUB_MAX_BATCH_SIZE", "100")
    monkeypatch.setenv("HUB_NIR_MATCHING", "hmac")
    settings = Settings()
    assert (settings.env, settings.max_batch_size, settings.nir_matching) == ("test", 100, "hmac")


def test_secrets_never_print():
    assert STRONG not in repr(Settings(key_pepper=STRONG))
