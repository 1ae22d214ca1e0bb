"""Each programme's demo cohort gives its report's published figures in `forloeb outcomes`.

Given a fresh store with `forloeb demo --programme NAME` loaded, when `forloeb outcomes
--programme NAME` runs, then it shows the tables the programme's definition names
(`outcome_tables`), and each published figure (programme reference §2–§4) is a cell:
OPH's 72 in three cohorts, 53 completed, 37 in work, 8 in education, 8 on disability
pension; MB's 109, 82 completed (75 %), the follow-up's 35 employed of 45 answering (78 %)
and its worst case, 35 of 82; the drop-in-centre model's 561 citizens and Odense's
no-shows, 32 % then 14 %; Faxe's profile shares 50/30/20/15/10 %.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import forloeb

Tables = dict[str, dict[str, Any]]


def cell_object(tables: Tables, table: str, row: str, column: str) -> Any:
    """One cell of a pulled table (value and suppression flag), by row label and column."""
    shown = tables[table]
    rows = {r["label"].strip(): r["cells"] for r in shown["rows"]}
    return rows[row][shown["columns"].index(column)]


def cell(tables: Tables, table: str, row: str, column: str) -> Any:
    """One cell's value (None where suppressed), by row label and column heading."""
    return cell_object(tables, table, row, column)["value"]


@pytest.fixture(scope="module")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Load a programme's demo into its own store; its outcome tables by name."""
    folder = tmp_path_factory.mktemp("programme-demos")
    with pytest.MonkeyPatch.context() as patch:
        config = folder / "forloeb.toml"
        shutil.copy(os.environ["FORLOEB_CONFIG"], config)
        patch.setenv("FORLOEB_CONFIG", str(config))
        patch.setenv("XDG_STATE_HOME", str(folder / "state"))
        patch.delenv("FORLOEB_DATABASE_URL", raising=False)
        runner = CliRunner()
        cache: dict[tuple[str, tuple[str, ...]], Tables] = {}

        def pull(programme: str, *options: str) -> Tables:
            if (programme, options) not in cache:
                common = ["--db", str(folder / f"{programme}.sqlite"), "--as", "anna"]
                if not (folder / f"{programme}.sqlite").exists():
                    loaded = runner.invoke(forloeb, [*common, "demo", "--programme", programme])
                    assert loaded.exit_code == 0, loaded.output
                shown = runner.invoke(
                    forloeb,
                    [*common, "outcomes", "--programme", programme, "--as-of", "2020-01-01",
                     "--format", "json", *options],
                )  # fmt: skip
                assert shown.exit_code == 0, shown.output
                tables = json.loads(shown.stdout)["tables"]
                cache[(programme, options)] = {t["name"]: t for t in tables}
            return cache[(programme, options)]

        yield pull


def test_each_programme_shows_the_tables_its_definition_names(pulled: Any) -> None:
    assert list(pulled("oph")) == ["completion", "outcome_kinds"]
    assert list(pulled("mb")) == ["completion", "outcome_kinds", "follow_up"]
    assert list(pulled("vaerestedsmodel")) == ["contacts", "no_shows"]
    assert list(pulled("faxe-m3")) == ["profiles"]


# OPH (§2.3) ------------------------------------------------------------------------


def test_oph_72_participants_in_three_cohorts(pulled: Any) -> None:
    tables = pulled("oph")
    assert cell(tables, "completion", "participants", "all n") == 72
    held = [cell(tables, "completion", "participants", f"hold-{n} n") for n in (1, 2, 3)]
    assert held == [24, 24, 24]  # the note gives no split: the demo's even thirds


def test_oph_53_completed(pulled: Any) -> None:
    tables = pulled("oph")
    assert cell(tables, "completion", "completed the programme", "all n") == 53
    assert cell(tables, "completion", "completed the programme", "all %") == 74  # 53/72
    assert cell(tables, "outcome_kinds", "completed the programme", "n") == 53


def test_oph_37_of_the_completers_in_work(pulled: Any) -> None:
    assert cell(pulled("oph"), "outcome_kinds", "in work", "n") == 37


def test_oph_8_of_the_completers_in_education(pulled: Any) -> None:
    assert cell(pulled("oph"), "outcome_kinds", "in education", "n") == 8


def test_oph_8_of_the_completers_on_disability_pension(pulled: Any) -> None:
    row = "onto disability pension (førtidspension)"
    assert cell(pulled("oph"), "outcome_kinds", row, "n") == 8


def test_oph_work_is_mainly_flexjobs(pulled: Any) -> None:
    tables = pulled("oph")
    kinds = ("ordinary hours", "ordinary, reduced hours", "flexjob (fleksjob)",
             "wage subsidy (løntilskud)", "kind not recorded")  # fmt: skip
    counts = {kind: cell(tables, "outcome_kinds", kind, "n") for kind in kinds}
    assert sum(counts.values()) == 37
    assert counts["flexjob (fleksjob)"] > 37 / 2  # "mainly flexjobs"; the split is assumed


# MB (§2.2) -------------------------------------------------------------------------


def test_mb_109_participants(pulled: Any) -> None:
    assert cell(pulled("mb"), "completion", "participants", "all n") == 109


def test_mb_82_completed_about_75_percent(pulled: Any) -> None:
    tables = pulled("mb")
    assert cell(tables, "completion", "completed the programme", "all n") == 82
    assert cell(tables, "completion", "completed the programme", "all %") == 75


def test_mb_follow_up_45_answered_37_did_not(pulled: Any) -> None:
    tables = pulled("mb")
    assert cell(tables, "follow_up", "completed (planned exit)", "n") == 82
    assert cell(tables, "follow_up", "answered the follow-up", "n") == 45
    assert cell(tables, "follow_up", "did not answer", "n") == 37


def test_mb_follow_up_35_employed_78_percent_of_those_answering(pulled: Any) -> None:
    tables = pulled("mb")
    assert cell(tables, "follow_up", "employed, of those answering", "n") == 35
    assert cell(tables, "follow_up", "employed, of those answering", "%") == 78


def test_mb_follow_up_10_outside_the_labour_market(pulled: Any) -> None:
    assert cell(pulled("mb"), "follow_up", "not_employed, of those answering", "n") == 10


def test_mb_worst_case_35_of_82(pulled: Any) -> None:
    tables = pulled("mb")
    row = "employed, worst case (of all completers)"
    assert (cell(tables, "follow_up", row, "n"), cell(tables, "follow_up", row, "%")) == (35, 43)


# The drop-in-centre model (§3.5) ---------------------------------------------------


def test_the_drop_in_model_561_citizens_registered(pulled: Any) -> None:
    tables = pulled("vaerestedsmodel")
    assert cell(tables, "contacts", "citizens registered", "n") == 561
    routes = ("referred by a caseworker", "self-referral", "reached by outreach")
    assert sum(cell(tables, "contacts", route, "n") for route in routes) == 561


def test_the_drop_in_model_no_shows_fall_from_32_to_14_percent(pulled: Any) -> None:
    tables = pulled("vaerestedsmodel")
    row = "citizen did not show"
    assert cell(tables, "no_shows", row, "2014 H2 %") == 32
    assert cell(tables, "no_shows", row, "2015 H2 %") == 14


# Faxe M3 (§4.2) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "share"),
    [("maaske_egnede", 50), ("fysisk_syge", 30), ("misbrugere", 20),
     ("diffust_psykisk_syge", 15), ("diagnosticerede", 10)],
)  # fmt: skip
def test_faxe_m3_profile_shares(pulled: Any, profile: str, share: int) -> None:
    tables = pulled("faxe-m3")
    assert cell(tables, "profiles", f"profile: {profile}", "% of segmented") == share


def test_faxe_m3_every_case_is_in_match_group_3(pulled: Any) -> None:
    tables = pulled("faxe-m3")
    assert cell(tables, "profiles", "match group now: M3", "n") == 100
    assert cell(tables, "profiles", "match group now: M3", "% of segmented") == 100


# Selection and suppression ---------------------------------------------------------


def test_a_named_table_of_another_programme_can_be_asked_for(pulled: Any) -> None:
    asked = pulled("oph", "--table", "follow_up", "--table", "completion")
    assert list(asked) == ["follow_up", "completion"]  # the VIVE report's first


def test_small_cells_of_the_programme_tables_are_suppressed(pulled: Any) -> None:
    tables = pulled("oph", "--suppress-below", "10")
    assert cell_object(tables, "outcome_kinds", "in education", "n") == {
        "value": None,
        "suppressed": "small",
    }
    assert cell(tables, "outcome_kinds", "in work", "n") == 37
