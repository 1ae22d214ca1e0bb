"""`forloeb login` and `forloeb logout`: a token for a shared forloeb server, kept owner-only.

`forloeb login --server URL` signs in at the municipality's OpenID provider with
the device flow (cli.device_flow: it prints a web address and a code to enter
there) and keeps the access token for that server (cli.credentials: the OS
keyring, else a 0600 file). `--token-stdin` keeps a token pasted on standard input
instead, such as a personal access token. `forloeb logout --server URL` forgets it.

The server tells the client which provider to use. Contract for the server
(`forloeb server`), unauthenticated:

    GET {server}/auth/config  →  200, application/json:
    {
      "issuer":    "https://login.kommune.dk/realms/forloeb",  # required, as in its tokens
      "client_id": "forloeb-cli",      # required: a public client allowed the device grant
      "audience":  "https://forloeb.kommune.dk/api",   # optional: asked for as RFC 8707
                                                       # `resource`; the `aud` the server
                                                       # checks (OidcSettings.audience)
      "scope":     "openid forloeb"    # optional, default "openid"
    }

`--issuer` and `--client-id` (with `--audience`, `--scope`) give the same directly,
for a server that does not answer /auth/config yet.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import click

from domain.errors import CourseError


class LoginRefused(CourseError):
    """Logging in or out did not happen; the message says why in one line."""


@dataclass(frozen=True)
class ProviderChoice:
    """Which provider and client the device flow uses, as GET /auth/config tells."""

    issuer: str
    client_id: str
    audience: str | None = None
    scope: str = "openid"


def _server_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from cli.credentials import CredentialError, server_key

    try:
        return server_key(value)
    except CredentialError as error:
        raise click.BadParameter(str(error).removeprefix("server: ")) from None


def provider_from_server(server: str) -> ProviderChoice:
    """The provider settings the server publishes at /auth/config."""
    import httpx

    url = f"{server}/auth/config"
    try:
        response = httpx.get(url, timeout=10)
        document = response.json() if response.status_code == 200 else None
    except httpx.HTTPError as error:
        raise LoginRefused(f"cannot reach {url}: {error}") from None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise LoginRefused(
            f"{url} gave no provider settings (HTTP {response.status_code}); "
            "give --issuer and --client-id"
        )
    return _provider_choice(document, url)


def _provider_choice(document: dict[str, Any], source: str) -> ProviderChoice:
    issuer, client_id = document.get("issuer"), document.get("client_id")
    if not isinstance(issuer, str) or not isinstance(client_id, str):
        raise LoginRefused(f"{source} names no issuer and client_id")
    audience = document.get("audience")
    scope = document.get("scope")
    return ProviderChoice(
        issuer=issuer,
        client_id=client_id,
        audience=audience if isinstance(audience, str) else None,
        scope=scope if isinstance(scope, str) and scope else "openid",
    )


def pause(seconds: float) -> None:
    """The wait between polls of the provider."""
    time.sleep(seconds)


def _show_code(authorization: Any) -> None:
    click.echo(
        f"To log in, open {authorization.verification_uri} and enter the code "
        f"{authorization.user_code}",
        err=True,
    )
    if authorization.verification_uri_complete:
        click.echo(f"(or open {authorization.verification_uri_complete})", err=True)
    click.echo("Waiting for you to finish at the provider…", err=True)


def _pasted_token() -> str:
    if sys.stdin.isatty():
        click.echo("Paste the token, then press Enter and Ctrl-D:", err=True)
    lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    if len(lines) != 1:
        raise click.BadParameter(
            "give exactly one token on standard input", param_hint="--token-stdin"
        )
    return lines[0]


@click.command("login")
@click.option("--server", required=True, metavar="URL", callback=_server_url,
              envvar="FORLOEB_SERVER_URL",
              help="the shared forloeb server, https://… (FORLOEB_SERVER_URL)")  # fmt: skip
@click.option("--token-stdin", is_flag=True,
              help="keep the token given on standard input (a personal access token)")  # fmt: skip
@click.option("--issuer", metavar="URL", help="the OpenID provider, if the server does not say")
@click.option("--client-id", metavar="ID", help="the provider's client for forloeb's CLI")
@click.option("--audience", metavar="AUD", help="the audience to ask tokens for")
@click.option("--scope", metavar="SCOPES", help="the scopes to ask for [default: openid]")
def login_command(
    server: str,
    token_stdin: bool,
    issuer: str | None,
    client_id: str | None,
    audience: str | None,
    scope: str | None,
) -> None:
    """Log in to a shared forloeb server.

    Signs in at the server's OpenID provider (open the web address shown, enter
    the code) or takes a token from standard input, and keeps the token where only
    you can read it: the system keyring, else a 0600 file in your config folder.
    """
    from cli.credentials import CredentialError, TokenStore

    if token_stdin:
        token = _pasted_token()
    else:
        token = _device_flow_token(server, issuer, client_id, audience, scope)
    try:
        stored = TokenStore().save(server, token)
    except CredentialError as error:
        raise LoginRefused(str(error)) from None
    click.echo(f"logged in to {server}; the token is kept in {stored.where}")


def _device_flow_token(
    server: str, issuer: str | None, client_id: str | None, audience: str | None,
    scope: str | None,
) -> str:  # fmt: skip
    from cli.device_flow import DeviceFlowError, obtain_token

    if issuer or client_id:
        if not (issuer and client_id):
            raise click.UsageError("--issuer and --client-id go together")
        choice = ProviderChoice(issuer, client_id, audience, scope or "openid")
    else:
        choice = provider_from_server(server)
    try:
        return obtain_token(
            choice.issuer, choice.client_id, _show_code,
            scope=scope or choice.scope, audience=audience or choice.audience, sleep=pause,
        )  # fmt: skip
    except DeviceFlowError as error:
        raise LoginRefused(str(error)) from None


@click.command("logout")
@click.option("--server", required=True, metavar="URL", callback=_server_url,
              envvar="FORLOEB_SERVER_URL",
              help="the shared forloeb server whose token to forget")  # fmt: skip
def logout_command(server: str) -> None:
    """Forget the token kept for a shared forloeb server."""
    from cli.credentials import CredentialError, TokenStore

    try:
        forgotten = TokenStore().delete(server)
    except CredentialError as error:
        raise LoginRefused(str(error)) from None
    if forgotten:
        click.echo(f"logged out of {server}")
    else:
        click.echo(f"not logged in to {server}; nothing to forget")
