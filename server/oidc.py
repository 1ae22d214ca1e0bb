"""Bearer tokens from the municipality's OpenID provider, checked and mapped to a user.

`OidcVerifier.verify(token)` accepts a JWT access token only when

- its algorithm is on the allow-list (public-key algorithms only: never `none`,
  never an HMAC algorithm, which would let anyone holding the public key sign);
- its signature verifies against the provider's published keys (discovery document
  → `jwks_uri`), the key chosen by the token's `kid`;
- `iss` is the configured issuer, `aud` names the configured audience;
- `exp` has not passed, and `nbf`/`iat` are not in the future, each with the
  allowed clock skew;
- it carries the configured user claim, whose value is the forloeb user name;
- with `require_access_token_type`, its `typ` is `at+jwt` (RFC 9068), so an ID
  token is not taken for an access token.

Tokens must name their signing key (`kid`), as every provider's JWT access tokens do.

Any failure raises `InvalidToken` with a one-line reason (`token expired`, `wrong
audience`, `unknown signing key`, ...) that never quotes the token. A provider that
cannot be reached raises `ProviderUnavailable` instead: that is the server's fault,
not the client's, and should not count as a failed attempt.

The keys are cached for `jwks_cache_seconds`; a token signed with a key not in the
cache (the provider rotated its keys) makes one refetch, at most once every
`jwks_min_refetch_seconds`, so a stream of tokens with made-up key ids cannot make
the server hammer the provider. When the provider cannot be reached, the keys
fetched before stay in use (logged). Safe to share between threads.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import Key, KeySet
from pydantic import BaseModel, ConfigDict, Field, field_validator

LOG = logging.getLogger("forloeb.server.auth")

PUBLIC_KEY_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""The signature algorithms a verifier may allow: each needs the provider's private key."""

MAX_TOKEN_LENGTH = 16_384
"""Longer than any access token a provider issues; longer input is refused unread."""


class OidcError(Exception):
    """A bearer token could not be accepted; `reason` is one line, quoting no token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidToken(OidcError):
    """The token is missing, malformed, expired, forged or meant for someone else."""


class ProviderUnavailable(OidcError):
    """The provider's discovery document or keys could not be fetched or read."""


class OidcSettings(BaseModel):
    """Which provider the server trusts and how its tokens name forloeb users."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(description="the provider's issuer URL, exactly as in its tokens")
    audience: str = Field(min_length=1, description="the `aud` this server's tokens carry")
    user_claim: str = Field(
        default="preferred_username", min_length=1, description="the claim naming the user"
    )
    municipality_claim: str | None = Field(
        default=None,
        min_length=1,
        description="on a server of several municipalities: the claim naming the user's "
        "municipality, which must be the one the user belongs to (None: the login decides)",
    )
    clock_skew_seconds: int = Field(default=60, ge=0, le=600)
    jwks_cache_seconds: int = Field(default=600, ge=0)
    jwks_min_refetch_seconds: float = Field(default=10.0, ge=0)
    allowed_algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256", "EdDSA")
    require_access_token_type: bool = Field(
        default=False,
        description="refuse JWTs whose typ header is not at+jwt (RFC 9068), such as ID tokens; "
        "for providers that mark their access tokens so",
    )
    http_timeout_seconds: float = Field(default=5.0, gt=0)

    @field_validator("issuer")
    @classmethod
    def _https_unless_loopback(cls, issuer: str) -> str:
        parts = urlsplit(issuer)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an http(s) URL")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("must use https (plain http only on this machine)")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return issuer

    @field_validator("allowed_algorithms")
    @classmethod
    def _public_key_algorithms_only(cls, algorithms: tuple[str, ...]) -> tuple[str, ...]:
        if not algorithms:
            raise ValueError("must name at least one algorithm")
        for algorithm in algorithms:
            if algorithm not in PUBLIC_KEY_ALGORITHMS:
                raise ValueError(
                    f"{algorithm} is not a public-key signature algorithm "
                    f"(one of {', '.join(sorted(PUBLIC_KEY_ALGORITHMS))})"
                )
        return algorithms

    @property
    def discovery_url(self) -> str:
        """Where the provider publishes its configuration (OpenID Connect Discovery)."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Identity:
    """Who a valid token speaks for: the forloeb user and the provider's subject."""

    user: str
    subject: str
    municipality: str | None = None
    """The municipality the token was issued in (a personal access token's schema, the
    provider's municipality claim); None: it does not say."""


class ProviderKeys:
    """The provider's published signing keys, fetched through discovery and cached."""

    def __init__(
        self,
        settings: OidcSettings,
        http: httpx.Client,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._quiet_until = 0.0
        self.fetches = 0
        """How many times the keys were fetched (for the operator, and the tests)."""

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def key_for(self, kid: str) -> Key:
        """The signing key with this key id; refetched when stale or unknown."""
        with self._lock:
            now = self._clock()
            if self._needs_refresh(kid, now):
                self._refresh_or_keep(now)
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    def _needs_refresh(self, kid: str, now: float) -> bool:
        """Stale keys, or an unknown kid when the last fetch is not too recent."""
        if self._fetched_at is None:
            return True
        if now < self._quiet_until:
            return False
        age = now - self._fetched_at
        if age >= self._settings.jwks_cache_seconds:
            return True
        return kid not in self._keys and age >= self._settings.jwks_min_refetch_seconds

    def _refresh_or_keep(self, now: float) -> None:
        """Refetch the keys; if the provider cannot be reached, go on with the keys
        already fetched (asking again only after jwks_min_refetch_seconds), and fail
        only when there are none."""
        try:
            self._refresh(now)
        except ProviderUnavailable as outage:
            if not self._keys:
                raise
            self._quiet_until = now + max(self._settings.jwks_min_refetch_seconds, 1.0)
            LOG.warning("using the signing keys fetched before: %s", outage.reason)

    def _refresh(self, now: float) -> None:
        discovery = self._get_json(self._settings.discovery_url, "discovery document")
        if discovery.get("issuer") != self._settings.issuer:
            raise ProviderUnavailable("the provider's discovery document names another issuer")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ProviderUnavailable("the provider's discovery document has no jwks_uri")
        self._keys = _signing_keys(self._get_json(jwks_uri, "signing keys"))
        self._fetched_at = now
        self.fetches += 1

    def _get_json(self, url: str, what: str) -> Mapping[str, Any]:
        try:
            response = self._http.get(url, timeout=self._settings.http_timeout_seconds)
            response.raise_for_status()
            document = response.json()
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"cannot fetch the provider's {what}: {error}") from error
        except ValueError as error:
            raise ProviderUnavailable(f"the provider's {what} is not JSON") from error
        if not isinstance(document, dict):
            raise ProviderUnavailable(f"the provider's {what} is not a JSON object")
        return document


def _signing_keys(jwks: Mapping[str, Any]) -> dict[str, Key]:
    """The JWKS's signature keys by key id; keys for encryption or of unknown types skipped."""
    keys: dict[str, Key] = {}
    entries = jwks.get("keys")
    if not isinstance(entries, list):
        raise ProviderUnavailable("the provider's signing keys are not a JWKS")
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            keys[kid] = KeySet.import_key_set({"keys": [entry]}).keys[0]
        except (JoseError, ValueError, TypeError):
            continue
    return keys


class OidcVerifier:
    """Checks bearer tokens against one provider; see the module docstring."""

    def __init__(
        self,
        settings: OidcSettings,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self.keys = ProviderKeys(settings, http or httpx.Client(), clock)

    def close(self) -> None:
        """Close the HTTP client the keys are fetched with."""
        self.keys.close()

    def verify(self, token: str | None) -> Identity:
        """The identity the token proves; `InvalidToken` with the reason if it proves none."""
        if not token:
            raise InvalidToken("no token")
        header = _unverified_header(token)
        algorithm = header.get("alg")
        if algorithm not in self.settings.allowed_algorithms:
            raise InvalidToken(f"algorithm not allowed: {_shown(algorithm)}")
        if self.settings.require_access_token_type and str(header.get("typ", "")).lower() not in (
            "at+jwt",
            "application/at+jwt",
        ):
            raise InvalidToken(f"not an access token (typ {_shown(header.get('typ'))})")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token names no signing key (kid)")
        key = self.keys.key_for(kid)
        if key.alg is not None and key.alg != algorithm:
            raise InvalidToken(f"signing key is for {key.alg}, token says {algorithm}")
        claims = self._verified_claims(token, key, algorithm)
        return self._identity(claims)

    def _verified_claims(self, token: str, key: Key, algorithm: str) -> dict[str, Any]:
        try:
            decoded = jwt.decode(token, key, algorithms=[algorithm])
        except BadSignatureError as error:
            raise InvalidToken("bad signature") from error
        except JoseError as error:
            raise InvalidToken("malformed token") from error
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=self.settings.clock_skew_seconds,
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except ClaimError as error:
            raise InvalidToken(_claim_reason(error)) from error
        return dict(decoded.claims)

    def _identity(self, claims: Mapping[str, Any]) -> Identity:
        user = claims.get(self.settings.user_claim)
        if not isinstance(user, str) or not user.strip():
            raise InvalidToken(f"token lacks the {self.settings.user_claim} claim")
        named = self.settings.municipality_claim
        municipality = claims.get(named) if named else None
        if named and (not isinstance(municipality, str) or not municipality.strip()):
            raise InvalidToken(f"token lacks the {named} claim")
        return Identity(user=user, subject=str(claims["sub"]), municipality=municipality)


_CLAIM_REASONS = {
    "iss": "wrong issuer",
    "aud": "wrong audience",
    "nbf": "token not yet valid",
    "iat": "token issued in the future",
}


def _claim_reason(error: ClaimError) -> str:
    if isinstance(error, ExpiredTokenError):
        return "token expired"
    if isinstance(error, MissingClaimError):
        return f"token lacks the {error.claim} claim"
    return _CLAIM_REASONS.get(error.claim, f"invalid {error.claim} claim")


def _unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, read before anything is trusted."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed token (too long)")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("malformed token (not a signed JWT)")
    encoded = parts[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("malformed token (unreadable header)") from error
    if not isinstance(header, dict):
        raise InvalidToken("malformed token (unreadable header)")
    return header


def _shown(value: object) -> str:
    """A header value fit for a one-line reason: printable and short."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= 20 else text[:19] + "…"
