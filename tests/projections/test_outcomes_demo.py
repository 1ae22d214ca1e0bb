"""The demo cohort, read through the outcomes view, gives the VIVE midterm tables (domain §4).

The figures are counted by the view's queries and the table builders from the
events the cohort's import lines recorded — never from the generator's plans.
"""

from __future__ import annotations

import pytest

from projections.outcomes_report import OutcomeTable, Report


@pytest.fixture
def report(demo_report: Report) -> Report:
    """The report of the whole demo cohort as of the data pull (tests/projections/conftest)."""
    return demo_report


def column(table: OutcomeTable, heading: str) -> dict[str, object]:
    """One column of a table, by row label (labels stripped of their indent)."""
    index = table.columns.index(heading)
    return {label.strip(): cells[index].value for label, cells in table.rows}


def test_table_5_1_course_status(report: Report) -> None:
    status = report.table("status")
    n, pct = column(status, "n"), column(status, "% of with baseline")

    assert (n["referred"], n["exited before baseline"], n["with baseline"]) == (104, 6, 98)
    assert (n["ongoing"], pct["ongoing"]) == (77, 79)
    assert (n["planned exit"], pct["planned exit"]) == (6, 6)
    assert (n["after job"], n["after education"]) == (4, 2)
    assert (n["unplanned exit"], pct["unplanned exit"]) == (15, 15)


def test_table_2_1_forms_per_measurement_point(report: Report) -> None:
    forms = dict(report.table("forms").rows)

    assert [cell.value for cell in forms["citizen forms"]] == [98, 70, 39, 14]
    assert [cell.value for cell in forms["staff forms"]] == [98, 69, 44, 16]


def test_table_6_1_outcomes_and_the_way_into_work(report: Report) -> None:
    outcomes = report.table("outcomes")
    n, pct = column(outcomes, "n"), column(outcomes, "% of with baseline")
    path = column(report.table("job_path"), "n")

    assert (n["job with ordinary hours"], pct["job with ordinary hours"]) == (9, 9)
    assert (n["started education"], pct["started education"]) == (3, 3)
    assert (n["started praktik"], pct["started praktik"]) == (19, 19)
    assert (path["in job"], path["praktik before the job"], path["direct job search"]) == (9, 2, 7)
    assert path["still supported"] == 3
    assert 12 <= path["hours per week, min"] <= path["hours per week, mean"]  # type: ignore[operator]
    assert path["hours per week, mean"] <= path["hours per week, max"] <= 37  # type: ignore[operator]


def test_table_5_4_network_meeting_as_the_staff_answered(report: Report) -> None:
    network = dict(report.table("network").rows)
    answered = [cell.value for cell in network["staff forms answering (n)"]]
    share = [cell.value for cell in network["% yes"]]

    assert answered[:3] == [97, 68, 44]
    assert share[:3] == [18, 85, 84]


def test_table_5_4_shows_the_gap_to_the_meetings_recorded(report: Report) -> None:
    network = dict(report.table("network").rows)
    answered_yes = [cell.value for cell in network["answered yes"]]
    recorded = [cell.value for cell in network["meeting recorded in the 91 days before"]]

    assert all(isinstance(n, int) for n in recorded)
    assert recorded != answered_yes  # what staff answered is not what was recorded


def test_table_6_5_poor_mental_health_falls_from_37_to_23_percent(report: Report) -> None:
    mental = report.table("mental_health")

    assert mental.value("citizens with both forms", "point 1") == 39
    assert mental.value("answered (n)", "point 1") == 38
    assert mental.value("poor", "point 1 %") == 37
    assert mental.value("poor", "point 3 %") == 23


def test_table_6_6_who5_items_sum_to_those_answering(report: Report) -> None:
    who5 = report.table("who5")
    for point in ("point 1", "point 3"):
        answered = who5.value("answered (n)", point)
        for item in ("cheerful", "calm", "active", "rested", "interested"):
            assert sum(who5.value(f"{item} = {s}", point) for s in range(6)) == answered  # type: ignore[misc]
        mean_index = who5.value("mean index (0-100)", point)
        assert isinstance(mean_index, float) and 0 <= mean_index <= 100


def test_goals_are_not_met_at_the_midterm(report: Report) -> None:
    goals = report.table("goals")

    assert goals.value("ordinary work", "% of with baseline") == 9
    assert (goals.value("ordinary work", "target %"), goals.value("ordinary work", "met")) == (
        20,
        "no",
    )
    assert (goals.value("education", "target %"), goals.value("education", "met")) == (15, "no")
