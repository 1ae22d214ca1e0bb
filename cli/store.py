"""Where the event log lives: an embedded SQLite file by default, PostgreSQL by URL.

The choice is configuration alone: `--db PATH` / FORLOEB_DB selects a SQLite
file, `--database-url postgresql://…` / FORLOEB_DATABASE_URL selects a
PostgreSQL database. Both map onto eventsourcing's own persistence modules.

On PostgreSQL the application never creates tables: an owner role runs
`forloeb init` once (and again after an upgrade), and the application role
only reads and appends. Two things make that work:

- `CREATE_TABLE=no` in the application's environment. `forloeb init` opens the
  store through `config.for_init()`, whose environment says `CREATE_TABLE=yes`;
  anything that creates tables (the event store, the projections' views) should
  create them only when `config.create_tables` is true.
- eventsourcing serialises inserts with `LOCK TABLE … IN EXCLUSIVE MODE`, which
  PostgreSQL only allows to roles holding UPDATE, DELETE or TRUNCATE on the
  table. `AppendOnlyPostgresRecorder` takes a transaction-scoped advisory lock
  instead, so a role with only SELECT and INSERT can append. The ordering
  guarantee is the same (every inserting transaction holds the lock until it
  commits, so notification ids are issued in commit order) and readers are
  never blocked.

Nothing here imports psycopg at import time; the recorder class is built on
first use (`--help` must not pay for a database driver).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from domain.errors import CourseError
from workflows.owner_only import create_empty, make_folders
from workflows.secrets import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, MasterKey, MasterKeyProblem

if TYPE_CHECKING:
    from workflows.service import CourseService

APPLICATION_NAME = "forloeb"
"""CourseService.name: eventsourcing names the events table `<name>_events`."""
EVENTS_TABLE = f"{APPLICATION_NAME}_events"
SQLITE_EVENTS_TABLE = "stored_events"
"""eventsourcing's SQLite recorder does not prefix the table with the application name."""
CONNECT_TIMEOUT_SECONDS = 5
RECORDER_TOPIC = "workflows.recorders:ChainedPostgresRecorder"
"""The PostgreSQL recorder: append-only (advisory lock) and hash-chaining."""
SQLITE_RECORDER_TOPIC = "workflows.recorders:ChainedSQLiteRecorder"
"""The SQLite application recorder, hash-chaining every event (tamper evidence)."""
DEFAULT_DB_NAME = "forloeb.sqlite"


def default_db() -> Path:
    """The default SQLite store: the user's data folder ($XDG_DATA_HOME/forloeb, by default
    ~/.local/share/forloeb, on Linux), as platformdirs finds it."""
    from platformdirs import user_data_path

    return user_data_path(APPLICATION_NAME, appauthor=False) / DEFAULT_DB_NAME


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


class StoreUnavailable(CourseError):
    """The event store cannot be used: unreachable, missing, or not initialised.

    The message is one line naming the store (host, port, database; never the
    password) and what to do about it.
    """


@dataclass(frozen=True)
class StoreConfig:
    """A chosen event store: a SQLite file, or a PostgreSQL URL."""

    sqlite_path: Path | None = None
    database_url: str | None = None
    create_tables: bool = False
    """Create missing tables (the owner role, during `forloeb init`); SQLite always does."""
    master_key_file: Path | None = None
    """Where the master key is (from the configuration file); see `master_key`."""

    @classmethod
    def from_options(cls, db: str | None, database_url: str | None) -> StoreConfig:
        """The store from CLI options, falling back to the environment, then the default.

        An explicit option beats the environment: `--db x.sqlite` means SQLite
        even when FORLOEB_DATABASE_URL is set.
        """
        if database_url:
            return cls(database_url=database_url)
        if db:
            return cls(sqlite_path=Path(db).expanduser())
        url = os.environ.get("FORLOEB_DATABASE_URL")
        if url:
            return cls(database_url=url)
        path = os.environ.get("FORLOEB_DB")
        return cls(sqlite_path=Path(path).expanduser() if path else default_db())

    @property
    def is_postgres(self) -> bool:
        """Whether the store is a PostgreSQL database."""
        return self.database_url is not None

    @property
    def postgres(self) -> PostgresTarget:
        """The PostgreSQL connection settings (only for a PostgreSQL store)."""
        if self.database_url is None:
            raise ValueError("not a PostgreSQL store")
        return PostgresTarget.from_url(self.database_url)

    @property
    def events_table(self) -> str:
        """The name of the table that holds the events."""
        return EVENTS_TABLE if self.is_postgres else SQLITE_EVENTS_TABLE

    def describe(self) -> str:
        """A one-line description without secrets."""
        if self.database_url is not None:
            return self.postgres.describe()
        return f"sqlite:{self.sqlite_path}"

    def env(self) -> dict[str, str]:
        """eventsourcing environment variables (PostgreSQL tables only if `create_tables`),
        plus the master key the service encrypts personal data under."""
        if self.database_url is not None:
            env = self.postgres.env(create_tables=self.create_tables)
        else:
            assert self.sqlite_path is not None
            create_empty(self.sqlite_path)  # owner-only, and so are SQLite's -wal and -shm
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
            }
        env[MASTER_KEY_ENV] = self.master_key().text()
        return env

    def master_key(self) -> MasterKey:
        """The deployment's master key, never kept in the store.

        From FORLOEB_MASTER_KEY (base64), else the key file named by the
        configuration or FORLOEB_MASTER_KEY_FILE, else, for a SQLite store, the
        file beside it (`forloeb.sqlite` → `forloeb.key`, created owner-only on
        first use). A PostgreSQL store must be given one.
        """
        text = os.environ.get(MASTER_KEY_ENV)
        if text:
            return MasterKey.from_text(text, MASTER_KEY_ENV)
        named = self.master_key_file or _env_path(MASTER_KEY_FILE_ENV)
        if named is not None:
            return MasterKey.from_file(named)
        if self.sqlite_path is None:
            raise MasterKeyProblem(
                f"master key: none given for {self.describe()}; set {MASTER_KEY_ENV} or "
                f"{MASTER_KEY_FILE_ENV} (or master_key_file in the configuration)"
            )
        beside = self.sqlite_path.with_suffix(".key")
        if not beside.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                MasterKey.generate().write(beside)
        return MasterKey.from_file(beside)

    def for_init(self) -> StoreConfig:
        """The same store, opened by `forloeb init`: missing tables are created."""
        return replace(self, create_tables=True)


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


def postgres_env(url: str) -> dict[str, str]:
    """eventsourcing's PostgreSQL settings from a postgresql:// URL."""
    return PostgresTarget.from_url(url).env()


def check_reachable(config: StoreConfig) -> None:
    """Connect once; an unreachable server or missing database raises StoreUnavailable.

    A SQLite store is reachable when its directory can be created.
    """
    if config.database_url is None:
        assert config.sqlite_path is not None
        try:
            make_folders(config.sqlite_path.parent)
        except OSError as e:
            raise StoreUnavailable(
                f"cannot use the event store {config.describe()}: {e.strerror}"
            ) from None
        return
    target = config.postgres
    with _connect(target):
        pass


_EVENTS_TABLE_EXISTS = (
    "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = %s AND c.relname = %s"
)


def check_ready(config: StoreConfig) -> None:
    """As `check_reachable`, and the event store's tables exist (`forloeb init` was run).

    On PostgreSQL one connection answers both."""
    if config.database_url is None:
        check_reachable(config)
        return  # SQLite creates its tables on first use.
    target = config.postgres
    with _connect(target) as conn:
        row = conn.execute(_EVENTS_TABLE_EXISTS, (target.schema, EVENTS_TABLE)).fetchone()
    _require_events_table(row, target)


def _require_events_table(row: Any, target: PostgresTarget) -> None:
    if row is None:
        raise StoreUnavailable(
            f"the event store {target.describe()} is not initialised "
            f"(no table {target.schema}.{EVENTS_TABLE}); run `forloeb init` as the owner role"
        )


def open_postgres_service(config: StoreConfig, env: dict[str, str]) -> CourseService:
    """The course service on a PostgreSQL store, checked as `check_ready` checks, in the
    service's own session: a second session per command cost ~15 ms.

    The library's pool waits its whole timeout before it gives up on a server, so
    an address where nothing listens is refused at once by a TCP probe; any other
    failure to open is explained by `check_ready`, which names libpq's reason.
    """
    from workflows.service import CourseService

    check_listening(config)
    try:
        service = CourseService(env=env)
    except Exception:
        check_ready(config)  # raises StoreUnavailable with the reason, if it finds one
        raise
    try:
        with service.recorder.datastore.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(_EVENTS_TABLE_EXISTS, (config.postgres.schema, EVENTS_TABLE))
            row = cursor.fetchone()
        _require_events_table(row, config.postgres)
    except BaseException:
        service.close()
        raise
    return service


def check_listening(config: StoreConfig) -> None:
    """Refuse at once, with the reason, when nothing answers at a PostgreSQL store's address
    (a TCP connect: a fraction of a database session)."""
    import socket

    target = config.postgres
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


def __getattr__(name: str) -> Any:
    """The recorder builder's names, kept here for callers of this module: the append-only
    PostgreSQL recorders are built on first access in `workflows.recorders`."""
    if name in ("AppendOnlyPostgresRecorder", "ChainedPostgresRecorder", "advisory_lock_key"):
        import workflows.recorders

        return getattr(workflows.recorders, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
