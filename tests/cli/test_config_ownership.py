"""Root changing a server's configuration file leaves it the service's to read.

Given a configuration file owned by another user and group (a server's: root:forloeb,
0640), when root adds a user, then the rewritten file keeps its owner, group and mode;
the file is replaced whole, so without that the service would lose its read access.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.config import UserEntry, create_config, load_config, save_users
from cli.main import forloeb
from workflows.access import Role


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")
def test_a_rewritten_configuration_keeps_its_owner_group_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "forloeb.toml"
    create_config(path, {"anna": UserEntry(role=Role.ADMIN)})
    os.chown(path, 54321, 54322)
    os.chmod(path, 0o640)

    config = load_config(path)
    save_users(config, {**config.content.users, "kim": UserEntry(role=Role.CONSULTANT)})

    written = path.stat()
    assert (written.st_uid, written.st_gid, written.st_mode & 0o777) == (54321, 54322, 0o640)
    assert set(load_config(path).content.users) == {"anna", "kim"}


def test_a_rewritten_configuration_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "forloeb.toml"
    create_config(path, {"anna": UserEntry(role=Role.ADMIN)})
    os.chmod(path, 0o640)

    config = load_config(path)
    save_users(config, {**config.content.users, "kim": UserEntry(role=Role.CONSULTANT)})

    assert path.stat().st_mode & 0o777 == 0o640
    assert path.stat().st_uid == os.geteuid()


def test_a_configuration_the_writer_may_not_change_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "forloeb.toml"
    create_config(path, {"anna": UserEntry(role=Role.ADMIN)})
    before = path.read_text()

    def refused(*_: object, **__: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", refused)  # as ProtectSystem=strict does
    result = CliRunner().invoke(
        forloeb, ["--as", "anna", "users", "add", "kim", "--role", "consultant"],
        env={"FORLOEB_CONFIG": str(path)},
    )  # fmt: skip

    assert (result.exit_code, result.output) == (
        1, f"error: config: cannot write {path}: Read-only file system\n"
    )  # fmt: skip
    assert path.read_text() == before
