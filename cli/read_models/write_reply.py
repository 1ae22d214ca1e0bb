"""The JSON a write prints: every write command (`forloeb refer … --format json`, the
shared server's POST /commands) answers with WriteReply, `import --format json` with
ImportReply. A refusal is no reply: it goes to stderr with a non-zero exit."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from cli.read_models.common import ReadModel


class RecordedEvent(ReadModel):
    """An event the write recorded, keyed as a history entry is (`version`, `type`)."""

    version: int = Field(ge=1, description="the event's sequence number within its course")
    type: str = Field(description="the event's name, e.g. Referred, SessionHeld, Corrected")


class WriteReply(ReadModel):
    """What one write did to its course."""

    course_id: UUID
    skipped: bool = Field(
        description="the command id was applied before: nothing recorded this time"
    )
    events: list[RecordedEvent] = Field(description="the events recorded, in order")
    state: str = Field(description="the course's state after the write")


class RefusedMove(ReadModel):
    """A move the workflow does not allow from the course's state."""

    move: str
    state: str
    why: str | None = Field(description="the condition not met, when the state was right")
    allowed: list[str] = Field(description="the moves allowed from that state")


class ImportRefusal(ReadModel):
    """A line that was not applied, and why."""

    line: int = Field(ge=1, description="the line's number in the file")
    reason: str
    refused_move: RefusedMove | None = Field(description="for a refused move: its fields")


class ImportReply(ReadModel):
    """What an import did, line by line summed up."""

    lines: int = Field(ge=0, description="non-blank lines read")
    applied: int = Field(ge=0)
    skipped: int = Field(ge=0, description="lines whose command id was applied before")
    refused: list[ImportRefusal]


WRITE_MODELS: dict[str, type[BaseModel]] = {"write": WriteReply, "import": ImportReply}
"""The replies of the write commands (all of them: `write`) and of `import`, by schema
file name."""
