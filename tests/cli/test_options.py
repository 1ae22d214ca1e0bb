"""How option values become field values: comma lists, key=value pairs, flags, choices."""

from __future__ import annotations

import pytest

from cli.options import command_options, parse_list, parse_pairs, parse_value
from domain.errors import InvalidInput
from workflows.commands import COMMANDS_BY_NAME, CourseCommand


def test_a_comma_list_splits_and_trims() -> None:
    assert parse_list("3, 2,1,2 ,3") == ["3", "2", "1", "2", "3"]
    assert parse_list(" ") == []


@pytest.mark.parametrize("text", [",,,", "1,,2", "a,", ",a", " , "])
def test_a_blank_item_in_a_comma_list_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^participants: item .* is empty$"):
        parse_list(text, "participants")


def test_pair_values_are_json_when_they_parse_else_text() -> None:
    assert parse_value("4") == 4
    assert parse_value("true") is True
    assert parse_value("2019-01-02") == "2019-01-02"
    assert parse_value("dont_know") == "dont_know"


def test_pairs_come_comma_separated_or_repeated() -> None:
    pairs = parse_pairs("bip", ("job_belief=3,job_search=dont_know", "health_limits=1"))

    assert pairs == {"job_belief": 3, "job_search": "dont_know", "health_limits": 1}


def test_a_comma_inside_a_value_stays_in_the_value() -> None:
    assert parse_pairs("changes", ("note=first, then second",)) == {
        "note": "first, then second"
    }


def test_a_pair_without_an_equals_sign_names_the_field() -> None:
    with pytest.raises(InvalidInput, match="bip: 'job_belief' is not key=value"):
        parse_pairs("bip", ("job_belief",))


def test_every_command_field_but_the_course_becomes_an_option() -> None:
    for name, cls in COMMANDS_BY_NAME.items():
        options = command_options(cls.model_fields, skip={"course"})
        expected = set(cls.model_fields) - {"course"}
        assert {option.field for option in options} == expected, name
        if issubclass(cls, CourseCommand):
            assert "course" in cls.model_fields


def option_words(command: str) -> set[str]:
    cls = COMMANDS_BY_NAME[command]
    words: set[str] = set()
    for option in command_options(cls.model_fields, skip={"course"}):
        words.update(option.option.opts + option.option.secondary_opts)
    return words


def test_flags_read_as_caseworkers_say_them() -> None:
    assert {"--planned", "--unplanned"} <= option_words("exit")
    assert {"--ordinary-hours", "--not-ordinary-hours"} <= option_words("job start")
    assert "--retract" in option_words("correct")
    assert "--set" in option_words("correct")


def test_a_literal_choice_turns_back_into_its_value() -> None:
    measure = {o.field: o for o in command_options(COMMANDS_BY_NAME["measure"].model_fields, set())}

    assert measure["daily_functioning"].convert("3") == 3
    assert measure["daily_functioning"].convert("dont_know") == "dont_know"
