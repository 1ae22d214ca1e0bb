"""Instruments as versioned definitions: what a version holds and what answers it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from domain import instruments as ins
from domain.events import MeasurementRecorded
from domain.instruments import Instrument, Item, SkipRule
from domain.values import (
    CITIZEN_BIP_INDICATORS,
    STAFF_BIP_INDICATORS,
    Ability,
    LimitDegree,
    MeasurementAnswers,
    Nationality,
    SessionFrequency,
    Sex,
)
from storage.persistence import upcast


def test_every_version_of_an_instrument_is_known_once() -> None:
    assert len(ins.BY_ID) == len(ins.INSTRUMENTS)
    assert {i.id for i in ins.INSTRUMENTS} == {
        "self_rated_health", "who5", "bip_citizen", "bip_staff", "staff_assessment", "background"
    }  # fmt: skip


def test_vive_bip_questions_are_the_current_versions() -> None:
    assert ins.latest("bip_citizen").keys == CITIZEN_BIP_INDICATORS
    assert ins.latest("bip_staff").keys == STAFF_BIP_INDICATORS
    first = ins.latest("bip_citizen").item("job_idea")
    assert first.wording == "Har du en ide om hvilket arbejde, du gerne vil have?"
    assert first.scale.codes == ("1", "2", "3", "4", "5", "dont_know")
    assert first.scale.label("dont_know") == "Ved ikke"


def test_the_staff_form_holds_vives_items() -> None:
    staff = ins.latest("staff_assessment")
    assert set(staff.keys) >= {
        "psychiatric_diagnosis", "prescribed_medication", "alcohol", "cannabis", "hard_drugs",
        "mental_problems_limit", "physical_problems_limit", "everyday_functions",
        "own_economy", "support_system", "network_meeting_last_3_months", "session_frequency",
    }  # fmt: skip
    assert staff.item("alcohol").scale.codes == ("large", "some", "limited", "no", "dont_know")


@pytest.mark.parametrize(
    ("scale", "enum"),
    [
        (ins.LIMITS, LimitDegree),
        (ins.ABLE, Ability),
        (ins.FREQUENCY, SessionFrequency),
        (ins.SEX, Sex),
        (ins.NATIONALITY, Nationality),
    ],
)
def test_the_scales_and_the_value_types_agree(scale: ins.Scale, enum: Any) -> None:
    assert scale.codes == tuple(member.value for member in enum)


def test_answers_without_versions_get_the_newest_version_holding_them() -> None:
    new = MeasurementAnswers(form="citizen", bip={"job_idea": 3})
    old = MeasurementAnswers(form="citizen", bip={"job_belief": 3})
    staff = MeasurementAnswers(form="staff", staff={"own_economy": "some"})

    assert new.instruments == {"bip_citizen": 2}
    assert old.instruments == {"bip_citizen": 1}
    assert staff.instruments == {"staff_assessment": 2}


def test_answers_are_checked_against_the_version_named() -> None:
    with pytest.raises(ValidationError, match="bip_citizen version 1 has no item job_idea"):
        MeasurementAnswers(form="citizen", instruments={"bip_citizen": 1}, bip={"job_idea": 3})
    with pytest.raises(ValidationError, match="staff_assessment version 1 has no item own_economy"):
        MeasurementAnswers(
            form="staff", instruments={"staff_assessment": 1}, staff={"own_economy": "some"}
        )
    with pytest.raises(ValidationError, match="bip_staff has no version 7"):
        MeasurementAnswers(form="staff", instruments={"bip_staff": 7})
    with pytest.raises(ValidationError, match="who5 is not asked on the staff form"):
        MeasurementAnswers(form="staff", instruments={"who5": 1})


def test_dont_know_is_an_answer_only_where_the_scale_has_it() -> None:
    assert MeasurementAnswers(form="staff", staff={"network_meeting_last_3_months": "dont_know"})
    with pytest.raises(ValidationError, match="network_meeting_last_3_months: 'dont_know'"):
        MeasurementAnswers(
            form="staff",
            instruments={"staff_assessment": 2},
            staff={"network_meeting_last_3_months": "dont_know"},
        )


def test_a_required_item_must_be_answered_once_its_instrument_is() -> None:
    with pytest.raises(ValidationError, match=r"background.nationality is required"):
        MeasurementAnswers(form="staff", background={"sex": "female"})
    assert MeasurementAnswers(form="staff", background={"sex": "male", "nationality": "other"})


def test_background_belongs_on_the_staff_form() -> None:
    with pytest.raises(ValidationError, match="background belongs on the staff form"):
        MeasurementAnswers(form="citizen", background={"sex": "male", "nationality": "danish"})


SMOKING = Instrument(
    "smoking", 1, "staff", "test",
    (
        Item("smokes", "Ryger borgeren?", ins.YES_NO),
        Item("per_day", "Hvor mange om dagen?", ins.FREQUENCY,
             asked_if=SkipRule("smokes", frozenset({"yes"}))),
    ),
)  # fmt: skip


def test_a_skipped_item_must_be_left_blank() -> None:
    SMOKING.check({"smokes": "yes", "per_day": "daily"})
    SMOKING.check({"smokes": "no"})
    with pytest.raises(ValueError, match=r"smoking.per_day is skipped unless smokes is yes"):
        SMOKING.check({"smokes": "no", "per_day": "daily"})


def test_flatten_and_unflatten_are_inverse() -> None:
    answers = MeasurementAnswers(
        form="staff",
        bip={"goal_directed": 2},
        staff={"substance_use": {"alcohol": "no"}, "own_economy": "high"},
        background={"sex": "female", "nationality": "danish"},
    ).model_dump(mode="json")
    flat = ins.flatten(answers, "staff")

    assert flat == {
        "bip_staff.goal_directed": 2,
        "staff_assessment.alcohol": "no",
        "staff_assessment.own_economy": "high",
        "background.sex": "female",
        "background.nationality": "danish",
    }
    assert ins.flatten(ins.unflatten(flat), "staff") == flat


def _v1(answers: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {"point": 1, "answers": answers}
    upcast(MeasurementRecorded, state)
    return dict(state["answers"]["instruments"])


def test_version_one_payloads_name_version_one_where_meaning_changed() -> None:
    citizen = {
        "form": "citizen",
        "mental_health": "poor",
        "who5": {"cheerful": 1},
        "bip": {"job_belief": 2},
    }
    daily = {"form": "staff", "staff": {"daily_functioning": 3, "substance_use": {}}}
    unknown = {"form": "staff", "staff": {"network_meeting_last_3_months": "dont_know"}}

    assert _v1(citizen) == {"self_rated_health": 1, "who5": 1, "bip_citizen": 1}
    assert _v1(daily) == {"staff_assessment": 1}
    assert _v1(unknown) == {"staff_assessment": 1}


def test_version_one_staff_answers_that_mean_the_same_are_read_as_version_two() -> None:
    same = {
        "form": "staff",
        "staff": {"psychiatric_diagnosis": "yes", "substance_use": {"alcohol": "no"},
                  "network_meeting_last_3_months": "no"},
    }  # fmt: skip
    erased = {"form": "staff"}

    assert _v1(same) == {"staff_assessment": 2}
    assert _v1(erased) == {}


def test_the_newest_version_first_and_an_unknown_instrument_named() -> None:
    assert [i.version for i in ins.newest_first("bip_citizen")] == [2, 1]
    assert ins.latest("bip_citizen") is ins.newest_first("bip_citizen")[0]
    with pytest.raises(ValueError, match="unknown instrument bip_nobody"):
        ins.latest("bip_nobody")


def test_answers_no_version_holds_are_refused_with_the_newest_versions_reason() -> None:
    payload = {"form": "citizen", "bip": {"job_idea": 3, "job_belief": 2}}

    with pytest.raises(ValueError, match="bip_citizen version 2 has no item job_belief"):
        ins.infer_versions("citizen", payload)
    with pytest.raises(ValidationError, match="bip_citizen version 2 has no item job_belief"):
        MeasurementAnswers.model_validate(payload)


def test_the_versions_inferred_hold_the_answers() -> None:
    payload = {"form": "staff", "staff": {"psychiatric_diagnosis": "yes"}, "bip": {}}

    versions = ins.infer_versions("staff", payload)

    assert versions == {"staff_assessment": 2}
    ins.check("staff", versions, payload)
