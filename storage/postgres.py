"""The PostgreSQL backend: a database (and schema) on a server, its tables made by `init`.

On PostgreSQL the application never creates tables: an owner role runs
`forloeb init` once (and again after an upgrade), and the application role
only reads and appends. Two things make that work:

- `CREATE_TABLE=no` in the application's environment. `forloeb init` opens the
  store through `config.for_init()`, whose environment says `CREATE_TABLE=yes`;
  anything that creates tables (the event store, the views) creates them only
  when the factory says so.
- eventsourcing serialises inserts with `LOCK TABLE … IN EXCLUSIVE MODE`, which
  PostgreSQL only allows to roles holding UPDATE, DELETE or TRUNCATE on the
  table. `AppendOnlyPostgresRecorder` (`storage.postgres_recorders`) takes a
  transaction-scoped advisory lock instead, so a role with only SELECT and INSERT
  can append.

Nothing here imports psycopg at import time (`--help` must not pay for a
database driver).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from storage.backend import (
    APPEND_ONLY_TABLES,
    EVENTS_TABLE,
    Dialect,
    InitRefused,
    InitReport,
    init_refused,
)
from storage.store import StoreUnavailable

if TYPE_CHECKING:
    from storage.infrastructure import Infrastructure
    from storage.keys import KeyStore

CONNECT_TIMEOUT_SECONDS = 5
RECORDER_TOPIC = "storage.postgres_recorders:ChainedPostgresRecorder"
"""The PostgreSQL recorder: append-only (advisory lock) and hash-chaining."""


@dataclass(frozen=True)
class PostgresTarget:
    """A PostgreSQL database and schema, parsed from a postgresql:// URL.

    The URL's query may name a schema (`?schema=kommune_370`), so several
    deployments can share one database; the default is `public`.
    """

    host: str
    port: int
    dbname: str
    user: str
    password: str
    schema: str = "public"

    @classmethod
    def from_url(cls, url: str) -> PostgresTarget:
        """Parse a postgresql:// URL; a bad one raises StoreUnavailable naming the problem."""
        parts = urlparse(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise StoreUnavailable(
                f"database_url: scheme must be postgresql://, not {parts.scheme or '(none)'}://"
            )
        query = parse_qs(parts.query)
        unknown = sorted(set(query) - {"schema"})
        if unknown:
            raise StoreUnavailable(
                f"database_url: unknown parameter {unknown[0]!r} (only 'schema' is understood)"
            )
        try:
            port = parts.port or 5432
        except ValueError:
            raise StoreUnavailable("database_url: the port is not a number") from None
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=port,
            dbname=unquote(parts.path.lstrip("/")) or "forloeb",
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            schema=(query.get("schema") or ["public"])[-1] or "public",
        )

    def describe(self) -> str:
        """`postgresql://host:port/db` (plus the schema if not public), without secrets."""
        schema = "" if self.schema == "public" else f"?schema={self.schema}"
        return f"postgresql://{self.host}:{self.port}/{self.dbname}{schema}"

    def env(self, *, create_tables: bool = False) -> dict[str, str]:
        """eventsourcing's PostgreSQL settings (tables are created only if asked)."""
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
            # A CLI process needs one connection; a long-running writer may borrow more.
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": "4",
            # Wait at most this long for the append lock before giving up.
            "POSTGRES_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": RECORDER_TOPIC,
            "CREATE_TABLE": "yes" if create_tables else "no",
        }

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for psycopg.connect."""
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "password": self.password,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "application_name": "forloeb",
        }


def postgres_dialect(schema: str) -> Dialect:
    """PostgreSQL's SQL: `%s` placeholders, BYTEA, names qualified with the schema, and
    one-statement reads outside a transaction."""
    return Dialect(placeholder="%s", blob="BYTEA", schema=schema, reads_outside_transactions=True)


@dataclass(frozen=True)
class PostgresBackend:
    """A PostgreSQL database and schema."""

    target: PostgresTarget
    create_tables: bool = False
    """Whether the library may create tables (the owner role, during `forloeb init`)."""

    @property
    def dialect(self) -> Dialect:
        """`%s` placeholders, BYTEA, names qualified with the schema."""
        return postgres_dialect(self.target.schema)

    @property
    def folder(self) -> None:
        """A server's database is in no folder of ours."""
        return None

    def describe(self) -> str:
        """`postgresql://host:port/db` (plus the schema if not public), without secrets."""
        return self.target.describe()

    def redact(self, text: str) -> str:
        """The text with the password replaced by `***`."""
        password = self.target.password
        return text.replace(password, "***") if password else text

    def library_env(self, *, create_tables: bool) -> dict[str, str]:
        """eventsourcing's PostgreSQL settings (tables are created only if asked)."""
        return self.target.env(create_tables=create_tables)

    def default_master_key_file(self) -> None:
        """None: a PostgreSQL store must be given its master key."""
        return None

    def check_usable(self) -> None:
        """The URL was checked when it was parsed."""

    def check_exists(self) -> None:
        """Whether the tables exist is checked in the session that opens the store."""

    def check_reachable(self) -> None:
        """Connect once; an unreachable server or missing database raises StoreUnavailable."""
        with _connect(self.target):
            pass

    def check_ready(self) -> None:
        """As `check_reachable`, and the events table exists (`forloeb init` was run)."""
        target = self.target
        with _connect(target) as conn:
            row = conn.execute(_EVENTS_TABLE_EXISTS, (target.schema, EVENTS_TABLE)).fetchone()
        _require_events_table(row, target)

    def open(self, open_storage: Callable[[], Infrastructure]) -> Infrastructure:
        """Open the event storage, checked as `check_ready` checks, in its own session: a
        second session per command cost ~15 ms.

        The library's pool waits its whole timeout before it gives up on a server, so
        an address where nothing listens is refused at once by a TCP probe; any other
        failure to open is explained by `check_ready`, which names libpq's reason.
        """
        check_listening(self.target)
        try:
            infrastructure = open_storage()
        except Exception:
            self.check_ready()  # raises StoreUnavailable with the reason, if it finds one
            raise
        try:
            with infrastructure.factory.datastore.cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute(_EVENTS_TABLE_EXISTS, (self.target.schema, EVENTS_TABLE))
                row = cursor.fetchone()
            _require_events_table(row, self.target)
        except BaseException:
            infrastructure.close()
            raise
        return infrastructure

    def creates_tables(self, factory: Any) -> bool:
        """Only when the environment says so (`forloeb init`, as the owner role)."""
        return bool(factory.env_create_table())

    def key_store(self, factory: Any) -> KeyStore:
        """The key tables in the store's schema, through the event store's connections."""
        from storage.keys import KeyStore

        return KeyStore(factory.datastore, self.dialect)

    def views_datastore(self, factory: Any) -> Any:
        """The event store's own datastore: the views share its connections."""
        return factory.datastore

    @property
    def view_base(self) -> type[Any]:
        """`storage.postgres_views.PostgresView`."""
        from storage.postgres_views import PostgresView

        return PostgresView

    def init(self, open_schema: Callable[[], None], grant_to: str | None) -> InitReport:
        """Create the schema if missing, the tables (`open_schema`, as the owner role), and
        grant `grant_to` exactly what the application needs."""
        import psycopg
        from psycopg import sql

        target = self.target
        try:
            with psycopg.connect(**target.connect_kwargs(), autocommit=True) as conn:
                if target.schema != "public":
                    conn.execute(
                        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                            sql.Identifier(target.schema)
                        )
                    )
                before = _pg_relations(conn, target.schema, "r")
        except psycopg.Error as e:
            raise init_refused(self, e) from None
        open_schema()
        try:
            with psycopg.connect(**target.connect_kwargs(), autocommit=True) as conn:
                after = _pg_relations(conn, target.schema, "r")
                report = InitReport(self.describe(), sorted(after - before), sorted(before))
                if EVENTS_TABLE in before:
                    count = sql.SQL("SELECT count(*) FROM {}.{}").format(
                        sql.Identifier(target.schema), sql.Identifier(EVENTS_TABLE)
                    )
                    report.events = _pg_count(conn, count)
                if grant_to is not None:
                    with conn.transaction():
                        report.granted = _grant(conn, target.schema, grant_to)
        except psycopg.Error as e:
            raise init_refused(self, e) from None
        return report

    @property
    def left_to_exit(self) -> bool:
        """No: the server would log every connection dropped without a goodbye."""
        return False

    def compact(self) -> None:
        """Nothing: pg_dump never shows deleted rows; autovacuum reclaims them in the files
        (docs/operations.md)."""


def _pg_relations(conn: Any, schema: str, kind: str) -> set[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = %s",
        (schema, kind),
    ).fetchall()
    return {name for (name,) in rows}


def _grant(conn: Any, schema: str, role: str) -> list[str]:
    """Least-privilege grants for the application role on every table in the schema."""
    from psycopg import sql

    from storage.keys import ERASE_FUNCTION, KEYS_TABLE, META_TABLE

    owner = conn.execute("SELECT current_user").fetchone()[0]
    if role == owner:
        raise InitRefused(
            f"grant_to: {role} is the owner role running init; the application needs "
            "its own role, which must not own the tables"
        )
    s, r = sql.Identifier(schema), sql.Identifier(role)
    granted = [f"USAGE on schema {schema} to {role}"]
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r))
    for table in sorted(_pg_relations(conn, schema, "r")):
        t = sql.Identifier(table)
        if table in APPEND_ONLY_TABLES or table in (KEYS_TABLE, META_TABLE):
            conn.execute(sql.SQL("REVOKE ALL ON {}.{} FROM {}").format(s, t, r))
            conn.execute(sql.SQL("GRANT SELECT, INSERT ON {}.{} TO {}").format(s, t, r))
            granted.append(f"SELECT, INSERT on {schema}.{table} to {role} (append only)")
        else:
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {}.{} TO {}").format(s, t, r)
            )
            granted.append(f"SELECT, INSERT, UPDATE, DELETE on {schema}.{table} to {role}")
    erase = sql.SQL("{}.{}(text)").format(s, sql.Identifier(ERASE_FUNCTION))
    conn.execute(sql.SQL("REVOKE ALL ON FUNCTION {} FROM PUBLIC").format(erase))
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(erase, r))
    granted.append(
        f"EXECUTE on {schema}.{ERASE_FUNCTION} to {role} (a citizen's key row is deleted "
        "only through it, and only once the erasure is in the log)"
    )
    for sequence in sorted(_pg_relations(conn, schema, "S")):
        conn.execute(
            sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {}.{} TO {}").format(
                s, sql.Identifier(sequence), r
            )
        )
        granted.append(f"USAGE, SELECT on sequence {schema}.{sequence} to {role}")
    return granted


def _pg_count(conn: Any, statement: Any) -> int:
    row = conn.execute(statement).fetchone()
    return int(row[0]) if row is not None else 0


_EVENTS_TABLE_EXISTS = (
    "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = %s AND c.relname = %s"
)


def _require_events_table(row: Any, target: PostgresTarget) -> None:
    if row is None:
        raise StoreUnavailable(
            f"the event store {target.describe()} is not initialised "
            f"(no table {target.schema}.{EVENTS_TABLE}); run `forloeb init` as the owner role"
        )


def check_listening(target: PostgresTarget) -> None:
    """Refuse at once, with the reason, when nothing answers at a PostgreSQL store's address
    (a TCP connect: a fraction of a database session)."""
    import socket

    try:
        socket.create_connection((target.host, target.port), CONNECT_TIMEOUT_SECONDS).close()
    except socket.gaierror:
        reason = f"unknown host {target.host}"
    except TimeoutError:
        reason = f"no answer within {CONNECT_TIMEOUT_SECONDS} s"
    except ConnectionRefusedError:
        reason = "no server is accepting connections there (connection refused)"
    except OSError as e:
        reason = e.strerror or type(e).__name__
    else:
        return
    raise StoreUnavailable(f"cannot reach the event store {target.describe()}: {reason}")


def _connect(target: PostgresTarget) -> Any:
    """A psycopg connection to the target, or StoreUnavailable with a one-line reason."""
    import psycopg

    try:
        return psycopg.connect(**target.connect_kwargs())
    except psycopg.OperationalError as e:
        raise StoreUnavailable(
            f"cannot reach the event store {target.describe()}: {connection_problem(e, target)}"
        ) from None


def connection_problem(error: BaseException, target: PostgresTarget) -> str:
    """The reason a connection failed, as one short line without the password."""
    text = str(error)
    lowered = text.lower()
    if "connection refused" in lowered:
        reason = "no server is accepting connections there (connection refused)"
    elif "timeout expired" in lowered or "timed out" in lowered:
        reason = f"no answer within {CONNECT_TIMEOUT_SECONDS} s"
    elif "could not translate host name" in lowered or "name or service not known" in lowered:
        reason = f"unknown host {target.host}"
    elif "password authentication failed" in lowered:
        reason = f"password authentication failed for user {target.user!r}"
    elif "does not exist" in lowered and "database" in lowered:
        reason = f"database {target.dbname!r} does not exist"
    else:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        reason = lines[0] if lines else type(error).__name__
        reason = reason.rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()
    if target.password:
        reason = reason.replace(target.password, "***")
    return reason
