"""The heads a recorder remembers between appends: a bounded hint, forgotten with the key."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteDatastore

from storage.chain import Head, Identity, identity
from storage.chained import KnownHeads
from storage.sqlite_recorder import ChainedSQLiteRecorder


def entry(n: int) -> tuple[UUID, Identity, Head]:
    originator_id = UUID(int=n)
    who = identity(str(originator_id), originator_id.hex)
    return originator_id, who, Head(str(originator_id), 1, bytes(32), bytes(32))


def test_an_id_is_known_by_value_not_by_object() -> None:
    known = KnownHeads()
    originator_id, who, head = entry(1)
    known.remember([(originator_id, who, head)])
    assert known.get(UUID(int=1)) == (who, head)
    assert known.get(UUID(int=2)) is None


def test_beyond_the_limit_the_first_remembered_are_forgotten() -> None:
    known = KnownHeads(limit=3)
    known.remember([entry(n) for n in range(5)])
    assert [known.get(UUID(int=n)) is not None for n in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_a_new_key_forgets_every_head(tmp_path: Path) -> None:
    datastore = SQLiteDatastore(str(tmp_path / "store.sqlite"))
    try:
        recorder = ChainedSQLiteRecorder(datastore)
        recorder.create_table()
        recorder.use_chain_key(b"k" * 32)
        recorder.insert_events([StoredEvent(UUID(int=7), 1, "domain.events:Referred", b"{}")])
        assert recorder.known_heads.get(UUID(int=7)) is not None
        recorder.use_chain_key(b"j" * 32)
        assert recorder.known_heads.get(UUID(int=7)) is None
    finally:
        datastore.close()
