"""The demo cohort speaks the domain's language: every value it writes into a line is
one the domain accepts, as the domain spells it, and its own tables are keyed by the
domain's vocabularies rather than copies of them."""

from __future__ import annotations

import json
from enum import StrEnum
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from demo import generate
from demo.measurements import BIP_DONT_KNOW, BIP_LEVELS, HEALTH_LEVELS
from demo.shape import EARLY_EXIT_REASONS, PRE_BASELINE, UNPLANNED_REASONS
from domain.values import BipAnswer, HealthLevel, UnplannedExitReason
from workflows.commands import COMMANDS_BY_NAME

COHORTS = [(104, 2019), (300, 7), (25, 1)]
"""The default cohort, a larger one and a small one, each with its own seed."""


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    """Every line of the cohorts above."""
    return [line for size, seed in COHORTS for line in generate(size=size, seed=seed)]


def vocabulary(annotation: Any) -> type[StrEnum] | None:
    """The closed vocabulary (an enum of the domain) a field's type names, if any."""
    if get_origin(annotation) in (Union, UnionType):
        found = [vocabulary(arg) for arg in get_args(annotation) if arg is not NoneType]
        return next((enum for enum in found if enum is not None), None)
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return annotation
    return None


def closed_fields(command: type[BaseModel]) -> dict[str, type[StrEnum]]:
    """The command's fields whose values come from one of the domain's vocabularies."""
    found = {name: vocabulary(field.annotation) for name, field in command.model_fields.items()}
    return {name: enum for name, enum in found.items() if enum is not None}


def test_every_line_is_a_command_the_domain_accepts_as_json(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        fields = {key: value for key, value in line.items() if key != "command"}
        COMMANDS_BY_NAME[line["command"]].model_validate_json(json.dumps(fields), strict=True)


def test_every_closed_vocabulary_value_is_spelled_as_the_domain_spells_it(
    lines: list[dict[str, Any]],
) -> None:
    checked = 0
    for line in lines:
        for name, enum in closed_fields(COMMANDS_BY_NAME[line["command"]]).items():
            if name in line:
                assert type(line[name]) is str, f"{line['command']} {name}: {line[name]!r}"
                assert line[name] in {member.value for member in enum}, (line["command"], name)
                checked += 1
    assert checked > len(lines) // 2


def test_bip_answers_are_the_domains_levels_or_dont_know(lines: list[dict[str, Any]]) -> None:
    answers = [
        answer
        for line in lines
        if line["command"] == "measure"
        for answer in [*line["bip"].values(), line.get("daily_functioning", BIP_DONT_KNOW)]
    ]
    assert set(answers) <= set(get_args(BipAnswer))


def test_the_generators_tables_are_keyed_by_the_domains_vocabularies() -> None:
    reasons = {reason.value for reason in UnplannedExitReason}
    assert set(UNPLANNED_REASONS) == reasons
    assert set(EARLY_EXIT_REASONS) == set(PRE_BASELINE)
    assert {r for drawn in EARLY_EXIT_REASONS.values() for r in drawn} <= reasons
    assert HEALTH_LEVELS == ("poor", "less_good", "good", "very_good", "excellent")
    assert set(HEALTH_LEVELS) == {level.value for level in HealthLevel}
    assert (*BIP_LEVELS, BIP_DONT_KNOW) == get_args(BipAnswer)
