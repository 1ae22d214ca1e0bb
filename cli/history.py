"""A course's recorded events as every read shows them (`HistoryEntry`): in full for the
audit and the citizen's own export, with the CPR masked everywhere else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cli.read_models.common import HistoryEntry, mask_cpr, utc

if TYPE_CHECKING:
    from projections.audit import AuditEntry


def history_entry(entry: AuditEntry, *, masked: bool) -> HistoryEntry:
    """One entry; `masked`: no CPR in the details but `cpr_masked` (show)."""
    details = _masked(entry.details) if masked else entry.details
    return HistoryEntry(
        course_id=entry.course_id,
        version=entry.version,
        type=entry.event,
        occurred_on=entry.occurred_on,
        recorded_at=utc(entry.recorded_at),
        actor=entry.actor,
        recorded_by=entry.recorded_by,
        details=details,
        corrects=entry.corrects,
        corrected_by=list(entry.corrected_by),
        retracted=entry.retracted,
    )


def _masked(details: dict[str, Any]) -> dict[str, Any]:
    """The details with each `cpr` (a referral's, a correction's change) as `cpr_masked`."""
    kept: dict[str, Any] = {}
    for key, value in details.items():
        if key == "cpr":
            kept["cpr_masked"] = mask_cpr(value) if isinstance(value, str) else None
        elif isinstance(value, dict):
            kept[key] = _masked(value)
        else:
            kept[key] = value
    return kept
