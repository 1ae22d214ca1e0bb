"""A citizen's cipher: AES-GCM under their own key, in eventsourcing's AESCipher format.

The keyring holds one per citizen it has met, and reading the whole log (a
rebuild) meets every citizen: at 169k citizens eventsourcing's AESCipher
(an object with a `__dict__` holding its key) took about 800 bytes each of
the process's memory. This one keeps only the key, in a slot, and like
AESCipher makes an AESGCM for each call (an AESGCM kept per citizen holds
OpenSSL's context: 2.5 KB each). Its output is AESCipher's exactly (nonce,
tag, ciphertext), so either decrypts the other's.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12
TAG = 16


class CitizenCipher:
    """Encrypts and decrypts one citizen's sealed fields."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        """The cipher for a raw 256-bit key."""
        self._key = key

    def encrypt(self, plaintext: bytes) -> bytes:
        """Nonce, tag and ciphertext, as eventsourcing's AESCipher writes them."""
        nonce = os.urandom(NONCE)
        sealed = AESGCM(self._key).encrypt(nonce, plaintext, None)
        return nonce + sealed[-TAG:] + sealed[:-TAG]

    def decrypt(self, ciphertext: bytes) -> bytes:
        """The plaintext; ValueError when the text is damaged or not under this key."""
        if len(ciphertext) < NONCE + TAG:
            raise ValueError("Damaged cipher text: too short")
        nonce, tag = ciphertext[:NONCE], ciphertext[NONCE : NONCE + TAG]
        body = ciphertext[NONCE + TAG :]
        try:
            return AESGCM(self._key).decrypt(nonce, body + tag, None)
        except InvalidTag as e:
            raise ValueError("Invalid cipher tag") from e
