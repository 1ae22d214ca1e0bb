"""The bulk builder's store is a store as commands write it: its log passes the chain
verification, and its views, caught up once at the end, equal a rebuild from the log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.bulk_store import build_store, chunk_lines, chunk_sizes
from cli.main import forloeb
from projections.catalog import open_views
from storage.store import StoreConfig

COURSES = 300
CHUNK = 150


def cli(db: Path, *args: str) -> str:
    """One forloeb command on the store as the bench user; its output (it must succeed)."""
    result = CliRunner().invoke(forloeb, ["--db", str(db), "--as", "bench", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 courses in two chunks, built in bulk."""
    db = tmp_path_factory.mktemp("bulk") / "bulk.sqlite"
    report = build_store(db, COURSES, seed=7, chunk=CHUNK, fit_steps=50, batch=2000)
    assert (report.courses, report.chunks, report.stopped) == (COURSES, 2, False)
    assert report.refused_count == 0, report.refused
    return db


def test_the_chunks_cover_the_courses() -> None:
    assert chunk_sizes(300, 150) == [150, 150]
    assert chunk_sizes(320, 150) == [150, 150, 20]
    assert chunk_sizes(100, 150) == [100]


def test_a_chunks_shorter_fitting_leaves_the_demo_cohort_as_it_was() -> None:
    from demo import generate

    before = list(generate(size=60))
    list(chunk_lines(60, seed=1, fit_steps=5))

    assert list(generate(size=60)) == before


def test_the_bulk_store_passes_the_chain_verification(built: Path) -> None:
    out = cli(built, "verify", "--all")
    assert "no findings" in out
    found = re.search(r"verified (\d+) events in (\d+) aggregates", out)
    assert found is not None, out
    events, aggregates = (int(n) for n in found.groups())
    assert aggregates == 2 * COURSES  # a course and a citizen index each
    assert events > 25 * COURSES


def test_the_views_caught_up_at_the_end_equal_a_rebuild(built: Path) -> None:
    with open_views(StoreConfig(sqlite_path=built)) as views:
        assert {s.position for s in views.status()} == {0}  # not kept up while building
    cli(built, "projections", "rebuild")
    assert "no differences" in cli(built, "projections", "verify")


def test_a_build_stopped_between_chunks_holds_the_chunks_done(tmp_path: Path) -> None:
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1

    report = build_store(
        tmp_path / "stopped.sqlite", COURSES, seed=7, chunk=CHUNK, fit_steps=50, batch=2000,
        stop=stop,
    )  # fmt: skip
    assert (report.courses, report.chunks, report.stopped) == (CHUNK, 1, True)
    assert "no findings" in cli(tmp_path / "stopped.sqlite", "verify", "--all")


def test_a_stopped_build_continued_is_the_whole_build(tmp_path: Path, built: Path) -> None:
    db = tmp_path / "continued.sqlite"
    build_store(db, CHUNK, seed=7, chunk=CHUNK, fit_steps=50, batch=2000)
    report = build_store(
        db, COURSES, seed=7, chunk=CHUNK, fit_steps=50, batch=2000, first_chunk=1
    )  # fmt: skip
    assert (report.courses, report.chunks, report.refused_count) == (COURSES, 2, 0)
    out = cli(db, "verify", "--all")
    assert "no findings" in out
    whole = cli(built, "verify", "--all")
    assert counted(out) == counted(whole)  # the same events in as many aggregates


def counted(verify_output: str) -> tuple[int, int]:
    """The events and aggregates `verify --all` reports."""
    found = re.search(r"verified (\d+) events in (\d+) aggregates", verify_output)
    assert found is not None, verify_output
    return int(found[1]), int(found[2])


def test_the_outcomes_pull_reports_its_own_peak_memory_not_the_parents(built: Path) -> None:
    from bench.outcomes_memory import pull

    ballast = bytearray(400 * 1024 * 1024)  # the parent's high-water mark: 400 MB more
    ballast[::4096] = b"x" * len(ballast[::4096])  # touched, so resident
    measured = pull(["--db", str(built)], "paa-vej-til-arbejde")
    assert 20 < measured.peak_rss_mb < 300
    assert measured.seconds > 0
