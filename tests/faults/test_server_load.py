"""Load and faults through the server, on PostgreSQL: many clients at once, and a SIGKILL.

Given a `forloeb server` process on a PostgreSQL store with open courses, when
several clients send write command lines at the same time (each request with its
own request id, which the server records as the command id), then every command
answered as accepted is in the log exactly once, at the versions its reply named, a
refused one left nothing, and nothing is logged twice; also with two server processes
on the one store, whose commands on a course conflict and are retried or refused by the
store's optimistic concurrency. When the server is killed
with SIGKILL under load, then a client finds it down in one line and exit 1; after a
restart every command answered as accepted before the kill is in the log, the
unanswered ones sent again with the same request id are applied at most once, and
`forloeb verify --all` finds the hash chain intact.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from bench.load import (
    Sent,
    check_exactly_once,
    command_line,
    events_by_marker,
    http_client,
    open_courses,
    run_clients,
    send,
    served,
)
from storage.store import StoreConfig

from .crashes import FORLOEB, Watcher, size_query, verify

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

CLIENTS = 10
COMMANDS = 20
COURSES = 6


def store_args(store: StoreConfig) -> list[str]:
    assert store.database_url is not None
    return ["--database-url", store.database_url]


@pytest.mark.parametrize("servers", [1, 2], ids=["one server", "two servers on one store"])
def test_clients_at_once_have_every_accepted_command_logged_exactly_once(
    pg_store: StoreConfig, servers: int
) -> None:
    courses = open_courses(pg_store, COURSES)
    with ExitStack() as stack:
        running = [stack.enter_context(served(store_args(pg_store))) for _ in range(servers)]
        targets = [(server.url, server.token) for server in running]
        run = run_clients(targets, courses, CLIENTS, COMMANDS)

    check = check_exactly_once(run.sent, events_by_marker(pg_store, "load-"))

    assert check.ok, check.summary()
    assert check.accepted + check.refused == CLIENTS * COMMANDS, check.summary()
    assert check.accepted > CLIENTS * COMMANDS // 3 and check.refused > 0, check.summary()


def test_a_sigkill_under_load_loses_no_command_answered_as_accepted(
    pg_store: StoreConfig, tmp_path: Path
) -> None:
    courses = open_courses(pg_store, COURSES)
    sent: list[Sent] = []
    lock = threading.Lock()

    def client(number: int, url: str, token: str) -> None:
        """Send until the server stops answering (the kill)."""
        rng = random.Random(number)
        with http_client(url, token) as http:
            for n in range(200):
                marker = f"kill-c{number:02d}-{n:04d}"
                result = send(http, command_line(rng, rng.choice(courses), marker), marker)
                with lock:
                    sent.append(result)
                if result.status == "unanswered":
                    return

    with served(store_args(pg_store)) as server:
        threads = [
            threading.Thread(target=client, args=(n, server.url, server.token))
            for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while len(sent) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        with Watcher(pg_store, size_query) as log_size:
            committed = log_size()
            while log_size() == committed and time.monotonic() < deadline:
                pass
        server.kill()  # just after a commit: its reply most likely not yet sent
        for thread in threads:
            thread.join(60)
        down = subprocess.run(
            [str(FORLOEB), "session", courses[0], "--note", "while down"],
            env={**os.environ, "FORLOEB_SERVER_URL": server.url, "FORLOEB_TOKEN": server.token},
            capture_output=True, text=True, check=False,
        )  # fmt: skip

        server.start()  # the same store, the same port
        unanswered = [s for s in sent if s.status == "unanswered"]
        with http_client(server.url, server.token) as http:
            again = [send(http, s.argv, s.marker) for s in unanswered]

    answered_before = [s for s in sent if s.status != "unanswered"]
    check = check_exactly_once([*sent, *again], events_by_marker(pg_store, "kill-"))
    assert (down.returncode, down.stdout) == (1, "")
    assert down.stderr == f"error: cannot reach {server.url}: Connection refused\n"
    assert len(answered_before) >= 60 and unanswered, "the kill came under load"
    assert all(s.status != "unanswered" for s in again), again
    assert check.ok, check.summary()
    assert verify(pg_store, tmp_path).returncode == 0
