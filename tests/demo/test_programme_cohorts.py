"""Each programme's demo cohort reproduces its report's published counts.

Given an empty store, when `forloeb demo --programme NAME` loads the cohort, then
`forloeb programmes outcomes NAME` counts what the report publishes (programme
reference §2–§4); the same seed gives the same lines.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import forloeb
from demo.programmes import generate_programme

Loaded = Callable[[str], dict[str, Any]]


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Loaded:
    """Load a programme's demo cohort into a fresh store; its `programmes outcomes`."""
    config = tmp_path / "forloeb.toml"
    shutil.copy(os.environ["FORLOEB_CONFIG"], config)
    monkeypatch.setenv("FORLOEB_CONFIG", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    runner = CliRunner()
    common = ["--db", str(tmp_path / "demo.sqlite"), "--as", "anna"]

    def load(programme: str) -> dict[str, Any]:
        loaded = runner.invoke(forloeb, [*common, "demo", "--programme", programme])
        assert loaded.exit_code == 0, loaded.output
        assert ", 0 refused" in loaded.stdout
        shown = runner.invoke(
            forloeb, [*common, "programmes", "outcomes", programme, "--format", "json"]
        )
        assert shown.exit_code == 0, shown.output
        result: dict[str, Any] = json.loads(shown.stdout)
        return result

    return load


def test_oph_72_in_three_cohorts_53_complete_37_work_8_education_8_pension(
    loaded: Loaded,
) -> None:
    counted = loaded("oph")
    cohorts = [(c["cohort"], c["referred"]) for c in counted["cohorts"]]
    assert cohorts == [("hold-1", 24), ("hold-2", 24), ("hold-3", 24)]
    assert counted["outside_cohorts"] is None
    everyone = counted["all_courses"]
    assert everyone["referred"] == 72
    assert everyone["completed_programme"] == 53
    assert everyone["planned_exit_after_job"] == 37
    assert everyone["planned_exit_after_education"] == 8
    assert everyone["planned_exit_onto_disability_pension"] == 8
    jobs = ("job_ordinary_hours", "flexjob", "wage_subsidy_job")
    assert sum(everyone[kind] for kind in jobs) == 37
    assert everyone["flexjob"] > everyone["job_ordinary_hours"]  # mainly flexjobs


def test_mb_109_participants_82_complete_follow_up_35_10_37() -> None:
    lines = list(generate_programme("mb"))
    follow_ups = Counter(line["outcome"] for line in lines if line["command"] == "follow-up")
    assert follow_ups == {"employed": 35, "not_employed": 10, "no_response": 37}


def test_mb_counts_in_the_store(loaded: Loaded) -> None:
    everyone = loaded("mb")["all_courses"]
    assert (everyone["referred"], everyone["completed_programme"]) == (109, 82)
    assert everyone["education_started"] == 82
    assert everyone["planned_exit_after_job"] == 82


def test_the_drop_in_model_561_citizens_and_no_shows_falling_from_32_to_14_percent(
    loaded: Loaded,
) -> None:
    lines = list(generate_programme("vaerestedsmodel"))
    meetings = [line for line in lines if line["command"] == "meeting"]
    early = [m for m in meetings if m["occurred_on"] < "2015-06-01"]
    late = [m for m in meetings if m["occurred_on"] >= "2015-06-01"]

    def no_shows(group: list[dict[str, Any]]) -> float:
        return sum(m["outcome"] == "citizen_no_show" for m in group) / len(group)

    assert (no_shows(early), no_shows(late)) == (0.32, 0.14)
    counted = loaded("vaerestedsmodel")
    assert counted["all_courses"]["referred"] == 561
    contacts = counted["contacts"]
    assert contacts["contacts"] == sum(line["command"] == "contact" for line in lines)
    assert contacts["rated"] == contacts["contacts"]
    assert sum(kind["contacts"] for kind in contacts["kinds"]) == contacts["contacts"]
    assert 2 <= contacts["mean_rating"] <= 5


def test_faxe_m3_profile_shares(loaded: Loaded) -> None:
    segments = loaded("faxe-m3")["segments"]
    assert segments["match_group_now"] == [{"match_group": "M3", "courses": 100}]
    profiles = {p["profile"]: p["courses"] for p in segments["profiles_ever"]}
    assert profiles == {
        "maaske_egnede": 50, "fysisk_syge": 30, "misbrugere": 20,
        "diffust_psykisk_syge": 15, "diagnosticerede": 10,
    }  # fmt: skip


def test_the_same_seed_gives_the_same_lines() -> None:
    assert list(generate_programme("oph", 7)) == list(generate_programme("oph", 7))
    assert list(generate_programme("oph", 7)) != list(generate_programme("oph", 8))
