"""Open the store once and serve it: uvicorn over TLS, plain HTTP on loopback, or a Unix
socket whose peers are identified by the kernel (SO_PEERCRED)."""

from __future__ import annotations

import ipaddress
import pwd
import socket
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from server.app import PEER_USER, Served
from server.bearer import BearerAuthenticator
from server.ratelimit import FailedAttemptLimiter
from server.tokens import EitherVerifier, PersonalTokens, Verifier, open_token_table

if TYPE_CHECKING:
    from cli.config import Config
    from storage.store import StoreConfig

MAX_CONNECTIONS = 100
"""Concurrent connections beyond which uvicorn answers 503."""
KEEP_ALIVE_SECONDS = 5
MAX_HEADER_BYTES = 64 * 1024
"""The largest incomplete HTTP event (request line and headers) h11 buffers."""


class TransportRefused(Exception):
    """The listening address and TLS settings do not fit together; one line."""


@dataclass(frozen=True)
class Listen:
    """Where and how the server listens."""

    host: str = "127.0.0.1"
    port: int = 8750
    unix_socket: Path | None = None
    certificate: Path | None = None
    key: Path | None = None

    def check(self) -> None:
        """Plain HTTP only on loopback or a Unix socket; a certificate needs its key."""
        if (self.certificate is None) != (self.key is None):
            raise TransportRefused("--certificate and --key go together")
        if self.unix_socket is not None or self.certificate is not None:
            return
        if not is_loopback(self.host):
            raise TransportRefused(
                f"refusing plain HTTP on {self.host}: give --certificate and --key, "
                "or listen on loopback or a Unix socket"
            )


def is_loopback(host: str) -> bool:
    """Whether the host is a loopback address or `localhost`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_served(
    store: StoreConfig,
    config: Config,
    oidc: Verifier | None = None,
    auth_config: dict[str, str] | None = None,
) -> Served:
    """The store opened once for every request: service, views, token table, authenticator."""
    from cli.bootstrap import open_user_service, open_views

    holder: dict[str, Any] = {}

    def find(prefix: str) -> list[Any]:
        views = holder["views"]
        views.catch_up(views=["course_list"])
        found: list[Any] = views.course_list.find_by_prefix(prefix)
        return found

    from programmes.catalogue import LOCAL_FOLDER

    store.backend.check_exists()
    programmes = config.path.parent / LOCAL_FOLDER  # as the embedded CLI reads them
    service = open_user_service(
        store, lambda: holder["served"].config.directory, find, programmes, reread=True
    )
    views = open_views(store, service)
    holder["views"] = views
    table = open_token_table(service.storage)
    authenticator = BearerAuthenticator(
        EitherVerifier(PersonalTokens(table), oidc), FailedAttemptLimiter()
    )
    served = Served(store, config, service, views, authenticator, threading.Lock(), auth_config)
    holder["served"] = served
    return served


def peer_user(sock: socket.socket) -> str | None:
    """The OS user name of the process at the other end of a Unix socket (SO_PEERCRED)."""
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    _pid, uid, _gid = struct.unpack("3i", raw)
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


class PeerProtocol(H11Protocol):
    """uvicorn's h11 protocol, telling the app the Unix-socket peer's OS user name."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        user = peer_user(sock) if sock is not None and sock.family == socket.AF_UNIX else None
        inner = self.app

        async def with_peer(scope: Any, receive: Any, send: Any) -> None:
            if user is not None:
                scope[PEER_USER] = user
            await inner(scope, receive, send)

        self.app = with_peer


def uvicorn_config(app: Any, listen: Listen) -> Any:
    """uvicorn's settings for the app and the address, with the server's limits."""
    import uvicorn

    listen.check()
    options: dict[str, Any] = {
        "http": PeerProtocol,
        "lifespan": "off",
        "limit_concurrency": MAX_CONNECTIONS,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "log_level": "warning",
        "access_log": False,
    }
    if listen.unix_socket is not None:
        options["uds"] = str(listen.unix_socket)
    else:
        options["host"] = listen.host
        options["port"] = listen.port
    if listen.certificate is not None:
        options["ssl_certfile"] = str(listen.certificate)
        options["ssl_keyfile"] = str(listen.key)
    return uvicorn.Config(app, **options)
