"""`forloeb report` through the command line, and its page looked at the way a person would.

The last two tests open the demo cohort's report in headless Chromium, take a
screenshot and print it to PDF: the screenshot must not be blank, and every
row of every table must be in the PDF's text (pdftotext). They are skipped
when Chromium or pdftotext is not installed, unless FORLOEB_REQUIRE_CHROMIUM=1
(as in CI), which makes a missing browser a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.bootstrap import open_service
from cli.importer import import_lines
from cli.main import forloeb
from demo import AS_OF, PROGRAMME, generate
from projections.report_charts import mark
from storage.store import StoreConfig
from tests.cli.conftest import Run
from tests.cli.pulled import shown
from tests.cli.test_outcomes_cli import PVA, in_work

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Without the background-networking flags a closed network refuses Chromium's connections."""


# The command ----------------------------------------------------------------------


def test_report_writes_one_html_file(run: Run, referred: str, tmp_path: Path) -> None:
    in_work(run, referred)
    out = tmp_path / "report.html"

    result = run("report", *PVA, "--as-of", "2019-04-15", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert f"written to {out}" in result.stdout
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>pva: team lead&#x27;s report as of 2019-04-15</title>" in html  # no definition
    assert '<table id="table-status"' in html and '<table id="table-caseload"' in html
    assert "mette" in html  # the consultant's caseload row


def test_an_evaluator_s_variant_leaves_the_workloads_out(
    run: Run, referred: str, tmp_path: Path
) -> None:
    in_work(run, referred)
    out = tmp_path / "report.html"

    result = run("report", *PVA, "--as-of", "2019-04-15", "--for", "evaluator", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert "evaluator report on pva" in result.stdout
    html = out.read_text(encoding="utf-8")
    assert '<table id="table-caseload"' not in html and "mette" not in html
    assert '<table id="table-km_job"' in html and '<table id="table-paths"' in html


def test_report_suppresses_and_says_so(run: Run, referred: str, tmp_path: Path) -> None:
    in_work(run, referred)
    out = tmp_path / "report.html"

    result = run("report", *PVA, "--as-of", "2019-04-15", "--suppress-below", "5",
                 "--out", str(out))  # fmt: skip

    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Counts under 5 are shown as" in html
    assert "<td>1</td>" not in html  # one citizen: every count of 1 is hidden
    assert '<td class="suppressed" title="suppressed">&lt;5</td>' in html


def test_report_refuses_an_unknown_programme(run: Run, referred: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"

    result = run("report", "--programme", "nope", "--out", str(out))

    assert result.exit_code != 0
    assert "no course was referred to 'nope'" in result.output
    assert not out.exists()


def test_report_refuses_a_threshold_under_3(run: Run, referred: str, tmp_path: Path) -> None:
    result = run("report", *PVA, "--suppress-below", "2", "--out", str(tmp_path / "r.html"))

    assert result.exit_code != 0


def test_report_reads_as_known_at(run: Run, referred: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"

    result = run("report", *PVA, "--known-at", "2000-01-01", "--out", str(out))

    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "known at <strong>2000-01-01T22:59:59.999999Z</strong>" in html
    status = json.loads(run("outcomes", *PVA, "--known-at", "2000-01-01", "--format", "json")
                        .stdout)  # fmt: skip
    assert status["tables"][0]["rows"][0]["cells"][0]["value"] == 0  # nothing recorded by then
    assert '<th scope="row">referred</th><td>0</td>' in html
    assert "the known-at time applies to the outcome tables only" in html


# Looked at in a browser -------------------------------------------------------------------


def required(tool: str) -> str:
    """The tool's path; skip without it, or fail under FORLOEB_REQUIRE_CHROMIUM=1."""
    names = BROWSERS if tool == "chromium" else (tool,)
    found = next((path for name in names if (path := shutil.which(name))), None)
    if found is not None:
        return found
    why = f"{tool} is not installed (apt-get install -y chromium poppler-utils)"
    if os.environ.get("FORLOEB_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{why}, and FORLOEB_REQUIRE_CHROMIUM=1")
    pytest.skip(why)


def run_tool(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a tool in its own process group, killed whole if it outlasts the timeout."""
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(args, process.returncode, out, err)


@pytest.fixture(scope="module")
def browser() -> str:
    """Chromium's path, checked before the demo cohort is loaded (see `required`)."""
    return required("chromium")


@pytest.fixture(scope="module")
def pdftotext() -> str:
    """pdftotext's path (poppler-utils), checked like Chromium's."""
    return required("pdftotext")


def chromium(browser: str, page: Path, tmp_path: Path, *action: str) -> None:
    """Open the page in headless Chromium with a fresh profile and do the action."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    args = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()]
    result = run_tool(args)
    assert result.returncode == 0, result.stderr[-2000:]


TEAMS = {"consultant-1": "nord", "consultant-2": "nord", "consultant-3": "syd",
         "consultant-4": "syd"}  # fmt: skip
TEAM_LEAD_TABLES = {
    "status", "goals", "outcomes", "job_path", "follow_up", "caseload", "overdue",
    "overdue_age", "trends", "by_consultant", "by_team", "by_benefit_type", "forms", "network",
}  # fmt: skip
"""The team lead's tables: no health answer, no VIVE distribution, no time to event."""


class DemoReports:
    """The demo cohort's store with an evaluator (eva), an admin (root) and the demo's
    consultants in two teams; each variant's report file, and the tables the same store
    gives through `outcomes` and `analysis` (JSON), as the same user."""

    def __init__(self, folder: Path) -> None:
        self.db, self.config = folder / "forloeb.sqlite", folder / "forloeb.toml"
        self.folder = folder
        self.when = ["--programme", PROGRAMME, "--as-of", str(AS_OF)]

    def run(self, user: str, *args: str) -> Any:
        runner = CliRunner(env={"FORLOEB_CONFIG": str(self.config)})
        return runner.invoke(forloeb, ["--db", str(self.db), "--as", user, *args])

    def report(self, user: str, variant: str) -> Path:
        out = self.folder / f"{variant}.html"
        written = self.run(user, "report", *self.when, "--for", variant, "--out", str(out))
        assert written.exit_code == 0, written.output
        return out

    def tables(self, user: str, *command: str) -> list[dict[str, Any]]:
        result = self.run(user, *command, *self.when, "--format", "json")
        assert result.exit_code == 0, result.output
        pulled = json.loads(result.stdout)
        return [  # the cells as people read them, as the report shows them
            {
                **t,
                "rows": [{**r, "cells": [shown(pulled, c) for c in r["cells"]]} for r in t["rows"]],
            }
            for t in pulled["tables"]
        ]


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> DemoReports:
    from cli.config import UserEntry, create_config
    from workflows.access import Role

    folder = tmp_path_factory.mktemp("report")
    demo = DemoReports(folder)
    service = open_service(StoreConfig(sqlite_path=demo.db))
    try:
        assert import_lines(service, generate(), "demo-import").refused == []
    finally:
        service.close()
    users = {
        "eva": UserEntry(role=Role.EVALUATOR),
        "root": UserEntry(role=Role.ADMIN),
        **{name: UserEntry(role=Role.CONSULTANT, team=team) for name, team in TEAMS.items()},
    }
    create_config(demo.config, users)
    return demo


@pytest.fixture(scope="module")
def demo_report(demo_reports: DemoReports) -> tuple[Path, Any]:
    """The evaluator's report file, and its outcome tables as `outcomes` gives them."""
    return demo_reports.report("eva", "evaluator"), demo_reports.tables("eva", "outcomes")


def test_a_team_lead_s_report_needs_the_caseload_read_right(
    demo_reports: DemoReports, tmp_path: Path
) -> None:
    out = tmp_path / "lead.html"

    result = demo_reports.run("eva", "report", *demo_reports.when, "--for", "team-lead",
                              "--out", str(out))  # fmt: skip

    assert result.exit_code != 0
    assert "may not report caseload" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_the_report_is_not_blank_on_screen(
    browser: str, demo_report: tuple[Path, Any], tmp_path: Path
) -> None:
    from PIL import Image

    page, _ = demo_report
    shot = tmp_path / "report.png"

    chromium(browser, page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000")

    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    colours: list[tuple[int, Any]] = image.getcolors(maxcolors=1 << 24) or []
    inked = sum(count for count, rgb in colours if min(rgb) < 200)
    assert inked / (1280 * 2000) > 0.05  # text, bars and table rules, not an empty page
    assert len(colours) > 200  # charts in colour, antialiased text


def pdf_lines(pdftotext: str, pdf: Path) -> list[str]:
    result = run_tool([pdftotext, "-layout", str(pdf), "-"])
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def row_in(lines: list[str], label: str, values: list[str]) -> bool:
    """Whether some line has the row's label followed by exactly its values, or a few
    consecutive lines hold the label wrapped in its cell and one of them ends with
    exactly the values (a long question wraps; its numbers stand on one line)."""
    for line in lines:
        at = line.find(label)
        if at >= 0 and line[at + len(label) :].split() == values:
            return True
    words = label.split()
    return any(
        wrapped_row_at(lines[start : start + span], words, values)
        for start in range(len(lines))
        if lines[start].split()[:1] == words[:1]
        for span in range(2, 9)
    )


def wrapped_row_at(window: list[str], words: list[str], values: list[str]) -> bool:
    """Whether the window's lines are the label's words, in order, with the values
    closing exactly one of the lines."""
    tokens = [line.split() for line in window]
    for at, line_tokens in enumerate(tokens):
        if values and line_tokens[-len(values) :] == values:
            rest = [*tokens[:at], line_tokens[: -len(values)], *tokens[at + 1 :]]
            if [word for line in rest for word in line] == words:
                return True
    return False


def missing_rows(lines: list[str], tables: list[dict[str, Any]]) -> list[Any]:
    """The rows of the tables not found in the printed text, label and numbers."""
    missing = []
    for table in tables:
        for row in table["rows"]:
            label = row["label"].strip().replace("_", " ")
            values = [mark(v) for v in row["cells"] if v is not None]
            if not row_in(lines, label, values):
                missing.append((table["name"], label, values))
    return missing


def printed(browser: str, pdftotext: str, page: Path, tmp_path: Path) -> list[str]:
    pdf = tmp_path / f"{page.stem}.pdf"
    chromium(browser, page, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    return pdf_lines(pdftotext, pdf)


def table_ids(page: Path) -> set[str]:
    return set(re.findall(r'<table id="table-([^"]+)"', page.read_text(encoding="utf-8")))


def test_every_table_row_is_in_the_printed_evaluator_s_report(
    browser: str, pdftotext: str, demo_reports: DemoReports, tmp_path: Path
) -> None:
    page = demo_reports.report("eva", "evaluator")
    tables = [
        *demo_reports.tables("eva", "outcomes"),
        *demo_reports.tables("eva", "analysis", "trends"),
        *demo_reports.tables("eva", "analysis", "paths"),
        *demo_reports.tables("eva", "analysis", "time-to-event"),
    ]

    lines = printed(browser, pdftotext, page, tmp_path)

    assert table_ids(page) == {table["name"] for table in tables}
    assert len(tables) == 35  # every outcome and analysis table
    assert missing_rows(lines, tables) == []
    text = "\n".join(lines)
    assert "På vej til arbejde — evaluator's report" in text
    assert "Methods and suppression" in text and "consultant 1" in text  # numbered


def test_every_table_row_is_in_the_printed_team_lead_s_report(
    browser: str, pdftotext: str, demo_reports: DemoReports, tmp_path: Path
) -> None:
    page = demo_reports.report("root", "team-lead")
    tables = [
        table
        for table in [
            *demo_reports.tables("root", "outcomes"),
            *demo_reports.tables("root", "analysis", "trends"),
        ]
        if table["name"] in TEAM_LEAD_TABLES
    ]

    lines = printed(browser, pdftotext, page, tmp_path)

    assert table_ids(page) == TEAM_LEAD_TABLES
    assert missing_rows(lines, tables) == []
    for label, values in (("consultant-3", ["26", "23", "1", "2", "0", "25", "1"]),
                          ("all consultants", ["77", "68", "5", "3", "1", "100"]),
                          ("all due items", ["15"]),
                          ("nord", None), ("syd", None)):  # fmt: skip
        if values is None:
            assert any(line.split()[:1] == [label] for line in lines), label
        else:
            assert row_in(lines, label, values), label
    text = "\n".join(lines)
    assert "På vej til arbejde — team lead's report" in text
    assert "WHO-5" not in text and "Kaplan" not in text
