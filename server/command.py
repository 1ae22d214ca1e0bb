"""`forloeb server`: the shared server, the only process that opens the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.context import app_context

if TYPE_CHECKING:
    from server.app import Served
    from server.tenants import Tenants


@click.command("server")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8750, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--socket", "unix_socket", type=click.Path(path_type=Path),
    help="listen on this Unix socket instead; the kernel names each caller's OS user",
)  # fmt: skip
@click.option(
    "--certificate",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="TLS certificate (PEM); required unless on loopback or a Unix socket",
)
@click.option(
    "--key",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="the certificate's private key (PEM)",
)
@click.option("--oidc-issuer", help="also accept access tokens from this OpenID provider")
@click.option(
    "--oidc-audience",
    default="forloeb",
    show_default=True,
    help="the audience the provider's tokens carry",
)
@click.option(
    "--oidc-client-id",
    default="forloeb-cli",
    show_default=True,
    help="the provider's public client `forloeb login` uses (device flow)",
)
@click.option(
    "--oidc-user-claim",
    default="preferred_username",
    show_default=True,
    help="the provider's claim whose value is the forloeb user's login",
)
@click.option(
    "--oidc-municipality-claim",
    metavar="CLAIM",
    help="with --municipalities: the provider's claim naming the user's municipality",
)
@click.option(
    "--municipalities",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="FORLOEB_MUNICIPALITIES",
    help="serve the municipalities this file lists, each in its own schema with its own keys "
    "and users (docs/operations.md)",
)
@click.option("--openapi", is_flag=True, help="print the OpenAPI document and stop")
def server_command(
    host: str,
    port: int,
    unix_socket: Path | None,
    certificate: Path | None,
    key: Path | None,
    oidc_issuer: str | None,
    oidc_audience: str,
    oidc_client_id: str,
    oidc_user_claim: str,
    oidc_municipality_claim: str | None,
    municipalities: Path | None,
    openapi: bool,
) -> None:
    """Serve every command to remote CLIs over HTTPS (or loopback HTTP, or a Unix socket)."""
    from server.app import print_openapi

    if openapi:
        click.echo(print_openapi(), nl=False)
        return
    import uvicorn

    from server.app import create_app
    from server.run import Listen, TransportRefused, open_served, uvicorn_config

    listen = Listen(host, port, unix_socket, certificate, key)
    try:
        listen.check()
    except TransportRefused as refusal:
        raise click.UsageError(str(refusal)) from None
    if oidc_municipality_claim and municipalities is None:
        raise click.UsageError("--oidc-municipality-claim goes with --municipalities")
    app = app_context()
    oidc = None
    auth_config = None
    if oidc_issuer:
        from server.oidc import OidcSettings, OidcVerifier

        settings = OidcSettings(
            issuer=oidc_issuer,
            audience=oidc_audience,
            user_claim=oidc_user_claim,
            municipality_claim=oidc_municipality_claim if municipalities else None,
        )
        oidc = OidcVerifier(settings)
        auth_config = {
            "issuer": oidc_issuer,
            "client_id": oidc_client_id,
            "audience": oidc_audience,
            "scope": "openid",
        }
    served: Served | Tenants
    if municipalities is not None:
        from cli.municipalities import load_municipalities
        from server.tenants import open_tenants

        listed = load_municipalities(municipalities, app.database_url)
        served = open_tenants(listed, oidc, auth_config)
        serving = ", ".join(f"{m.name} ({m.store.describe()})" for m in listed)
    else:
        served = open_served(app.store, app.config, oidc, auth_config)
        serving = app.store.backend.describe()
    try:
        where = (
            f"unix:{unix_socket}"
            if unix_socket
            else (f"{'https' if certificate else 'http'}://{host}:{port}")
        )
        click.echo(f"forloeb server on {where} ({serving})", err=True)
        uvicorn.Server(uvicorn_config(create_app(served), listen)).run()
    finally:
        served.close()
