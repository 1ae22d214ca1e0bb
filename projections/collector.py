"""Python's cyclic garbage collector, paused over a long catch-up of the views.

A rebuild keeps a batch of events, rows and cached keys alive while it makes
many more short-lived objects, so the collector, which runs after every few
hundred allocations, traverses the same live objects over and over: about a
tenth of a rebuild's time, for almost no garbage (the views' projections make
no reference cycles of their own). While paused, it runs once every
`COLLECT_EVERY` batches instead, so whatever cycles a batch does make are
still freed, and once at the end.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

COLLECT_EVERY = 20
"""Batches between two collections while paused."""


@contextmanager
def collector_paused(pause: bool) -> Iterator[Callable[[], None]]:
    """Pause the collector (if `pause` and it is running); yields the function to call
    after each batch. Restores the collector as it was, whatever happens."""
    if not pause or not gc.isenabled():
        yield _nothing
        return
    done = 0

    def batch_done() -> None:
        nonlocal done
        done += 1
        if done % COLLECT_EVERY == 0:
            gc.collect()

    gc.disable()
    try:
        yield batch_done
    finally:
        gc.enable()
        gc.collect()


def _nothing() -> None:
    pass
