"""Keys and pseudonymisation: API key generation and hashing, identity hashing and encryption.

- API keys carry 256 random bits behind a recognisable ``hub_`` prefix; only an HMAC of the
  key (keyed by ``HUB_KEY_PEPPER``) is stored, so a database dump reveals no usable key.
- Youths are matched by an HMAC of the INE (``HUB_IDENTITY_HASH_KEY``) and, when NIR matching
  is on, of the NIR; the INE is kept encrypted with AES-256-GCM (``HUB_IDENTITY_ENCRYPTION_KEY``)
  for the roles allowed to read it. The NIR is never stored in clear. All secrets live outside
  the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_PREFIX = "hub_"
_KEY_RANDOM_BYTES = 32  # 256 bits
_NONCE_BYTES = 12
_TAG_BYTES = 16
INE_LENGTH = 11  # every INE format (app/domain/identifiers.py)
ENCRYPTED_INE_BYTES = _NONCE_BYTES + INE_LENGTH + _TAG_BYTES  # nonce, ciphertext, GCM tag


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(_KEY_RANDOM_BYTES)


def looks_like_api_key(value: str) -> bool:
    return value.startswith(KEY_PREFIX) and 40 <= len(value) <= 80


def hash_api_key(pepper: str, key: str) -> bytes:
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).digest()


def key_hint(key: str) -> str:
    """What an operator may see of a key to recognise it: the prefix and 4 characters."""
    return key[: len(KEY_PREFIX) + 4]


def keys_match(stored_hash: bytes, presented_hash: bytes) -> bool:
    return hmac.compare_digest(stored_hash, presented_hash)


_BLOCK = 64  # SHA-256's block size
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class _KeyedSha256:
    """HMAC-SHA256(key, prefix + message) by its definition (RFC 2104) on hashlib's objects:
    the keyed inner and outer states are made once and copied for each message. Same digest as
    ``hmac.new(key, prefix + message, "sha256")``, at half its cost (two C-level copies instead
    of a Python HMAC object per message), for the batch loops that hash thousands of INEs."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, prefix: bytes):
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._inner.update(prefix)
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


class IdentityVault:
    """Hashes and encrypts youths' identifiers with keys that never enter the database."""

    def __init__(self, hash_key: bytes, encryption_key: bytes):
        self._ine_mac = _KeyedSha256(hash_key, b"ine:")
        self._nir_mac = _KeyedSha256(hash_key, b"nir:")
        self._learner_mac = _KeyedSha256(hash_key, b"learner:")
        self._aead = AESGCM(encryption_key)

    def hash_ine(self, ine: str) -> bytes:
        """HMAC-SHA256(key, "ine:" + INE)."""
        return self._ine_mac.digest(ine.encode())

    def hash_nir(self, nir: str) -> bytes:
        """HMAC-SHA256(key, "nir:" + NIR)."""
        return self._nir_mac.digest(nir.encode())

    def hash_learner(self, uai: str, learner_ref: str) -> bytes:
        """HMAC-SHA256(key, "learner:" + UAI + US + learnerRef): the CFA software's id of a
        learner, never kept in clear (US, the unit separator, cannot be in either)."""
        return self._learner_mac.digest(f"{uai}\x1f{learner_ref}".encode())

    def encrypt_ine(self, ine: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, ine.encode(), b"ine")

    def decrypt_ine(self, blob: bytes) -> str:
        return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], b"ine").decode()
