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
import shutil
import signal
import subprocess
from collections.abc import Iterator
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
    assert html.startswith("<!DOCTYPE html>") and "<title>pva: course report as of 2019-04-15"
    assert '<table id="table-status"' in html and '<table id="table-caseload"' in html
    assert "mette" in html  # the consultant's caseload row


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


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    """The demo cohort's report file, and its tables as `outcomes` gives them (JSON)."""
    folder = tmp_path_factory.mktemp("report")
    db = folder / "forloeb.sqlite"
    service = open_service(StoreConfig(sqlite_path=db))
    try:
        assert import_lines(service, generate(), "demo-import").refused == []
    finally:
        service.close()
    out = folder / "report.html"
    common = ["--db", str(db), "--as", "evaluator"]
    when = ["--programme", PROGRAMME, "--as-of", str(AS_OF)]
    runner = CliRunner()
    written = runner.invoke(forloeb, [*common, "report", *when, "--out", str(out)])
    assert written.exit_code == 0, written.output
    tables = runner.invoke(forloeb, [*common, "outcomes", *when, "--format", "json"])
    assert tables.exit_code == 0, tables.output
    pulled = json.loads(tables.stdout)
    yield out, [  # the cells as people read them, as the report shows them
        {**t, "rows": [{**r, "cells": [shown(pulled, c) for c in r["cells"]]} for r in t["rows"]]}
        for t in pulled["tables"]
    ]


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


def test_every_table_row_is_in_the_printed_report(
    browser: str, pdftotext: str, demo_report: tuple[Path, Any], tmp_path: Path
) -> None:
    page, outcome_tables = demo_report
    pdf = tmp_path / "report.pdf"

    chromium(browser, page, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")

    lines = pdf_lines(pdftotext, pdf)
    html = page.read_text(encoding="utf-8")
    missing = []
    for table in outcome_tables:
        assert f'<table id="table-{table["name"]}"' in html
        for row in table["rows"]:
            label = row["label"].strip().replace("_", " ")
            values = [mark(v) for v in row["cells"] if v is not None]
            if not row_in(lines, label, values):
                missing.append((table["name"], label, values))
    assert missing == []
    for label, values in (("consultant-3", ["26", "23", "1", "2", "0", "25", "1"]),
                          ("all consultants", ["77", "68", "5", "3", "1", "100"]),
                          ("all due items", ["15"])):  # fmt: skip
        assert row_in(lines, label, values), label
