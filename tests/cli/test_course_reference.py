"""COURSE may be a full id, a unique id prefix, or a CPR with one open course."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.cli.conftest import CPR, Run

pytestmark = pytest.mark.all_modes
"""Embedded on SQLite and PostgreSQL, and remote through a server (tests/cli/conftest.py)."""


def refer_with_id(run_json: Callable[..., Any], course_id: str, cpr: str) -> None:
    run_json("refer", "--cpr", cpr, "--programme", "pva", "--referring-caseworker", "bo",
             "--course-id", course_id)


def test_a_unique_prefix_finds_the_course(run_json: Callable[..., Any], referred: str) -> None:
    assert run_json("show", referred[:6])["course_id"] == referred


def test_an_uppercase_prefix_finds_the_course(run_json: Callable[..., Any], referred: str) -> None:
    assert run_json("show", referred[:8].upper())["course_id"] == referred


def test_a_cpr_with_one_open_course_finds_it(run_json: Callable[..., Any], referred: str) -> None:
    assert run_json("accept", CPR, "--consultant", "mette")["course_id"] == referred


def test_an_ambiguous_prefix_is_refused_and_lists_the_candidates(
    run: Run, run_json: Callable[..., Any]
) -> None:
    refer_with_id(run_json, "abcd1111-0000-4000-8000-000000000001", "010190-1234")
    refer_with_id(run_json, "abcd2222-0000-4000-8000-000000000002", "020290-1234")

    result = run("accept", "abcd", "--consultant", "mette")

    assert result.exit_code == 1
    assert result.stderr == "error: course: 'abcd' matches 2 courses (abcd1111, abcd2222)\n"
    assert run_json("show", "abcd1")["state"] == "visitation"


def test_a_prefix_matching_nothing_is_refused(run: Run, referred: str) -> None:
    other = "0000" if not referred.startswith("0000") else "ffff"

    result = run("show", other)

    assert result.exit_code == 1
    assert result.stderr == f"error: course: no course id starts with '{other}'\n"


def test_a_too_short_prefix_is_bad_input(run: Run, referred: str) -> None:
    result = run("show", referred[:3])

    assert result.exit_code == 2
    assert "give at least 4 characters" in result.stderr
