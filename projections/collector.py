"""Python's cyclic garbage collector, paused over a long catch-up of the views.

A rebuild keeps a batch of events, rows and cached keys alive while it makes
many more short-lived objects, so the collector, which runs after every few
hundred allocations, traverses the same live objects over and over: about a
tenth of a rebuild's time, for almost no garbage (the views' projections make
no reference cycles of their own). While paused, it runs once every
`COLLECT_EVERY` batches instead, so whatever cycles a batch does make are
still freed, and once at the end.

A pause begun while the collector was held off for another reason (the console
script's first half second, `cli.startup`) ends with it held off; when that
reason ends during the pause, `resume_after_pause` makes the pause's end turn the
collector back on instead.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

COLLECT_EVERY = 20
"""Batches between two collections while paused."""

_run_after: list[bool] = []
"""Per pause in progress, outermost first: whether the collector runs again at its end."""


@contextmanager
def collector_paused(pause: bool) -> Iterator[Callable[[], None]]:
    """Pause the collector (if `pause`); yields the function to call after each batch.
    Restores the collector as it was (or as `resume_after_pause` asked), whatever
    happens."""
    if not pause:
        yield _nothing
        return
    done = 0

    def batch_done() -> None:
        nonlocal done
        done += 1
        if done % COLLECT_EVERY == 0:
            gc.collect()

    _run_after.append(gc.isenabled())
    gc.disable()
    try:
        yield batch_done
    finally:
        if _run_after.pop():
            gc.enable()
            gc.collect()


def resume_after_pause() -> bool:
    """For whoever held the collector off before a pause began and now lets it run:
    whether a pause is in progress, in which case the collector runs again when the
    outermost pause ends (not now, in the middle of a long catch-up)."""
    if not _run_after:
        return False
    _run_after[0] = True
    return True


def _nothing() -> None:
    pass
