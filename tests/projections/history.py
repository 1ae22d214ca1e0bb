"""Building course histories for the projection tests, through the real service."""

from __future__ import annotations

from datetime import date
from typing import Any

from workflows import commands as cmd
from workflows.service import CourseService

ACTOR = "rk-anna"
PROGRAMME = "paa-vej-til-arbejde"


class Clinic:
    """Records what happens to citizens, as a caseworker would, one command at a time."""

    def __init__(self, service: CourseService) -> None:
        self.service = service

    def refer(self, cpr: str, on: date, programme: str = PROGRAMME) -> str:
        """Refer a citizen; the new course's id."""
        command = cmd.Refer(
            cpr=cpr, programme=programme, referring_caseworker="sb-kim", occurred_on=on
        )
        return str(self.service.execute(command, ACTOR).course_id)

    def do(self, command: type[cmd.CourseCommand], course: str, on: date, **fields: Any) -> None:
        """Run one command on a course."""
        self.service.execute(command(course=course, occurred_on=on, **fields), ACTOR)

    def start(self, cpr: str, consultant: str, referred: date, accepted: date) -> str:
        """A course referred and accepted, in baseline with the consultant."""
        course = self.refer(cpr, referred)
        self.do(cmd.Accept, course, accepted, consultant=consultant)
        return course

    def baseline(self, course: str, on: date) -> None:
        """Both point-1 forms on the date: the course becomes active."""
        self.do(cmd.Measure, course, on, point=1, form="citizen")
        self.do(cmd.Measure, course, on, point=1, form="staff")
