"""Citizen keys: one AES-GCM key per citizen, kept apart from the events they seal.

The key store is its own table (`citizen_keys`) beside the event log, in the
same database. Each row holds:

- `subject`: the citizen's random pseudonymous id (what the log knows them by);
- `lookup`: HMAC-SHA256 of the CPR under a key derived from the master key, so
  a CPR can be found without the table holding it;
- `wrapped`: the citizen's key, encrypted (AES-GCM, eventsourcing's AESCipher)
  under a key derived from the master key, which is never in the database.

Erasure deletes the row. The log's sealed parts then cannot be decrypted, and
nothing links the subject to a CPR any more: that is crypto-shredding.

`Keyring` is a process's view of the store: it caches unwrapped keys, stages
the keys of citizens registered in a batch until the batch is saved, and
forgets a citizen as soon as it learns of their erasure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from domain.errors import ConcurrentChange
from storage.backend import Dialect
from storage.secrets import KEY_BYTES, MasterKey, MasterKeyProblem

KEYS_TABLE = "citizen_keys"
META_TABLE = "citizen_keys_meta"


class RegisteredElsewhere(ConcurrentChange):
    """Another writer registered the same citizen first; deciding again will find them."""


def aes_cipher(key: bytes) -> AESCipher:
    """eventsourcing's AES-GCM cipher for a raw 256-bit key."""
    return AESCipher(Environment(env={AESCipher.CIPHER_KEY: base64.b64encode(key).decode()}))


class KeyStore:
    """The `citizen_keys` table, reached through the event store's own datastore."""

    def __init__(self, datastore: Any, dialect: Dialect) -> None:
        self.datastore = datastore
        self.dialect = dialect

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Any]:
        """A cursor in a transaction on the event store's datastore."""
        with self.datastore.transaction(commit=commit) as c:
            yield c

    @contextmanager
    def read(self) -> Iterator[Any]:
        """A cursor for one read-only statement (see `Dialect.reads_outside_transactions`)."""
        if self.dialect.reads_outside_transactions:
            with self.datastore.cursor() as c:
                yield c
        else:
            with self.datastore.transaction(commit=False) as c:
                yield c

    def sql(self, statement: str) -> str:
        """The statement with `?` placeholders and {keys}/{meta} names for this store."""
        d = self.dialect
        named = statement.replace("{keys}", d.table(KEYS_TABLE)).replace(
            "{meta}", d.table(META_TABLE)
        )
        return d.placeholders(named)

    def execute(self, c: Any, statement: str, params: tuple[Any, ...] = ()) -> None:
        """Run one statement (written with `?` and {keys}/{meta}) on a cursor."""
        c.execute(self.sql(statement), params)

    def create_tables(self) -> None:
        """Create the key tables if missing (SQLite always; PostgreSQL in `forloeb init`)."""
        blob = self.dialect.blob
        with self.transaction(commit=True) as c:
            self.execute(
                c,
                "CREATE TABLE IF NOT EXISTS {keys} (subject TEXT PRIMARY KEY, "
                f"lookup TEXT NOT NULL UNIQUE, wrapped {blob} NOT NULL)",
            )
            self.execute(
                c, "CREATE TABLE IF NOT EXISTS {meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )

    def fingerprint(self) -> str | None:
        """The fingerprint of the master key the store was first used with."""
        with self.read() as c:
            self.execute(c, "SELECT value FROM {meta} WHERE name = ?", ("fingerprint",))
            row = c.fetchone()
        return None if row is None else str(row["value"])

    def claim_fingerprint(self, fingerprint: str) -> str:
        """Record the master key's fingerprint unless one is there; return the stored one."""
        with self.transaction(commit=True) as c:
            self.execute(
                c,
                "INSERT INTO {meta} (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                ("fingerprint", fingerprint),
            )
        return self.fingerprint() or fingerprint

    def find(self, lookup: str) -> tuple[UUID, bytes] | None:
        """The subject and wrapped key for a CPR lookup value."""
        with self.read() as c:
            self.execute(c, "SELECT subject, wrapped FROM {keys} WHERE lookup = ?", (lookup,))
            row = c.fetchone()
        return None if row is None else (UUID(row["subject"]), bytes(row["wrapped"]))

    def wrapped(self, subject: UUID) -> bytes | None:
        """The wrapped key of a subject, or None if there is none (erased, or never)."""
        with self.read() as c:
            self.execute(c, "SELECT wrapped FROM {keys} WHERE subject = ?", (str(subject),))
            row = c.fetchone()
        return None if row is None else bytes(row["wrapped"])

    def fingerprint_and_wrapped(self, subject: UUID) -> tuple[str | None, bytes | None]:
        """`fingerprint()` and `wrapped(subject)` in one query (a command's first key
        lookup checks the master key too; on PostgreSQL each query is a round trip)."""
        with self.read() as c:
            self.execute(
                c,
                "SELECT (SELECT value FROM {meta} WHERE name = ?) AS fingerprint, "
                "(SELECT wrapped FROM {keys} WHERE subject = ?) AS wrapped",
                ("fingerprint", str(subject)),
            )
            row = c.fetchone()
        fingerprint, wrapped = row["fingerprint"], row["wrapped"]
        return (
            None if fingerprint is None else str(fingerprint),
            None if wrapped is None else bytes(wrapped),
        )

    def all_wrapped(self) -> dict[UUID, bytes]:
        """Every subject's wrapped key (for reading the whole log)."""
        with self.read() as c:
            self.execute(c, "SELECT subject, wrapped FROM {keys}")
            rows = c.fetchall()
        return {UUID(row["subject"]): bytes(row["wrapped"]) for row in rows}

    def insert(self, rows: list[tuple[UUID, str, bytes]]) -> dict[str, UUID]:
        """Insert (subject, lookup, wrapped) rows unless their lookup exists; return the
        subject each lookup now has (another writer's, where it won a race)."""
        with self.transaction(commit=True) as c:
            for subject, lookup, wrapped in rows:
                self.execute(
                    c,
                    "INSERT INTO {keys} (subject, lookup, wrapped) VALUES (?, ?, ?) "
                    "ON CONFLICT (lookup) DO NOTHING",
                    (str(subject), lookup, wrapped),
                )
            winners: dict[str, UUID] = {}
            for _, lookup, _ in rows:  # in the same transaction: no second round of reads
                self.execute(c, "SELECT subject FROM {keys} WHERE lookup = ?", (lookup,))
                row = c.fetchone()
                if row is not None:
                    winners[lookup] = UUID(row["subject"])
        return winners

    def delete(self, subject: UUID) -> bool:
        """Destroy a subject's key; whether there was one."""
        with self.transaction(commit=True) as c:
            self.execute(c, "SELECT subject FROM {keys} WHERE subject = ?", (str(subject),))
            existed = c.fetchone() is not None
            self.execute(c, "DELETE FROM {keys} WHERE subject = ?", (str(subject),))
        return existed


class MemoryKeyStore:
    """The key store of an in-memory event store (eventsourcing.popo): for tests."""

    def __init__(self) -> None:
        self.rows: dict[UUID, tuple[str, bytes]] = {}
        self.meta: dict[str, str] = {}

    def create_tables(self) -> None:
        """Nothing to create."""

    def fingerprint(self) -> str | None:
        """The fingerprint of the master key first used."""
        return self.meta.get("fingerprint")

    def claim_fingerprint(self, fingerprint: str) -> str:
        """Record the fingerprint unless one is there; return the stored one."""
        return self.meta.setdefault("fingerprint", fingerprint)

    def find(self, lookup: str) -> tuple[UUID, bytes] | None:
        """The subject and wrapped key for a lookup value."""
        for subject, (row_lookup, wrapped) in self.rows.items():
            if row_lookup == lookup:
                return subject, wrapped
        return None

    def wrapped(self, subject: UUID) -> bytes | None:
        """A subject's wrapped key."""
        row = self.rows.get(subject)
        return None if row is None else row[1]

    def fingerprint_and_wrapped(self, subject: UUID) -> tuple[str | None, bytes | None]:
        """`fingerprint()` and `wrapped(subject)`."""
        return self.fingerprint(), self.wrapped(subject)

    def all_wrapped(self) -> dict[UUID, bytes]:
        """Every subject's wrapped key."""
        return {subject: wrapped for subject, (_, wrapped) in self.rows.items()}

    def insert(self, rows: list[tuple[UUID, str, bytes]]) -> dict[str, UUID]:
        """Insert rows whose lookup is new; return each lookup's subject."""
        winners: dict[str, UUID] = {}
        for subject, lookup, wrapped in rows:
            found = self.find(lookup)
            if found is None:
                self.rows[subject] = (lookup, wrapped)
                winners[lookup] = subject
            else:
                winners[lookup] = found[0]
        return winners

    def delete(self, subject: UUID) -> bool:
        """Destroy a subject's key."""
        return self.rows.pop(subject, None) is not None


class Keyring:
    """A process's access to citizen keys: cached, staged, forgotten on erasure."""

    def __init__(self, store: KeyStore | MemoryKeyStore, master: MasterKey) -> None:
        self.store = store
        self._wrapping = aes_cipher(master.derive("citizen-keys"))
        self._lookup_key = master.derive("cpr-lookup")
        self._fingerprint = master.fingerprint()
        self._ciphers: dict[UUID, AESCipher | None] = {}
        self._staged: dict[str, tuple[UUID, bytes]] = {}
        self._erased: set[UUID] = set()
        self._all_loaded = False
        self._checked = False

    def check_master_key(self) -> None:
        """Refuse a master key other than the one the store's keys are wrapped under."""
        if not self._checked:
            self._check(self.store.fingerprint())

    def refuse_another_master_key(self) -> None:
        """At open: refuse a master key other than the one the store records (claims none:
        a store not yet used with any key is claimed by its first key lookup)."""
        stored = self.store.fingerprint()
        if stored is not None:
            self._check(stored)

    def _check(self, stored: str | None) -> None:
        """Refuse a stored fingerprint other than the master key's (claim it if none is)."""
        stored = stored or self.store.claim_fingerprint(self._fingerprint)
        if stored != self._fingerprint:
            raise MasterKeyProblem(
                "master key: it is not the key this store was set up with "
                f"(fingerprint {self._fingerprint}, the store expects {stored})"
            )
        self._checked = True

    def lookup_value(self, cpr: str) -> str:
        """The keyed lookup value for a CPR (the key store never holds the CPR)."""
        return hmac.new(self._lookup_key, cpr.encode("ascii"), hashlib.sha256).hexdigest()

    def subject_of(self, cpr: str) -> UUID | None:
        """The citizen's subject id, if they have a key (staged ones included)."""
        self.check_master_key()
        lookup = self.lookup_value(cpr)
        if lookup in self._staged:
            return self._staged[lookup][0]
        found = self.store.find(lookup)
        if found is None:
            return None
        subject, wrapped = found
        self._ciphers.setdefault(subject, self._unwrap(subject, wrapped))
        return subject

    def register(self, cpr: str) -> UUID:
        """A new subject and key for a citizen, staged until `flush` (before the save)."""
        self.check_master_key()
        subject = uuid4()
        key = AESCipher.random_bytes(KEY_BYTES)
        self._staged[self.lookup_value(cpr)] = (subject, self._wrapping.encrypt(key))
        self._ciphers[subject] = aes_cipher(key)
        return subject

    def flush(self) -> None:
        """Store the staged keys; refuse if another writer registered one of the citizens."""
        if not self._staged:
            return
        staged, self._staged = self._staged, {}
        rows = [(subject, lookup, wrapped) for lookup, (subject, wrapped) in staged.items()]
        winners = self.store.insert(rows)
        for lookup, (subject, _) in staged.items():
            if winners.get(lookup) != subject:
                self._ciphers.pop(subject, None)
                raise RegisteredElsewhere(
                    "cpr: the citizen was registered by someone else at the same time; "
                    "nothing was written, try again"
                )

    def discard_staged(self) -> None:
        """Drop staged keys (their batch was not saved)."""
        for subject, _ in self._staged.values():
            self._ciphers.pop(subject, None)
        self._staged = {}

    def cipher(self, subject: UUID) -> AESCipher | None:
        """The citizen's cipher, or None if their key is gone (erased)."""
        if subject in self._ciphers:
            return self._ciphers[subject]
        if self._all_loaded:
            return None
        if self._checked:
            wrapped = self.store.wrapped(subject)
        else:
            stored, wrapped = self.store.fingerprint_and_wrapped(subject)
            self._check(stored)
        cipher = None if wrapped is None else self._unwrap(subject, wrapped)
        self._ciphers[subject] = cipher
        return cipher

    def load_all(self) -> None:
        """Unwrap every key at once (before reading the whole log)."""
        if self._all_loaded:
            return
        self.check_master_key()
        for subject, wrapped in self.store.all_wrapped().items():
            if subject not in self._ciphers:
                self._ciphers[subject] = self._unwrap(subject, wrapped)
        self._all_loaded = True

    def forget(self, subject: UUID) -> None:
        """Treat the citizen as erased from now on in this process."""
        self._ciphers[subject] = None
        self._erased.add(subject)

    def is_erased(self, subject: UUID) -> bool:
        """Whether this process knows the citizen to be erased."""
        return subject in self._erased

    def erase(self, subject: UUID) -> bool:
        """Destroy the citizen's key in the store; whether there was one."""
        self.forget(subject)
        return self.store.delete(subject)

    def _unwrap(self, subject: UUID, wrapped: bytes) -> AESCipher:
        try:
            return aes_cipher(self._wrapping.decrypt(wrapped))
        except ValueError:
            raise MasterKeyProblem(
                f"master key: cannot unwrap the key of citizen {subject}; "
                "is this the store's master key?"
            ) from None
