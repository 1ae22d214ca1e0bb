"""`--out` in remote mode: the files come back to the client, none stay on the server.

Given a server on loopback whose temporary folder the test watches, when a remote
`export`, `report` or `citizen export` names `--out`, then the files are written where
the client named them, owner-only, with what the embedded command writes there; the
server's temporary folder is empty again; a path the embedded command refuses is refused
before anything is sent, in the same line; a server path named in `--out` is never
written on the server.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import forloeb
from cli.remote_out import NEW_FILE, OutOption, destination
from server import out_files
from storage.store import StoreConfig
from tests.server.live import LiveServer
from tests.server.test_remote_client import HEAVY
from tests.server.test_server_app import REFER, config, post, remote, server, store

__all__ = ["config", "server", "store"]  # the fixtures, shared with the server's suite


@pytest.fixture
def server_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the server (a thread of this process) makes its folders in."""
    folder = tmp_path / "server-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def referred(server: LiveServer) -> Iterator[str]:
    """A token for root on a server whose store holds one referred course."""
    token = server.token("root")
    code, _, err = remote(server, token, *REFER)
    assert code == 0, err
    yield token


def embedded(store: StoreConfig, config: Path, *argv: str) -> tuple[int, str]:
    """The command run in this process on the same store, as root: exit code and output."""
    assert store.sqlite_path is not None
    result = CliRunner().invoke(
        forloeb,
        ["--db", str(store.sqlite_path), "--as", "root", *argv],
        env={"FORLOEB_CONFIG": str(config)},
    )
    return result.exit_code, result.output


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


EXPORT = ("export", "--programme", "pva", "--as-of", "2019-04-15", "--out")


def test_a_remote_export_writes_the_embedded_files_on_the_client(
    server: LiveServer, referred: str, store: StoreConfig, config: Path, tmp_path: Path,
    server_tmp: Path,
) -> None:  # fmt: skip
    here, there = tmp_path / "remote-export", tmp_path / "embedded-export"

    code, out, err = remote(server, referred, *EXPORT, str(here))
    assert embedded(store, config, *EXPORT, str(there))[0] == 0

    assert (code, err) == (0, "")
    assert str(here) in out and str(server_tmp) not in out
    mine, theirs = files_under(here), files_under(there)
    assert sorted(mine) == sorted(theirs) == ["courses.csv", "datapackage.json", "spells.csv"]
    assert mine["courses.csv"] == theirs["courses.csv"] and b"pva" in mine["courses.csv"]
    assert mine["spells.csv"] == theirs["spells.csv"]
    package, embedded_package = (json.loads(f["datapackage.json"]) for f in (mine, theirs))
    assert package["resources"] == embedded_package["resources"]
    assert {oct(p.stat().st_mode & 0o777) for p in here.iterdir()} == {"0o600"}
    assert oct(here.stat().st_mode & 0o777) == "0o700"
    assert list(server_tmp.iterdir()) == []


def test_a_remote_report_writes_the_page_on_the_client(
    server: LiveServer, referred: str, tmp_path: Path, server_tmp: Path
) -> None:
    pytest.importorskip("matplotlib")
    page = tmp_path / "report.html"

    argv = ("report", "--programme", "pva", "--as-of", "2019-04-15", "--for", "evaluator")

    code, out, err = remote(server, referred, *argv, "--out", str(page))

    assert (code, err) == (0, "")
    assert out == f"evaluator report on pva as of 2019-04-15 written to {page}\n"
    assert '<section id="outcomes">' in page.read_text()
    assert oct(page.stat().st_mode & 0o777) == "0o600"
    assert list(server_tmp.iterdir()) == []


def test_a_remote_citizen_export_writes_a_new_file_and_refuses_an_existing_one(
    server: LiveServer, referred: str, tmp_path: Path, server_tmp: Path
) -> None:
    out = tmp_path / "citizen.json"
    argv = ("citizen", "export", "010190-1234", "--purpose", "access request", "--out")

    code, printed, err = remote(server, referred, *argv, f"{out}")
    again = remote(server, referred, *argv, f"{out}")

    assert (code, err) == (0, "")
    assert printed.startswith(f"wrote {out}: 1 course(s)")
    assert json.loads(out.read_text())["citizen"]["cpr"] == "010190-1234"
    assert again == (2, "", f"error: out: {out} exists; choose a new file\n")
    assert list(server_tmp.iterdir()) == []


@pytest.mark.parametrize("command", [EXPORT, ("report", "--out"), ("citizen", "export",
                                     "010190-1234", "--out")])  # fmt: skip
def test_a_folder_that_does_not_exist_is_refused_in_the_embedded_line_before_sending(
    command: tuple[str, ...], server: LiveServer, referred: str, store: StoreConfig,
    config: Path, tmp_path: Path, server_tmp: Path,
) -> None:  # fmt: skip
    missing = tmp_path / "missing" / ("out" if command[0] == "export" else "out.html")

    code, out, err = remote(server, referred, *command, str(missing))
    embedded_code, embedded_output = embedded(store, config, *command, str(missing))

    assert (code, out) == (embedded_code, "") == (2, "")
    assert err == embedded_output and err.count("\n") == 1
    assert not missing.parent.exists() and list(server_tmp.iterdir()) == []


def test_a_server_path_in_out_is_never_written_on_the_server(
    server: LiveServer, referred: str, tmp_path: Path, server_tmp: Path
) -> None:
    aimed = tmp_path / "server-side" / "stolen"
    aimed.parent.mkdir()
    body = {"argv": [*EXPORT[:-1], f"--out={aimed}/../../stolen"]}

    status, reply = post(server.url, "/cli", json.dumps(body).encode(), referred)

    assert status == 200 and reply["exit"] == 0
    assert sorted(f["path"] for f in reply["files"]) == [
        "courses.csv", "datapackage.json", "spells.csv"
    ]  # fmt: skip
    assert b"pva" in base64.b64decode(reply["files"][0]["content"])
    assert list(aimed.parent.iterdir()) == [] and not (tmp_path / "stolen").exists()
    assert list(server_tmp.iterdir()) == []


def test_out_given_twice_is_refused_by_the_server_in_one_line(
    server: LiveServer, referred: str, tmp_path: Path
) -> None:
    body = {"argv": [*EXPORT, str(tmp_path / "a"), "--out", str(tmp_path / "b")]}

    status, reply = post(server.url, "/cli", json.dumps(body).encode(), referred)

    assert (status, reply["exit"], reply["stderr"]) == (400, 2, "error: out: give --out once\n")


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "a/../../b", "a\\..\\b"])
def test_the_client_refuses_a_returned_name_that_would_leave_out(name: str) -> None:
    with pytest.raises(ValueError, match="the server sent a file named"):
        destination(OutOption(1, "/tmp/x.json", NEW_FILE), name)


def test_the_client_checks_and_writes_out_files_without_the_heavy_modules(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    code = (
        "import sys, cli.remote as r\n"
        f"option, refused = r.checked_out(['report', '--out', {str(out)!r}])\n"
        "r.written(option, [{'path': '', 'content': 'aGk='}], '', '')\n"
        f"print(refused, sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "None []"
    assert out.read_bytes() == b"hi"


def test_a_folder_named_as_the_report_file_is_refused_as_embedded(
    server: LiveServer, referred: str, store: StoreConfig, config: Path, tmp_path: Path
) -> None:
    code, out, err = remote(server, referred, "report", "--out", str(tmp_path))

    assert (code, out, err) == (2, "", embedded(store, config, "report", "--out", str(tmp_path))[1])


def test_files_beyond_the_replys_limit_are_refused_and_nothing_is_written(
    server: LiveServer, referred: str, tmp_path: Path, server_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(out_files, "MAX_OUT_BYTES", 100)

    code, out, err = remote(server, referred, *EXPORT, str(tmp_path / "cohort"))

    assert (code, out) == (1, "")
    assert err == "error: out: the files written exceed the 100 bytes a reply may carry\n"
    assert not (tmp_path / "cohort").exists() and list(server_tmp.iterdir()) == []
