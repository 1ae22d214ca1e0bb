"""The corpus itself: big enough, well formed, and aimed at every field and refusal.

The targets are read from the command models and the transitions table, so a
new free-text field, name field or move shows up here as a gap in the corpus.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from cli.options import OPTION_NAMES
from domain.values import CourseState
from tests.hostile.corpus import CASES_DIR, Case, load_cases
from workflows.commands import AUTOMATIC, COMMANDS_BY_NAME, command_for
from workflows.machine import MOVES

CASES = load_cases()
CATEGORIES = {
    "invalid_cpr", "dates", "refused_moves", "measurement_values", "hours", "vocabulary",
    "course_refs", "over_long", "control_characters", "sql_shell", "legitimate_text",
    "import_malformed", "import_types", "import_huge", "store_paths", "access",
    "filters", "out_files", "numbers",
}
ATTACKS = {"\x00": "NUL", "\x1b": "ESC", "\r": "CR", "\x07": "BEL"}


def _walk(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _walk(value)


def fields_where(predicate: Any) -> set[tuple[str, str]]:
    """(command, field) pairs whose JSON schema has a part matching the predicate."""
    found = set()
    for name, cls in COMMANDS_BY_NAME.items():
        for field, schema in cls.model_json_schema()["properties"].items():
            if any(predicate(part) for part in _walk(schema)):
                found.add((name, field))
    return found


FREE_TEXT_FIELDS = fields_where(lambda part: part.get("maxLength") == 2000)
NAME_FIELDS = {field for _, field in fields_where(lambda part: "pattern" in part)}
SHORT_NAME_FIELDS = {
    field
    for _, field in fields_where(lambda part: "pattern" in part and part.get("maxLength", 0) <= 80)
}
"""Name fields an 81-character value overflows (ids like command_id allow more)."""


def attacks(case: Case) -> set[tuple[str, str, str]]:
    """(command, field, attack) for each option value of the case's raw command line."""
    words = list(case.argv)
    while words[:1] == ["--as"]:
        words = words[2:]
    command = next(
        (" ".join(words[:n]) for n in (2, 1) if " ".join(words[:n]) in COMMANDS_BY_NAME), None
    )
    if command is None:
        return set()
    fields = {
        OPTION_NAMES.get(f, f).replace("_", "-"): f for f in COMMANDS_BY_NAME[command].model_fields
    }
    found = set()
    for option, value in itertools.pairwise(words):
        field = fields.get(option.removeprefix("--")) if option.startswith("--") else None
        if field is None:
            continue
        kinds = {kind for char, kind in ATTACKS.items() if char in value}
        if "{rep:x:2001}" in value:
            kinds.add("2001 characters")
        if "{rep:x:81}" in value:
            kinds.add("81 characters")
        found |= {(command, field, kind) for kind in kinds}
    return found


ALL_ATTACKS = set().union(*(attacks(case) for case in CASES))


def test_the_corpus_holds_at_least_150_cases_with_unique_ids() -> None:
    ids = [case.id for case in CASES]

    assert len(ids) >= 150
    assert len(set(ids)) == len(ids), sorted({i for i in ids if ids.count(i) > 1})


def test_each_file_holds_one_category_and_every_category_has_its_file() -> None:
    files = {path.stem for path in CASES_DIR.glob("*.jsonl")}

    assert files == CATEGORIES
    assert all(case.source.startswith(f"{case.category}.jsonl:") for case in CASES)


def test_every_case_expects_a_documented_exit_code_and_names_what_it_looks_for() -> None:
    assert {case.exit for case in CASES} <= {0, 1, 2}
    assert all(case.fragment.strip() for case in CASES)
    assert all(case.argv or case.is_import for case in CASES)
    assert all(case.accepted is None or case.exit == 0 for case in CASES)


@pytest.mark.parametrize("attack", ["NUL", "ESC", "CR", "BEL", "2001 characters"])
def test_every_free_text_field_of_every_command_meets_the_attack(attack: str) -> None:
    missing = {pair for pair in FREE_TEXT_FIELDS if (*pair, attack) not in ALL_ATTACKS}

    assert not missing, f"no {attack} case for {sorted(missing)}"


@pytest.mark.parametrize("attack", ["NUL", "ESC", "81 characters"])
def test_every_kind_of_name_meets_the_attack(attack: str) -> None:
    attacked = {field for _, field, kind in ALL_ATTACKS if kind == attack}
    fields = SHORT_NAME_FIELDS if attack == "81 characters" else NAME_FIELDS

    assert attacked >= fields, f"no {attack} case for {sorted(fields - attacked)}"


def test_every_move_the_workflow_can_refuse_is_refused_in_the_corpus() -> None:
    refusable = [move for move in MOVES if len(move.sources) < len(CourseState)]
    commands = {command_for(move.trigger) for move in refusable} - {AUTOMATIC}
    refused = [case.fragment for case in CASES if case.category == "refused_moves"]

    missing = {c for c in commands if not any(f.startswith(f"cannot {c} a ") for f in refused)}

    assert not missing, f"no refused-move case for {sorted(missing)}"
