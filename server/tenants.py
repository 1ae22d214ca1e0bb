"""Several municipalities on one server: each its own served store, every request routed
to the municipality of the user it authenticated as.

Each municipality is opened as a single server's store is (`server.run.open_served`) on
its own schema and keys (`cli.municipalities`); one authenticator checks the bearer
tokens of all of them. A personal access token is found in the schema of the
municipality it was made in; a provider's token may name the municipality in a
configured claim; a Unix-socket peer is its OS user. Whatever proved the identity, the
request runs only in the municipality whose users file names the user, and is refused
(403) when the token says another: nothing of one municipality is reachable from
another, not even whether a course or a citizen exists there.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from server.app import Served, ServerRefusal
from server.bearer import BearerAuthenticator
from server.oidc import Identity, InvalidToken
from server.ratelimit import FailedAttemptLimiter
from server.tokens import EitherVerifier, PersonalTokens, Verifier, digest, token_table

if TYPE_CHECKING:
    from cli.municipalities import Municipality


class MunicipalTokens:
    """Personal access tokens of several municipalities, each kept in its own schema."""

    def __init__(self, tokens: Mapping[str, PersonalTokens]) -> None:
        self.tokens = dict(tokens)

    def verify(self, token: str | None) -> Identity:
        """The token's user and the municipality whose schema holds it; `InvalidToken`
        when no municipality has it (or it is expired or revoked there)."""
        if not token:
            raise InvalidToken("no token")
        hashed = digest(token)
        for name, tokens in self.tokens.items():
            if tokens.table.find(hashed) is not None:
                return replace(tokens.verify(token), municipality=name)
        raise InvalidToken("unknown token")


@dataclass
class Tenants:
    """The served municipalities, by name, behind one authenticator and one lock."""

    served: dict[str, Served]
    authenticator: BearerAuthenticator
    lock: threading.Lock
    auth_config: dict[str, str] | None = None

    def municipality_of(self, login: str) -> str | None:
        """The municipality whose users file names `login` (logins are unique)."""
        for name, served in self.served.items():
            if served.config.directory.find(login) is not None:
                return name
        return None

    def route(self, identity: Identity) -> Served:
        """The identity's municipality; refused (403, exit 1) when the user belongs to none,
        or when the token was issued in another municipality than the user's."""
        home = self.municipality_of(identity.user)
        if home is None:
            raise ServerRefusal(
                403, f"as {identity.user}: not a user of any municipality on this server", 1
            )
        if identity.municipality is not None and identity.municipality != home:
            raise ServerRefusal(
                403, f"as {identity.user}: not a user of {identity.municipality}", 1
            )
        return self.served[home]

    def close(self) -> None:
        for served in self.served.values():
            served.close()


def open_tenants(
    municipalities: list[Municipality],
    oidc: Verifier | None = None,
    auth_config: dict[str, str] | None = None,
) -> Tenants:
    """Every municipality's store opened once (its keys checked against its schema), one
    lock for all of them (commands capture the process's stdout), one authenticator."""
    from server.run import open_served

    lock = threading.Lock()
    served: dict[str, Served] = {}
    try:
        for municipality in municipalities:
            one = open_served(municipality.store, municipality.config)
            one.lock = lock
            served[municipality.name] = one
    except BaseException:
        for opened in served.values():
            opened.close()
        raise
    return Tenants(served, authenticator_for(served, oidc), lock, auth_config)


def authenticator_for(served: Mapping[str, Served], oidc: Verifier | None) -> BearerAuthenticator:
    """One authenticator for the municipalities' personal access tokens and the provider's."""
    tokens = MunicipalTokens(
        {name: PersonalTokens(token_table(one.service.storage)) for name, one in served.items()}
    )
    return BearerAuthenticator(EitherVerifier(tokens, oidc), FailedAttemptLimiter())
