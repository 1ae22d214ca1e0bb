"""Failed sign-in attempts, limited per client and logged.

The server asks `FailedAttemptLimiter.retry_after(client)` before it checks a token
(a number of seconds: refuse the request with 429 and Retry-After) and calls
`record_failure(client, reason)` when a token is refused. A client (its address)
that fails `max_failures` times within `window_seconds` is blocked until the oldest
of those failures leaves the window (a sliding window). Each failure is logged on
one line with the client and the reason, never any part of the token.

In memory and thread-safe; at most `max_clients` clients are remembered, the one
idle longest forgotten first, so a flood of addresses cannot exhaust memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

LOG = logging.getLogger("forloeb.server.auth")


class FailedAttemptLimiter:
    """A sliding window of failed attempts per client; see the module docstring."""

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 60.0,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger = LOG,
    ) -> None:
        if max_failures < 1 or window_seconds <= 0 or max_clients < 1:
            raise ValueError("max_failures, window_seconds and max_clients must be positive")
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._max_clients = max_clients
        self._clock = clock
        self._log = log
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, client: str) -> float | None:
        """Seconds until this client may try again, or None when it is not blocked."""
        with self._lock:
            now = self._clock()
            failures = self._recent(client, now)
            if failures is None or len(failures) < self.max_failures:
                return None
            return failures[-self.max_failures] + self.window_seconds - now

    def record_failure(self, client: str, reason: str) -> None:
        """Count a refused attempt by this client and log it (the reason, not the token)."""
        with self._lock:
            now = self._clock()
            failures = self._recent(client, now)
            if failures is None:
                failures = deque(maxlen=self.max_failures)
                self._remember(client, failures)
            failures.append(now)
            self._failures.move_to_end(client)
            count = len(failures)
        shown = _printable(client)
        self._log.warning(
            "authentication failed for client %s: %s (%d of %d allowed in %g s)",
            shown, _printable(reason), count, self.max_failures, self.window_seconds,
        )  # fmt: skip
        if count == self.max_failures:
            self._log.warning(
                "client %s blocked for %g s after %d failed attempts",
                shown, self.window_seconds, count,
            )  # fmt: skip

    def _recent(self, client: str, now: float) -> deque[float] | None:
        """The client's failures still inside the window (older ones dropped)."""
        failures = self._failures.get(client)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        return failures

    def _remember(self, client: str, failures: deque[float]) -> None:
        while len(self._failures) >= self._max_clients:
            self._failures.popitem(last=False)
        self._failures[client] = failures


def _printable(text: str, limit: int = 200) -> str:
    """Text fit for one log line: control characters replaced, length bounded."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
