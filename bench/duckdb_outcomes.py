"""Benchmark 4: the outcome tables by forloeb, beside DuckDB over the pseudonymised export.

On a benchmark store (the scaled demo cohort; and the kept 300k-course store,
`bench.large_store`), with the outcomes view caught up (not timed), the store
is exported once: `courses()` + `export_rows()` + `write_parquet()`, as
`forloeb export --out FILE.parquet` writes it (timed once, reported); the
tables are also built once course by course (`courses()` + `build_report()`,
what the kept sums replace; reported). Then each run times, one after the
other:

- forloeb: `OutcomesView.report()` for the programme, as `forloeb outcomes`
  answers (from the view's kept sums; the catch-up before it is not timed);
- DuckDB: a fresh connection and one SQL pass over the Parquet file giving
  the headline counts of tables 5.1 (status), 6.1 (outcomes, way into work),
  5.4 (network answers) and the follow-up, plus the job hours figures and the
  form totals.

Every run checks that DuckDB's counts equal forloeb's (`Report.counts`,
matched by name) and raises if any differs: this also checks the export.
Per-point form counts, the health/WHO-5 panel and the network meeting window
are not computable from the export (it has totals and answers, not which forms
exist or meeting dates), so forms are checked as totals over all points.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bench.measure import Figure, median, say, spread

if TYPE_CHECKING:
    from projections.outcomes import Cohort, OutcomesView
    from projections.outcomes_report import Report
    from storage.store import StoreConfig

BENCHMARK = "4 duckdb [{kind}]"
NEEDS = ("duckdb", "pyarrow")
"""Modules the evaluator's path needs; without them the benchmark is skipped."""
MEAN_TOLERANCE = 0.05
"""forloeb rounds the mean job hours half up to one decimal; DuckDB's mean is unrounded."""


def missing() -> list[str]:
    """The modules this benchmark needs that are not installed."""
    return [name for name in NEEDS if importlib.util.find_spec(name) is None]


def skip_line() -> str | None:
    """Why the benchmark cannot run (a line for the report), or None when it can."""
    absent = missing()
    if not absent:
        return None
    names = " and ".join(absent)
    return f"4 duckdb: skipped, {names} not installed (.venv/bin/pip install {' '.join(absent)})"


# The evaluator's SQL -------------------------------------------------------------


def _text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def count_conditions(columns: list[str]) -> dict[str, str]:
    """forloeb's count names (`Report.counts`) and the export condition each one counts.

    `columns` are the export's columns: network answers are counted for every
    point the export has.
    """
    from domain.values import FollowUpOutcome, UnplannedExitReason

    base = "baseline_on IS NOT NULL"
    job = f"{base} AND ever_job"
    answered = f"follow_up IS NOT NULL AND follow_up <> {_text(FollowUpOutcome.NO_RESPONSE.value)}"
    conditions = {
        "referred": "TRUE",
        "exited before baseline": "baseline_on IS NULL AND status <> 'ongoing'",
        "awaiting baseline": "baseline_on IS NULL AND status = 'ongoing'",
        "with baseline": base,
        "ongoing": f"{base} AND status = 'ongoing'",
        "planned exit": f"{base} AND exit_after IS NOT NULL",
        "planned exit after job": f"{base} AND exit_after = 'job'",
        "planned exit after education": f"{base} AND exit_after = 'education'",
        "unplanned exit": f"{base} AND exit_reason IS NOT NULL",
        **{
            f"unplanned: {r.value}": f"{base} AND exit_reason = {_text(r.value)}"
            for r in UnplannedExitReason
        },
        "job with ordinary hours": job,
        "started education": f"{base} AND ever_education",
        "started praktik": f"{base} AND ever_praktik",
        "job: praktik before the job": f"{job} AND job_after_praktik",
        "job: direct job search": f"{job} AND NOT job_after_praktik",
        "job: still supported": f"{job} AND status = 'ongoing'",
        "job: exited": f"{job} AND status <> 'ongoing'",
        "completers": "exit_after IS NOT NULL",
        "follow-up answered": f"exit_after IS NOT NULL AND {answered}",
        "follow-up not answered": f"exit_after IS NOT NULL AND NOT ({answered})",
        **{
            f"follow-up {o.value}": f"exit_after IS NOT NULL AND follow_up = {_text(o.value)}"
            for o in FollowUpOutcome
            if o is not FollowUpOutcome.NO_RESPONSE
        },
    }
    for point in _points(columns):
        answer = f"network_answer_p{point}"
        conditions[f"network answers at {point}"] = f"{answer} IS NOT NULL"
        conditions[f"network yes at {point}"] = f"{answer} = 'yes'"
    return conditions


def _points(columns: list[str]) -> list[int]:
    """The measurement points the export has columns for."""
    prefix = "network_answer_p"
    return sorted(int(c.removeprefix(prefix)) for c in columns if c.startswith(prefix))


def headline_sql(path: Path, columns: list[str]) -> str:
    """One pass over the Parquet file: every headline count, form totals and job hours."""
    counts = [
        f'count(*) FILTER (WHERE {condition}) AS "{name}"'
        for name, condition in count_conditions(columns).items()
    ]
    job = "baseline_on IS NOT NULL AND ever_job"
    figures = [
        'sum(citizen_forms) AS "citizen forms, all points"',
        'sum(staff_forms) AS "staff forms, all points"',
        f'min(job_hours) FILTER (WHERE {job}) AS "hours min"',
        f'avg(job_hours) FILTER (WHERE {job}) AS "hours mean"',
        f'max(job_hours) FILTER (WHERE {job}) AS "hours max"',
    ]
    return f"SELECT {', '.join(counts + figures)} FROM read_parquet({_text(str(path))})"


def duckdb_tables(db: Any, path: Path) -> dict[str, Any]:
    """The headline figures by DuckDB SQL over the export, on the connection `db`."""
    columns = [row[0] for row in db.execute(
        f"DESCRIBE SELECT * FROM read_parquet({_text(str(path))})"
    ).fetchall()]  # fmt: skip
    cursor = db.execute(headline_sql(path, columns))
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


def evaluator(path: Path) -> tuple[dict[str, float], dict[str, Any]]:
    """A fresh DuckDB connection (as an evaluator's script opens one) and the SQL over the
    export; the seconds of each, and the figures."""
    import duckdb

    connect, db = clock(duckdb.connect)
    try:
        query, figures = clock(lambda: duckdb_tables(db, path))
    finally:
        db.close()
    return {"connect": connect, "SQL over Parquet": query}, figures


# forloeb's side -----------------------------------------------------------------


def forloeb_figures(report: Report) -> dict[str, Any]:
    """What forloeb's report says for each figure DuckDB computes."""
    counts: dict[str, Any] = dict(report.counts)
    for form in ("citizen", "staff"):
        counts[f"{form} forms, all points"] = sum(
            value for name, value in report.counts.items() if name.startswith(f"{form} forms at ")
        )
    job_path = report.table("job_path")
    for name in ("min", "mean", "max"):
        counts[f"hours {name}"] = job_path.value(f"hours per week, {name}", "n")
    return counts


def differences(forloeb: dict[str, Any], duck: dict[str, Any]) -> list[str]:
    """Every figure where DuckDB and forloeb disagree (an empty list when all agree)."""
    found = []
    for name, theirs in duck.items():
        ours = forloeb.get(name)
        if name == "hours mean" and ours is not None and theirs is not None:
            same = abs(float(ours) - float(theirs)) <= MEAN_TOLERANCE + 1e-9
        elif isinstance(theirs, float) or isinstance(ours, float):
            same = ours is not None and theirs is not None and float(ours) == float(theirs)
        else:
            same = ours == theirs
        if not same:
            found.append(f"{name}: forloeb {ours!r}, duckdb {theirs!r}")
    return found


# Timing ------------------------------------------------------------------------


@dataclass
class Run:
    """One run's clocks (seconds) and what it computed."""

    forloeb: dict[str, float]
    duckdb: dict[str, float]
    report: Report
    duck: dict[str, Any]

    @property
    def forloeb_total(self) -> float:
        """forloeb's tables, as `forloeb outcomes` answers (`OutcomesView.report`)."""
        return sum(self.forloeb.values())

    @property
    def duckdb_total(self) -> float:
        """The evaluator's SQL: connecting, then the query over the export."""
        return sum(self.duckdb.values())


def clock(function: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call takes, and its result."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def export(
    view: OutcomesView, cohort: Cohort, as_of: date, key: bytes, out: Path
) -> dict[str, float]:
    """The pseudonymised export to Parquet, as `forloeb export` writes it; each step timed."""
    from projections.export import course_table, write_parquet
    from projections.manifest import CodeVersion, CohortChoice, Manifest, Suppression

    read, courses = clock(lambda: view.courses(cohort, as_of))
    rows_time, table = clock(lambda: course_table(courses, key, as_of))
    manifest = Manifest(
        command="export", programme=cohort.programme, cohort=CohortChoice(by=cohort.by),
        as_of=as_of, known_at=datetime.now(UTC), log_position=0, definition=None,
        configuration_sha256=None, code=CodeVersion(version="bench"),
        suppression=Suppression(below=None),
    )  # fmt: skip
    write, _ = clock(lambda: write_parquet(out, table, manifest))
    return {"read courses": read, "pseudonymised rows": rows_time, "write parquet": write}


def one_run(view: OutcomesView, cohort: Cohort, as_of: date, out: Path) -> Run:
    """forloeb's tables, then DuckDB over the export; each timed."""
    ours, report = clock(lambda: view.report(cohort, as_of))
    duck_time, duck = evaluator(out)
    return Run({"OutcomesView.report": ours}, duck_time, report, duck)


def course_by_course(view: OutcomesView, cohort: Cohort, as_of: date) -> dict[str, float]:
    """The same tables folded course by course from the facts (what the kept sums replace)."""
    from projections.outcomes_tables import build_report

    read, courses = clock(lambda: view.courses(cohort, as_of))
    tables, _ = clock(lambda: build_report(courses))
    return {"read courses": read, "build_report": tables}


def measure(store: StoreConfig, runs: int) -> tuple[list[Run], dict[str, Any]]:
    """`runs` runs on the caught-up outcomes view, after one export; the consistency
    check in every run."""
    from demo import PROGRAMME
    from projections.catalog import open_views
    from projections.export import pseudonym_key
    from projections.outcomes import Cohort
    from workflows.commands import today

    views = open_views(store)
    try:
        say("duckdb: catching the outcomes view up (not timed)")
        views.catch_up(views=["outcomes"])
        events = views.storage.recorder.max_notification_id() or 0
        view = cast("OutcomesView", views.view("outcomes"))
        cohort, as_of = Cohort(PROGRAMME), today()
        key = pseudonym_key(os.environ, view.pseudonym_secret)
        measured = []
        with tempfile.TemporaryDirectory(prefix="forloeb-duckdb-") as scratch:
            out = Path(scratch) / "outcomes.parquet"
            say("duckdb: the export to Parquet (once)")
            exported = export(view, cohort, as_of, key, out)
            say("duckdb: the tables course by course (once, for comparison)")
            folded = course_by_course(view, cohort, as_of)
            for i in range(runs):
                say(f"duckdb: forloeb tables, DuckDB SQL, run {i + 1}/{runs}")
                done = one_run(view, cohort, as_of, out)
                check(done)
                measured.append(done)
            size = out.stat().st_size
    finally:
        views.close()
    about = {
        "events": events,
        "programme": PROGRAMME,
        "as_of": as_of.isoformat(),
        "parquet_bytes": size,
        "export_seconds": exported,
        "course_by_course_seconds": folded,
    }
    return measured, about


def check(run: Run) -> None:
    """Raise unless DuckDB's figures equal forloeb's."""
    wrong = differences(forloeb_figures(run.report), run.duck)
    if wrong:
        raise AssertionError(
            "DuckDB over the export disagrees with forloeb's outcome tables: " + "; ".join(wrong)
        )


# Figures -----------------------------------------------------------------------


def run(kind: str, store: StoreConfig, runs: int) -> list[Figure]:
    """Benchmark 4's figures: forloeb against DuckDB alone, and against export + DuckDB."""
    import duckdb

    measured, about = measure(store, runs)
    forloeb = [r.forloeb_total for r in measured]
    duck = [r.duckdb_total for r in measured]
    exported = sum(about["export_seconds"].values())
    courses = measured[0].report.counts["referred"]
    detail = {
        **about,
        "courses": courses,
        "duckdb_version": duckdb.__version__,
        "duckdb_threads": threads(),
        "checked_figures": measured[0].duck,
        "forloeb_seconds": spread(forloeb),
        "duckdb_seconds": spread(duck),
        "forloeb_steps_seconds": {
            step: spread([r.forloeb[step] for r in measured]) for step in measured[0].forloeb
        },
        "duckdb_steps_seconds": {
            step: spread([r.duckdb[step] for r in measured]) for step in measured[0].duckdb
        },
    }
    name = BENCHMARK.format(kind=kind)
    value, baseline = median(forloeb), median(duck)
    return [
        Figure(name, f"outcome tables, forloeb ({courses:,} courses)", value, "s",
               baseline, "DuckDB connect+SQL", goal="ratio <= 1.0", met=value <= baseline,
               detail={"duckdb_check": detail}),
        Figure(name, "outcome tables, forloeb", value, "s",
               exported + baseline, "export + DuckDB"),
        Figure(name, "outcome tables course by course (once)",
               sum(about["course_by_course_seconds"].values()), "s"),
        Figure(name, "export to Parquet (once: read, pseudonymise, write)", exported, "s"),
    ]  # fmt: skip


def threads() -> int:
    """The threads DuckDB uses by default on this machine (forloeb's path uses one)."""
    import duckdb

    with duckdb.connect() as db:
        row = db.execute("SELECT current_setting('threads')").fetchone()
    return int(row[0]) if row else 0


def describe(figure: Figure) -> list[str]:
    """Readable lines under the table: what was checked, and where the export's time goes."""
    d = figure.detail["duckdb_check"]
    lines = [
        f"{figure.benchmark}: {d['courses']:,} courses of {d['programme']} as of {d['as_of']} "
        f"({d['events']:,} events in the store); "
        f"DuckDB {d['duckdb_version']} ({d['duckdb_threads']} threads); "
        f"{len(d['checked_figures'])} figures equal in every run",
        "  forloeb, median per step:",
        *_steps(d["forloeb_steps_seconds"]),
        "  DuckDB, median per step:",
        *_steps(d["duckdb_steps_seconds"]),
        f"  export to Parquet ({d['parquet_bytes'] / 1024:,.0f} KiB), once:",
        *_once(d["export_seconds"]),
        "  the same tables course by course (read every course, fold, build), once:",
        *_once(d["course_by_course_seconds"]),
    ]
    return lines


def _once(seconds: dict[str, float]) -> list[str]:
    """One line per step of a single run."""
    return [f"    {value * 1000:8.1f} ms  {step}" for step, value in seconds.items()]


def _steps(seconds: dict[str, dict[str, float]]) -> list[str]:
    """One line per step: its median in milliseconds."""
    return [f"    {numbers['median'] * 1000:8.1f} ms  {step}" for step, numbers in seconds.items()]
