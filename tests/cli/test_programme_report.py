"""`forloeb report` for the programmes beside På vej til arbejde shows their own tables.

Given a fresh store with `forloeb demo --programme NAME` loaded, when `forloeb report
--programme NAME` runs (either variant), then the page is titled with the programme's
name, holds exactly the tables its definition names (`outcome_tables`) with every number
`forloeb outcomes` gives for them, the trends and breakdowns `forloeb analysis trends`
gives, and none of VIVE's tables; the published figures are in it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import forloeb
from tests.cli.test_report_cli import missing_rows, printed, required, table_ids
from tests.projections.test_report_html import expected_rows
from tests.projections.test_report_html import parsed_tables as page_tables

AS_OF = "2020-01-01"
TITLES = {
    "oph": "OPH — Op På Hesten",
    "mb": "MB — Medarbejder med Brugererfaring",
    "vaerestedsmodel": "Værestedernes samarbejdsmodel",
    "faxe-m3": "Jobcenter Faxe — matchgruppe 3",
}
"""Each programme's name as its definition gives it."""
OWN_TABLES = {
    "oph": {"completion", "outcome_kinds"},
    "mb": {"completion", "outcome_kinds", "follow_up"},
    "vaerestedsmodel": {"contacts", "no_shows"},
    "faxe-m3": {"profiles"},
}
OPERATIONS = {"caseload", "overdue", "overdue_age"}
"""The team lead's tables from the caseload view, beside the outcome and analysis tables."""
VIVE_ONLY = {"status", "goals", "outcomes", "job_path", "forms", "network", "who5", "4.1", "6.5"}


def parsed_tables(html: str) -> dict[str, list[list[str]]]:
    """The page's tables by id, the manifest's block (a table without id) left out."""
    page, manifest, _ = html.partition('<aside id="manifest">')
    assert manifest, "the report carries its manifest"
    return page_tables(page)


class ProgrammeDemos:
    """One store per programme with its demo cohort, each report written once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runner = CliRunner()
        self.pages: dict[tuple[str, str, str], Path] = {}

    def run(self, programme: str, *args: str) -> Any:
        db = self.folder / f"{programme}.sqlite"
        common = ["--db", str(db), "--as", "anna"]
        if not db.exists():
            loaded = self.runner.invoke(forloeb, [*common, "demo", "--programme", programme])
            assert loaded.exit_code == 0, loaded.output
        result = self.runner.invoke(forloeb, [*common, *args])
        assert result.exit_code == 0, result.output
        return result

    def page(self, programme: str, variant: str, *options: str) -> Path:
        key = (programme, variant, " ".join(options))
        if key not in self.pages:
            out = self.folder / f"{programme}-{variant}-{len(self.pages)}.html"
            self.run(programme, "report", "--programme", programme, "--as-of", AS_OF,
                     "--for", variant, "--out", str(out), *options)  # fmt: skip
            self.pages[key] = out
        return self.pages[key]

    def tables(self, programme: str, *command: str) -> list[dict[str, Any]]:
        result = self.run(programme, *command, "--programme", programme, "--as-of", AS_OF,
                          "--format", "json")  # fmt: skip
        return [
            {**t, "rows": [{**r, "cells": [c["value"] for c in r["cells"]]} for r in t["rows"]]}
            for t in json.loads(result.stdout)["tables"]
        ]


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProgrammeDemos]:
    folder = tmp_path_factory.mktemp("programme-reports")
    with pytest.MonkeyPatch.context() as patch:
        config = folder / "forloeb.toml"
        shutil.copy(os.environ["FORLOEB_CONFIG"], config)
        patch.setenv("FORLOEB_CONFIG", str(config))
        patch.setenv("XDG_STATE_HOME", str(folder / "state"))
        patch.delenv("FORLOEB_DATABASE_URL", raising=False)
        yield ProgrammeDemos(folder)


@pytest.mark.parametrize("programme", sorted(OWN_TABLES))
@pytest.mark.parametrize("variant", ["evaluator", "team-lead"])
def test_the_report_shows_the_programme_s_own_tables_with_every_number(
    demos: ProgrammeDemos, programme: str, variant: str
) -> None:
    html = demos.page(programme, variant).read_text(encoding="utf-8")
    own = demos.tables(programme, "outcomes")
    trends = demos.tables(programme, "analysis", "trends")

    found = parsed_tables(html)

    assert f"<h1>{TITLES[programme]} — " in html
    assert {t["name"] for t in own} == OWN_TABLES[programme]
    for table in [*own, *trends]:
        page, expected = found[f"table-{table['name']}"], expected_rows(table)
        if variant == "evaluator" and table["name"] == "by_consultant":  # numbered, not named
            page, expected = sorted(row[1:] for row in page), sorted(row[1:] for row in expected)
        assert page == expected, table["name"]
    assert not {f"table-{name}" for name in VIVE_ONLY} & set(found)
    assert "follow the VIVE midterm evaluation" not in html
    assert f"<tr><th>programme</th><td>{programme}</td></tr>" in html  # the manifest


def rows_of(html: str, table: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in parsed_tables(html)[f"table-{table}"]}


def test_oph_s_published_completion_and_outcomes_are_on_its_page(demos: ProgrammeDemos) -> None:
    html = demos.page("oph", "evaluator").read_text(encoding="utf-8")

    completion, kinds = rows_of(html, "completion"), rows_of(html, "outcome_kinds")

    assert completion["participants"][-2] == "72"
    assert completion["completed the programme"][-2:] == ["53", "74"]
    assert kinds["in work"][0] == "37" and kinds["in education"][0] == "8"
    assert kinds["onto disability pension (førtidspension)"][0] == "8"


def test_mb_s_follow_up_and_its_worst_case_are_on_its_page(demos: ProgrammeDemos) -> None:
    html = demos.page("mb", "evaluator").read_text(encoding="utf-8")

    follow_up = rows_of(html, "follow_up")

    assert rows_of(html, "completion")["completed the programme"][-2:] == ["82", "75"]
    assert follow_up["employed, of those answering"] == ["35", "78"]
    assert follow_up["employed, worst case (of all completers)"] == ["35", "43"]
    assert 'id="follow-up"' in html  # its own section: MB has no VIVE outcomes section


def test_the_drop_in_model_s_contacts_and_no_shows_are_on_its_page(
    demos: ProgrammeDemos,
) -> None:
    html = demos.page("vaerestedsmodel", "evaluator").read_text(encoding="utf-8")

    no_shows = rows_of(html, "no_shows")

    assert rows_of(html, "contacts")["citizens registered"][0] == "561"
    assert no_shows["citizen did not show"] == ["32", "32", "14", "14"]


def test_faxe_s_profile_shares_are_on_its_page_and_in_its_profile_breakdown(
    demos: ProgrammeDemos,
) -> None:
    html = demos.page("faxe-m3", "evaluator").read_text(encoding="utf-8")

    profiles, by_profile = rows_of(html, "profiles"), rows_of(html, "by_profile")

    shares = {"maaske_egnede": 50, "fysisk_syge": 30, "misbrugere": 20,
              "diffust_psykisk_syge": 15, "diagnosticerede": 10}  # fmt: skip
    for profile, share in shares.items():
        assert profiles[f"profile: {profile.replace('_', ' ')}"] == [str(share), str(share)]
        assert by_profile[profile.replace("_", " ")][0] == str(share)  # referred, of 100
    assert by_profile["total"][0] == "100"
    assert rows_of(html, "by_match_group")["M3"][0] == "100"
    assert "groups add up to more than the total" in html


def test_a_suppressed_programme_report_hides_its_small_counts(demos: ProgrammeDemos) -> None:
    plain = rows_of(demos.page("oph", "evaluator").read_text(encoding="utf-8"), "completion")
    page = demos.page("oph", "evaluator", "--suppress-below", "5").read_text(encoding="utf-8")

    hidden = rows_of(page, "completion")

    small = [(label, i) for label, cells in plain.items() for i, value in enumerate(cells)
             if i % 2 == 0 and value in {"0", "1", "2", "3", "4"}]  # fmt: skip
    assert small  # the early leavers' reasons per cohort
    assert all(hidden[label][i] == "<5" for label, i in small)
    assert "Counts under 5 are shown as" in page


# Looked at in a browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> str:
    """Chromium's path (skipped without it, unless FORLOEB_REQUIRE_CHROMIUM=1)."""
    return required("chromium")


@pytest.fixture(scope="module")
def pdftotext() -> str:
    return required("pdftotext")


@pytest.mark.parametrize("programme", ["oph", "faxe-m3"])
def test_every_table_row_is_in_the_printed_programme_report(
    browser: str, pdftotext: str, demos: ProgrammeDemos, programme: str, tmp_path: Path
) -> None:
    page = demos.page(programme, "team-lead")
    tables = [*demos.tables(programme, "outcomes"), *demos.tables(programme, "analysis", "trends")]

    lines = printed(browser, pdftotext, page, tmp_path)

    assert {t["name"] for t in tables} | OPERATIONS == table_ids(page)
    assert missing_rows(lines, tables) == []
    text = " ".join(" ".join(lines).split())  # a long title wraps
    assert f"{TITLES[programme]} — team lead's report" in text
