"""The manifest of a pull: everything needed to pull the same cells again, and to tell why not.

Every `outcomes`, `analysis`, `report` and `export` output carries one. It names
what was asked (command, programme, cohort, the command's own options), the two
kinds of time (`as_of`, the world's date; `known_at`, a real UTC timestamp of
what the system had recorded), how far the pull read the log (`log_position`,
the last notification id the outcomes view had taken in), and what else decides
the cells: the programme's definition, the configuration, the code and the
suppression settings. Pulling again with the same as-of date and
`--known-at` the manifest's `known_at` gives the same cells, unless a citizen
was erased since (their facts are gone by design): `forloeb outcomes diff`
names the events that changed a pull.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

Command = Literal[
    "outcomes",
    "analysis time-to-event",
    "analysis paths",
    "analysis trends",
    "report",
    "export",
]
"""The commands whose output carries a manifest."""

SUPPRESSION_METHOD = "primary below N, complementary by subtraction (projections.suppression)"

OptionValue = str | int | bool | list[str] | None


class _Part(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )


class CohortChoice(_Part):
    """Which courses were counted: a period of referral or of baseline (open ends: null)."""

    by: Literal["referral", "baseline"]
    first: date | None = Field(None, alias="from")
    last: date | None = Field(None, alias="to")

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        json_schema_serialization_defaults_required=True,
    )


class DefinitionVersion(_Part):
    """The programme definition the pull ran under (null in the manifest: none, the backbone)."""

    name: str
    origin: str = Field(description="`shipped` (in the package) or the municipality's file")
    sha256: str = Field(description="SHA-256 of the definition file's text, hex")


class CodeVersion(_Part):
    """The code that computed the cells."""

    package: str = "forloeb"
    version: str
    commit: str | None = Field(None, description="git commit of the source, when it is a clone")


class Suppression(_Part):
    """Small-cell suppression: counts under `below` hidden (null: none hidden)."""

    below: int | None
    method: str = SUPPRESSION_METHOD


class Manifest(_Part):
    """What a pull was of and what decided its cells; enough to pull it again."""

    command: Command
    programme: str
    cohort: CohortChoice
    as_of: date = Field(description="the world on this date (by when things happened)")
    known_at: AwareDatetime = Field(
        description="only what the system had recorded by this moment (ISO 8601, UTC)"
    )
    log_position: int = Field(
        ge=0, description="the last notification id of the event log the pull had read"
    )
    definition: DefinitionVersion | None
    configuration_sha256: str | None = Field(
        description="SHA-256 of the configuration file (null: there was none)"
    )
    code: CodeVersion
    suppression: Suppression
    options: dict[str, OptionValue] = Field(
        default_factory=dict, description="the command's own options (tables, origin, …)"
    )

    @field_serializer("known_at")
    def _utc(self, moment: datetime) -> str:
        return utc_text(moment)


def utc_text(moment: datetime) -> str:
    """A moment as ISO 8601 in UTC with microseconds and a Z: 2026-12-04T21:30:00.000000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def flattened(manifest: Manifest) -> list[tuple[str, Any]]:
    """The manifest as (dotted key, value) pairs in the model's order (lists joined by ", "),
    for CSV lines and the report's table."""

    def walk(prefix: str, value: Any) -> list[tuple[str, Any]]:
        if isinstance(value, dict):
            return [
                pair
                for key, inner in value.items()
                for pair in walk(f"{prefix}.{key}" if prefix else key, inner)
            ]
        if isinstance(value, list):
            return [(prefix, ", ".join(str(item) for item in value))]
        return [(prefix, value)]

    return walk("", manifest.model_dump(mode="json", by_alias=True))
