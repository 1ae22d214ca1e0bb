"""Value objects refuse bad values where they enter, naming the field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from domain.values import (
    CITIZEN_BIP_INDICATORS,
    STAFF_BIP_INDICATORS,
    WHO5_ITEMS,
    Cpr,
    FreeText,
    HealthLevel,
    HoursPerWeek,
    MeasurementAnswers,
    UnplannedExitReason,
    Who5,
    cpr_birth_date,
    format_cpr,
    mask_cpr,
)

CPR = TypeAdapter(Cpr)
FREE_TEXT = TypeAdapter(FreeText)
HOURS = TypeAdapter(HoursPerWeek)


def field_error(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    return ".".join(str(p) for p in first["loc"]), str(first["msg"])


# CPR ---------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["0101901234", "010190-1234", " 010190-1234 "])
def test_cpr_is_accepted_with_or_without_dash_and_normalised(written: str) -> None:
    assert CPR.validate_python(written) == "0101901234"


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("01019O1234", "10 digits"),  # letter O
        ("abcdefghij", "10 digits"),
        ("010190123", "10 digits"),
        ("01019012345", "10 digits"),
        ("0101-901234", "10 digits"),
        ("", "10 digits"),
        ("3102991234", "not a valid date"),  # 31 February
        ("3002901234", "not a valid date"),  # 30 February
        ("2902011234", "not a valid date"),  # 29 February 1901
        ("0013901234", "not a valid date"),
        ("0000901234", "not a valid date"),
    ],
)
def test_cpr_is_refused(written: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        CPR.validate_python(written)


@pytest.mark.parametrize(
    ("digits", "born"),
    [
        ("0101371234", date(1937, 1, 1)),  # 7th digit 0-3: 1900s
        ("0101373234", date(1937, 1, 1)),
        ("0101364234", date(2036, 1, 1)),  # 4 or 9: 2000s up to yy 36
        ("0101374234", date(1937, 1, 1)),  # 4 or 9: 1900s from yy 37
        ("0101369234", date(2036, 1, 1)),
        ("0101379234", date(1937, 1, 1)),
        ("0101575234", date(2057, 1, 1)),  # 5-8: 2000s up to yy 57
        ("0101588234", date(1858, 1, 1)),  # 5-8: 1800s from yy 58
        ("2902004234", date(2000, 2, 29)),  # leap day in 2000
    ],
)
def test_century_follows_the_seventh_digit(digits: str, born: date) -> None:
    assert cpr_birth_date(digits) == born


def test_leap_day_depends_on_the_century() -> None:
    assert CPR.validate_python("290200-4234") == "2902004234"  # 29 February 2000
    with pytest.raises(ValidationError, match="not a valid date"):
        CPR.validate_python("290200-1234")  # 29 February 1900: not a leap year


def _serial_for(born: date, tail: int) -> str:
    """A serial whose 7th digit codes the century of `born`."""
    yy = born.year % 100
    if born.year < 1900:
        seventh = 5 + tail % 4  # 5-8
    elif born.year >= 2000:
        seventh = 4 if yy <= 36 else 5
    else:
        seventh = tail % 4  # 0-3
    return f"{seventh}{tail % 1000:03d}"


@given(
    born=st.dates(min_value=date(1858, 1, 1), max_value=date(2036, 12, 31)),
    tail=st.integers(0, 9999),
    dash=st.booleans(),
)
def test_any_valid_birth_date_gives_a_cpr_that_round_trips(
    born: date, tail: int, dash: bool
) -> None:
    date_part = born.strftime("%d%m%y")
    serial = _serial_for(born, tail)
    written = f"{date_part}-{serial}" if dash else date_part + serial

    cpr = CPR.validate_python(written)

    assert cpr == date_part + serial
    assert cpr_birth_date(cpr) == born
    assert format_cpr(cpr) == f"{date_part}-{serial}"
    assert CPR.validate_python(format_cpr(cpr)) == cpr


@given(digits=st.from_regex(r"\A\d{10}\Z"))
def test_mask_never_shows_the_serial(digits: str) -> None:
    masked = mask_cpr(digits)
    assert masked == f"{digits[:6]}-xxxx"
    assert digits[6:] not in masked.split("-")[1]


# WHO-5 ------------------------------------------------------------------------

who5_items = st.fixed_dictionaries({item: st.integers(0, 5) for item in WHO5_ITEMS})


@given(items=who5_items)
def test_who5_raw_is_the_sum_and_index_is_raw_times_four(items: dict[str, int]) -> None:
    who5 = Who5(**items)
    assert who5.raw == sum(items.values())
    assert 0 <= who5.raw <= 25
    assert who5.index == 4 * who5.raw
    assert 0 <= who5.index <= 100


def test_who5_extremes() -> None:
    assert Who5(cheerful=0, calm=0, active=0, rested=0, interested=0).index == 0
    assert Who5(cheerful=5, calm=5, active=5, rested=5, interested=5).index == 100


@pytest.mark.parametrize("item", WHO5_ITEMS)
@pytest.mark.parametrize("value", [-1, 6, 9])
def test_who5_item_outside_zero_to_five_is_refused(item: str, value: int) -> None:
    items: dict[str, Any] = dict.fromkeys(WHO5_ITEMS, 3)
    items[item] = value
    with pytest.raises(ValidationError) as error:
        Who5(**items)
    assert field_error(error.value)[0] == item


def test_who5_needs_all_five_items() -> None:
    with pytest.raises(ValidationError):
        Who5(cheerful=1, calm=1, active=1, rested=1)  # type: ignore[call-arg]


# Health levels and the forms ---------------------------------------------------


def test_health_has_five_levels() -> None:
    assert [level.value for level in HealthLevel] == [
        "excellent",
        "very_good",
        "good",
        "less_good",
        "poor",
    ]


def test_unknown_health_level_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        MeasurementAnswers(form="citizen", mental_health="fine")
    assert field_error(error.value)[0] == "mental_health"


def test_citizen_form_takes_the_citizen_bip_indicators() -> None:
    answers = MeasurementAnswers(
        form="citizen",
        mental_health="poor",
        bip=dict.fromkeys(CITIZEN_BIP_INDICATORS, "dont_know"),
    )
    assert set(answers.bip) == set(CITIZEN_BIP_INDICATORS)


@pytest.mark.parametrize(
    ("form", "indicator"),
    [("citizen", "work_readiness"), ("staff", "job_belief"), ("citizen", "mood")],
)
def test_bip_indicator_unknown_for_the_form_is_refused(form: str, indicator: str) -> None:
    with pytest.raises(ValidationError, match=f"unknown BIP indicator {indicator} for the {form}"):
        MeasurementAnswers(form=form, bip={indicator: 3})


@pytest.mark.parametrize("answer", [0, 6, "maybe"])
def test_bip_answer_outside_the_scale_is_refused(answer: object) -> None:
    with pytest.raises(ValidationError):
        MeasurementAnswers(form="staff", bip={STAFF_BIP_INDICATORS[0]: answer})


def test_staff_fields_on_a_citizen_form_are_refused() -> None:
    with pytest.raises(ValidationError, match="staff assessment belongs on the staff form"):
        MeasurementAnswers(form="citizen", staff={"psychiatric_diagnosis": "yes"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mental_health", "good"),
        ("physical_health", "poor"),
        ("who5", dict.fromkeys(WHO5_ITEMS, 2)),
    ],
)
def test_citizen_fields_on_a_staff_form_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=f"{field} belongs on the citizen form"):
        MeasurementAnswers(form="staff", **{field: value})


def test_answers_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        MeasurementAnswers(form="citizen", mood=3)  # type: ignore[call-arg]


# Hours, free text, exit reasons ------------------------------------------------


@pytest.mark.parametrize("hours", [0.5, 12, 37, 60])
def test_hours_per_week_in_range(hours: float) -> None:
    assert HOURS.validate_python(hours) == hours


@pytest.mark.parametrize("hours", [0, -5, 60.5, 100])
def test_hours_per_week_out_of_range_is_refused(hours: float) -> None:
    with pytest.raises(ValidationError):
        HOURS.validate_python(hours)


def test_free_text_keeps_newlines_tabs_and_danish_letters() -> None:
    text = "Borgeren mødte op.\n\tAftalt ny samtale — æøå ÆØÅ."
    assert FREE_TEXT.validate_python(text) == text


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\r"])
def test_free_text_with_control_characters_is_refused(char: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        FREE_TEXT.validate_python(f"note{char}here")


def test_free_text_up_to_2000_characters() -> None:
    assert len(FREE_TEXT.validate_python("x" * 2000)) == 2000
    with pytest.raises(ValidationError, match="at most 2000"):
        FREE_TEXT.validate_python("x" * 2001)


VISIBLE = st.characters(exclude_categories=["Cc", "Cf", "Co", "Cs", "Cn"])


@given(text=st.text(alphabet=VISIBLE | st.sampled_from("\n\t"), max_size=50))
def test_printable_free_text_is_kept_as_written(text: str) -> None:
    assert FREE_TEXT.validate_python(text) == text


@given(
    text=st.text(alphabet=VISIBLE, max_size=10),
    hidden=st.characters(categories=["Cc", "Cf"]).filter(lambda ch: ch not in "\n\t"),
)
def test_control_and_invisible_characters_are_refused_in_free_text(text: str, hidden: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        FREE_TEXT.validate_python(text + hidden + text)


def test_unplanned_exit_reasons_are_a_closed_list() -> None:
    assert {reason.value for reason in UnplannedExitReason} == {
        "complex_needs",
        "substance_use",
        "not_motivated",
        "moved_municipality",
        "pregnancy_leave",
        "not_target_group",
        "pension_flexjob_clarification",
        "other",
    }

    class Exit(BaseModel):
        reason: UnplannedExitReason

    with pytest.raises(ValidationError) as error:
        Exit(reason="bored")
    assert field_error(error.value)[0] == "reason"
