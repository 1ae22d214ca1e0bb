"""Personal access tokens: for scripts, and for municipalities without an identity provider.

A token is `flb_` and 256 random bits (base64url). Only its SHA-256 is stored
(storage.tokens): a slow password hash buys nothing for a secret with 256 bits
of entropy, since no guessing can get through that space, and a fast hash keeps
each request's check to one index lookup. The token is shown once, when created.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from server.bearer import TokenVerifier
from server.oidc import Identity, InvalidToken
from storage.tokens import TokenRow, TokenTable, token_table_on

if TYPE_CHECKING:
    from storage.infrastructure import Infrastructure

PREFIX = "flb_"


Verifier = TokenVerifier
"""Anything that turns a bearer token into an identity or raises `InvalidToken`."""


def digest(token: str) -> str:
    """The hash a token is stored under."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_table(storage: Infrastructure) -> TokenTable:
    """The token table on the store's own connections (SQLite and PostgreSQL)."""
    table = token_table_on(storage)
    if table is None:
        raise TypeError("the in-memory store keeps no personal access tokens")
    return table


def open_token_table(storage: Infrastructure) -> TokenTable:
    """The token table, made first where this opening of the store makes tables (SQLite;
    on PostgreSQL `forloeb init` made it, and the application role may not)."""
    table = token_table(storage)
    if storage.backend.creates_tables(storage.factory):
        table.create_table()
    return table


class PersonalTokens:
    """Create, check, list and revoke personal access tokens."""

    def __init__(self, table: TokenTable, now: type[datetime] = datetime) -> None:
        self.table = table
        self._now = now

    def create(self, user: str, expires: date, by: str | None = None) -> tuple[TokenRow, str]:
        """A new token for `user`, valid through `expires`, created by the admin `by`: its row
        and the token itself."""
        created = self._now.now(UTC)
        if expires < created.date():
            raise ValueError(f"expires: {expires.isoformat()} is in the past")
        token = PREFIX + secrets.token_urlsafe(32)
        hashed = digest(token)
        row = TokenRow(
            token_id=hashed[:12],
            digest=hashed,
            user=user,
            created=created.isoformat(timespec="seconds"),
            expires=datetime.combine(expires, time.max, UTC).isoformat(timespec="seconds"),
            revoked=False,
            created_by=by,
        )
        self.table.insert(row)
        return row, token

    def verify(self, token: str | None) -> Identity:
        """The user the token speaks for; `InvalidToken` when it is unknown, expired or revoked."""
        if not token:
            raise InvalidToken("no token")
        row = self.table.find(digest(token))
        if row is None:
            raise InvalidToken("unknown token")
        if row.mac is None:
            raise InvalidToken(
                "token row without a MAC (from before rows were authenticated: run forloeb init)"
            )
        if not self.table.authentic(row):
            raise InvalidToken("token row altered in the database (its MAC does not match)")
        if row.revoked:
            raise InvalidToken("token revoked")
        if datetime.fromisoformat(row.expires) < self._now.now(UTC):
            raise InvalidToken("token expired")
        return Identity(user=row.user, subject=f"token:{row.token_id}")

    def list(self) -> list[TokenRow]:
        """Every token's row (never the token)."""
        return self.table.all()

    def revoke(self, token_id: str, by: str) -> bool:
        """Revoke the token with this id, by the admin `by`; whether there was one."""
        return self.table.revoke(token_id, by, self._now.now(UTC).isoformat(timespec="seconds"))


class EitherVerifier:
    """A personal access token (`flb_…`) or, when one is configured, an OIDC access token."""

    def __init__(self, tokens: Verifier, oidc: Verifier | None = None) -> None:
        self.tokens = tokens
        self.oidc = oidc

    def verify(self, token: str | None) -> Identity:
        if token and not token.startswith(PREFIX) and self.oidc is not None:
            return self.oidc.verify(token)
        return self.tokens.verify(token)
