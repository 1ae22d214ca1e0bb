"""The tables for people show recorded times in one zone, Danish time, and say so; the
JSON has them in UTC. Given an event recorded and a read made in the same minute, when
the audit and the course are drawn, then both show that minute alike."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from pydantic import ValidationError
from rich.console import Console

from cli.audit import render_audit
from cli.read_models import AuditReport, CourseReport
from cli.read_models.audit import AuditCourse
from cli.read_models.common import HistoryEntry, ReadRecord
from cli.show import render_course
from domain.values import CourseState

COURSE = UUID("f92bd06f-d4ef-4a66-adf0-6a4f9c509443")
WINTER = datetime(2026, 12, 4, 19, 34, 5, tzinfo=UTC)  # 20:34 in Copenhagen (CET)
SUMMER = datetime(2026, 7, 1, 9, 15, tzinfo=UTC)  # 11:15 in Copenhagen (CEST)


def entry(recorded_at: datetime) -> HistoryEntry:
    return HistoryEntry(
        course_id=COURSE, version=1, type="Referred", occurred_on=date(2026, 6, 30),
        recorded_at=recorded_at, actor="kim", recorded_by="kim",
        details={"programme": "pva"}, corrects=None, corrected_by=[], retracted=False,
    )  # fmt: skip


def drawn(renderable: object) -> str:
    out = io.StringIO()
    Console(file=out, width=160).print(renderable)
    return out.getvalue()


def test_the_audit_trail_and_who_looked_show_the_same_minute_in_danish_time() -> None:
    read = ReadRecord(
        recorded_at=WINTER, actor="aud", what="audit", course_id=None, purpose="klage"
    )
    report = AuditReport(
        cpr="150385-1234",
        courses=[AuditCourse(course_id=COURSE, programme="pva")],
        history=[entry(WINTER)],
        reads=[read],
        erasure=None,
    )

    text = drawn(render_audit(report))

    assert text.count("2026-12-04 20:34") == 2
    assert "19:34" not in text
    assert "audit trail, in recorded order (recorded: Danish time)" in text
    assert "when (Danish time)" in text


def test_show_gives_the_recorded_time_in_danish_summer_time() -> None:
    report = CourseReport(
        course_id=COURSE, cpr_masked="150385-xxxx", programme="pva",
        state=CourseState.VISITATION, state_since=date(2026, 6, 30),
        referred_on=date(2026, 6, 30), consultant=None, measurements=[],
        follow_up_measurements=[], version=1, allowed_next=["accept"],
        history=[entry(SUMMER)],
    )  # fmt: skip

    text = drawn(render_course(report, {1: "programme=pva"}))

    assert "2026-07-01 11:15" in text and "09:15" not in text
    assert "history (recorded: Danish time)" in text


def test_a_timestamp_not_in_utc_is_refused_by_the_model() -> None:
    with pytest.raises(ValidationError, match=r"UTC"):
        entry(datetime.fromisoformat("2026-12-04T20:34:05+01:00"))
