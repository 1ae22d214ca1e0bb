"""The Citizen aggregate: which courses one citizen has had.

It exists so that opening a course and checking "no other open course in this
programme" happen in one atomic save: two referrals of the same citizen at the
same time conflict on this aggregate's version and one of them is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict

from domain.copying import copy_containers
from domain.values import Programme

CITIZEN_NAMESPACE = uuid5(NAMESPACE_URL, "https://forloeb.dk/citizen")


class CitizenEvent(BaseModel, CanMutateAggregate[UUID]):
    """Base of the citizen index's events."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    class_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int
    timestamp: datetime


class CitizenRegistered(CitizenEvent, CanInitAggregate[UUID]):
    """The citizen got their first course."""

    originator_topic: str


class CourseOpened(CitizenEvent):
    """A course was opened for the citizen in a programme."""

    course_id: UUID
    programme: Programme

    def apply(self, aggregate: Any) -> None:
        citizen: Citizen = aggregate
        citizen.courses[self.course_id] = self.programme


class Citizen(BaseAggregate[UUID]):
    """The index of one citizen's courses, keyed by a hash of the CPR."""

    def __init__(self) -> None:
        self.courses: dict[UUID, str] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> Citizen:
        """An independent copy (all values held are immutable; see copy_containers)."""
        return copy_containers(self)

    @staticmethod
    def id_for(cpr: str) -> UUID:
        """The index id for a CPR number (the CPR itself is not stored here)."""
        return uuid5(CITIZEN_NAMESPACE, cpr)

    @classmethod
    def register(cls, cpr: str) -> Citizen:
        """Start the index for a citizen."""
        return cls._create(CitizenRegistered, id=cls.id_for(cpr))

    def open_course(self, course_id: UUID, programme: str) -> None:
        """Note a new course for the citizen."""
        self.trigger_event(CourseOpened, course_id=course_id, programme=programme)

    def courses_in(self, programme: str) -> list[UUID]:
        """The citizen's courses in one programme, oldest first."""
        return [cid for cid, name in self.courses.items() if name == programme]
