"""Reading the event log between two positions, for `forloeb outcomes diff`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from projections.catalog import Views

BATCH = 500


def logged_events(views: Views, after: int, upto: int) -> Iterator[tuple[int, Any]]:
    """Each event with its notification id, from after `after` up to and including `upto`."""
    recorder = views.storage.recorder
    decode = views.storage.mapper.to_domain_event
    cursor = after
    while cursor < upto:
        notifications = recorder.select_notifications(
            start=cursor, limit=BATCH, stop=upto, inclusive_of_start=False
        )
        if not notifications:
            return
        for notification in notifications:
            yield notification.id, decode(notification)
        cursor = notifications[-1].id
