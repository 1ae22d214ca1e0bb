"""The configuration file: who the users are, their roles, and where the master key is.

One TOML file, validated with pydantic:

    [keys]
    master_key_file = "/etc/forloeb/master.key"  # or relative to this file's folder

    [users.kim]
    role = "consultant"                 # consultant, caseworker, team_lead,
    name = "Kim Larsen"                 # auditor, evaluator or admin
    team = "nord"                       # name: as courses name the consultant

Its path is FORLOEB_CONFIG, else `forloeb.toml` beside the SQLite store (for a
PostgreSQL store, `./forloeb.toml`). `forloeb init` creates it with the acting
user as admin; `forloeb users` changes it. Whoever can write this file can make
themselves admin: keep it writable by the administrators only.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from domain.errors import CourseError, InvalidInput
from domain.validation import first_error
from domain.values import Name, Programme, single_script
from storage.owner_only import FILE_MODE, make_folders
from workflows.access import Directory, Role, User

if TYPE_CHECKING:
    from tomlkit.items import Table

    from projections.caseload import ProgrammeSettings
    from storage.store import StoreConfig

CONFIG_ENV = "FORLOEB_CONFIG"
CONFIG_NAME = "forloeb.toml"
Login = Annotated[
    Name, AfterValidator(single_script), Field(description="the login forloeb knows the user by")
]
PersonName = Annotated[Name, AfterValidator(single_script)]
"""A consultant's name on courses or a team's: one script, as a login."""


class NoConfig(CourseError):
    """There is no configuration file; `forloeb init` creates one."""


class UserEntry(BaseModel):
    """One `[users.LOGIN]` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    name: PersonName | None = None
    team: PersonName | None = None


class Keys(BaseModel):
    """The `[keys]` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master_key_file: str | None = Field(default=None, min_length=1)


class ProgrammeEntry(BaseModel):
    """One `[programmes.SLUG]` table: the programme's rhythm and caseload target."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measurement_interval_days: int = Field(default=91, ge=7, le=730)
    network_meeting_interval_days: int = Field(default=91, ge=7, le=730)
    target_caseload: int = Field(default=25, ge=1, le=500)

    def settings(self) -> ProgrammeSettings:
        """The settings the caseload view works with."""
        from projections.caseload import ProgrammeSettings

        return ProgrammeSettings(
            measurement_interval=timedelta(days=self.measurement_interval_days),
            meeting_interval=timedelta(days=self.network_meeting_interval_days),
            target_caseload=self.target_caseload,
        )


class ConfigFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    users: dict[Login, UserEntry] = Field(default_factory=dict)
    keys: Keys = Field(default_factory=Keys)
    programmes: dict[Programme, ProgrammeEntry] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ConfigFile:
        named: dict[str, str] = {}
        logins: dict[str, str] = {}
        for login, entry in self.users.items():
            other = logins.setdefault(login.casefold(), login)
            if other != login:
                raise ValueError(
                    f"users.{login}: looks like the user {other} (only the case differs)"
                )
            if entry.role is Role.TEAM_LEAD and entry.team is None:
                raise ValueError(f"users.{login}.team: a team lead needs a team")
            if entry.role is Role.CONSULTANT:
                name = entry.name or login
                if name.casefold() in named:
                    raise ValueError(
                        f"users.{login}.name: {name} is already the consultant "
                        f"{named[name.casefold()]}"
                    )
                named[name.casefold()] = login
        return self

    def directory(self) -> Directory:
        """The users as the access policy knows them."""
        return Directory.of(
            User(login, entry.role, entry.name or login, entry.team)
            for login, entry in self.users.items()
        )


class Config:
    """A configuration file read from `path`."""

    def __init__(self, path: Path, content: ConfigFile) -> None:
        self.path = path
        self.content = content

    @cached_property
    def directory(self) -> Directory:
        """The known users."""
        return self.content.directory()

    @cached_property
    def programme_settings(self) -> dict[str, ProgrammeSettings]:
        """Each programme's settings: a defined programme's cadence (its definition, shipped
        or beside this file), a `[programmes.NAME]` table over it (others: the defaults)."""
        from programmes.catalogue import LOCAL_FOLDER, load

        catalogue = load(self.path.parent / LOCAL_FOLDER)
        defined = {
            name: ProgrammeEntry(**definition.cadence.model_dump())
            for name in catalogue.names()
            if (definition := catalogue.get(name)) is not None
        }
        entries = {**defined, **self.content.programmes}
        return {name: entry.settings() for name, entry in entries.items()}

    @property
    def master_key_file(self) -> Path | None:
        """The master key file named in `[keys]`, relative to the file's folder."""
        named = self.content.keys.master_key_file
        if named is None:
            return None
        return (self.path.parent / Path(named).expanduser()).resolve()


def config_path(store: StoreConfig) -> Path:
    """FORLOEB_CONFIG, else forloeb.toml beside the SQLite store, else ./forloeb.toml."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser()
    if store.folder is not None:
        return store.folder / CONFIG_NAME
    return Path(CONFIG_NAME)


def load_config(path: Path) -> Config:
    """The validated configuration; NoConfig (exit 1) if missing, InvalidInput (exit 2) if
    it is not valid TOML or an entry is wrong."""
    from storage.text_files import read_text_file

    try:
        text = read_text_file(path)
    except FileNotFoundError:
        raise NoConfig(
            f"config: no configuration at {path}; run `forloeb init` to create one with "
            "you as admin"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or "not UTF-8 text"
        raise InvalidInput("config", f"cannot read {path}: {reason}") from None
    except ValueError as e:
        raise InvalidInput("config", f"{path} {e}") from None
    return Config(path, parse_config(text, path))


def parse_config(text: str, path: Path) -> ConfigFile:
    """The file's content, validated; one line naming the key and the reason if not."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InvalidInput("config", f"{path} is not valid TOML: {e}") from None
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as e:
        key, reason = first_error(e)
        if key == "input" and ": " in reason:  # the model's own check names its key
            key, _, reason = reason.partition(": ")
        raise InvalidInput("config", f"{path}: {key}: {reason}") from None


# Writing ------------------------------------------------------------------------------
# tomlkit edits the file in place, so an administrator's comments and layout survive
# `forloeb users add|remove`; only the [users] entries that change are touched. It is
# imported when a file is written, not by every command that reads one.

HEADER = "forloeb users and roles; see `forloeb users --help`."


def _user_table(entry: UserEntry) -> Table:
    import tomlkit

    table = tomlkit.table()
    table["role"] = entry.role.value
    if entry.name is not None:
        table["name"] = entry.name
    if entry.team is not None:
        table["team"] = entry.team
    table.add(tomlkit.nl())
    return table


def to_toml(content: ConfigFile) -> str:
    """A new configuration file's text, reading back to the same content."""
    import tomlkit

    document = tomlkit.document()
    document.add(tomlkit.comment(HEADER))
    document.add(tomlkit.nl())
    if content.keys.master_key_file is not None:
        keys = tomlkit.table()
        keys["master_key_file"] = content.keys.master_key_file
        keys.add(tomlkit.nl())
        document["keys"] = keys
    if content.programmes:
        programmes = tomlkit.table(is_super_table=True)
        for name in sorted(content.programmes):
            table = tomlkit.table()
            table.update(content.programmes[name].model_dump())
            table.add(tomlkit.nl())
            programmes[name] = table
        document["programmes"] = programmes
    return with_users(tomlkit.dumps(document), dict(sorted(content.users.items())))


def with_users(text: str, users: dict[str, UserEntry]) -> str:
    """The file's text with exactly these users: entries no longer wanted are removed,
    new ones added after the others; every other line, comment and blank is kept."""
    import tomlkit
    from tomlkit.items import InlineTable, Table

    document = tomlkit.parse(text)
    if "users" not in document:
        document["users"] = tomlkit.table(is_super_table=True)
    table = document["users"]
    assert isinstance(table, Table | InlineTable)
    for login in [login for login in table if login not in users]:
        del table[login]
    for login, entry in users.items():
        if login not in table:
            table[login] = _user_table(entry)
    return tomlkit.dumps(document)


def save_users(config: Config, users: dict[str, UserEntry]) -> None:
    """Rewrite the configuration file with these users, the rest of it as it is on disk."""
    text = with_users(config.path.read_text(encoding="utf-8"), users)
    parse_config(text, config.path)  # what is written must load
    write_config(config.path, text)


def write_config(path: Path, text: str) -> None:
    """Write the file whole: a temporary file beside it, then renamed over it (a new
    file is owner-only; an existing one keeps its mode, and its owner and group where
    the writer may give them: root editing a server's file leaves the service able to
    read it)."""
    make_folders(path.parent)
    existing = path.stat() if path.exists() else None
    mode = existing.st_mode & 0o777 if existing else FILE_MODE
    import tempfile  # only when the file is written: not on every command's start

    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:  # a server's file is not the service's to change (EACCES, EROFS)
        raise CourseError(f"config: cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if existing is not None:
            with contextlib.suppress(PermissionError):
                os.chown(temporary, existing.st_uid, existing.st_gid)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def create_config(path: Path, users: dict[str, UserEntry]) -> ConfigFile:
    """A new configuration file with these users; refuses to overwrite one."""
    if path.exists():
        raise CourseError(f"config: {path} already exists")
    content = ConfigFile(users=users)
    write_config(path, to_toml(content))
    return content
