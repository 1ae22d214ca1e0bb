"""The shared server's list of municipalities: each its own schema, keys and users.

Given a municipalities file, when it is loaded, then every municipality gets a store on
its own schema with its own key file and KEK folder (never the process's
FORLOEB_MASTER_KEY), and a file that would let two municipalities share a schema, a
master key or a login is refused with one line naming the key and the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.config import UserEntry, create_config
from cli.municipalities import load_municipalities, municipality_store
from domain.errors import InvalidInput
from storage.keks import KEK_DIR_ENV
from storage.secrets import MASTER_KEY_ENV, MasterKey
from workflows.access import Role

URL = "postgresql://forloeb_app:s3cret@db.example:5432/forloeb"


def municipality(folder: Path, name: str, schema: str, users: tuple[str, ...]) -> str:
    """A municipality's users file and master key in folder/name, and its table."""
    (folder / name).mkdir()
    create_config(folder / name / "forloeb.toml", {u: UserEntry(role=Role.ADMIN) for u in users})
    MasterKey.generate().write(folder / name / "master.key")
    return (f'[municipalities.{name}]\nschema = "{schema}"\nusers = "{name}/forloeb.toml"\n'
            f'master_key_file = "{name}/master.key"\nkek_dir = "{name}/keks"\n')  # fmt: skip


def write(folder: Path, *tables: str, head: str = f'database_url = "{URL}"\n') -> Path:
    path = folder / "municipalities.toml"
    path.write_text(head + "\n" + "\n".join(tables), encoding="utf-8")
    return path


def test_each_municipality_gets_its_schema_and_its_own_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEK_DIR_ENV, str(tmp_path / "shared-keks"))
    path = write(tmp_path, municipality(tmp_path, "aarhus", "kommune_751", ("root",)),
                 municipality(tmp_path, "odense", "kommune_461", ("ole",)))  # fmt: skip

    found = {m.name: m for m in load_municipalities(path)}

    assert (
        found["aarhus"].store.describe()
        == "postgresql://db.example:5432/forloeb?schema=kommune_751"
    )
    assert found["odense"].store.postgres.schema == "kommune_461"
    assert found["odense"].store.postgres.user == "forloeb_app"
    aarhus_key = MasterKey.from_file(tmp_path / "aarhus" / "master.key")
    assert found["aarhus"].store.master_key() == aarhus_key  # not FORLOEB_MASTER_KEY
    assert found["aarhus"].store.master_key() != found["odense"].store.master_key()
    env = found["odense"].store.env()
    assert env[KEK_DIR_ENV] == str(tmp_path / "odense" / "keks")
    assert env[MASTER_KEY_ENV] == found["odense"].store.master_key().text()
    assert set(found["aarhus"].config.directory.users) == {"root"}


def test_init_reaches_the_municipalitys_schema_as_the_owner_role(tmp_path: Path) -> None:
    path = write(tmp_path, municipality(tmp_path, "aarhus", "kommune_751", ("root",)))

    store, users = municipality_store(path, "aarhus", "postgresql://owner@db.example/forloeb")

    assert store.describe() == "postgresql://db.example:5432/forloeb?schema=kommune_751"
    assert store.postgres.user == "owner"
    assert users == tmp_path / "aarhus" / "forloeb.toml"
    with pytest.raises(InvalidInput, match=r"has no municipality 'odense'$"):
        municipality_store(path, "odense", None)


def test_a_login_in_two_municipalities_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, municipality(tmp_path, "aarhus", "kommune_751", ("root", "kim")),
                 municipality(tmp_path, "odense", "kommune_461", ("ole", "kim")))  # fmt: skip

    with pytest.raises(InvalidInput) as refused:
        load_municipalities(path)

    assert (
        str(refused.value) == f"municipalities: {path}: odense.users: kim is a user of aarhus too"
    )


def test_two_municipalities_in_one_schema_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, municipality(tmp_path, "aarhus", "kommune_751", ("root",)),
                 municipality(tmp_path, "odense", "kommune_751", ("ole",)))  # fmt: skip

    with pytest.raises(InvalidInput, match=r"odense\.schema: kommune_751 is aarhus's too$"):
        load_municipalities(path)


def test_two_municipalities_with_one_master_key_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, municipality(tmp_path, "aarhus", "kommune_751", ("root",)),
                 municipality(tmp_path, "odense", "kommune_461", ("ole",)))  # fmt: skip
    (tmp_path / "odense" / "master.key").unlink()
    (tmp_path / "odense" / "master.key").write_bytes(
        (tmp_path / "aarhus" / "master.key").read_bytes()
    )

    with pytest.raises(InvalidInput, match=r"odense\.master_key_file: the same key as aarhus's$"):
        load_municipalities(path)


def test_a_users_file_naming_another_master_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, municipality(tmp_path, "aarhus", "kommune_751", ("root",)))
    users = tmp_path / "aarhus" / "forloeb.toml"
    users.write_text('[keys]\nmaster_key_file = "other.key"\n' + users.read_text())

    with pytest.raises(InvalidInput, match=r"aarhus\.master_key_file: .* names another key"):
        load_municipalities(path)


@pytest.mark.parametrize(
    ("head", "table", "reason"),
    [
        ("", 'schema = "k1"\nusers = "u.toml"\nmaster_key_file = "k"\n',
         "aarhus.database_url: none given, nor a shared one"),
        (f'database_url = "{URL}"\n', 'schema = "Kommune-1"\nusers = "u"\nmaster_key_file = "k"\n',
         "municipalities.aarhus.schema: String should match pattern"),
        (f'database_url = "{URL}"\n', 'schema = "k1"\nmaster_key_file = "k"\n',
         "municipalities.aarhus.users: Field required"),
        (f'database_url = "{URL}"\n', 'schema = "k1"\nusers = "u"\nmaster_key_file = "k"\nx = 1\n',
         "municipalities.aarhus.x: Extra inputs are not permitted"),
        ('database_url = "mysql://db/x"\n', 'schema = "k1"\nusers = "u"\nmaster_key_file = "k"\n',
         "database_url: String should match pattern"),
    ],
)  # fmt: skip
def test_a_wrong_entry_is_one_line_naming_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, head: str, table: str, reason: str
) -> None:
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    path = write(tmp_path, "[municipalities.aarhus]\n" + table, head=head)

    with pytest.raises(InvalidInput) as refused:
        load_municipalities(path)

    assert str(refused.value).startswith(f"municipalities: {path}: {reason}")
    assert "\n" not in str(refused.value)


def test_a_file_without_municipalities_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[municipalities]\n")

    with pytest.raises(InvalidInput, match="municipalities: Dictionary should have at least 1"):
        load_municipalities(path)
