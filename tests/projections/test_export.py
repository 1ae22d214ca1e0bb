"""The evaluators' export: pseudonymised courses and state spells to the day, never a CPR
number, with a codebook generated from the same columns and the pull's manifest."""

from __future__ import annotations

import csv
import itertools
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from projections.catalog import Views
from projections.export import (
    KEY_VARIABLE,
    MANIFEST_KEY,
    PACKAGE_FILE,
    check_folder,
    export_tables,
    pseudonym,
    pseudonym_key,
    write_export,
)
from projections.manifest import CodeVersion, CohortChoice, Manifest, Suppression
from projections.outcomes import Cohort, OutcomesView
from projections.spells import path
from tests.projections.history import PROGRAMME, Clinic
from workflows import commands as cmd

D = date
CPRS = ("0101901234", "0202905678")
AS_OF = D(2024, 12, 31)
MANIFEST = Manifest(
    command="export",
    programme=PROGRAMME,
    cohort=CohortChoice(by="referral"),
    as_of=AS_OF,
    known_at=datetime(2025, 1, 2, 9, 30, tzinfo=UTC),
    log_position=42,
    definition=None,
    configuration_sha256=None,
    code=CodeVersion(version="0.1.0"),
    suppression=Suppression(below=None),
    options={"format": "csv"},
)


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


def written(view: OutcomesView, folder: Path, file_format: str = "csv") -> list[Path]:
    courses = view.courses(Cohort(PROGRAMME), AS_OF)
    tables = export_tables(courses, b"test-key", AS_OF)
    return write_export(folder, tables, MANIFEST, file_format)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_one_row_per_course_and_no_cpr_in_any_file(
    view: OutcomesView, clinic: Clinic, tmp_path: Path
) -> None:
    files = written(view, tmp_path / "out")

    assert [f.name for f in files] == ["courses.csv", "spells.csv", PACKAGE_FILE]
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert not any(cpr in text or f"{cpr[:6]}-{cpr[6:]}" in text for cpr in CPRS)
    rows = read_csv(tmp_path / "out" / "courses.csv")
    subjects = [clinic.service.keyring.subject_of(cpr) for cpr in CPRS]
    expected = {pseudonym(str(subject), b"test-key") for subject in subjects}
    assert len(rows) == 3 and len({row["course"] for row in rows}) == 3
    assert {row["pseudonym"] for row in rows} == expected  # one per citizen, across courses


def test_dates_are_days_and_every_row_carries_the_censoring_date(view: OutcomesView) -> None:
    [courses, _] = export_tables(view.courses(Cohort(PROGRAMME), AS_OF), b"k", AS_OF)
    [work] = [row for row in courses.rows if row["first_job_on"] is not None]

    assert (work["referred_on"], work["baseline_on"], work["first_job_on"]) == (
        D(2024, 1, 2),
        D(2024, 2, 1),
        D(2024, 4, 2),
    )
    assert (work["status"], work["state"], work["state_since"]) == ("ongoing", "job", D(2024, 4, 2))
    assert (work["job_hours"], work["job_after_praktik"], work["citizen_forms"]) == (22.0, False, 1)
    assert {row["censored_on"] for row in courses.rows} == {AS_OF}
    [exited] = [row for row in courses.rows if row["status"] == "exited_unplanned"]
    assert (exited["exit_reason"], exited["state_since"]) == ("moved_municipality", D(2024, 2, 10))


def test_spells_add_up_to_each_courses_path(view: OutcomesView) -> None:
    outcomes = view.courses(Cohort(PROGRAMME), AS_OF)
    [courses, spells] = export_tables(outcomes, b"k", AS_OF)

    for course, row in zip(outcomes, courses.rows, strict=True):
        own = [s for s in spells.rows if s["course"] == row["course"]]
        assert [s["spell"] for s in own] == list(range(1, len(own) + 1))
        assert tuple(s["state"] for s in own) == tuple(state.value for state in path(course))
        assert own[0]["from"] == course.referred_on
        for spell, following in itertools.pairwise(own):
            assert (spell["to"], spell["ended"], spell["next_state"]) == (
                following["from"], "moved", following["state"],
            )  # fmt: skip
            assert spell["days"] == (spell["to"] - spell["from"]).days
        last = own[-1]
        assert last["to"] is None and last["next_state"] is None
        assert last["state"] == row["state"] and last["from"] == row["state_since"]
        if row["status"] == "ongoing":
            assert last["ended"] == "censored"
            assert sum(s["days"] for s in own) == (AS_OF - course.referred_on).days
        else:
            assert (last["ended"], last["days"]) == ("exit", None)


def check_value(field: dict[str, Any], text: str) -> None:
    """A CSV field's text is of the codebook's type and among its allowed values."""
    if text == "":
        assert not field["constraints"]["required"], field["name"]
        return
    kind = field["type"]
    if kind == "date":
        D.fromisoformat(text)
        assert len(text) == 10  # a day, YYYY-MM-DD
    elif kind == "integer":
        int(text)
    elif kind == "number":
        float(text)
    elif kind == "boolean":
        assert text in ("true", "false"), field["name"]
    if "enum" in field["constraints"]:
        assert text in field["constraints"]["enum"], (field["name"], text)


def test_the_codebook_describes_every_column_of_every_file_exactly(
    view: OutcomesView, tmp_path: Path
) -> None:
    written(view, tmp_path)
    package = json.loads((tmp_path / PACKAGE_FILE).read_text(encoding="utf-8"))

    assert package["profile"] == "tabular-data-package"
    assert [r["path"] for r in package["resources"]] == ["courses.csv", "spells.csv"]
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        with (tmp_path / resource["path"]).open(encoding="utf-8", newline="") as f:
            header, *lines = list(csv.reader(f))
        assert header == [field["name"] for field in fields]
        assert all(field["description"] and field["type"] for field in fields)
        for line in lines:
            for field, text in zip(fields, line, strict=True):
                check_value(field, text)
    courses = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert courses["status"]["constraints"]["enum"] == ["ongoing", "exited_planned",
                                                        "exited_unplanned"]  # fmt: skip
    assert "moved_municipality" in courses["exit_reason"]["constraints"]["enum"]
    assert package["manifest"] == MANIFEST.model_dump(mode="json", by_alias=True)


def test_parquet_files_are_typed_as_the_codebook_says_and_hold_the_manifest(
    view: OutcomesView, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    written(view, tmp_path, "parquet")
    package = json.loads((tmp_path / PACKAGE_FILE).read_text(encoding="utf-8"))
    arrow_types = {"string": "string", "integer": "int64", "number": "double",
                   "boolean": "bool", "date": "date32[day]"}  # fmt: skip

    for resource in package["resources"]:
        table = pq.read_table(tmp_path / resource["path"])
        fields = resource["schema"]["fields"]
        assert table.schema.names == [field["name"] for field in fields]
        for field in fields:
            arrow = table.schema.field(field["name"])
            assert str(arrow.type) == arrow_types[field["type"]]
            assert arrow.metadata[b"description"].decode() == field["description"]
            allowed = field["constraints"].get("enum")
            present = [v for v in table.column(field["name"]).to_pylist() if v is not None]
            assert allowed is None or set(present) <= set(allowed)
        stored = table.schema.metadata[MANIFEST_KEY]
        assert Manifest.model_validate_json(stored) == MANIFEST
    assert pq.read_table(tmp_path / "courses.parquet").num_rows == 3


def test_the_same_citizen_has_the_same_pseudonym_and_another_key_another(
    view: OutcomesView,
) -> None:
    courses = view.courses(Cohort(PROGRAMME), AS_OF)
    [rows, _] = export_tables(courses, b"key-one", AS_OF)
    [again, _] = export_tables(courses, b"key-two", AS_OF)

    assert len({row["pseudonym"] for row in rows.rows}) == 2  # three courses, two citizens
    assert {r["pseudonym"] for r in rows.rows}.isdisjoint({r["pseudonym"] for r in again.rows})


def test_the_key_comes_from_the_environment_else_from_the_store(view: OutcomesView) -> None:
    secret = view.pseudonym_secret()

    assert pseudonym_key({KEY_VARIABLE: "evaluators-2024"}, view.pseudonym_secret) == (
        b"evaluators-2024"
    )
    assert pseudonym_key({}, view.pseudonym_secret) == secret
    assert view.pseudonym_secret() == secret and len(secret) == 32  # made once, then kept


def test_as_of_exports_the_world_on_that_date(view: OutcomesView) -> None:
    censored = D(2024, 3, 1)
    [rows, _] = export_tables(view.courses(Cohort(PROGRAMME), censored), b"k", censored)

    assert len(rows.rows) == 2  # the re-referral came in May
    assert not any(row["first_job_on"] for row in rows.rows)
    assert {row["censored_on"] for row in rows.rows} == {censored}


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")

    check_folder(tmp_path / "new")
    for out, reason in [
        (tmp_path / "a.csv", "a.csv names a file; give a folder"),
        (tmp_path / "file", "is a file, not a folder"),
        (tmp_path / "missing" / "x", "does not exist"),
    ]:
        with pytest.raises(ValueError, match=reason):
            check_folder(out)
