"""A remote request is applied once: its request id is the write's command id.

Given a server on loopback, when the same request (same request id) arrives twice,
or its reply is lost on the way back and the client sends it again, then the log
holds its events once and the second answer says it was already applied. A client
whose server is down gets one line and exit 1.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

import pytest

from cli.bootstrap import open_service
from cli.remote import run_remote
from tests.server.live import LiveServer
from tests.server.test_server_app import REFER, config, post, remote, server, store

__all__ = ["config", "server", "store"]  # the fixtures, shared with the server's suite


def refer(live: LiveServer, token: str) -> str:
    code, out, err = remote(live, token, *REFER, "--format", "json")
    assert code == 0, err
    course_id: str = json.loads(out)["course_id"]
    return course_id


def history(live: LiveServer, _token: str, course: str) -> list[str]:
    """The course's events in the log, by type (read from the store itself)."""
    service = open_service(live.served.store)
    try:
        return [type(event).__name__ for event in service.events.get(UUID(course))]
    finally:
        service.close()


def session(course: str, request_id: str) -> bytes:
    argv = ["session", course, "--note", "one visit", "--occurred-on", "2019-01-09"]
    return json.dumps({"argv": argv, "request_id": request_id}).encode()


def test_the_same_request_twice_records_once_and_says_so_the_second_time(
    server: LiveServer,
) -> None:
    token = server.token("root")
    course = refer(server, token)
    before = history(server, token, course)

    first = post(server.url, "/cli", session(course, "req-visit-1"), token)
    again = post(server.url, "/cli", session(course, "req-visit-1"), token)

    assert first[0] == 200 and " recorded #" in first[1]["stdout"]
    assert again[0] == 200
    assert again[1]["stdout"] == (
        f"course {course[:8]}: already applied (command id req-visit-1); nothing recorded\n"
    )
    assert history(server, token, course) == [*before, "SessionHeld"]


def test_a_command_id_given_wins_over_the_request_id(server: LiveServer) -> None:
    token = server.token("root")
    course = refer(server, token)
    argv = ["session", course, "--command-id", "visit-7", "--occurred-on", "2019-01-09"]
    for request_id in ("req-a", "req-b"):
        body = json.dumps({"argv": argv, "request_id": request_id}).encode()
        post(server.url, "/cli", body, token)

    assert history(server, token, course).count("SessionHeld") == 1


def test_a_bad_request_id_is_refused_with_422(server: LiveServer) -> None:
    token = server.token("root")
    body = json.dumps({"argv": ["courses"], "request_id": "tab\there"}).encode()

    assert post(server.url, "/cli", body, token)[0] == 422


@contextmanager
def losing_first_reply(url: str) -> Iterator[tuple[str, list[int]]]:
    """A proxy in front of the server that passes the first request on, reads the
    server's reply and closes the client's connection without it; later connections
    pass both ways. Yields its URL and the count of requests it passed on."""
    target = urlsplit(url)
    listener = socket.create_server(("127.0.0.1", 0))
    passed: list[int] = []

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with client, socket.create_connection((target.hostname, target.port)) as upstream:
                upstream.sendall(read_request(client))
                reply = read_all(upstream)
                passed.append(1)
                if len(passed) > 1:
                    client.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", passed
    finally:
        listener.close()
        thread.join(5)


def read_request(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )  # fmt: skip
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_request_whose_reply_was_lost_is_sent_again_and_applied_once(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = server.token("root")
    course = refer(server, token)
    before = history(server, token, course)
    monkeypatch.setenv("FORLOEB_TOKEN", token)

    with losing_first_reply(server.url) as (proxy, passed):
        code, out, err = run_remote(proxy, ["session", course, "--occurred-on", "2019-01-09"])

    assert len(passed) == 2, "the client sends the request a second time"
    assert (code, err) == (0, "")
    assert out.startswith(f"course {course[:8]}: already applied (command id req-")
    assert history(server, token, course) == [*before, "SessionHeld"]


def test_a_reply_lost_as_the_server_goes_down_is_one_line_saying_it_may_be_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"

    def take_one_request_and_go_down() -> None:
        client, _ = listener.accept()
        with client:
            read_request(client)
            listener.close()  # down before the client sees its connection close

    thread = threading.Thread(target=take_one_request_and_go_down, daemon=True)
    thread.start()
    monkeypatch.setenv("FORLOEB_TOKEN", "flb_anything")

    code, out, err = run_remote(url, ["session", "abcd", "--note", "x"])
    thread.join(5)

    assert (code, out) == (1, "")
    assert err == (
        f"error: no reply from {url} (the connection closed before a reply): it may have "
        "been recorded; see show\n"
    )


def test_a_client_whose_server_is_down_gets_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("FORLOEB_TOKEN", "flb_anything")

    code, out, err = run_remote(url, ["session", "abcd", "--note", "x"])

    assert (code, out) == (1, "")
    assert err == f"error: cannot reach {url}: Connection refused\n"
