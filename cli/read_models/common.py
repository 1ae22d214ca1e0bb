"""What every read command's JSON shares: the base model, timestamps in UTC, masked CPRs
and the one shape of a recorded event wherever a history is shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema


class ReadModel(BaseModel):
    """Base of a read command's output: every key stated, none other accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _in_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise ValueError("a timestamp in UTC, written with its offset +00:00")
    return moment


UtcTimestamp = Annotated[
    datetime,
    AfterValidator(_in_utc),
    PlainSerializer(lambda moment: moment.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"\+00:00$",
            "description": "ISO 8601 in UTC, with its offset: 2026-12-04T19:34:05.123456+00:00",
        }
    ),
]
"""A moment as every read writes it: ISO 8601 in UTC with the offset `+00:00`."""


def utc(moment: datetime) -> datetime:
    """The moment in UTC (a naive one is taken as UTC already, as the log stores them)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


CprMasked = Annotated[
    str,
    Field(
        pattern=r"^\d{6}-xxxx$",
        description="the CPR number masked, DDMMYY-xxxx; null once the citizen is erased",
    ),
]
"""A CPR number as every view but the audit shows it."""


def mask_cpr(cpr: str | None) -> str | None:
    """DDMMYY-xxxx, or None once the citizen is erased (no CPR left to mask)."""
    return f"{cpr[:6]}-xxxx" if cpr else None


class HistoryEntry(ReadModel):
    """One recorded event, the same wherever a history is shown (show, audit, citizen
    export): a correction names the version it corrects, the corrected event lists its
    corrections."""

    course_id: UUID
    version: int = Field(ge=1, description="the event's sequence number within its course")
    type: str = Field(description="the event's name, e.g. Referred, SessionHeld, Corrected")
    occurred_on: date = Field(description="when it happened, by the caseworker's account")
    recorded_at: UtcTimestamp = Field(description="when the system recorded it")
    actor: str = Field(description="on whose behalf it was recorded")
    recorded_by: str = Field(description="who entered it (an admin, when not the actor)")
    details: dict[str, Any] = Field(description="the event's own fields")
    corrects: int | None = Field(description="for a correction: the version it corrects")
    corrected_by: list[int] = Field(description="the versions of its corrections, oldest first")
    retracted: bool = Field(description="a correction marked it as entered in error")


class ReadRecord(ReadModel):
    """Someone looked at a citizen's record."""

    recorded_at: UtcTimestamp
    actor: str
    what: str = Field(description="show, audit or citizen-export")
    course_id: UUID | None
    purpose: str | None = Field(description='the stated purpose; "(erased)" once erased')


class Erasure(ReadModel):
    """The citizen's key was destroyed: by whom, when, why."""

    erased_on: date
    actor: str
    reason: str = Field(description='why; "(erased)" once the key that sealed it is gone')
    recorded_at: UtcTimestamp
