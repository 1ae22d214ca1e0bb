"""A forloeb server running in a thread of the test process, on loopback or a Unix socket."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import uvicorn

from cli.config import load_config
from server.app import Served, create_app
from server.run import Listen, open_served, uvicorn_config
from server.tokens import PersonalTokens, Verifier, token_table
from storage.store import StoreConfig


@dataclass
class LiveServer:
    """A running server: its URL and the store it serves."""

    url: str
    served: Served

    def token(self, user: str, expires: date = date(2099, 12, 31)) -> str:
        """A fresh personal access token for `user`."""
        _, token = PersonalTokens(token_table(self.served.service.storage)).create(user, expires)
        return token


@contextmanager
def live_server(
    store: StoreConfig,
    config_path: Path,
    listen: Listen | None = None,
    oidc: Verifier | None = None,
    auth_config: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """Serve `store` until the block ends (accepting the OIDC verifier's tokens too)."""
    listen = listen or Listen("127.0.0.1", 0)
    served = open_served(store, load_config(config_path), oidc, auth_config)
    config = uvicorn_config(create_app(served), listen)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    if listen.unix_socket is not None:
        url = f"unix:{listen.unix_socket}"
    else:
        port = server.servers[0].sockets[0].getsockname()[1]
        scheme = "https" if listen.certificate else "http"
        url = f"{scheme}://{'localhost' if listen.certificate else listen.host}:{port}"
    try:
        yield LiveServer(url, served)
    finally:
        server.should_exit = True
        thread.join(10)
        served.close()


__all__ = ["LiveServer", "live_server", "replace"]
