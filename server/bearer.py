"""One request's `Authorization: Bearer …` header → the forloeb user, or a refusal.

For the server's framework dependency: call `BearerAuthenticator.authenticate(header,
client)` with the request's Authorization header and the client's address; it returns
the `Identity` or raises `Refused` with the HTTP status, the one-line reason for the
response body and the `WWW-Authenticate` / `Retry-After` values (RFC 6750):

- 429 while the client is blocked after too many failed attempts (server.ratelimit);
- 401 for a missing header (not counted as a failed attempt) or a refused token
  (counted and logged with the reason);
- 503 when the provider's keys cannot be fetched (logged; not the client's fault).

Whether the user the token names is a user in forloeb's configuration, and what they
may do, is the server's next step, as for the local CLI.
"""

from __future__ import annotations

import logging
import math
from typing import Protocol

from server.oidc import Identity, InvalidToken, OidcVerifier, ProviderUnavailable
from server.ratelimit import FailedAttemptLimiter

LOG = logging.getLogger("forloeb.server.auth")


class TokenVerifier(Protocol):
    """Turns a bearer token into an identity, or raises `InvalidToken` (`ProviderUnavailable`
    when it cannot tell): the OIDC verifier, or personal access tokens beside it."""

    def verify(self, token: str | None) -> Identity: ...


class Refused(Exception):
    """The request is not authenticated: the status, and a one-line reason."""

    def __init__(self, status: int, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @property
    def www_authenticate(self) -> str | None:
        """The WWW-Authenticate header a 401 carries (RFC 6750 §3)."""
        if self.status != 401:
            return None
        if self.reason == "no token":
            return 'Bearer realm="forloeb"'
        description = self.reason.replace("\\", "").replace('"', "'")
        return f'Bearer realm="forloeb", error="invalid_token", error_description="{description}"'


class BearerAuthenticator:
    """Checks the bearer token of each request, limiting failed attempts per client."""

    def __init__(
        self, verifier: TokenVerifier | OidcVerifier, limiter: FailedAttemptLimiter
    ) -> None:
        self.verifier = verifier
        self.limiter = limiter

    def authenticate(self, authorization: str | None, client: str) -> Identity:
        """The identity the request's bearer token proves; `Refused` otherwise."""
        wait = self.limiter.retry_after(client)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise Refused(429, f"too many failed attempts; try again in {seconds} s", seconds)
        try:
            token = bearer_token(authorization)
            if token is None:
                raise Refused(401, "no token")
            return self.verifier.verify(token)
        except InvalidToken as refusal:
            self.limiter.record_failure(client, refusal.reason)
            raise Refused(401, refusal.reason) from None
        except ProviderUnavailable as outage:
            LOG.error("cannot check tokens: %s", outage.reason)
            raise Refused(503, "the identity provider cannot be reached; try again later") from None


def bearer_token(authorization: str | None) -> str | None:
    """The token in an `Authorization: Bearer <token>` header; None when there is no header.

    Another scheme or a garbled header raises `InvalidToken`: it is refused and counted,
    not taken for a missing token."""
    if not authorization or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken("not a Bearer authorization header")
    return token
