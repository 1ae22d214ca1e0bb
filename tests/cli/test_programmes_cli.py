"""`forloeb programmes` and `workflow --programme`; each course runs its programme's workflow."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Run, event_names

pytestmark = pytest.mark.all_modes

LOCAL = """
name = "eget-forloeb"
title = "Eget forløb"
source = "kommunens beskrivelse"
entry_routes = ["caseworker_referral", "self_referral"]
[moves]
leave_out = ["start_praktik", "end_praktik"]
baseline_forms = false
[roles.consultant]
title = "Konsulent"
may = ["session"]
"""


def refer(run_json: Callable[..., Any], programme: str) -> str:
    outcome = run_json(
        "refer", "--cpr", "010190-1234", "--programme", programme,
        "--referring-caseworker", "bo", "--occurred-on", "2019-01-02",
    )  # fmt: skip
    course_id: str = outcome["course_id"]
    return course_id


def test_programmes_list_names_the_shipped_programmes(run_json: Callable[..., Any]) -> None:
    listed = run_json("programmes", "list")["programmes"]
    assert [p["name"] for p in listed] == [
        "faxe-m3", "mb", "oph", "paa-vej-til-arbejde", "vaerestedsmodel",
    ]  # fmt: skip
    assert {p["origin"] for p in listed} == {"shipped"}


def test_programmes_show_gives_the_definition(run: Run, run_json: Callable[..., Any]) -> None:
    shown = run_json("programmes", "show", "oph")
    assert shown["origin"] == "shipped"
    assert [c["name"] for c in shown["definition"]["cohorts"]] == ["hold-1", "hold-2", "hold-3"]
    text = run("programmes", "show", "vaerestedsmodel").stdout
    assert "outreach_addiction_worker" in text
    assert "moves left out: measure, measure_follow_up, start_praktik, end_praktik" in text


def test_an_unknown_programme_is_one_error_line(run: Run) -> None:
    result = run("programmes", "show", "nope")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: programme: no definition named nope")


def test_workflow_draws_the_programmes_machine(run_json: Callable[..., Any]) -> None:
    backbone = {m["trigger"] for m in run_json("workflow")["moves"]}
    drop_in = run_json("workflow", "--programme", "vaerestedsmodel")
    assert drop_in["programme"] == "vaerestedsmodel"
    assert backbone - {m["trigger"] for m in drop_in["moves"]} == {
        "start_praktik", "end_praktik", "measure", "measure_follow_up",
    }  # fmt: skip
    assert "praktik" not in drop_in["states"]  # no move of the programme leads there


def test_a_course_runs_its_programmes_workflow(run: Run, run_json: Callable[..., Any]) -> None:
    course = refer(run_json, "oph")
    run_json("accept", course, "--consultant", "mette", "--occurred-on", "2019-01-03")
    assert event_names(run_json, course) == ["Referred", "Accepted", "BaselineCompleted"]
    assert run_json("show", course)["state"] == "active"


def test_a_move_the_programme_does_without_is_refused_saying_so(
    run: Run, run_json: Callable[..., Any]
) -> None:
    course = refer(run_json, "vaerestedsmodel")
    run_json("accept", course, "--consultant", "mette", "--occurred-on", "2019-01-03")
    result = run("praktik", "start", course, "--employer", "Netto",
                 "--hours-per-week", "10", "--planned-end", "2019-06-30")  # fmt: skip
    assert result.exit_code == 1
    assert "not a move of the programme vaerestedsmodel" in result.stderr
    assert event_names(run_json, course) == ["Referred", "Accepted", "BaselineCompleted"]


def test_a_job_kind_the_programme_adds_is_taken_and_another_is_refused_in_one_line(
    run: Run, run_json: Callable[..., Any]
) -> None:
    course = refer(run_json, "oph")
    run_json("accept", course, "--consultant", "mette", "--occurred-on", "2019-01-03")
    refused = run("job", "start", course, "--employer", "Netto", "--hours-per-week", "37",
                  "--kind", "bestyrer", "--occurred-on", "2019-02-01")  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "error: kind: bestyrer is not one of oph's "
        "(ordinary, flexjob, wage_subsidy, apprenticeship)"
    )
    run_json("job", "start", course, "--employer", "Tømreren", "--hours-per-week", "37",
             "--kind", "apprenticeship", "--occurred-on", "2019-02-01")  # fmt: skip
    assert event_names(run_json, course)[-1] == "JobStarted"
    assert "job kinds added: apprenticeship" in run("programmes", "show", "oph").stdout


@pytest.fixture
def local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The `programmes/` folder beside a copy of the tests' configuration file (asked for
    before `run`, so that in remote mode the server serves that configuration)."""
    config = tmp_path / "config" / "forloeb.toml"
    config.parent.mkdir()
    shutil.copy(os.environ["FORLOEB_CONFIG"], config)
    monkeypatch.setenv("FORLOEB_CONFIG", str(config))
    folder = config.parent / "programmes"
    folder.mkdir()
    return folder


def test_a_municipalitys_own_programme_is_listed_and_run(
    local_folder: Path, run: Run, run_json: Callable[..., Any]
) -> None:
    folder = local_folder  # written while a server runs: it reads the folder again
    (folder / "eget-forloeb.toml").write_text(LOCAL, encoding="utf-8")
    listed = {p["name"]: p["origin"] for p in run_json("programmes", "list")["programmes"]}
    assert listed["eget-forloeb"] == str(folder / "eget-forloeb.toml")
    course = refer(run_json, "eget-forloeb")
    run_json("accept", course, "--consultant", "mette", "--occurred-on", "2019-01-03")
    assert run_json("show", course)["state"] == "active"
    refused = run("praktik", "start", course, "--employer", "Netto",
                  "--hours-per-week", "10", "--planned-end", "2019-06-30")  # fmt: skip
    assert "not a move of the programme eget-forloeb" in refused.stderr


def test_a_destination_the_programme_adds_is_gone_onto_and_another_refused_in_one_line(
    local_folder: Path, run: Run, run_json: Callable[..., Any]
) -> None:
    folder = local_folder
    (folder / "eget-forloeb.toml").write_text(
        LOCAL
        + '[[outcomes.exit_destinations]]\ncode = "revalidering"\n'
        + 'title = "onto revalidation (revalidering)"\n',
        "utf-8",
    )
    assert "planned-exit destinations added: revalidering: onto revalidation" in run(
        "programmes", "show", "eget-forloeb"
    ).stdout
    theirs = refer(run_json, "oph")
    run_json("accept", theirs, "--consultant", "mette", "--occurred-on", "2019-01-03")
    refused = run("exit", theirs, "--planned", "--onto", "revalidering",
                  "--occurred-on", "2019-02-01")  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "error: onto: revalidering is not one of oph's (disability_pension)"
    )
    assert event_names(run_json, theirs) == ["Referred", "Accepted", "BaselineCompleted"]
    mine = run_json(
        "refer", "--cpr", "020290-1234", "--programme", "eget-forloeb",
        "--referring-caseworker", "bo", "--occurred-on", "2019-01-02",
    )["course_id"]  # fmt: skip
    run_json("accept", mine, "--consultant", "mette", "--occurred-on", "2019-01-03")
    run_json("exit", mine, "--planned", "--onto", "revalidering", "--occurred-on", "2019-02-01")
    shown = run_json("show", mine)
    assert shown["state"] == "exited_planned"
    assert shown["history"][-1]["details"]["after"] == "revalidering"
    counted = run_json("programmes", "outcomes", "eget-forloeb")["all_courses"]
    assert counted["added"] == [{"milestone": "planned_exit", "code": "revalidering",
                                 "label": "planned exit onto revalidation (revalidering)",
                                 "courses": 1}]  # fmt: skip
    assert "planned exit onto revalidation (revalidering)" in run(
        "programmes", "outcomes", "eget-forloeb"
    ).stdout


def test_a_bad_local_definition_is_one_error_line(local_folder: Path, run: Run) -> None:
    folder = local_folder
    (folder / "eget-forloeb.toml").write_text(LOCAL.replace('"session"', '"fly"'), "utf-8")
    result = run("programmes", "list")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"error: {folder / 'eget-forloeb.toml'}: roles.consultant.may: fly is unknown"
    ]


def test_a_programmes_cadence_is_its_caseload_target_unless_configured(
    local_folder: Path, run_json: Callable[..., Any]
) -> None:
    from cli.config import load_config

    folder = local_folder
    (folder / "eget-forloeb.toml").write_text(
        LOCAL + "[cadence]\ntarget_caseload = 12\nmeasurement_interval_days = 60\n", "utf-8"
    )
    settings = load_config(Path(os.environ["FORLOEB_CONFIG"])).programme_settings
    assert settings["eget-forloeb"].target_caseload == 12
    assert settings["eget-forloeb"].measurement_interval.days == 60
    assert settings["vaerestedsmodel"].target_caseload == 40  # its shipped definition
