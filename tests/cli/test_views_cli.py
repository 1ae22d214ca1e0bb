"""The read side through the command line: `caseload`, `due`, `audit` and `projections`.

Histories are recorded as a caseworker would (write commands, which catch the
course list up, and read commands, which catch up what they read) or straight
through the service (which leaves the views behind, as writes from another
process would), and the commands' numbers are checked against the view API on
the same store.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import cli.projections_cmd
from cli.bootstrap import open_service
from projections.catalog import Views, open_views, registered
from storage.store import StoreConfig
from tests.cli.conftest import CPR, Run
from tests.conftest import initialised
from tests.projections.history import Clinic

AS_OF = ("--as-of", "2019-04-15")
D = date(2019, 4, 15)
OTHER_CPR = "020290-5678"


def record(run: Run, *steps: tuple[str, ...]) -> None:
    """Run write commands, insisting each succeeds."""
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)


def refer(run: Run, cpr: str, on: str = "2019-01-02") -> str:
    """Refer a citizen to programme pva; the new course's id."""
    result = run("refer", "--cpr", cpr, "--programme", "pva", "--referring-caseworker", "bo",
                 "--occurred-on", on, "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    course_id: str = json.loads(result.stdout)["course_id"]
    return course_id


def baseline(run: Run, course: str, consultant: str, on: str = "2019-01-20") -> None:
    """Accept the course for a consultant and record both start forms: the course is active."""
    record(
        run,
        ("accept", course, "--consultant", consultant, "--occurred-on", "2019-01-10"),
        ("measure", course, "--point", "1", "--form", "citizen", "--who5", "1,2,1,0,2",
         "--occurred-on", on),
        ("measure", course, "--point", "1", "--form", "staff", "--network-meeting", "no",
         "--occurred-on", on),
    )  # fmt: skip


@pytest.fixture
def clinic_history(run: Run) -> dict[str, str]:
    """Four courses as of mid-April 2019:

    - `measured`: mette's, active since 20 January, a WHO-5 item corrected;
    - `praktik`: mette's, in a praktik planned to end 31 March (past due);
    - `bo`: bo's, accepted, no baseline yet;
    - `waiting`: referred, in visitation (nobody's caseload).
    """
    measured = refer(run, CPR)
    baseline(run, measured, "mette")
    record(run, ("correct", measured, "--version", "3", "--set", "answers.who5.calm=3",
                 "--reason", "typed from paper form"))  # fmt: skip
    praktik = refer(run, OTHER_CPR)
    baseline(run, praktik, "mette", on="2019-01-21")
    record(run, ("praktik", "start", praktik, "--employer", "Netto", "--hours-per-week", "12",
                 "--planned-end", "2019-03-31", "--occurred-on", "2019-02-01"))  # fmt: skip
    bo = refer(run, "030390-1111")
    record(run, ("accept", bo, "--consultant", "bo", "--occurred-on", "2019-01-05"))
    waiting = refer(run, "040490-2222", on="2019-04-01")
    assert run("projections", "run", "--once").exit_code == 0  # every view caught up
    return {"measured": measured, "praktik": praktik, "bo": bo, "waiting": waiting}


@contextmanager
def views_on(db_path: Path) -> Iterator[Views]:
    """The views on the test store, opened directly (not through the command line)."""
    with open_views(StoreConfig(sqlite_path=db_path)) as views:
        yield views


def snapshot(db_path: Path) -> dict[str, Any]:
    """Every row of every view, as stored (without catching up first)."""
    with views_on(db_path) as views:
        return {name: views.view(name).snapshot() for name in views.names}


@contextmanager
def service_on(db_path: Path) -> Iterator[Clinic]:
    """Record straight through the service: the events are saved, the views left behind."""
    service = open_service(StoreConfig(sqlite_path=db_path))
    try:
        yield Clinic(service)
    finally:
        service.close()


# caseload ------------------------------------------------------------------------------------


def test_caseload_counts_are_the_views(
    run_json: Callable[..., Any], clinic_history: dict[str, str], db_path: Path
) -> None:
    report = run_json("caseload", *AS_OF)

    with views_on(db_path) as views:
        loads = views.caseload.caseload(D)
        due = views.caseload.due(D)
    assert report["as_of"] == "2019-04-15" and report["target"] == 25
    assert [c["consultant"] for c in report["consultants"]] == [x.consultant for x in loads]
    for shown, load in zip(report["consultants"], loads, strict=True):
        assert shown["open_courses"] == load.open_courses
        assert shown["by_state"] == [
            {"state": s.value, "courses": n} for s, n in load.by_state.items()
        ]
        assert shown["over_capacity"] is load.over_capacity is False
        assert shown["overdue"]["total"] == sum(1 for i in due if i.consultant == load.consultant)
    assert set(report) == {"as_of", "programme", "target", "consultants"}
    assert set(report["consultants"][0]) == {"consultant", "open_courses", "target",
                                             "over_capacity", "by_state", "days_in_state",
                                             "overdue", "courses"}  # fmt: skip
    mette = report["consultants"][1]
    assert mette["by_state"] == [{"state": "active", "courses": 1},
                                 {"state": "praktik", "courses": 1}]  # fmt: skip
    assert mette["overdue"]["praktik_end"] == 1
    assert mette["days_in_state"] == {"median": 79, "longest": 85}


@pytest.mark.all_modes
def test_caseload_table_shows_each_consultant_against_the_target(
    run: Run, clinic_history: dict[str, str]
) -> None:
    result = run("caseload", *AS_OF)

    assert result.exit_code == 0, result.output
    out = result.stdout
    title = "caseload as of 2019-04-15: 3 open courses, 2 consultants, 0 over the target of 25"
    assert title in out
    mette = next(line for line in out.splitlines() if "mette" in line)
    assert "2/25" in mette and "OVER" not in mette


def accepted_lines(citizens: int, consultant: str) -> Iterator[dict[str, str]]:
    """Import lines: citizens referred on 2 January 2019 and accepted for the consultant."""
    for n in range(citizens):
        cpr = f"0101{50 + n:02d}{n:04d}"
        yield {"command": "refer", "cpr": cpr, "programme": "pva",
               "referring_caseworker": "bo", "occurred_on": "2019-01-02"}  # fmt: skip
        yield {"command": "accept", "course": cpr, "consultant": consultant,
               "occurred_on": "2019-01-03"}  # fmt: skip


@pytest.mark.all_modes
def test_a_consultant_over_the_target_is_marked(
    run: Run, run_json: Callable[..., Any], tmp_path: Path
) -> None:
    batch = tmp_path / "caseload.jsonl"
    batch.write_text("".join(json.dumps(line) + "\n" for line in accepted_lines(26, "mette")))
    assert run("import", str(batch)).exit_code == 0

    [mette] = run_json("caseload", *AS_OF)["consultants"]
    table = run("caseload", *AS_OF).stdout

    assert (mette["open_courses"], mette["over_capacity"]) == (26, True)
    assert "26/25 OVER" in table
    assert "1 over the target of 25" in table


@pytest.mark.all_modes
def test_one_consultants_courses_with_masked_cpr_and_next_due(
    run: Run, run_json: Callable[..., Any], clinic_history: dict[str, str]
) -> None:
    [mette] = run_json("caseload", "--consultant", "mette", *AS_OF)["consultants"]
    table = run("caseload", "--consultant", "mette", *AS_OF).stdout

    first, second = mette["courses"]  # most urgent deadline first
    assert first["course_id"] == clinic_history["praktik"]
    assert first["cpr_masked"] == "020290-xxxx"
    assert (first["state"], first["state_since"], first["days_in_state"]) == (
        "praktik", "2019-02-01", 73,
    )  # fmt: skip
    assert first["next_due"] == {
        "kind": "praktik_end", "due_on": "2019-03-31", "days_overdue": 15,
        "detail": "planned end 2019-03-31",
    }  # fmt: skip
    assert second["next_due"] == {
        "kind": "network_meeting", "due_on": "2019-04-11", "days_overdue": 4,
        "detail": "none held",
    }  # fmt: skip
    assert "mette: 2 open courses as of 2019-04-15 (target 25, within the target)" in table
    assert "010190-xxxx" in table and "010190-1234" not in table
    assert "praktik end 2019-03-31" in table and "15 d overdue" in table


@pytest.mark.all_modes
def test_a_consultant_with_no_courses_is_said_so(run: Run, clinic_history: dict[str, str]) -> None:
    result = run("caseload", "--consultant", "anna", *AS_OF)  # a user, holding nothing

    assert result.exit_code == 0
    assert "anna holds no open courses as of 2019-04-15" in result.stdout


@pytest.mark.all_modes
@pytest.mark.parametrize("command", ["caseload", "due"])
def test_a_consultant_nobody_knows_is_an_error_not_an_empty_list(
    run: Run, clinic_history: dict[str, str], command: str
) -> None:
    result = run(command, "--consultant", "nobody", *AS_OF)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: consultant: no consultant 'nobody' (known: ")
    assert "mette" in result.stderr  # holds courses; listed among the known


@pytest.mark.all_modes
@pytest.mark.parametrize("command", ["caseload", "due"])
def test_a_programme_nobody_was_referred_to_is_an_error_not_an_empty_list(
    run: Run, clinic_history: dict[str, str], command: str
) -> None:
    result = run(command, "--programme", "nope", *AS_OF)

    assert result.exit_code == 2
    assert result.stderr.startswith("error: programme: no course was referred to 'nope' (known: ")


@pytest.mark.all_modes
def test_caseload_as_of_before_anyone_was_accepted_is_empty(
    run_json: Callable[..., Any], clinic_history: dict[str, str]
) -> None:
    assert run_json("caseload", "--as-of", "2019-01-01")["consultants"] == []


# due ------------------------------------------------------------------------------------------


def test_due_lists_the_most_overdue_first(
    run: Run, run_json: Callable[..., Any], clinic_history: dict[str, str], db_path: Path
) -> None:
    report = run_json("due", *AS_OF)

    items = report["items"]
    overdue = [item["days_overdue"] for item in items]
    assert overdue == sorted(overdue, reverse=True) and min(overdue) >= 0
    with views_on(db_path) as views:
        expected = views.caseload.due(D)
    assert [(i["course_id"], i["kind"]) for i in items] == [
        (str(i.course_id), i.kind) for i in expected
    ]
    praktik_end = next(i for i in items if i["kind"] == "praktik_end")
    assert praktik_end == {
        "course_id": clinic_history["praktik"], "cpr_masked": "020290-xxxx", "consultant": "mette",
        "programme": "pva", "kind": "praktik_end", "due_on": "2019-03-31", "days_overdue": 15,
        "detail": "planned end 2019-03-31",
    }  # fmt: skip
    table = run("due", *AS_OF).stdout
    assert f"{len(items)} due by 2019-04-15" in table
    assert "15 d overdue" in table and "praktik end" in table


@pytest.mark.all_modes
def test_due_within_days_adds_what_comes_next(
    run_json: Callable[..., Any], clinic_history: dict[str, str]
) -> None:
    now = run_json("due", *AS_OF)["items"]
    ahead = run_json("due", *AS_OF, "--within", "30")["items"]

    assert len(ahead) > len(now)
    assert ahead[-1]["days_overdue"] < 0  # still to come, so last
    assert run_json("due", *AS_OF, "--consultant", "bo")["items"] == [
        i for i in now if i["consultant"] == "bo"
    ]


# audit ----------------------------------------------------------------------------------------


@pytest.mark.all_modes
def test_audit_shows_the_full_cpr_and_the_correction_beside_what_it_corrects(
    run: Run, clinic_history: dict[str, str]
) -> None:
    result = run("audit", CPR, "--purpose", "test")

    assert result.exit_code == 0, result.output
    assert "citizen     010190-1234  (shown in full: audit view)" in result.stdout
    assert "entries     6, of which 1 corrections" in result.stdout
    text = result.stdout
    corrected_at = text.index("corrected by #6 (anna")
    measurement_at = text.index("who5.calm=2")
    correction_at = text.index("corrects #3 MeasurementRecorded: answers.who5.calm=3")
    assert measurement_at < corrected_at < correction_at  # beside the original, which stays
    assert "reason:" in text[corrected_at:correction_at]  # the correction's reason, beside it


@pytest.mark.all_modes
def test_audit_as_json_for_machine_checking(
    run_json: Callable[..., Any], clinic_history: dict[str, str]
) -> None:
    report = run_json("audit", CPR, "--purpose", "test")

    assert report["cpr"] == "010190-1234"
    assert report["courses"] == [{"course_id": clinic_history["measured"], "programme": "pva"}]
    entries = report["history"]
    assert [e["version"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert [e["type"] for e in entries] == ["Referred", "Accepted", "MeasurementRecorded",
                                             "MeasurementRecorded", "BaselineCompleted",
                                             "Corrected"]  # fmt: skip
    original, correction = entries[2], entries[5]
    assert original["details"]["answers"]["who5"]["calm"] == 2  # never altered
    assert (original["corrected_by"], correction["corrects"]) == ([6], 3)
    assert correction["details"]["changes"] == {"answers.who5.calm": 3}
    assert correction["details"]["reason"] == "typed from paper form"
    assert set(original) == {
        "course_id",
        "version",
        "occurred_on",
        "recorded_at",
        "actor",
        "recorded_by",
        "type",
        "details",
        "corrects",
        "corrected_by",
        "retracted",
    }
    assert original["occurred_on"] == "2019-01-20" and original["actor"] == "anna"


@pytest.mark.all_modes
def test_a_retracted_entry_stays_in_the_audit_trail_marked_as_retracted(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    record(
        run,
        ("session", referred, "--note", "never happened", "--occurred-on", "2019-01-05"),
        ("correct", referred, "--version", "2", "--retract", "--reason", "wrong citizen"),
    )

    entries = run_json("audit", CPR, "--purpose", "test")["history"]
    text = run("audit", CPR, "--purpose", "test").stdout

    session = entries[1]
    assert (session["type"], session["retracted"], session["corrected_by"]) == (
        "SessionHeld", True, [3],
    )  # fmt: skip
    assert session["details"]["note"] == "never happened"
    assert "↳ retracted by #3 (anna" in text
    assert "corrects #2 SessionHeld: retracted; reason: wrong citizen" in text


@pytest.mark.all_modes
def test_audit_covers_all_the_citizens_courses_whichever_is_named(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    record(run, ("exit", referred, "--unplanned", "--reason", "moved_municipality",
                 "--occurred-on", "2019-02-01"))  # fmt: skip
    again = refer(run, CPR, on="2019-03-01")

    by_cpr = run_json("audit", CPR, "--purpose", "test")
    by_old_course = run_json("audit", referred[:8], "--purpose", "test")

    assert {**by_cpr, "reads": None} == {**by_old_course, "reads": None}  # each read is logged
    assert [c["course_id"] for c in by_cpr["courses"]] == [referred, again]
    assert [(e["course_id"], e["type"]) for e in by_cpr["history"]] == [
        (referred, "Referred"), (referred, "ExitedUnplanned"), (again, "Referred"),
    ]  # fmt: skip


@pytest.mark.all_modes
def test_audit_of_an_unknown_citizen_is_refused(run: Run, referred: str) -> None:
    unknown = run("audit", "050505-0505", "--purpose", "test")
    invalid = run("audit", "320190-1234", "--purpose", "test")

    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == (
        "error: citizen: no citizen with this CPR number "
        "(an erased citizen is found by a course id)"
    )
    assert invalid.exit_code == 2 and invalid.stderr.startswith("error: citizen: ")


# projections ----------------------------------------------------------------------------------


def test_a_write_catches_up_the_course_list_and_a_read_the_views_it_reads(
    run: Run, run_json: Callable[..., Any], referred: str, db_path: Path
) -> None:
    record(run, ("accept", referred, "--consultant", "mette"))

    after_the_write = run_json("projections", "status")["views"]
    assert run("caseload").exit_code == 0
    after_caseload = run_json("projections", "status")["views"]
    assert run("outcomes", "--programme", "pva").exit_code == 0
    after_outcomes = run_json("projections", "status")["views"]
    assert run("audit", CPR, "--purpose", "test").exit_code == 0  # records the read, too
    after_audit = run_json("projections", "status")["views"]

    with views_on(db_path) as views:
        head = views.head()
    assert head > 0
    everything_but_the_list = {"caseload", "audit", "outcomes", "milestones"}
    assert {s["view"] for s in after_the_write if s["behind"]} == everything_but_the_list
    assert {s["view"] for s in after_caseload if s["behind"]} == {"audit", "outcomes", "milestones"}
    assert {s["view"] for s in after_outcomes if s["behind"]} == {"audit", "milestones"}
    assert [s for s in after_audit if s["view"] == "audit"] == [
        {"view": "audit", "position": head, "head": head, "behind": 0, "rebuilding": False}
    ]


def test_status_shows_views_behind_until_the_worker_catches_up(
    run: Run, run_json: Callable[..., Any], referred: str, db_path: Path
) -> None:
    assert run("projections", "run", "--once").exit_code == 0  # every view caught up
    position = run_json("projections", "status")["views"][0]["position"]
    with service_on(db_path) as clinic:
        clinic.start("0202905678", "mette", date(2019, 1, 2), date(2019, 1, 3))
    with views_on(db_path) as views:
        head = views.head()

    behind = run_json("projections", "status")["views"]
    caught_up = run("projections", "run", "--once")
    after = run_json("projections", "status")["views"]

    assert {(s["position"], s["behind"]) for s in behind} == {(position, head - position)}
    assert "behind" in run("projections", "status").stdout
    assert caught_up.exit_code == 0, caught_up.output
    assert f"caught up {head - position} events; views at {head}" in caught_up.stdout
    assert {(s["position"], s["behind"]) for s in after} == {(head, 0)}


def test_a_rebuild_gives_the_same_views(
    run: Run, clinic_history: dict[str, str], db_path: Path
) -> None:
    before = snapshot(db_path)

    everything = run("projections", "rebuild")
    one = run("projections", "rebuild", "caseload")

    assert everything.exit_code == one.exit_code == 0, everything.output + one.output
    all_rebuilt = "course_list, caseload, audit, outcomes, milestones: rebuilt to position"
    assert all_rebuilt in everything.stdout
    assert one.stdout.startswith("caseload: rebuilt to position")
    assert snapshot(db_path) == before


@pytest.mark.all_modes
def test_rebuilding_an_unknown_view_names_the_known_ones(run: Run, referred: str) -> None:
    result = run("projections", "rebuild", "nope")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: name: no view 'nope' (views: course_list, caseload, audit, outcomes, milestones)"
    )


def test_an_interrupted_rebuild_continues_where_it_stopped(
    run: Run, clinic_history: dict[str, str], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(db_path)
    monkeypatch.setattr(Views, "batch_size", 5)
    monkeypatch.setattr(Views, "batches_per_commit", 2)  # the first commit at position 10

    @contextmanager
    def ctrl_c_after_two_batches(label: str, enabled: bool) -> Iterator[Callable[[int, int], None]]:
        def progress(done: int, total: int) -> None:
            if done >= 10:
                raise KeyboardInterrupt

        yield progress

    monkeypatch.setattr(cli.projections_cmd, "progress_bar", ctrl_c_after_two_batches)
    interrupted = run("projections", "rebuild")
    monkeypatch.undo()
    status = json.loads(run("projections", "status", "--format", "json").stdout)["views"]
    continued = run("projections", "rebuild")

    assert interrupted.exit_code == 130
    assert "interrupted at position 10 of" in interrupted.stderr
    assert "run `forloeb projections rebuild` again to continue" in interrupted.stderr
    assert {(s["position"], s["rebuilding"]) for s in status} == {(10, True)}
    assert continued.exit_code == 0, continued.output
    assert "course_list: continuing the interrupted rebuild from position 10" in continued.stdout
    assert "continued to position" in continued.stdout
    assert snapshot(db_path) == before


def test_inline_catch_up_and_the_worker_give_the_same_views(
    run: Run, clinic_history: dict[str, str], db_path: Path, tmp_path: Path
) -> None:
    inline = snapshot(db_path)  # the commands caught the views up as they went
    copy = tmp_path / "never-caught-up.sqlite"
    with sqlite3.connect(db_path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        for spec in registered():  # the same log, on a store whose views were never built
            for table in [*spec.view.tables, f"{spec.name}_tracking"]:
                target.execute(f"DROP TABLE IF EXISTS {table}")
    source.close()
    target.close()

    worker = run("--db", str(copy), "projections", "run", "--once")

    assert worker.exit_code == 0, worker.output
    assert snapshot(copy) == inline


def test_the_worker_following_writes_equals_a_rebuild(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Views, "batch_size", 3)
    with service_on(db_path) as clinic:
        first = clinic.start("0101901234", "mette", date(2019, 1, 2), date(2019, 1, 3))
        assert run("projections", "run", "--once").exit_code == 0
        clinic.baseline(first, date(2019, 2, 1))
        clinic.start("0202905678", "bo", date(2019, 1, 2), date(2019, 1, 4))
        assert run("projections", "run", "--once").exit_code == 0
    followed = snapshot(db_path)

    assert run("projections", "rebuild").exit_code == 0
    assert snapshot(db_path) == followed


@pytest.mark.subprocess
def test_the_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    forloeb = Path(sys.executable).parent / "forloeb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    env |= {"FORLOEB_DB": str(initialised(tmp_path / "w.sqlite")), "FORLOEB_USER": "anna",
            "FORLOEB_CONFIG": os.environ["FORLOEB_CONFIG"],
            "FORLOEB_MASTER_KEY": os.environ["FORLOEB_MASTER_KEY"],
            "FORLOEB_KEK_DIR": os.environ["FORLOEB_KEK_DIR"],
            "XDG_STATE_HOME": str(tmp_path / "state")}  # fmt: skip
    worker = subprocess.Popen(
        [str(forloeb), "projections", "run", "--interval", "0.1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert worker.stdout is not None
        assert "following" in worker.stdout.readline()  # started and polling
        time.sleep(0.3)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert worker.returncode == 0, err
    assert "stopped; views at position 0 of 0" in out


@pytest.mark.subprocess
def test_the_demo_tour_shows_caseload_outcomes_and_one_audit_trail(tmp_path: Path) -> None:
    forloeb = Path(sys.executable).parent / "forloeb"
    tour = Path(__file__).resolve().parents[2] / "cli" / "demo_tour.sh"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    env |= {"FORLOEB_DB": str(tmp_path / "demo.sqlite"), "FORLOEB_USER": "demo",
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CONFIG_HOME": str(tmp_path / "config")}  # fmt: skip

    result = subprocess.run(
        ["sh", str(tour), str(forloeb)], env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "caseload as of 2019-04-15: 77 open courses, 4 consultants" in out
    assert "$ forloeb --as teamlead due --as-of 2019-04-15" in out
    assert f"config: created {tmp_path / 'demo.toml'} with the demo users" in out
    assert "Course status (VIVE table 5.1)" in out
    assert "(shown in full: audit view)" in out and "ExitedPlanned" in out
    assert "$ forloeb --as auditor projections verify" in out
    assert "no differences: 5 views" in out
    assert not (tmp_path / "demo.key").exists()  # the master key is not beside the store
