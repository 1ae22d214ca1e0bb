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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID, uuid4

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from domain.errors import ConcurrentChange, CourseError
from storage.backend import Dialect
from storage.citizen_cipher import CitizenCipher
from storage.keks import KEK_DIR_ENV, KekFolder, under_kek
from storage.secrets import KEY_BYTES, MasterKey, MasterKeyProblem

if TYPE_CHECKING:
    from storage.chain import Finding

KEYS_TABLE = "citizen_keys"
META_TABLE = "citizen_keys_meta"
KEKS_REQUIRED = "keks_required"
"""The key setting `forloeb init` writes when the store's keys must be under KEKs."""
STORE_ID = "store_id"
"""The key setting naming the store (its KEK folder in the user's configuration folder)."""


ERASE_FUNCTION = "forloeb_erase_citizen_key"
"""The PostgreSQL function that deletes one citizen's key row (SECURITY DEFINER)."""
_ROW_TAG = b"forloeb/citizen-key-row/v1"


class KeyRow(NamedTuple):
    """One citizen's row in the key store; `mac` authenticates the subject, lookup and
    wrapped key; `kek` names the KEK they are under (None: the master key alone)."""

    subject: UUID
    lookup: str
    wrapped: bytes
    mac: bytes | None
    kek: int | None = None


class KeyRowProblem(CourseError):
    """A key row fails its check (changed, swapped or forged): nothing is done with it."""


def row_mac(key: bytes, subject: UUID, lookup: str, wrapped: bytes) -> bytes:
    """HMAC-SHA256 over a key row's subject, lookup and wrapped key (length-prefixed)."""
    fields = (str(subject).encode(), lookup.encode(), wrapped)
    message = _ROW_TAG + b"".join(len(f).to_bytes(8, "big") + f for f in fields)
    return hmac.new(key, message, hashlib.sha256).digest()


def erase_function_sql(dialect: Dialect) -> str:
    """The owner's function the application role erases a key row through: it deletes
    only the named subject's row, and only once the citizen's erasure is in the log."""
    from storage.backend import EVENTS_TABLE

    keys, events = dialect.table(KEYS_TABLE), dialect.table(EVENTS_TABLE)
    name = dialect.table(ERASE_FUNCTION)
    return (
        f"CREATE OR REPLACE FUNCTION {name}(target text) RETURNS boolean "
        "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ "
        "DECLARE found integer; BEGIN "
        f"IF NOT EXISTS (SELECT 1 FROM {events} WHERE originator_id::text = target "
        f"AND topic LIKE '{ERASED_TOPIC}%') THEN "
        "RAISE EXCEPTION 'citizen %: no erasure in the log; the key is kept', target; "
        "END IF; "
        f"DELETE FROM {keys} WHERE subject = target; "
        "GET DIAGNOSTICS found = ROW_COUNT; RETURN found > 0; END $$"
    )


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
                f"lookup TEXT NOT NULL UNIQUE, wrapped {blob} NOT NULL, mac {blob}, kek INTEGER)",
            )
            self.execute(
                c, "CREATE TABLE IF NOT EXISTS {meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            if self.dialect.placeholder == "%s":
                self.execute(c, f"ALTER TABLE {{keys}} ADD COLUMN IF NOT EXISTS mac {blob}")
                self.execute(c, "ALTER TABLE {keys} ADD COLUMN IF NOT EXISTS kek INTEGER")
                c.execute(erase_function_sql(self.dialect))
            else:
                c.execute(f"PRAGMA table_info({KEYS_TABLE})")
                columns = {r["name"] for r in c.fetchall()}
                if "mac" not in columns:
                    self.execute(c, f"ALTER TABLE {{keys}} ADD COLUMN mac {blob}")
                if "kek" not in columns:
                    self.execute(c, "ALTER TABLE {keys} ADD COLUMN kek INTEGER")

    def fingerprint(self) -> str | None:
        """The fingerprint of the master key the store was first used with."""
        return self.meta_value("fingerprint")

    def claim_fingerprint(self, fingerprint: str) -> str:
        """Record the master key's fingerprint unless one is there; return the stored one."""
        return self.claim_meta("fingerprint", fingerprint)

    def meta_value(self, name: str) -> str | None:
        """One of the store's key settings (the master key's fingerprint, the store's id,
        whether KEKs are required), None if unset."""
        with self.read() as c:
            self.execute(c, "SELECT value FROM {meta} WHERE name = ?", (name,))
            row = c.fetchone()
        return None if row is None else str(row["value"])

    def claim_meta(self, name: str, value: str) -> str:
        """Record a setting unless it is there; return the stored value."""
        with self.transaction(commit=True) as c:
            self.execute(
                c,
                "INSERT INTO {meta} (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                (name, value),
            )
        return self.meta_value(name) or value

    def find(self, lookup: str) -> KeyRow | None:
        """The key row for a CPR lookup value."""
        with self.read() as c:
            self.execute(c, f"SELECT {_COLUMNS} FROM {{keys}} WHERE lookup = ?", (lookup,))
            row = c.fetchone()
        return None if row is None else _key_row(row)

    def find_any(self, lookups: list[str]) -> KeyRow | None:
        """The key row for the first of these lookup values that has one."""
        if len(lookups) == 1:
            return self.find(lookups[0])
        marks = ",".join("?" * len(lookups))
        with self.read() as c:
            self.execute(
                c, f"SELECT {_COLUMNS} FROM {{keys}} WHERE lookup IN ({marks})", tuple(lookups)
            )
            rows = [_key_row(row) for row in c.fetchall()]
        order = {lookup: i for i, lookup in enumerate(lookups)}
        return min(rows, key=lambda r: order[r.lookup], default=None)

    def highest_kek(self) -> int | None:
        """The highest KEK any row is under (None: none is)."""
        with self.read() as c:
            self.execute(c, "SELECT MAX(kek) AS kek FROM {keys}")
            row = c.fetchone()
        return None if row is None or row["kek"] is None else int(row["kek"])

    def rewrap(self, rows: list[KeyRow]) -> None:
        """Replace the rows' lookup, wrapped key, MAC and KEK (a KEK rotation, as the owner)."""
        with self.transaction(commit=True) as c:
            for row in rows:
                self.execute(
                    c,
                    "UPDATE {keys} SET lookup = ?, wrapped = ?, mac = ?, kek = ? WHERE subject = ?",
                    (row.lookup, row.wrapped, row.mac, row.kek, str(row.subject)),
                )

    def row(self, subject: UUID) -> KeyRow | None:
        """A subject's key row, or None if there is none (erased, or never)."""
        with self.read() as c:
            self.execute(c, f"SELECT {_COLUMNS} FROM {{keys}} WHERE subject = ?", (str(subject),))
            row = c.fetchone()
        return None if row is None else _key_row(row)

    def fingerprint_and_row(self, subject: UUID) -> tuple[str | None, KeyRow | None]:
        """`fingerprint()` and `row(subject)` in one query (a command's first key
        lookup checks the master key too; on PostgreSQL each query is a round trip)."""
        with self.read() as c:
            self.execute(
                c,
                "SELECT (SELECT value FROM {meta} WHERE name = ?) AS fingerprint, "
                "k.subject, k.lookup, k.wrapped, k.mac, k.kek FROM (SELECT 1) AS one "
                "LEFT JOIN {keys} k ON k.subject = ?",
                ("fingerprint", str(subject)),
            )
            row = c.fetchone()
        fingerprint = row["fingerprint"]
        return (
            None if fingerprint is None else str(fingerprint),
            None if row["subject"] is None else _key_row(row),
        )

    def all_rows(self) -> list[KeyRow]:
        """Every key row (for reading the whole log, and for verifying)."""
        with self.read() as c:
            self.execute(c, f"SELECT {_COLUMNS} FROM {{keys}} ORDER BY subject")
            rows = c.fetchall()
        return [_key_row(row) for row in rows]

    def each_row(self, page: int = 5000) -> Iterator[KeyRow]:
        """Every key row, read `page` rows at a time (never all of them in memory at once:
        a national store has hundreds of thousands)."""
        after = ""
        while True:
            with self.read() as c:
                self.execute(
                    c,
                    f"SELECT {_COLUMNS} FROM {{keys}} WHERE subject > ? ORDER BY subject "
                    f"LIMIT {int(page)}",
                    (after,),
                )
                rows = c.fetchall()
            yield from (_key_row(row) for row in rows)
            if len(rows) < page:
                return
            after = str(rows[-1]["subject"])

    def insert(self, rows: list[KeyRow]) -> dict[str, UUID]:
        """Insert key rows unless their lookup exists; return the subject each lookup now
        has (another writer's, where it won a race)."""
        with self.transaction(commit=True) as c:
            for row in rows:
                self.execute(
                    c,
                    "INSERT INTO {keys} (subject, lookup, wrapped, mac, kek) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (lookup) DO NOTHING",
                    (str(row.subject), row.lookup, row.wrapped, row.mac, row.kek),
                )
            winners: dict[str, UUID] = {}
            for row in rows:  # in the same transaction: no second round of reads
                self.execute(c, "SELECT subject FROM {keys} WHERE lookup = ?", (row.lookup,))
                found = c.fetchone()
                if found is not None:
                    winners[row.lookup] = UUID(found["subject"])
        return winners

    def delete(self, subject: UUID) -> bool:
        """Destroy a subject's key; whether there was one. On PostgreSQL through the
        owner's function `forloeb_erase_citizen_key`, which only erases a citizen whose
        erasure is in the log (the application role may not delete key rows itself)."""
        with self.transaction(commit=True) as c:
            if self.dialect.placeholder == "%s":
                c.execute(
                    f"SELECT {self.dialect.table(ERASE_FUNCTION)}(%s) AS existed", (str(subject),)
                )
                return bool(c.fetchone()["existed"])
            self.execute(c, "SELECT subject FROM {keys} WHERE subject = ?", (str(subject),))
            existed = c.fetchone() is not None
            self.execute(c, "DELETE FROM {keys} WHERE subject = ?", (str(subject),))
        return existed

    def citizens_in_log(self, events_table: str) -> dict[UUID, bool]:
        """Every citizen index in the log, and whether its erasure is recorded."""
        with self.read() as c:
            c.execute(
                "SELECT originator_id, MAX(CASE WHEN topic LIKE "
                f"'{ERASED_TOPIC}%' THEN 1 ELSE 0 END) AS erased "
                f"FROM {self.dialect.table(events_table)} WHERE topic LIKE 'domain.citizen:%' "
                "GROUP BY originator_id"
            )
            rows = c.fetchall()
        return {_uuid(row["originator_id"]): bool(row["erased"]) for row in rows}

    def stamp(self, macs: list[tuple[UUID, bytes]]) -> None:
        """Set the MAC of rows written before key rows were authenticated (`forloeb init`)."""
        with self.transaction(commit=True) as c:
            for subject, mac in macs:
                self.execute(
                    c,
                    "UPDATE {keys} SET mac = ? WHERE subject = ? AND mac IS NULL",
                    (mac, str(subject)),
                )


_COLUMNS = "subject, lookup, wrapped, mac, kek"
ERASED_TOPIC = "domain.citizen:CitizenErased"
"""The topic of a citizen's erasure (what the key store checks an erasure by)."""


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _key_row(row: Any) -> KeyRow:
    mac = row["mac"]
    return KeyRow(
        UUID(row["subject"]),
        str(row["lookup"]),
        bytes(row["wrapped"]),
        None if mac is None else bytes(mac),
        row["kek"],
    )


class MemoryKeyStore:
    """The key store of an in-memory event store (eventsourcing.popo): for tests."""

    def __init__(self) -> None:
        self.rows: dict[UUID, KeyRow] = {}
        self.meta: dict[str, str] = {}

    def create_tables(self) -> None:
        """Nothing to create."""

    def fingerprint(self) -> str | None:
        """The fingerprint of the master key first used."""
        return self.meta.get("fingerprint")

    def claim_fingerprint(self, fingerprint: str) -> str:
        """Record the fingerprint unless one is there; return the stored one."""
        return self.meta.setdefault("fingerprint", fingerprint)

    def meta_value(self, name: str) -> str | None:
        """One of the store's key settings, None if unset."""
        return self.meta.get(name)

    def claim_meta(self, name: str, value: str) -> str:
        """Record a setting unless it is there; return the stored value."""
        return self.meta.setdefault(name, value)

    def find(self, lookup: str) -> KeyRow | None:
        """The key row for a lookup value."""
        return next((row for row in self.rows.values() if row.lookup == lookup), None)

    def find_any(self, lookups: list[str]) -> KeyRow | None:
        """The key row for the first of these lookups that has one."""
        return next((r for r in map(self.find, lookups) if r is not None), None)

    def highest_kek(self) -> int | None:
        """The highest KEK any row is under."""
        return max((r.kek for r in self.rows.values() if r.kek is not None), default=None)

    def rewrap(self, rows: list[KeyRow]) -> None:
        """Replace rows (a KEK rotation)."""
        for row in rows:
            self.rows[row.subject] = row

    def row(self, subject: UUID) -> KeyRow | None:
        """A subject's key row."""
        return self.rows.get(subject)

    def fingerprint_and_row(self, subject: UUID) -> tuple[str | None, KeyRow | None]:
        """`fingerprint()` and `row(subject)`."""
        return self.fingerprint(), self.row(subject)

    def all_rows(self) -> list[KeyRow]:
        """Every key row."""
        return list(self.rows.values())

    def each_row(self, page: int = 5000) -> Iterator[KeyRow]:
        """Every key row (as `KeyStore.each_row`)."""
        return iter(list(self.rows.values()))

    def insert(self, rows: list[KeyRow]) -> dict[str, UUID]:
        """Insert rows whose lookup is new; return each lookup's subject."""
        winners: dict[str, UUID] = {}
        for row in rows:
            found = self.find(row.lookup)
            if found is None:
                self.rows[row.subject] = row
                winners[row.lookup] = row.subject
            else:
                winners[row.lookup] = found.subject
        return winners

    def delete(self, subject: UUID) -> bool:
        """Destroy a subject's key."""
        return self.rows.pop(subject, None) is not None

    def citizens_in_log(self, events_table: str) -> dict[UUID, bool]:
        """Not known to an in-memory key store: nothing."""
        return {}

    def stamp(self, macs: list[tuple[UUID, bytes]]) -> None:
        """Set the MAC of unauthenticated rows."""
        for subject, mac in macs:
            row = self.rows.get(subject)
            if row is not None and row.mac is None:
                self.rows[subject] = row._replace(mac=mac)


class Keyring:
    """A process's access to citizen keys: cached, staged, forgotten on erasure.

    With a KEK folder (`storage.keks`), new keys are wrapped and CPR lookups keyed
    under the master key and the current KEK; rows name the KEK they are under
    (none: the master key alone, as before KEKs). At most `max_kept` unwrapped keys
    are kept (the staged ones always): reading a national store's whole log meets
    hundreds of thousands of citizens.
    """

    max_kept = 50_000

    def __init__(
        self, store: KeyStore | MemoryKeyStore, master: MasterKey, keks: KekFolder | None = None
    ) -> None:
        self.store = store
        self.keks = keks
        self._wrapping_key = master.derive("citizen-keys")
        self._lookup_key = master.derive("cpr-lookup")
        self._row_key = master.derive("citizen-key-rows")
        self._fingerprint = master.fingerprint()
        self._wrappings: dict[int | None, AESCipher] = {}
        self._current: int | bool | None = False
        """The current KEK's number (None: no KEK folder); False until first asked."""
        self._ciphers: dict[UUID, CitizenCipher | None] = {}
        self._staged: dict[str, tuple[UUID, bytes]] = {}
        self._erased: set[UUID] = set()
        self._all_loaded = False
        self._checked = False

    def check_master_key(self, *, reclaim: bool = False) -> None:
        """Refuse a master key other than the one the store's keys are wrapped under;
        `reclaim`: `forloeb init`, an admin's act, may record the key of a store that has
        citizen keys but no fingerprint (one from before fingerprints were kept)."""
        if not self._checked:
            self._check(self.store.fingerprint(), reclaim=reclaim)

    def refuse_another_master_key(self) -> None:
        """At open: refuse a master key other than the one the store records (claims none:
        a store not yet used with any key is claimed by its first key lookup)."""
        stored = self.store.fingerprint()
        if stored is not None:
            self._check(stored)

    def _check(self, stored: str | None, *, reclaim: bool = False) -> None:
        """Refuse a stored fingerprint other than the master key's (claim it if none is, on
        a store without citizen keys, or with `reclaim`)."""
        if stored is None and not reclaim and next(iter(self.store.each_row(1)), None):
            raise MasterKeyProblem(
                "master key: the store holds citizen keys but no record of the master key "
                "they are under (it was removed); nothing was done: an admin holding the "
                "store's key runs forloeb init"
            )
        stored = stored or self.store.claim_fingerprint(self._fingerprint)
        if stored != self._fingerprint:
            raise MasterKeyProblem(
                "master key: it is not the key this store was set up with "
                f"(fingerprint {self._fingerprint}, the store expects {stored})"
            )
        self._checked = True

    def current_kek(self) -> int | None:
        """The KEK new keys go under (None: no KEK folder is configured, on a store that
        does not require one: a PostgreSQL store from before KEKs were required)."""
        if self._current is False:
            if self.keks is None:
                self.refuse_without_keks()
                self._current = None
            else:
                self._current = self._first_or_current(self.keks)
        assert self._current is not True
        return self._current

    def requires_keks(self) -> bool:
        """Whether the store's keys must be under KEKs: `init` said so, or some already are."""
        return (
            self.store.meta_value(KEKS_REQUIRED) is not None
            or self.store.highest_kek() is not None
        )

    def refuse_without_keks(self) -> None:
        """Refuse to write a key under the master key alone on a store that requires KEKs."""
        if self.requires_keks():
            raise MasterKeyProblem(
                f"kek: this store keeps citizen keys under key-encryption keys, but no KEK "
                f"folder is set; set {KEK_DIR_ENV} to the store's KEK folder"
            )

    def require_keks(self) -> int:
        """Make KEKs required for this store from now on (`forloeb init`, as the owner) and
        the first one if there is none; the current KEK's number."""
        if self.keks is None:
            raise MasterKeyProblem(f"kek: no KEK folder is set ({KEK_DIR_ENV})")
        number = self.current_kek()
        assert number is not None
        self.store.claim_meta(KEKS_REQUIRED, "yes")
        return number

    def keys_without_kek(self) -> int:
        """How many citizen keys are wrapped under the master key alone."""
        return sum(1 for row in self.store.all_rows() if row.kek is None)

    def _first_or_current(self, keks: KekFolder) -> int:
        """The current KEK; the first is made only for a store with no key under one (an
        empty or wrong folder must not start a second KEK 1)."""
        ids = keks.ids()
        if ids:
            return ids[-1]
        highest = self.store.highest_kek()
        if highest is not None:
            raise MasterKeyProblem(
                f"kek: the KEK folder {keks.path} holds no key-encryption key, but citizen "
                f"keys are wrapped under KEK {highest}; is it the store's folder?"
            )
        return keks.first()

    def _kek(self, number: int | None) -> bytes | None:
        if number is None:
            return None
        secret = None if self.keks is None else self.keks.secret(number)
        if secret is None:
            raise MasterKeyProblem(
                f"kek: key-encryption key {number} is not in the KEK folder "
                f"({'none configured' if self.keks is None else self.keks.path}); "
                "it was destroyed by a rotation, or the folder is not this store's "
                f"(set {KEK_DIR_ENV} to the store's)"
            )
        return secret

    def lookup_value(self, cpr: str, kek: int | bool | None = False) -> str:
        """The keyed lookup value for a CPR under a KEK (default: the current one); the
        key store never holds the CPR."""
        number = self.current_kek() if kek is False else kek
        assert number is not True
        key = under_kek(self._lookup_key, self._kek(number))
        return hmac.new(key, cpr.encode("ascii"), hashlib.sha256).hexdigest()

    def _lookups(self, cpr: str) -> list[str]:
        """The CPR's lookup under every KEK a row may still be under, current first."""
        numbers: list[int | None] = [self.current_kek()]
        if self.keks is not None:
            numbers += [n for n in reversed(self.keks.ids()) if n != numbers[0]]
            numbers.append(None)
        return [self.lookup_value(cpr, n) for n in numbers]

    def _wrapping(self, kek: int | None) -> AESCipher:
        cipher = self._wrappings.get(kek)
        if cipher is None:
            cipher = aes_cipher(under_kek(self._wrapping_key, self._kek(kek)))
            self._wrappings[kek] = cipher
        return cipher

    def subject_of(self, cpr: str) -> UUID | None:
        """The citizen's subject id, if they have a key (staged ones included)."""
        self.check_master_key()
        lookup = self.lookup_value(cpr)
        if lookup in self._staged:
            return self._staged[lookup][0]
        found = self.store.find_any(self._lookups(cpr))
        if found is None:
            return None
        self.check_row(found)
        if found.subject not in self._ciphers:
            self._keep(found.subject, self._unwrap(found))
        return found.subject

    def register(self, cpr: str) -> UUID:
        """A new subject and key for a citizen, staged until `flush` (before the save)."""
        self.check_master_key()
        subject = uuid4()
        key = AESCipher.random_bytes(KEY_BYTES)
        kek = self.current_kek()
        self._staged[self.lookup_value(cpr, kek)] = (subject, self._wrapping(kek).encrypt(key))
        self._keep(subject, CitizenCipher(key))
        return subject

    def flush(self) -> None:
        """Store the staged keys; refuse if another writer registered one of the citizens."""
        if not self._staged:
            return
        staged, self._staged = self._staged, {}
        kek = self.current_kek()
        rows = [
            KeyRow(subject, lookup, wrapped, row_mac(self._row_key, subject, lookup, wrapped), kek)
            for lookup, (subject, wrapped) in staged.items()
        ]
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

    def cipher(self, subject: UUID) -> CitizenCipher | None:
        """The citizen's cipher, or None if their key is gone (erased)."""
        if subject in self._ciphers:
            return self._ciphers[subject]
        if self._all_loaded or subject in self._erased:
            return None
        if self._checked:
            row = self.store.row(subject)
        else:
            stored, row = self.store.fingerprint_and_row(subject)
            self._check(stored)
        if row is not None:
            self.check_row(row, subject)
        cipher = None if row is None else self._unwrap(row)
        self._keep(subject, cipher)
        return cipher

    def load_all(self) -> None:
        """Unwrap the store's keys at once (before reading the whole log): every key when
        they fit in `max_kept`, so that a citizen met without one is known to have none;
        otherwise the first `max_kept`, and the others are read when met."""
        if self._all_loaded:
            return
        self.check_master_key()
        for row in self.store.each_row():
            if len(self._ciphers) >= self.max_kept:
                return
            self.check_row(row)
            if row.subject not in self._ciphers:
                self._ciphers[row.subject] = self._unwrap(row)
        self._all_loaded = True

    def _keep(self, subject: UUID, cipher: CitizenCipher | None) -> None:
        """Keep a subject's cipher (None: no key); at `max_kept`, forget all but the
        staged ones first (read again from the store when next met)."""
        if len(self._ciphers) >= self.max_kept:
            staged = {staged_subject for staged_subject, _ in self._staged.values()}
            self._ciphers = {s: c for s, c in self._ciphers.items() if s in staged}
            self._all_loaded = False
        self._ciphers[subject] = cipher

    def forget(self, subject: UUID) -> None:
        """Treat the citizen as erased from now on in this process."""
        self._ciphers[subject] = None
        self._erased.add(subject)

    def is_erased(self, subject: UUID) -> bool:
        """Whether this process knows the citizen to be erased."""
        return subject in self._erased

    def erase(self, subject: UUID, cpr: str) -> bool:
        """Destroy the citizen's key in the store; whether there was one. Refused, with
        nothing destroyed, unless the subject's key row is authentic and is the CPR's."""
        self.check_master_key()
        row = self.store.row(subject)
        if row is not None:
            self.check_row(row, subject)
            if not hmac.compare_digest(row.lookup, self.lookup_value(cpr, row.kek)):
                raise KeyRowProblem(
                    f"cpr: citizen {subject}'s key belongs to another CPR; nothing was erased "
                    "(run `forloeb verify --all`)"
                )
        self.forget(subject)
        return self.store.delete(subject)

    def rotate(self, cpr_of: Callable[[UUID], str | None]) -> RotationReport:
        """Re-wrap every citizen's key and lookup under a new KEK, then destroy the older
        KEKs (`storage.keks`). `cpr_of` gives a citizen's CPR (decrypted from their
        records) for the lookup. Refused without a KEK folder; a row whose CPR cannot
        be had is left under its KEK, which is then kept."""
        if self.keks is None:
            raise MasterKeyProblem(
                f"kek: no KEK folder is configured ({KEK_DIR_ENV}); nothing was rotated"
            )
        self.check_master_key()
        rows = self.store.all_rows()
        for row in rows:
            self.check_row(row)
        for number in {row.kek for row in rows}:
            self._kek(number)  # every KEK in use is in the folder: else it is not the store's
        new = self.keks.create()
        self._current = new
        report = RotationReport(new)
        rewrapped: list[KeyRow] = []
        for row in rows:
            key = self._unwrap_key(row)
            cpr = cpr_of(row.subject)
            if cpr is None:
                report.kept.append(row.subject)
                continue
            lookup = self.lookup_value(cpr, new)
            wrapped = self._wrapping(new).encrypt(key)
            rewrapped.append(
                KeyRow(
                    row.subject,
                    lookup,
                    wrapped,
                    row_mac(self._row_key, row.subject, lookup, wrapped),
                    new,
                )
            )
        self.store.rewrap(rewrapped)
        report.rewrapped = len(rewrapped)
        still = {row.kek for row in rows if row.subject in set(report.kept)}
        for number in self.keks.ids():
            if number != new and number not in still:
                self.keks.destroy(number)
                report.destroyed.append(number)
        self._ciphers.clear()
        self._all_loaded = False
        return report

    def row_is_authentic(self, row: KeyRow) -> bool:
        """Whether the row's MAC was made with this master key over its own values."""
        if row.mac is None:
            return False
        expected = row_mac(self._row_key, row.subject, row.lookup, row.wrapped)
        return hmac.compare_digest(expected, row.mac)

    def check_row(self, row: KeyRow, subject: UUID | None = None) -> None:
        """Refuse a key row that fails its MAC (or is not the subject asked for)."""
        if (subject is not None and row.subject != subject) or not self.row_is_authentic(row):
            reason = (
                "has no MAC (written before key rows were authenticated: run `forloeb init`)"
                if row.mac is None
                else "fails its check (changed, swapped or forged)"
            )
            raise KeyRowProblem(
                f"citizen keys: the key row of citizen {row.subject} {reason}; nothing was "
                "done with it (run `forloeb verify --all`)"
            )

    def stamp_unauthenticated(self) -> int:
        """Authenticate the rows written before key rows carried a MAC (`forloeb init`,
        trusting them as they are then); how many."""
        macs = [
            (row.subject, row_mac(self._row_key, row.subject, row.lookup, row.wrapped))
            for row in self.store.all_rows()
            if row.mac is None
        ]
        if macs:
            self.store.stamp(macs)
        return len(macs)

    def _unwrap_key(self, row: KeyRow) -> bytes:
        try:
            key: bytes = self._wrapping(row.kek).decrypt(row.wrapped)
        except ValueError:
            raise MasterKeyProblem(
                f"master key: cannot unwrap the key of citizen {row.subject}; "
                "is this the store's master key (and KEK folder)?"
            ) from None
        return key

    def _unwrap(self, row: KeyRow) -> CitizenCipher:
        return CitizenCipher(self._unwrap_key(row))


@dataclass
class RotationReport:
    """What a KEK rotation did."""

    kek: int
    rewrapped: int = 0
    destroyed: list[int] = field(default_factory=list)
    kept: list[UUID] = field(default_factory=list)


def unwrap_problem(keyring: Keyring, row: KeyRow) -> str | None:
    """Why an authentic key row's key does not unwrap, or None. Its KEK number is outside
    the MAC (a rotation rewrites it): changed, it makes the citizen's record unreadable."""
    try:
        keyring._unwrap_key(row)
    except MasterKeyProblem as problem:
        where = "no KEK" if row.kek is None else f"key-encryption key {row.kek}"
        return f"the key does not unwrap under {where} (its KEK number changed?): {problem}"
    return None


def key_findings(keyring: Keyring, events_table: str) -> list[Finding]:
    """Every key row that fails its MAC (naming a swap where the lookups show one), has
    none, or is missing: a citizen whose index is in the log without an erasure."""
    from storage.chain import Finding, FindingKind

    rows = keyring.store.all_rows()
    found: list[Finding] = []
    bad = [row for row in rows if not keyring.row_is_authentic(row)]
    for row in bad:
        if row.mac is None:
            detail = (
                "the key row has no MAC (written before key rows were authenticated: "
                "run `forloeb init`)"
            )
            found.append(
                Finding(FindingKind.NOT_CHAINED, str(row.subject), -1, detail, "citizen key")
            )
            continue
        other = next(
            (
                o
                for o in bad
                if o is not row and keyring.row_is_authentic(row._replace(lookup=o.lookup))
            ),
            None,
        )
        detail = (
            f"holds the CPR lookup of citizen {other.subject} (rows swapped)"
            if other is not None
            else "the key row fails its MAC (its lookup or wrapped key was changed, or forged)"
        )
        found.append(Finding(FindingKind.CHANGED, str(row.subject), -1, detail, "citizen key"))
    found += [
        Finding(FindingKind.CHANGED, str(row.subject), -1, reason, "citizen key")
        for row in rows
        if row not in bad and (reason := unwrap_problem(keyring, row)) is not None
    ]
    have = {row.subject for row in rows}
    for subject, erased in sorted(keyring.store.citizens_in_log(events_table).items()):
        if subject not in have and not erased:
            found.append(
                Finding(
                    FindingKind.REMOVED,
                    str(subject),
                    -1,
                    "the citizen is in the log but their key row is gone, with no erasure recorded",
                    "citizen key",
                )
            )
    return found
