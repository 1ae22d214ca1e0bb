"""The evaluators' export: one pseudonymised row per course, never a CPR number."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from projections.catalog import Views
from projections.export import (
    KEY_VARIABLE,
    export_rows,
    file_format,
    month,
    pseudonym,
    pseudonym_key,
    write_export,
)
from projections.outcomes import Cohort, OutcomesView
from tests.projections.history import PROGRAMME, Clinic
from workflows import commands as cmd

D = date
CPRS = ("0101901234", "0202905678")


@pytest.fixture
def view(clinic: Clinic, views: Views) -> OutcomesView:
    """Three courses of two citizens: one in work, one exited and referred again."""
    work = clinic.start(CPRS[0], "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.baseline(work, D(2024, 2, 1))
    clinic.do(cmd.JobStart, work, D(2024, 4, 2), employer="Netto", hours_per_week=22)
    first = clinic.start(CPRS[1], "rk-bo", D(2024, 1, 2), D(2024, 1, 9))
    clinic.do(cmd.Exit, first, D(2024, 2, 10), planned=False, reason="moved_municipality")
    clinic.start(CPRS[1], "rk-cy", D(2024, 5, 2), D(2024, 5, 9))
    views.catch_up()
    outcomes = views.view("outcomes")
    assert isinstance(outcomes, OutcomesView)
    return outcomes


def test_one_row_per_course_and_no_cpr_anywhere(
    view: OutcomesView, clinic: Clinic, tmp_path: Path
) -> None:
    courses = view.courses(Cohort(PROGRAMME), D(2024, 12, 31))
    columns, rows = export_rows(courses, b"test-key")
    out = tmp_path / "export.csv"
    write_export(out, columns, rows)

    text = out.read_text()
    assert len(rows) == 3
    assert not any(cpr in text or f"{cpr[:6]}-{cpr[6:]}" in text for cpr in CPRS)
    with out.open() as f:
        read = list(csv.DictReader(f))
    assert len(read) == 3
    subjects = [clinic.service.keyring.subject_of(cpr) for cpr in CPRS]
    expected = {pseudonym(str(subject), b"test-key") for subject in subjects}
    assert {row["pseudonym"] for row in read} == expected
    assert len(expected) == 2  # one per citizen, across their courses


def test_a_row_holds_the_outcome_columns_with_dates_as_months(view: OutcomesView) -> None:
    courses = view.courses(Cohort(PROGRAMME), D(2024, 12, 31))
    _, rows = export_rows(courses, b"k")
    [work] = [row for row in rows if row["ever_job"]]

    assert (work["referred_month"], work["baseline_month"], work["job_month"]) == (
        "2024-01",
        "2024-02",
        "2024-04",
    )
    assert (work["status"], work["job_hours"], work["job_after_praktik"]) == (
        "ongoing",
        22.0,
        False,
    )
    assert (work["citizen_forms"], work["staff_forms"], work["ever_praktik"]) == (1, 1, False)
    assert "mental_health_p1" in work and "who5_index_p1" in work


def test_the_same_citizen_has_the_same_pseudonym_and_another_key_another(
    view: OutcomesView,
) -> None:
    courses = view.courses(Cohort(PROGRAMME), D(2024, 12, 31))
    _, rows = export_rows(courses, b"key-one")
    _, again = export_rows(courses, b"key-two")

    assert len({row["pseudonym"] for row in rows}) == 2  # three courses, two citizens
    assert {row["pseudonym"] for row in rows}.isdisjoint({row["pseudonym"] for row in again})


def test_the_key_comes_from_the_environment_else_from_the_store(view: OutcomesView) -> None:
    secret = view.pseudonym_secret()

    assert pseudonym_key({KEY_VARIABLE: "evaluators-2024"}, view.pseudonym_secret) == (
        b"evaluators-2024"
    )
    assert pseudonym_key({}, view.pseudonym_secret) == secret
    assert view.pseudonym_secret() == secret and len(secret) == 32  # made once, then kept


def test_parquet_has_the_same_rows_typed(view: OutcomesView, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    courses = view.courses(Cohort(PROGRAMME), D(2024, 12, 31))
    columns, rows = export_rows(courses, b"k")
    out = tmp_path / "export.parquet"
    write_export(out, columns, rows)

    table = pq.read_table(out)
    assert table.num_rows == 3
    assert str(table.schema.field("job_hours").type) == "double"
    assert sorted(table.column("pseudonym").to_pylist()) == sorted(r["pseudonym"] for r in rows)


def test_as_of_exports_the_world_on_that_date(view: OutcomesView) -> None:
    courses = view.courses(Cohort(PROGRAMME), D(2024, 3, 1))
    _, rows = export_rows(courses, b"k")

    assert len(rows) == 2  # the re-referral came in May
    assert not any(row["ever_job"] for row in rows)


def test_only_csv_and_parquet_files() -> None:
    assert (file_format(Path("a.CSV")), file_format(Path("b.parquet"))) == ("csv", "parquet")
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        file_format(Path("c.xlsx"))
    assert (month(D(2019, 4, 15)), month(None)) == ("2019-04", None)
