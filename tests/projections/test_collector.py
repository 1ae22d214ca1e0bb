"""The cyclic collector is paused over a long catch-up, and runs every few batches."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from cli.startup import defer_garbage_collection, resume_garbage_collection
from projections.collector import COLLECT_EVERY, collector_paused


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generations of the collections run meanwhile (full ones are 2)."""
    runs: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            runs.append(info["generation"])

    gc.callbacks.append(seen)
    yield runs
    gc.callbacks.remove(seen)


def test_a_long_catch_up_pauses_the_collector_and_collects_every_few_batches(
    collections: list[int],
) -> None:
    with collector_paused(True) as batch_done:
        assert not gc.isenabled()
        for _ in range(2 * COLLECT_EVERY):
            batch_done()
        during = list(collections)
    assert gc.isenabled()
    assert during == [2, 2]
    assert collections == [2, 2, 2]  # and once at the end


def test_the_collector_runs_again_when_a_batch_fails() -> None:
    with pytest.raises(RuntimeError), collector_paused(True):
        raise RuntimeError("batch failed")
    assert gc.isenabled()


def test_a_short_catch_up_leaves_the_collector_alone(collections: list[int]) -> None:
    with collector_paused(False) as batch_done:
        assert gc.isenabled()
        batch_done()
    assert 2 not in collections


def test_a_collector_paused_by_someone_else_stays_paused() -> None:
    gc.disable()
    try:
        with collector_paused(True):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_long_catch_up_in_the_commands_first_half_second_stays_paused_to_its_end(
    collections: list[int],
) -> None:
    defer_garbage_collection()  # as the console script does first
    try:
        with collector_paused(True) as batch_done:
            resume_garbage_collection()  # the half second is over, mid catch-up
            assert not gc.isenabled()
            for _ in range(COLLECT_EVERY):
                batch_done()
            assert collections == [2]  # still collected every few batches
        assert gc.isenabled()
    finally:
        resume_garbage_collection()
        gc.enable()
