"""`forloeb users list` and `forloeb tokens list`: who may use forloeb, and their tokens."""

from __future__ import annotations

from pydantic import Field

from cli.read_models.common import ReadModel, UtcTimestamp
from workflows.access import Role


class UserRow(ReadModel):
    """One user of the configuration."""

    login: str
    role: Role
    name: str
    team: str | None


class UserList(ReadModel):
    """`forloeb users list --format json`, by login."""

    users: list[UserRow]


class TokenRow(ReadModel):
    """One personal access token (never the token itself)."""

    id: str
    user: str
    created_at: UtcTimestamp
    expires_at: UtcTimestamp = Field(description="the end of its last valid day, in UTC")
    revoked: bool
    created_by: str | None = Field(
        description="the admin who created it (null on tokens from before this was kept)"
    )
    revoked_by: str | None = Field(description="the admin who revoked it, null if not revoked")
    revoked_at: UtcTimestamp | None = Field(description="when it was revoked, null if not")


class TokenList(ReadModel):
    """`forloeb tokens list --format json`, oldest first."""

    tokens: list[TokenRow]
