"""Key files that are not key files: a device, a pipe or a huge file put where the master
key or a KEK is read is refused in one line, without hanging on a read that never ends."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.keks import KekFolder
from storage.secrets import KEY_FILE_LIMIT, MasterKey, MasterKeyProblem
from tests.conftest import initialised

FORLOEB = Path(sys.executable).parent / "forloeb"


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "master.key"
    os.mkfifo(path)  # opening it for reading would wait for a writer forever
    return path


def symlink_to_dev_zero(tmp_path: Path) -> Path:
    path = tmp_path / "master.key"
    path.symlink_to("/dev/zero")
    return path


@pytest.mark.parametrize(
    "given",
    [lambda _: Path("/dev/zero"), lambda _: Path("/dev/urandom"), fifo, symlink_to_dev_zero],
    ids=["dev-zero", "dev-urandom", "fifo", "symlink-to-dev-zero"],
)
def test_a_master_key_file_that_is_not_a_regular_file_is_refused_unread(
    tmp_path: Path, given: Callable[[Path], Path]
) -> None:
    path = given(tmp_path)
    with pytest.raises(MasterKeyProblem, match=f"master key: {path} is not a regular file"):
        MasterKey.from_file(path)


def test_a_master_key_file_longer_than_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text(MasterKey.generate().text() + " " * KEY_FILE_LIMIT)
    with pytest.raises(MasterKeyProblem, match=f"is longer than {KEY_FILE_LIMIT:,} bytes"):
        MasterKey.from_file(path)


def test_a_kek_file_replaced_by_a_device_is_refused_unread(tmp_path: Path) -> None:
    folder = KekFolder(tmp_path / "keks")
    number = folder.current()
    kek = tmp_path / "keks" / f"kek-{number:06d}.key"
    kek.unlink()
    kek.symlink_to("/dev/zero")
    with pytest.raises(MasterKeyProblem, match=r"kek: .* is not a regular file"):
        KekFolder(tmp_path / "keks").secret(number)


def test_the_command_with_dev_zero_as_its_key_file_exits_in_one_line(tmp_path: Path) -> None:
    db = initialised(tmp_path / "store.sqlite")
    env = {k: v for k, v in os.environ.items() if k != "FORLOEB_MASTER_KEY"}
    env["FORLOEB_MASTER_KEY_FILE"] = "/dev/zero"
    done = subprocess.run(
        [str(FORLOEB), "--db", str(db), "--as", "anna", "courses"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "error: master key: /dev/zero is not a regular file (a device, pipe or socket?)"
    )
    assert "Traceback" not in done.stderr
