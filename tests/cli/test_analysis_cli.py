"""`forloeb analysis` on the demo cohort: an evaluator's time to event, paths and trends.

The figures are checked against the outcome tables the same store gives
(`forloeb outcomes`, which reproduce the published VIVE figures), so the
analyses count the same courses the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.bootstrap import open_service
from cli.config import UserEntry, create_config
from cli.importer import import_lines
from cli.main import forloeb
from demo import AS_OF, PROGRAMME, generate
from storage.store import StoreConfig
from tests.cli.pulled import tables
from workflows.access import Role

WHEN = ("--programme", PROGRAMME, "--as-of", str(AS_OF))
TEAMS = {"consultant-1": "nord", "consultant-2": "nord", "consultant-3": "syd",
         "consultant-4": "syd"}  # fmt: skip


class Demo:
    """The demo cohort's store, and a configuration with an evaluator, an admin and the
    demo's consultants in two teams."""

    def __init__(self, db: Path, config: Path) -> None:
        self.db, self.config = db, config

    def run(self, user: str, *args: str) -> Result:
        return CliRunner(env={"FORLOEB_CONFIG": str(self.config)}).invoke(
            forloeb, ["--db", str(self.db), "--as", user, *args]
        )

    def json(self, user: str, *args: str) -> dict[str, Any]:
        result = self.run(user, *args, "--format", "json")
        assert result.exit_code == 0, result.output
        found: dict[str, Any] = json.loads(result.stdout)
        return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("analysis")
    db = folder / "forloeb.sqlite"
    service = open_service(StoreConfig(sqlite_path=db))
    try:
        assert import_lines(service, generate(), "demo-import").refused == []
    finally:
        service.close()
    users = {
        "eva": UserEntry(role=Role.EVALUATOR),
        "root": UserEntry(role=Role.ADMIN),
        **{
            f"c{i}": UserEntry(role=Role.CONSULTANT, name=name, team=team)
            for i, (name, team) in enumerate(TEAMS.items(), start=1)
        },
    }
    create_config(folder / "forloeb.toml", users)
    yield Demo(db, folder / "forloeb.toml")


@pytest.fixture(scope="module")
def outcomes(demo: Demo) -> dict[str, dict[str, list[Any]]]:
    """The published outcome tables of the same store."""
    return tables(demo.json("eva", "outcomes", *WHEN))


def test_time_to_event_reaches_as_many_as_the_outcome_tables_count(
    demo: Demo, outcomes: dict[str, dict[str, list[Any]]]
) -> None:
    report = demo.json("eva", "analysis", "time-to-event", *WHEN, "--origin", "baseline")
    medians = tables(report)["medians"]

    assert report["manifest"]["options"] == {"origin": "baseline", "interval_days": 91}
    assert medians["job"][:2] == [98, outcomes["outcomes"]["job with ordinary hours"][0]]
    assert medians["praktik"][1] == outcomes["outcomes"]["started praktik"][0]
    assert medians["education"][1] == outcomes["outcomes"]["started education"][0]
    assert medians["unplanned exit"][1] == outcomes["status"]["unplanned exit"][0]


def test_the_numbers_at_risk_add_up_from_interval_to_interval(demo: Demo) -> None:
    report = tables(demo.json("eva", "analysis", "time-to-event", *WHEN, "--origin", "baseline"))

    for name in ("km_praktik", "km_job", "km_education", "km_unplanned_exit", "competing"):
        rows = list(report[name].values())
        assert rows[0][0] == 98, name
        width = 3 if name.startswith("km") else 5  # at risk, events (one per kind), censored
        for row, following in zip(rows, [*rows[1:], None], strict=True):
            after = following[0] if following else 0
            assert row[0] == sum(row[1:width]) + after, name


def test_the_competing_incidences_and_survival_stay_within_bounds(demo: Demo) -> None:
    report = tables(demo.json("eva", "analysis", "time-to-event", *WHEN))

    for cells in report["km_job"].values():
        assert 0 <= cells[3] <= 100
    last = list(report["competing"].values())[-1]
    job, education, unplanned = last[5], last[7], last[9]
    assert 0 < job + education + unplanned <= 100


def test_paths_count_every_course_once(
    demo: Demo, outcomes: dict[str, dict[str, list[Any]]]
) -> None:
    report = tables(demo.json("eva", "analysis", "paths", *WHEN))

    paths = report["paths"]
    assert paths["all courses"][0] == outcomes["status"]["referred"][0] == 104
    assert sum(n for label, (n, _) in paths.items() if label != "all courses") == 104
    work = report["way_into_work"]["all quarters"]
    job_path = outcomes["job_path"]
    assert work[:3] == [job_path["praktik before the job"][0], job_path["direct job search"][0],
                        job_path["in job"][0]]  # fmt: skip


def test_trends_and_breakdowns_for_an_evaluator_number_the_consultants(
    demo: Demo, outcomes: dict[str, dict[str, list[Any]]]
) -> None:
    report = tables(demo.json("eva", "analysis", "trends", *WHEN))

    assert report["trends"]["referrals"][-1] == 104
    assert report["trends"]["baselines"][-1] == outcomes["status"]["with baseline"][0]
    consultants = report["by_consultant"]
    assert set(consultants) == {"consultant 1", "consultant 2", "consultant 3", "consultant 4",
                                "(none)", "total"}  # fmt: skip
    assert consultants["total"][:3] == [104, 98, outcomes["status"]["ongoing"][0]]
    teams = report["by_team"]
    assert teams["nord"][0] + teams["syd"][0] + teams["(none)"][0] == 104
    assert set(report["by_benefit_type"]) >= {"kontanthjaelp_aktivitetsparat", "total"}


def test_an_admin_sees_the_consultants_names(demo: Demo) -> None:
    report = tables(demo.json("root", "analysis", "trends", *WHEN))

    assert set(TEAMS) < set(report["by_consultant"])


def test_with_suppression_no_count_under_the_threshold_is_published(demo: Demo) -> None:
    for command in ("trends", "paths", "time-to-event"):
        report = demo.json("eva", "analysis", command, *WHEN, "--suppress-below", "5")
        assert report["manifest"]["suppression"]["below"] == 5
        counts = [
            cell
            for t in report["tables"]
            for row in t["rows"]
            for cell, column in zip(row["cells"], t["columns"], strict=True)
            if "%" not in column and "days" not in column  # counts, not estimates
        ]
        published = [c["value"] for c in counts if c["suppressed"] is None]
        assert not [n for n in published if isinstance(n, int) and n < 5], command
        assert {c["suppressed"] for c in counts} == {None, "small", "complementary"}, command
        assert all(c["value"] is None for c in counts if c["suppressed"]), command


def test_one_suppression_pass_keeps_rows_and_tables_consistent(demo: Demo) -> None:
    """The referral quarters have one small cell (none in 2019Q2): it and one partner are
    hidden, not the whole row; a total two tables show is hidden in both or neither."""
    report = tables(demo.json("eva", "analysis", "trends", *WHEN, "--suppress-below", "5"))

    referrals = report["trends"]["referrals"]
    assert sum(not isinstance(cell, int) for cell in referrals) == 2
    totals = {name: report[name]["total"] for name in ("by_consultant", "by_team")}
    assert totals["by_consultant"] == totals["by_team"]
    assert report["trends"]["referrals"][-1] == totals["by_team"][0]  # referred
    assert report["trends"]["baselines"][-1] == totals["by_team"][1]  # with baseline


def test_a_report_known_at_before_the_import_has_no_courses(demo: Demo) -> None:
    report = tables(demo.json("eva", "analysis", "trends", *WHEN, "--known-at", "2019-01-01"))

    assert report["by_consultant"] == {"total": [0] * 7}


def test_tables_are_printed_for_people(demo: Demo) -> None:
    result = demo.run("eva", "analysis", "time-to-event", *WHEN)

    assert result.exit_code == 0, result.output
    for title in ("Median days to first event", "Time to first job: Kaplan–Meier",
                  "cumulative incidence (Aalen–Johansen)"):  # fmt: skip
        assert title in result.stdout


def test_a_consultant_may_not_run_the_analyses(demo: Demo) -> None:
    result = demo.run("c1", "analysis", "paths", *WHEN)

    assert result.exit_code == 1
    assert "as c1 (consultant): may not analysis" in result.output


@pytest.mark.parametrize(
    ("args", "field"),
    [(("--origin", "visit"), "--origin"), (("--interval", "0"), "--interval")],
)
def test_bad_options_are_refused_in_one_line(demo: Demo, args: tuple[str, ...], field: str) -> None:
    result = demo.run("eva", "analysis", "time-to-event", *WHEN, *args)

    assert result.exit_code == 2
    assert field in result.output and "Traceback" not in result.output
