"""Keys and pseudonymisation primitives."""

from __future__ import annotations

import pytest

from app.security import IdentityVault, hash_api_key, key_hint, keys_match, looks_like_api_key, new_api_key


def test_api_keys_are_unique_and_recognisable():
    keys = {new_api_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(looks_like_api_key(key) for key in keys)
    assert not looks_like_api_key("hub_short")
    assert key_hint("hub_abcdefgh") == "hub_abcd"


def test_key_hashes_depend_on_the_pepper():
    key = new_api_key()
    assert hash_api_key("a", key) == hash_api_key("a", key)
    assert hash_api_key("a", key) != hash_api_key("b", key)
    assert keys_match(hash_api_key("a", key), hash_api_key("a", key))
    assert not keys_match(hash_api_key("a", key), hash_api_key("b", key))


def test_ine_encryption_round_trips_and_is_randomised():
    vault = IdentityVault(b"hash-key", b"k" * 32)
    first, second = vault.encrypt_ine("123456789AB"), vault.encrypt_ine("123456789AB")
    assert first != second  # a fresh nonce each time: equal INEs do not look equal at rest
    assert b"123456789AB" not in first
    assert vault.decrypt_ine(first) == vault.decrypt_ine(second) == "123456789AB"


def test_identity_hashes_are_keyed_and_separate_ine_from_nir():
    vault = IdentityVault(b"hash-key", b"k" * 32)
    other = IdentityVault(b"other-key", b"k" * 32)
    assert vault.hash_ine("123456789AB") == vault.hash_ine("123456789AB")
    assert vault.hash_ine("123456789AB") != other.hash_ine("123456789AB")
    assert vault.hash_ine("X") != vault.hash_nir("X")


def test_identity_hashes_keep_their_definition():
    """Stored hashes are matched forever: HMAC-SHA256(key, "ine:"/"nir:" + value), whatever the code's shortcuts."""
    import hmac

    vault = IdentityVault(b"hash-key", b"k" * 32)
    assert vault.hash_ine("123456789AB") == hmac.digest(b"hash-key", b"ine:123456789AB", "sha256")
    assert vault.hash_nir("199997500001") == hmac.digest(b"hash-key", b"nir:199997500001", "sha256")
    assert vault.hash_ine("123456789AB") == vault.hash_ine("123456789AB")  # the keyed state is copied, never consumed


@pytest.mark.parametrize("key_length", [0, 1, 16, 32, 63, 64, 65, 100, 200])
def test_identity_hashes_are_hmac_sha256_for_every_key_length(key_length):
    """The keyed states are built by RFC 2104 (a key longer than a block is hashed first)."""
    import hmac
    import random

    rng = random.Random(key_length)
    key = bytes(rng.randrange(256) for _ in range(key_length))
    vault = IdentityVault(key, b"k" * 32)
    for value in ("", "123456789AB", "1234A12345B", "é" * 40, "x" * 500):
        assert vault.hash_ine(value) == hmac.digest(key, b"ine:" + value.encode(), "sha256")
        assert vault.hash_nir(value) == hmac.digest(key, b"nir:" + value.encode(), "sha256")


@pytest.mark.parametrize("ine", ["123456789AB", "1234567890A", "1234A12345B"])
def test_an_encrypted_ine_of_every_format_has_the_fixed_length_batches_pack(ine):
    from app.domain.identifiers import check_ine
    from app.security import ENCRYPTED_INE_BYTES

    assert check_ine(ine) == ine
    assert len(IdentityVault(b"hash-key", b"k" * 32).encrypt_ine(ine)) == ENCRYPTED_INE_BYTES
