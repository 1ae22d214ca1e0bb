"""How events are stored: pydantic payloads, orjson bytes, upcasting by class_version.

This is eventsourcing's Mapper/Transcoder extension point, following the
library's pydantic example: the payload is the model's JSON dump, and reading
validates it back into the event class after upcasting old versions.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from domain.errors import CourseError
from domain.values import FROM_LOG

if TYPE_CHECKING:
    from storage.keys import Keyring

_STORED_ELSEWHERE = {"originator_id", "originator_version"}
_FROM_LOG: dict[str, Any] = {FROM_LOG: True}


class OrjsonTranscoder(Transcoder):
    """JSON bytes via orjson (several times faster than the standard library)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


SEALED = b"\x01"
"""First byte of a sealed payload: subject (16 bytes), clear length (4), clear JSON,
then the personal part encrypted under the citizen's key (may be empty)."""
_HEADER = 1 + 16 + 4


class PydanticMapper(Mapper[UUID]):
    """Maps pydantic domain events to stored events and back, upcasting old payloads.

    Course events are sealed: their personal fields (the event class's
    `personal`) are encrypted with the citizen's own key from the keyring, the
    rest stays readable, so states, dates and counts survive an erasure. A
    payload whose key is gone reads back with its personal fields missing.
    """

    max_remembered = 50_000
    """Courses whose subject is kept in memory (a miss reads the course's referral)."""

    def __init__(
        self,
        *args: Any,
        keyring: Keyring | None = None,
        recorder: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.keyring = keyring
        """The citizens' keys; None stores and reads course events unsealed."""
        self.recorder = recorder
        """The recorder, to find the citizen of a course whose first event was not read."""
        self.subjects: dict[UUID, UUID] = {}
        """Course id -> the citizen's subject, learnt from payloads read or written."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        model = cast(BaseModel, domain_event)
        cls = type(domain_event)
        state = model.model_dump(mode="json", exclude=_STORED_ELSEWHERE)
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        split = getattr(cls, "split_personal", None)
        if split is None or self.keyring is None:
            stored_state = self.transcoder.encode(state)
        else:
            stored_state = self._seal(domain_event.originator_id, domain_event, split(state), state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(cls),
            state=stored_state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        return self._decoded(stored_event, None)

    def to_logged_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """The event as the views read it: validated into its class (types, upcasting),
        without running again the domain's checks it passed when written (`FROM_LOG`)."""
        return self._decoded(stored_event, _FROM_LOG)

    def _decoded(
        self, stored_event: StoredEvent, context: dict[str, Any] | None
    ) -> DomainEventProtocol[UUID]:
        stored_state = stored_event.state
        if self.cipher:
            stored_state = self.cipher.decrypt(stored_state)
        if self.compressor:
            stored_state = self.compressor.decompress(stored_state)
        cls = resolve_topic(stored_event.topic)
        if stored_state[:1] == SEALED:
            state = self._unseal(cast(UUID, stored_event.originator_id), cls, stored_state)
        else:
            state = self.transcoder.decode(stored_state)
        upcast(cls, state)
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        return cast(DomainEventProtocol[UUID], cls.model_validate(state, context=context))

    # Sealing ------------------------------------------------------------------

    def _seal(
        self, course_id: UUID, event: Any, sealed: dict[str, Any], state: dict[str, Any]
    ) -> bytes:
        assert self.keyring is not None
        subject = self.subject_of(course_id, event)
        secret = b""
        if sealed:
            cipher = self.keyring.cipher(subject)
            if cipher is None and _sealed_under_own_id(event.__class__):
                return self._without_key(subject, event, sealed, state)
            if cipher is None and self.keyring.is_erased(subject):
                raise CourseError(
                    f"course {course_id}: the citizen's data were erased; nothing can be added"
                )
            if cipher is None:  # a citizen from before per-citizen keys: stays plain
                type(event).join_personal(state, sealed)
                return self.transcoder.encode(state)
            secret = cipher.encrypt(self.transcoder.encode(sealed))
        clear = self.transcoder.encode(state)
        return SEALED + subject.bytes + len(clear).to_bytes(4, "big") + clear + secret

    def _without_key(
        self, subject: UUID, event: Any, sealed: dict[str, Any], state: dict[str, Any]
    ) -> bytes:
        """A citizen's own event when they have no key: a citizen from before per-citizen
        keys (their id is a uuid5 of the CPR) keeps its free text plain, as before; an
        erased citizen's is not stored at all (it could name them)."""
        if subject.version == LEGACY_ID_VERSION:
            type(event).join_personal(state, sealed)
        return self.transcoder.encode(state)

    def _unseal(self, course_id: UUID, cls: type[Any], data: bytes) -> dict[str, Any]:
        subject = UUID(bytes=data[1:17])
        self.remember(course_id, subject)
        end = _HEADER + int.from_bytes(data[17:21], "big")
        state: dict[str, Any] = self.transcoder.decode(data[_HEADER:end])
        secret = data[end:]
        if secret and self.keyring is not None:
            cipher = self.keyring.cipher(subject)
            if cipher is not None:
                cls.join_personal(state, self.transcoder.decode(cipher.decrypt(secret)))
        return state

    def subject_of(self, course_id: UUID, event: Any) -> UUID:
        """The subject a course's events are sealed for (a citizen's own events: the
        citizen's id, `course_id` here)."""
        if _sealed_under_own_id(event.__class__):
            return course_id
        subject = event.subject if _has_subject(event.__class__) else None
        if isinstance(subject, UUID):
            self.remember(course_id, subject)
            return subject
        if course_id not in self.subjects and self.recorder is not None:
            first = self.recorder.select_events(course_id, lte=1)
            referral = self.to_domain_event(first[0]) if first else None
            subject = getattr(referral, "subject", None)
            if isinstance(subject, UUID):
                self.remember(course_id, subject)
        try:
            return self.subjects[course_id]
        except KeyError:
            raise CourseError(f"course {course_id}: its referral is not in the log") from None

    def remember(self, course_id: UUID, subject: UUID) -> None:
        """Note a course's subject (the memory is bounded)."""
        if len(self.subjects) >= self.max_remembered:
            self.subjects.clear()
        self.subjects[course_id] = subject


LEGACY_ID_VERSION = 5
"""The UUID version of citizen ids from before per-citizen keys (uuid5 of the CPR)."""


@functools.cache
def _sealed_under_own_id(cls: Any) -> bool:
    """Whether events of the class are sealed under the key of the citizen they belong to
    (the citizen index's events; course events are sealed under their citizen's)."""
    return bool(getattr(cls, "sealed_under_own_id", False))


@functools.cache
def _has_subject(cls: Any) -> bool:
    """Whether events of the class name the citizen (asking a pydantic model for a field
    it lacks goes through its slow `__getattr__`)."""
    return "subject" in getattr(cls, "model_fields", {})


def upcast(cls: type[Any], state: dict[str, Any]) -> None:
    """Bring a stored payload up to the class's current version, step by step."""
    from_version = state.pop("class_version", 1)
    class_version = getattr(cls, "class_version", 1)
    while from_version < class_version:
        getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
        from_version += 1
