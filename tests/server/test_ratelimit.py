"""Failed sign-in attempts: blocked per client after N in the window, each one logged."""

from __future__ import annotations

import logging
import threading

import pytest

from server.ratelimit import FailedAttemptLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def limiter(clock: Clock, max_failures: int = 3, max_clients: int = 100) -> FailedAttemptLimiter:
    return FailedAttemptLimiter(
        max_failures=max_failures, window_seconds=60, max_clients=max_clients, clock=clock
    )


def test_a_client_is_blocked_after_n_failures_within_the_window(clock: Clock) -> None:
    limits = limiter(clock)
    for _ in range(2):
        limits.record_failure("10.0.0.7", "token expired")
        clock.now += 1
    assert limits.retry_after("10.0.0.7") is None

    limits.record_failure("10.0.0.7", "bad signature")

    assert limits.retry_after("10.0.0.7") == pytest.approx(58)


def test_other_clients_are_not_blocked_by_one_clients_failures(clock: Clock) -> None:
    limits = limiter(clock)
    for _ in range(3):
        limits.record_failure("10.0.0.7", "bad signature")

    assert limits.retry_after("10.0.0.8") is None


def test_the_block_lifts_when_the_oldest_failure_leaves_the_window(clock: Clock) -> None:
    limits = limiter(clock)
    for _ in range(3):
        limits.record_failure("10.0.0.7", "bad signature")
        clock.now += 10

    clock.now = 1000.0 + 60
    assert limits.retry_after("10.0.0.7") is None
    limits.record_failure("10.0.0.7", "bad signature")
    assert limits.retry_after("10.0.0.7") == pytest.approx(10)


def test_each_failure_is_logged_with_client_and_reason_and_the_block_once(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    limits = limiter(clock, max_failures=2)
    with caplog.at_level(logging.WARNING, logger="forloeb.server.auth"):
        limits.record_failure("10.0.0.7", "token expired")
        limits.record_failure("10.0.0.7", "wrong audience")

    assert [record.getMessage() for record in caplog.records] == [
        "authentication failed for client 10.0.0.7: token expired (1 of 2 allowed in 60 s)",
        "authentication failed for client 10.0.0.7: wrong audience (2 of 2 allowed in 60 s)",
        "client 10.0.0.7 blocked for 60 s after 2 failed attempts",
    ]


def test_a_hostile_client_name_cannot_forge_log_lines(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="forloeb.server.auth"):
        limiter(clock).record_failure("evil\nclient 1.2.3.4 blocked", "bad signature")

    assert "\n" not in caplog.records[0].getMessage()


def test_only_so_many_clients_are_remembered_the_longest_idle_forgotten(clock: Clock) -> None:
    limits = limiter(clock, max_failures=1, max_clients=2)
    limits.record_failure("a", "bad signature")
    limits.record_failure("b", "bad signature")
    limits.record_failure("c", "bad signature")

    assert limits.retry_after("a") is None
    assert limits.retry_after("b") is not None
    assert limits.retry_after("c") is not None


def test_failures_from_many_threads_are_all_counted(clock: Clock) -> None:
    limits = limiter(clock, max_failures=1000)

    def fail_100_times() -> None:
        for _ in range(100):
            limits.record_failure("10.0.0.7", "bad signature")

    threads = [threading.Thread(target=fail_100_times) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert limits.retry_after("10.0.0.7") == pytest.approx(60)
