"""The outcome tables a definition may name, by slug, kept apart from the tables
themselves so that reading a definition imports no projection (every write reads one).
`programmes.outcome_tables.slugs()` says what each means; a test keeps the two equal."""

from __future__ import annotations

from domain.programme import ProgrammeDefinition

OUTCOME_TABLE_SLUGS: tuple[str, ...] = (
    "vive", "status", "forms", "outcomes", "job-path", "network", "mental-health",
    "physical-health", "who5", "vive-4.1", "vive-4.2", "vive-4.3", "vive-4.4", "vive-4.5",
    "vive-4.6", "vive-4.7", "vive-5.2", "vive-5.3", "vive-6.2", "vive-6.3", "vive-6.4",
    "goals", "follow-up", "follow-up-forms", "vive-5.1", "vive-2.1", "vive-6.1", "vive-5.4",
    "vive-6.5", "vive-6.6", "completion", "outcome-kinds", "contacts", "no-shows", "profiles",
)  # fmt: skip


def problems(definition: ProgrammeDefinition) -> list[str]:
    """The definition's outcome tables that name no known table."""
    return [
        f"outcome_tables: unknown table {slug} (known: {', '.join(OUTCOME_TABLE_SLUGS)})"
        for slug in definition.outcome_tables
        if slug not in OUTCOME_TABLE_SLUGS
    ]
