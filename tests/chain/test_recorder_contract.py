"""The hash-chaining SQLite recorder keeps eventsourcing's recorder contract.

`ChainedSQLiteRecorder` writes each event's hash link and its aggregate's
signed head in the insert's transaction, so the library's own
application-recorder test cases are run against it, built exactly as the store
builds it (from the store's environment). The PostgreSQL recorder runs the
same cases in tests/postgres/test_recorder_contract.py.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.tests.persistence import ApplicationRecorderTestCase
from eventsourcing.utils import Environment

from storage.sqlite_recorder import ChainedSQLiteRecorder
from storage.store import StoreConfig


class TestChainedSQLiteRecorderKeepsTheLibrarysContract(
    ApplicationRecorderTestCase[ChainedSQLiteRecorder]
):
    """eventsourcing.tests.persistence.ApplicationRecorderTestCase, on a fresh SQLite file."""

    folder: tempfile.TemporaryDirectory[str]
    factories: list[Any]
    threads: set[threading.Thread]

    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.factories = []
        self.threads = set(threading.enumerate())

    def tearDown(self) -> None:
        # The library's concurrent case stops its reader threads without joining them:
        # let them finish before their connections are closed under them.
        for thread in set(threading.enumerate()) - self.threads:
            thread.join(timeout=10)
        for factory in self.factories:
            factory.close()
        self.folder.cleanup()

    def create_recorder(self) -> ChainedSQLiteRecorder:
        env = StoreConfig(sqlite_path=Path(self.folder.name) / "forloeb.sqlite").env()
        factory = InfrastructureFactory.construct(env=Environment("forloeb", env))
        self.factories.append(factory)
        recorder = factory.application_recorder()
        assert isinstance(recorder, ChainedSQLiteRecorder)
        recorder.use_chain_key(b"k" * 32)
        return recorder

    # The library's two timing printouts are not part of the contract (benchmarks live
    # in bench/): taken out of the case, so they neither run nor count as passing.
    test_performance = None  # type: ignore[assignment]
    test_concurrent_throughput = None  # type: ignore[assignment]
