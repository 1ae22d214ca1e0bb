"""The Citizen aggregate: one citizen's courses, who read their record, and erasure.

It exists so that opening a course and checking "no other open course in this
programme" happen in one atomic save: two referrals of the same citizen at the
same time conflict on this aggregate's version and one of them is refused.

Its id is the citizen's `subject`: a random id linked to the CPR only through
the key store (a keyed lookup), never derived from the CPR, so nothing in the
log identifies the citizen once their key is destroyed. Its events hold course
ids, programmes, who read the record and when, and the erasure; the free text
in them (a read's purpose, the erasure's reason) can name the citizen, so it is
sealed under the citizen's own key like a course event's personal fields, and
is gone with it: the audit still shows that a read happened, by whom and when.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict, Field

from domain.copying import copy_containers
from domain.values import FreeText, Name, Programme

ReadKind = Literal["show", "audit", "citizen-export"]
"""Which kind of look at a citizen's record was taken."""


class CitizenEvent(BaseModel, CanMutateAggregate[UUID]):
    """Base of the citizen index's events."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    class_version: ClassVar[int] = 1

    personal: ClassVar[frozenset[str]] = frozenset()
    """Free-text fields sealed under the citizen's key (read back as None once erased)."""
    sealed_under_own_id: ClassVar[bool] = True
    """The key that seals them is the one of the citizen the aggregate's id names."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime

    @classmethod
    def split_personal(cls, state: dict[str, Any]) -> dict[str, Any]:
        """Take the personal part out of a dumped payload, returning it (to be sealed)."""
        return {name: state.pop(name) for name in cls.personal if state.get(name) is not None}

    @classmethod
    def join_personal(cls, state: dict[str, Any], sealed: dict[str, Any]) -> None:
        """Put an unsealed personal part back into a payload (undoes split_personal)."""
        state.update(sealed)


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


class RecordRead(CitizenEvent):
    """Someone looked at the citizen's record: who, what, why (when is the timestamp).

    The purpose is sealed; `stated_purpose` says in clear that one was given, so an
    erased purpose reads as erased, not as never stated. Reads recorded before
    sealing keep their purpose in clear (and `stated_purpose` False).
    """

    personal = frozenset({"purpose"})

    actor: Name
    what: ReadKind
    course_id: UUID | None = None
    purpose: FreeText | None = None
    stated_purpose: bool = False


class CitizenErased(CitizenEvent):
    """The citizen's key was destroyed: their personal data can no longer be read."""

    personal = frozenset({"reason"})

    actor: Name
    erased_on: date
    reason: FreeText | None = Field(default=None, min_length=1)
    """Why; sealed under the citizen's key, so None once the key is destroyed."""

    def apply(self, aggregate: Any) -> None:
        citizen: Citizen = aggregate
        citizen.erasure = self


class Citizen(BaseAggregate[UUID]):
    """The index of one citizen's courses, keyed by the citizen's subject id."""

    def __init__(self) -> None:
        self.courses: dict[UUID, str] = {}
        self.erasure: CitizenErased | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> Citizen:
        """An independent copy (all values held are immutable; see copy_containers)."""
        return copy_containers(self)

    @classmethod
    def register(cls, subject: UUID) -> Citizen:
        """Start the index for a citizen."""
        return cls._create(CitizenRegistered, id=subject)

    @property
    def is_erased(self) -> bool:
        """Whether the citizen's personal data were erased."""
        return self.erasure is not None

    def open_course(self, course_id: UUID, programme: str) -> None:
        """Note a new course for the citizen."""
        self.trigger_event(CourseOpened, course_id=course_id, programme=programme)

    def record_read(
        self, *, actor: str, what: ReadKind, course_id: UUID | None, purpose: str | None
    ) -> None:
        """Note that someone looked at the record."""
        self.trigger_event(
            RecordRead,
            actor=actor,
            what=what,
            course_id=course_id,
            purpose=purpose,
            stated_purpose=purpose is not None,
        )

    def erase(self, *, actor: str, erased_on: date, reason: str) -> None:
        """Note the destruction of the citizen's key (the key store does the destroying)."""
        self.trigger_event(CitizenErased, actor=actor, erased_on=erased_on, reason=reason)

    def courses_in(self, programme: str) -> list[UUID]:
        """The citizen's courses in one programme, oldest first."""
        return [cid for cid, name in self.courses.items() if name == programme]
