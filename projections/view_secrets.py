"""What views keep that only the master key opens: pseudonyms and sealed values.

A view table that could tie a person to health data holds neither in clear.
Each store's views get one key derived from the master key (`VIEW_KEY_PURPOSE`);
from it:

- `pseudonym(text)`: HMAC-SHA256, the key the outcome facts are stored under
  instead of the course id, so without the master key nobody can join a fact
  to a course in the course list (or to anything else keyed by course);
- `seal(text)` / `unseal(text)`: AES-256-GCM, for values a view must give back
  (the birth date part of the CPR in the course list; a course's id and
  subject in the outcomes view). The nonce is derived from the value (as in
  SIV), so the same value seals the same way: a rebuild gives the same rows
  and `forloeb projections verify` can compare them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import CourseError

VIEW_KEY_PURPOSE = "views"
"""What the views' key is derived for from the master key."""
_NONCE = 12


class ViewSecrets:
    """Pseudonyms and sealed values under one store's view key."""

    def __init__(self, key: bytes) -> None:
        self._pseudonym_key = hmac.new(key, b"pseudonym", hashlib.sha256).digest()
        self._nonce_key = hmac.new(key, b"nonce", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(key, b"seal", hashlib.sha256).digest())
        self.pseudonym = lru_cache(maxsize=1 << 16)(self._pseudonym)
        self.unseal = lru_cache(maxsize=1 << 16)(self._unseal)

    def _pseudonym(self, text: str) -> str:
        """The keyed pseudonym of a value (32 hex digits)."""
        return hmac.new(self._pseudonym_key, text.encode(), hashlib.sha256).hexdigest()[:32]

    def seal(self, text: str) -> str:
        """The value encrypted (base64 text; the same value always seals the same)."""
        data = text.encode()
        nonce = hmac.new(self._nonce_key, data, hashlib.sha256).digest()[:_NONCE]
        return base64.b64encode(nonce + self._aead.encrypt(nonce, data, None)).decode("ascii")

    def _unseal(self, sealed: str) -> str:
        """A sealed value back as it was; CourseError if it was not sealed under this key."""
        raw = base64.b64decode(sealed)
        try:
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
        except (InvalidTag, ValueError):
            raise CourseError(
                "views: a sealed value does not open under this master key; rebuild the "
                "views (forloeb projections rebuild)"
            ) from None
