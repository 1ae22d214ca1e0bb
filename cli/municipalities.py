"""The municipalities one shared server serves, each in its own schema with its own keys.

One TOML file (`forloeb server --municipalities FILE`, `forloeb init --municipality NAME`;
FORLOEB_MUNICIPALITIES), validated with pydantic:

    database_url = "postgresql://forloeb_app@db.internal/forloeb"  # else --database-url

    [municipalities.aarhus]
    schema = "kommune_751"                     # its own PostgreSQL schema
    users = "aarhus/forloeb.toml"              # its users and roles (the configuration file)
    master_key_file = "aarhus/master.key"      # its own master key
    kek_dir = "aarhus/keks"                    # its own KEK folder (optional)
    database_url = "postgresql://…"            # its own database role (optional)

Paths are relative to the file's folder. Each municipality's events, citizen keys, log
chain, views and access tokens live in its schema; its master key seals them, so no
other municipality's key opens them. A login belongs to one municipality: the same
login in two users files is refused, so the server can route every request by who made
it. The environment's FORLOEB_MASTER_KEY and FORLOEB_KEK_DIR are never used for a
municipality.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse, urlunparse

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from cli.config import Config, load_config
from domain.errors import InvalidInput
from domain.validation import first_error
from storage.store import StoreConfig

MUNICIPALITIES_ENV = "FORLOEB_MUNICIPALITIES"
MunicipalityName = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$"), Field(description="its name")
]
SchemaName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,62}$"),
    Field(description="a PostgreSQL schema: lower-case letters, digits and _"),
]
DatabaseUrl = Annotated[str, StringConstraints(pattern=r"^postgres(ql)?://", min_length=1)]


class MunicipalityEntry(BaseModel):
    """One `[municipalities.NAME]` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db_schema: SchemaName = Field(alias="schema")
    users: str = Field(min_length=1, description="its configuration file: users and roles")
    master_key_file: str = Field(min_length=1)
    kek_dir: str | None = Field(default=None, min_length=1)
    database_url: DatabaseUrl | None = None


class MunicipalitiesFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: DatabaseUrl | None = None
    municipalities: dict[MunicipalityName, MunicipalityEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Municipality:
    """One municipality: its name, its store (schema and keys) and its configuration."""

    name: str
    store: StoreConfig
    config: Config


def with_schema(url: str, schema: str) -> str:
    """The PostgreSQL URL naming `schema` (any schema it named is replaced)."""
    parts = urlparse(url)
    return urlunparse(parts._replace(query=f"schema={schema}"))


def load_municipalities(path: Path, database_url: str | None = None) -> list[Municipality]:
    """Every municipality in the file, with its store and users; one line naming the key
    and the reason (exit 2) when the file is wrong. `database_url` is used where the file
    names none (the --database-url option or FORLOEB_DATABASE_URL)."""
    content = _parse(path)
    found: list[Municipality] = []
    for name in content.municipalities:
        store, users = _store_of(path, content, name, database_url)
        config = load_config(users)
        _check_own_key(path, name, store, config)
        found.append(Municipality(name, store, config))
    _check_apart(path, found)
    return found


def municipality_store(path: Path, name: str, owner_url: str | None) -> tuple[StoreConfig, Path]:
    """For `forloeb init`: the named municipality's store, reached as `owner_url` (the owner
    role's URL; the municipality's schema is kept) when given, and its users file's path."""
    content = _parse(path)
    if name not in content.municipalities:
        raise InvalidInput("municipality", f"{path} has no municipality {name!r}")
    if owner_url is None:
        return _store_of(path, content, name, None)
    entry = content.municipalities[name]
    owner = content.model_copy(
        update={"municipalities": {name: entry.model_copy(update={"database_url": owner_url})}}
    )
    return _store_of(path, owner, name, None)


def _store_of(
    path: Path, content: MunicipalitiesFile, name: str, database_url: str | None
) -> tuple[StoreConfig, Path]:
    """The municipality's store (its schema, its own keys) and its users file's path."""
    entry = content.municipalities[name]
    folder = path.parent
    url = (
        entry.database_url
        or content.database_url
        or database_url
        or os.environ.get("FORLOEB_DATABASE_URL")
    )
    if url is None:
        raise InvalidInput(
            "municipalities", f"{path}: {name}.database_url: none given, nor a shared one"
        )
    store = StoreConfig(
        database_url=with_schema(url, entry.db_schema),
        master_key_file=_resolved(folder, entry.master_key_file),
        own_keys=True,
        kek_dir=_resolved(folder, entry.kek_dir) if entry.kek_dir else None,
    )
    return store, _resolved(folder, entry.users)


def _parse(path: Path) -> MunicipalitiesFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or "not UTF-8 text"
        raise InvalidInput("municipalities", f"cannot read {path}: {reason}") from None
    except tomllib.TOMLDecodeError as e:
        raise InvalidInput("municipalities", f"{path} is not valid TOML: {e}") from None
    try:
        return MunicipalitiesFile.model_validate(data)
    except ValidationError as e:
        key, reason = first_error(e)
        raise InvalidInput("municipalities", f"{path}: {key}: {reason}") from None


def _resolved(folder: Path, named: str) -> Path:
    return (folder / Path(named).expanduser()).resolve()


def _check_own_key(path: Path, name: str, store: StoreConfig, config: Config) -> None:
    """A users file naming another master key than the municipality's is refused."""
    named = config.master_key_file
    if named is not None and named != store.master_key_file:
        raise InvalidInput(
            "municipalities",
            f"{path}: {name}.master_key_file: {config.path} names another key ({named})",
        )


def _check_apart(path: Path, found: list[Municipality]) -> None:
    """No two municipalities share a schema, a master key or a login."""
    schemas: dict[tuple[str, int, str, str], str] = {}
    keys: dict[str, str] = {}
    logins: dict[str, str] = {}
    for each in found:
        target = each.store.postgres
        where = (target.host, target.port, target.dbname, target.schema)
        if where in schemas:
            _apart(path, each.name, "schema", f"{target.schema} is {schemas[where]}'s too")
        schemas[where] = each.name
        fingerprint = each.store.master_key().fingerprint()
        if fingerprint in keys:
            _apart(path, each.name, "master_key_file", f"the same key as {keys[fingerprint]}'s")
        keys[fingerprint] = each.name
        for login in each.config.content.users:
            if login in logins:
                _apart(path, each.name, "users", f"{login} is a user of {logins[login]} too")
            logins[login] = each.name


def _apart(path: Path, name: str, key: str, reason: str) -> None:
    raise InvalidInput("municipalities", f"{path}: {name}.{key}: {reason}")
