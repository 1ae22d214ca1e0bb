"""The outcome facts: what the evaluators' view keeps of each event, as plain columns.

A fact is derived from an event's payload (its fields as JSON values), so an
original event and a corrected reading of it go through the same function:
a correction's dotted-path changes are applied to the payload the corrected
fact's values give back (`payload_from`), and the corrected fact is derived
from the result. Free text, participants and identity never enter a payload,
and only the values are stored.

The rule for every column (issue 13 point 3): facts are stored under a
pseudonym (`projections.outcomes`), never beside anything that identifies the
citizen, and hold no identifier themselves. A column added for a table (the
VIVE tables' sex and age, every instrument answer) follows it: it goes here,
in the pseudonymised facts, never into the course list, caseload or audit
view. A birth date is itself an identifier next to a sex and a municipality:
keep what the table needs instead (age in whole years at referral or at the
start measurement, computed when the fact is written), not the date.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python

from domain.events import (
    STATE_CHANGING_EVENTS,
    ConsultantReassigned,
    CourseEvent,
    ExitedUnplanned,
    FollowUpRecorded,
    MeasurementRecorded,
    NetworkMeetingHeld,
    Referred,
    RejectedAtVisitation,
)
from domain.instruments import flatten, unflatten
from domain.values import WHO5_ITEMS, CourseState, cpr_birth_date
from projections.base import iso

FACT_EVENTS: tuple[type[CourseEvent], ...] = (
    Referred,
    *STATE_CHANGING_EVENTS,
    MeasurementRecorded,
    NetworkMeetingHeld,
    FollowUpRecorded,
    ConsultantReassigned,
)
"""The events an outcome table or breakdown can depend on (sessions, group courses etc. do
not)."""

STATE_BY_KIND: dict[str, str] = {
    Referred.__name__: CourseState.VISITATION.value,
    **{cls.__name__: cls.new_state.value for cls in STATE_CHANGING_EVENTS if cls.new_state},
}
"""The state each state-changing event leads to."""

LEFT_OUT = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "command_id",
        "cpr",
        "note",
        "detail",
        "participants",
    }
)
"""Fields not kept in a payload: identity, provenance (kept as columns) and free text."""

WHO5_COLUMNS: tuple[str, ...] = tuple(f"who5_{item}" for item in WHO5_ITEMS)

FACT_COLUMNS: tuple[str, ...] = (
    "occurred_on",
    "state",
    "point",
    "form",
    "mental",
    "physical",
    *WHO5_COLUMNS,
    "network",
    "outcome",
    "hours",
    "ordinary",
    "after",
    "reason",
    "consultant",
    "benefit_type",
    "follow_up",
    "born",
    "items",
)
"""The value columns of a fact, in table order. `items` holds every answer on a form as
JSON: `instrument.item` -> value, and under `versions` the instrument versions asked;
`born` is the citizen's birth date from the referral's CPR (for age at the start)."""

VERSIONS = "versions"
"""The key of the instrument versions in a fact's `items`."""


_NO_OFFSET = timedelta(0)


def recorded_at(moment: datetime) -> str:
    """A moment as stored: UTC, fixed width, so text order is time order on both dialects."""
    if moment.tzinfo is None:
        raise ValueError("a recorded time must carry its time zone")
    utc = (
        moment
        if moment.tzinfo is UTC or moment.utcoffset() == _NO_OFFSET
        else moment.astimezone(UTC)
    )
    if utc.year < 1000:  # isoformat pads the year to four digits, strftime does not
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return utc.isoformat(timespec="microseconds")[:26]


_READ: dict[str, Any] = {
    "occurred_on": True,
    "point": True,
    "answers": True,
    "cpr": True,
    "outcome": True,
    "hours_per_week": True,
    "ordinary_hours": True,
    "kind": True,
    "after": True,
    "reason": True,
    "consultant": True,
    "benefit_type": True,
    "follow_up": True,
}
"""The payload fields `fact_values` reads (dumping only these is much cheaper)."""


def event_values(event: CourseEvent) -> tuple[Any, ...]:
    """The fact values of an event: `fact_values` of its payload, dumping only what is read."""
    return fact_values(type(event).__name__, event.model_dump(mode="json", include=_READ))


def payload_from(values: Sequence[Any]) -> dict[str, Any]:
    """A payload giving these fact values (`fact_values`' inverse, up to what it reads).

    A fact is stored as its values only: whatever a correction changes in the
    payload, `fact_values` of the corrected payload is the same whether the
    correction is applied to the event's full payload or to this one, since
    both agree on every field it reads.
    """
    (occurred_on, _, point, form, mental, physical, *rest) = values
    who5 = dict(zip(WHO5_ITEMS, rest[: len(WHO5_ITEMS)], strict=True))
    (network, outcome, hours, ordinary, after, reason, consultant, benefit, follow_up, born,
     items) = rest[len(WHO5_ITEMS) :]  # fmt: skip
    flat = dict(json.loads(items)) if items else {}
    answers = unflatten({k: v for k, v in flat.items() if k != VERSIONS})
    answers.update(
        form=form,
        instruments=flat.get(VERSIONS, {}),
        mental_health=mental,
        physical_health=physical,
        who5=who5,
    )
    answers.setdefault("staff", {})["network_meeting_last_3_months"] = network
    return {
        "occurred_on": occurred_on,
        "point": point,
        "born": born,
        "answers": answers,
        "outcome": outcome,
        "hours_per_week": hours,
        "ordinary_hours": ordinary,
        "after": after,
        "reason": reason,
        "consultant": consultant,
        "benefit_type": benefit,
        "follow_up": None if follow_up is None else bool(follow_up),
    }


def corrected_payload(payload: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The payload as it reads with a correction's dotted-path changes applied."""
    result: dict[str, Any] = json.loads(json.dumps(payload))
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        if (parents or [leaf])[0] in LEFT_OUT:
            continue
        node = result
        for name in parents:
            child = node.get(name)
            if not isinstance(child, dict):
                child = {}
                node[name] = child
            node = child
        node[leaf] = to_jsonable_python(value)
    return result


_EMPTY: dict[str, Any] = {}

_REASON_KINDS = frozenset({ExitedUnplanned.__name__, RejectedAtVisitation.__name__})
"""The events whose `reason` is a closed list (a reassignment's reason is free text)."""


def fact_values(kind: str, payload: dict[str, Any]) -> tuple[Any, ...]:
    """The fact values an event of `kind` with this payload gives, in `FACT_COLUMNS` order
    (None where not relevant)."""
    get = payload.get
    answers = get("answers") or _EMPTY
    who5 = answers.get("who5") or _EMPTY
    staff = answers.get("staff") or _EMPTY
    ordinary = get("ordinary_hours")
    if ordinary and get("kind", "ordinary") != "ordinary":  # a flexjob or wage-subsidy job
        ordinary = False
    follow_up = get("follow_up")
    return (
        iso(str(payload["occurred_on"])),
        STATE_BY_KIND.get(kind),
        get("point"),
        answers.get("form"),
        answers.get("mental_health"),
        answers.get("physical_health"),
        *[who5.get(item) for item in WHO5_ITEMS],
        staff.get("network_meeting_last_3_months"),
        get("outcome"),
        get("hours_per_week"),
        None if ordinary is None else int(bool(ordinary)),
        get("after"),
        get("reason") if kind in _REASON_KINDS else None,
        get("consultant"),
        get("benefit_type"),
        None if follow_up is None else int(bool(follow_up)),
        _born(payload),
        _items(answers),
    )


def _born(payload: dict[str, Any]) -> str | None:
    if payload.get("born") is not None:
        return str(payload["born"])
    cpr = payload.get("cpr")
    return cpr_birth_date(str(cpr)).isoformat() if cpr else None


def _items(answers: dict[str, Any]) -> str | None:
    form = answers.get("form")
    if form is None:
        return None
    flat = flatten(answers, str(form))
    flat[VERSIONS] = answers.get("instruments") or {}
    return _ITEMS_ENCODER.encode(flat)


_ITEMS_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
"""`json.dumps(..., sort_keys=True, ensure_ascii=False)` made once (dumps makes one a call)."""
