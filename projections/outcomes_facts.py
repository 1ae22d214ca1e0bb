"""The outcome facts: what the evaluators' view keeps of each event, as plain columns.

A fact is derived from an event's payload (its fields as JSON values), so an
original event and a corrected reading of it go through the same function:
a correction's dotted-path changes are applied to the stored payload, and the
corrected fact is derived from the result. Free text, participants and
identity never enter a payload.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from pydantic_core import to_jsonable_python

from domain.events import (
    STATE_CHANGING_EVENTS,
    CourseEvent,
    FollowUpRecorded,
    MeasurementRecorded,
    NetworkMeetingHeld,
    Referred,
)
from domain.values import WHO5_ITEMS, CourseState

FACT_EVENTS: tuple[type[CourseEvent], ...] = (
    Referred,
    *STATE_CHANGING_EVENTS,
    MeasurementRecorded,
    NetworkMeetingHeld,
    FollowUpRecorded,
)
"""The events an outcome table can depend on (sessions, group courses etc. do not)."""

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
)
"""The value columns of a fact, in table order."""


def recorded_at(moment: datetime) -> str:
    """A moment as stored: UTC, fixed width, so text order is time order on both dialects."""
    if moment.tzinfo is None:
        raise ValueError("a recorded time must carry its time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def payload_of(event: CourseEvent) -> dict[str, Any]:
    """The event's fields as JSON values, without identity, provenance or free text."""
    dumped: dict[str, Any] = event.model_dump(mode="json", exclude=set(LEFT_OUT))
    return dumped


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


def fact_columns(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The fact columns an event of `kind` with this payload gives (None where not relevant)."""
    answers = payload.get("answers") or {}
    staff = answers.get("staff") or {}
    who5 = answers.get("who5") or {}
    ordinary = payload.get("ordinary_hours")
    columns: dict[str, Any] = {
        "occurred_on": date.fromisoformat(str(payload["occurred_on"])).isoformat(),
        "state": STATE_BY_KIND.get(kind),
        "point": payload.get("point"),
        "form": answers.get("form"),
        "mental": answers.get("mental_health"),
        "physical": answers.get("physical_health"),
        **{column: who5.get(item) for column, item in zip(WHO5_COLUMNS, WHO5_ITEMS, strict=True)},
        "network": staff.get("network_meeting_last_3_months"),
        "outcome": payload.get("outcome"),
        "hours": payload.get("hours_per_week"),
        "ordinary": None if ordinary is None else int(bool(ordinary)),
        "after": payload.get("after"),
        "reason": payload.get("reason"),
    }
    return columns
