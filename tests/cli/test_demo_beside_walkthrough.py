"""`make demo` and the README's walk-through in the same folder: each keeps its own users,
so either works after the other (the demo's users live in demo.toml beside demo.sqlite,
the walk-through's in the forloeb.toml that `forloeb init` creates)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]

FORLOEB = Path(sys.executable).parent / "forloeb"
TOUR = Path(__file__).resolve().parents[2] / "cli" / "demo_tour.sh"

Step = Callable[[Path], list[subprocess.CompletedProcess[str]]]


def run(folder: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """A process in `folder`, with only the FORLOEB_ variables given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    return subprocess.run(
        args, cwd=folder, env={**clean, "XDG_STATE_HOME": str(folder / "state"),
             "XDG_CONFIG_HOME": str(folder / "config"), **env},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def make_demo(folder: Path) -> list[subprocess.CompletedProcess[str]]:
    """What `make demo` runs: the demo tour on demo.sqlite as user demo."""
    return [
        run(folder, ["sh", str(TOUR), str(FORLOEB)], FORLOEB_DB="demo.sqlite", FORLOEB_USER="demo")
    ]


def walk_through(folder: Path) -> list[subprocess.CompletedProcess[str]]:
    """The README's first steps: init, add a user, refer a citizen (as mette, walk.sqlite)."""
    steps = [
        ["init"],
        ["users", "add", "kim", "--role", "consultant", "--name", "kim"],
        ["refer", "--cpr", "150385-1234", "--programme", "paa-vej-til-arbejde",
         "--referring-caseworker", "cw-lars", "--occurred-on", "2026-08-03"],
    ]  # fmt: skip
    env = {"FORLOEB_DB": "walk.sqlite", "FORLOEB_USER": "mette"}
    return [run(folder, [str(FORLOEB), *step], **env) for step in steps]


@pytest.mark.parametrize(
    ("first", "then"),
    [(make_demo, walk_through), (walk_through, make_demo)],
    ids=["demo-then-walk-through", "walk-through-then-demo"],
)
def test_the_demo_and_the_walk_through_work_in_one_folder_in_either_order(
    tmp_path: Path, first: Step, then: Step
) -> None:
    earlier = first(tmp_path)
    later = then(tmp_path)

    results = earlier + later
    for result in results:
        assert result.returncode == 0, f"{result.args}: {result.stderr}"
    tour = next(result.stdout for result in results if result.args[0] == "sh")
    assert "config: created demo.toml with the demo users; demo" in tour
    assert ": no findings\n" in tour  # the log's chains
    assert tour.rstrip().endswith("equal a rebuild from the log")  # the views
    walked = "".join(result.stdout for result in results if result.args[0] != "sh")
    assert "config: created forloeb.toml with mette as admin" in walked
    assert "recorded #1 Referred" in walked
    demo_users = (tmp_path / "demo.toml").read_text()
    walk_users = (tmp_path / "forloeb.toml").read_text()
    assert "[users.teamlead]" in demo_users and "mette" not in demo_users
    assert "[users.mette]" in walk_users and "[users.kim]" in walk_users
    assert "teamlead" not in walk_users
