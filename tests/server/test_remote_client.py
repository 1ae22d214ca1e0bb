"""The remote client: light to start, and its pieces (server option, chunked bodies)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cli.remote import dechunked, split_server

HEAVY = ("click", "pydantic", "eventsourcing", "rich", "http.client", "email", "domain", "cli.main")


def test_the_remote_client_imports_none_of_the_heavy_modules() -> None:
    code = (
        "import sys, cli.remote as r\n"
        "r.with_input(['courses'])\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--server", "https://x", "courses"], None, ("https://x", ["courses"])),
        (["courses", "--server=https://y"], None, ("https://y", ["courses"])),
        (["courses"], "https://env", ("https://env", ["courses"])),
        (["courses", "--server", "https://z"], "https://env", ("https://z", ["courses"])),
        (["import", "--", "--server"], None, (None, ["import", "--", "--server"])),
    ],
)
def test_the_server_is_the_option_else_the_environment(
    argv: list[str], env: str | None, expected: tuple[str | None, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    if env is None:
        monkeypatch.delenv("FORLOEB_SERVER_URL", raising=False)
    else:
        monkeypatch.setenv("FORLOEB_SERVER_URL", env)

    assert split_server(argv) == expected


def test_a_chunked_body_is_joined() -> None:
    assert dechunked(b"4\r\nWiki\r\n5;x=1\r\npedia\r\n0\r\n\r\n") == b"Wikipedia"
