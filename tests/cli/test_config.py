"""The configuration file: where it is, what it must hold, and what happens without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from cli.config import (
    ConfigFile,
    UserEntry,
    config_path,
    create_config,
    load_config,
    parse_config,
    to_toml,
)
from cli.main import forloeb
from domain.errors import InvalidInput
from storage.secrets import MasterKey
from storage.store import StoreConfig
from workflows.access import Role


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder for the store and, unless FORLOEB_CONFIG says otherwise, its configuration."""
    monkeypatch.delenv("FORLOEB_CONFIG", raising=False)
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path


def forloeb_in(folder: Path, *args: str, user: str = "kim") -> Result:
    return CliRunner().invoke(forloeb, ["--db", str(folder / "s.sqlite"), "--as", user, *args])


def test_the_configuration_is_beside_the_sqlite_store_unless_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORLOEB_CONFIG")
    assert config_path(StoreConfig(sqlite_path=tmp_path / "a.sqlite")) == tmp_path / "forloeb.toml"
    assert config_path(StoreConfig(database_url="postgresql://h/db")) == Path("forloeb.toml")
    monkeypatch.setenv("FORLOEB_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert config_path(StoreConfig(sqlite_path=tmp_path / "a.sqlite")) == (
        tmp_path / "elsewhere.toml"
    )


def test_without_a_configuration_data_commands_are_refused_and_nothing_is_created(
    folder: Path,
) -> None:
    result = forloeb_in(folder, "courses")

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: config: no configuration at {folder / 'forloeb.toml'}; run `forloeb init` "
        "to create one with you as admin\n"
    )
    assert not (folder / "s.sqlite").exists()


def test_help_version_and_the_workflow_need_no_configuration(folder: Path) -> None:
    for args in (("--help",), ("--version",), ("workflow",), ("show", "--help")):
        assert forloeb_in(folder, *args).exit_code == 0, args


def test_init_creates_the_configuration_with_the_acting_user_as_admin(folder: Path) -> None:
    first = forloeb_in(folder, "init")
    again = forloeb_in(folder, "init")
    stranger = forloeb_in(folder, "init", user="mallory")

    assert first.exit_code == 0, first.output
    assert f"config: created {folder / 'forloeb.toml'} with kim as admin" in first.stdout
    assert load_config(folder / "forloeb.toml").directory.user("kim").role is Role.ADMIN
    assert again.exit_code == 0 and "config:" not in again.stdout
    assert stranger.exit_code == 1
    assert stranger.stderr.startswith("error: as mallory: unknown user;")
    assert forloeb_in(folder, "courses").exit_code == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[users.kim\nrole = 1", "is not valid TOML"),
        ('[users.kim]\nrole = "boss"\n', "users.kim.role: Input should be 'consultant', "),
        ('[users.kim]\nrole = "admin"\ncolour = "red"\n', "users.kim.colour: Extra inputs"),
        ('[users."k<m"]\nrole = "admin"\n', "users.k<m.[key]: String should match pattern"),
        ('[users.lea]\nrole = "team_lead"\n', "users.lea.team: a team lead needs a team"),
        ('[users.a]\nrole = "consultant"\nname = "Bo"\n[users.b]\nrole = "consultant"\n'
         'name = "Bo"\n', "users.b.name: Bo is already the consultant a"),
        ('[keys]\nmaster_key = "x"\n', "keys.master_key: Extra inputs are not permitted"),
        ('users = 3\n', "users: Input should be a valid dictionary"),
        ('[programmes.pva]\nmeasurement_interval_days = 3\n',
         "programmes.pva.measurement_interval_days: Input should be greater than or equal to 7"),
        ('[programmes.pva]\ntarget_caseload = 0\n',
         "programmes.pva.target_caseload: Input should be greater than or equal to 1"),
        ('[programmes.PVA]\ntarget_caseload = 20\n', "programmes.PVA.[key]: String should match"),
    ],
)  # fmt: skip
def test_an_invalid_configuration_is_one_line_naming_the_key(
    folder: Path, text: str, reason: str
) -> None:
    path = folder / "forloeb.toml"
    path.write_text(text)

    result = forloeb_in(folder, "courses")

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: config: {path}")
    assert reason in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_the_master_key_file_is_found_relative_to_the_configuration(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORLOEB_MASTER_KEY", raising=False)
    monkeypatch.delenv("FORLOEB_MASTER_KEY_FILE", raising=False)
    (folder / "keys").mkdir()
    MasterKey.generate().write(folder / "keys" / "master.key")
    (folder / "forloeb.toml").write_text(
        '[keys]\nmaster_key_file = "keys/master.key"\n[users.kim]\nrole = "admin"\n'
    )
    assert forloeb_in(folder, "init").exit_code == 0

    result = forloeb_in(folder, "refer", "--cpr", "010190-1234", "--programme", "pva",
                        "--referring-caseworker", "kim")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert not (folder / "s.key").exists()  # not the key file a store without one gets


logins = st.from_regex(r"[\w .@'-]{1,20}", fullmatch=True).filter(
    lambda s: s.strip() == s and s.isprintable()
)


@given(
    st.dictionaries(
        logins,
        st.fixed_dictionaries({"role": st.sampled_from([r.value for r in Role]),
                               "name": st.none() | logins, "team": st.none() | logins}),
        max_size=5,
    ),
    st.none() | st.text(min_size=1, max_size=20),
)  # fmt: skip
def test_the_written_file_reads_back_as_it_was(
    users: dict[str, dict[str, str | None]], key_file: str | None
) -> None:
    programmes = {"paa-vej": {"measurement_interval_days": 60, "target_caseload": 20}}
    try:
        content = ConfigFile.model_validate(
            {"users": users, "keys": {"master_key_file": key_file}, "programmes": programmes}
        )
    except ValueError:
        return  # an entry the file itself refuses (two consultants of one name, …)

    assert parse_config(to_toml(content), Path("x.toml")) == content


def test_a_configuration_is_never_overwritten_by_create(tmp_path: Path) -> None:
    path = tmp_path / "forloeb.toml"
    create_config(path, {"kim": UserEntry(role=Role.ADMIN)})

    with pytest.raises(Exception, match="already exists"):
        create_config(path, {"mallory": UserEntry(role=Role.ADMIN)})
    assert "kim" in load_config(path).content.users


def test_a_programme_s_rhythm_and_target_come_from_the_configuration(folder: Path) -> None:
    (folder / "forloeb.toml").write_text(
        '[users.kim]\nrole = "admin"\n\n'
        "[programmes.pva]\nmeasurement_interval_days = 30\n"
        "network_meeting_interval_days = 45\ntarget_caseload = 1\n"
    )
    assert forloeb_in(folder, "init").exit_code == 0
    referred = forloeb_in(folder, "refer", "--cpr", "010190-1234", "--programme", "pva",
                          "--referring-caseworker", "sb", "--occurred-on", "2024-01-02",
                          "--format", "json")
    course = json.loads(referred.stdout)["course_id"]
    for args in (("accept", course, "--consultant", "kim", "--occurred-on", "2024-01-09"),
                 ("measure", course, "--point", "1", "--form", "citizen",
                  "--occurred-on", "2024-01-10"),
                 ("measure", course, "--point", "1", "--form", "staff",
                  "--occurred-on", "2024-01-10")):
        assert forloeb_in(folder, *args).exit_code == 0
    forloeb_in(folder, "refer", "--cpr", "020290-1234", "--programme", "pva",
               "--referring-caseworker", "sb", "--occurred-on", "2024-01-02")
    other = forloeb_in(folder, "courses", "--state", "visitation", "--format", "json")
    second = json.loads(other.stdout)["courses"][0]["course_id"]
    forloeb_in(folder, "accept", second, "--consultant", "kim", "--occurred-on", "2024-01-09")

    due = json.loads(forloeb_in(folder, "due", "--as-of", "2024-03-01", "--format",
                                "json").stdout)
    load = json.loads(forloeb_in(folder, "caseload", "--programme", "pva", "--as-of",
                                 "2024-03-01", "--format", "json").stdout)

    mine = {(d["kind"], d["due_on"]) for d in due["items"] if d["course_id"] == course}
    assert mine == {("measurement", "2024-02-09"), ("network_meeting", "2024-02-23")}
    [kim] = load["consultants"]
    assert (kim["open_courses"], kim["target"], kim["over_capacity"]) == (2, 1, True)


HAND_WRITTEN = """\
# Nordby kommune: forloeb users. Ask IT before changing roles.

[users.kim]   # the admin on duty
role = "admin"

[programmes.pva]
target_caseload = 20      # agreed with the team leads, March
"""


def test_users_add_and_remove_keep_the_file_s_comments_and_layout(folder: Path) -> None:
    path = folder / "forloeb.toml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")

    added = forloeb_in(folder, "users", "add", "tove", "--role", "consultant", "--name",
                       "Tove Holm")  # fmt: skip
    with_tove = path.read_text(encoding="utf-8")
    removed = forloeb_in(folder, "users", "remove", "tove")

    assert added.exit_code == 0, added.output
    assert removed.exit_code == 0, removed.output
    assert with_tove.startswith(HAND_WRITTEN.partition("[programmes.pva]")[0])
    assert '[users.tove]\nrole = "consultant"\nname = "Tove Holm"\n' in with_tove
    assert "target_caseload = 20      # agreed with the team leads, March\n" in with_tove
    assert parse_config(with_tove, path).users["tove"].name == "Tove Holm"
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN


def test_a_new_configuration_reads_back_and_names_its_users_in_order(tmp_path: Path) -> None:
    path = tmp_path / "forloeb.toml"

    create_config(path, {"lis": UserEntry(role=Role.ADMIN), "kim": UserEntry(role=Role.ADMIN)})

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# forloeb users and roles")
    assert text.index("[users.kim]") < text.index("[users.lis]")
    assert set(load_config(path).content.users) == {"kim", "lis"}


def test_the_default_store_is_in_the_user_s_data_folder_under_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORLOEB_DB", raising=False)
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    store = StoreConfig.from_options(None, None)

    assert store.sqlite_path == tmp_path / "data" / "forloeb" / "forloeb.sqlite"


def test_without_xdg_data_home_the_default_store_is_under_local_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORLOEB_DB", raising=False)
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    store = StoreConfig.from_options(None, None)

    assert store.sqlite_path == tmp_path / ".local" / "share" / "forloeb" / "forloeb.sqlite"


def test_a_configuration_that_is_a_pipe_is_refused_without_waiting_on_it(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a FIFO for reading waits for a writer: every command hung on it."""
    import os
    import subprocess
    import sys

    from tests.conftest import initialised

    db = initialised(folder / "s.sqlite")
    pipe = folder / "forloeb.toml.pipe"
    os.mkfifo(pipe)
    env = {**os.environ, "FORLOEB_CONFIG": str(pipe)}
    forloeb_bin = Path(sys.executable).parent / "forloeb"

    done = subprocess.run(
        [str(forloeb_bin), "--db", str(db), "--as", "kim", "courses"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr == (
        f"error: config: {pipe} is not a regular file (a device, pipe or socket?)\n"
    )


def test_a_configuration_longer_than_a_mebibyte_is_refused_unread(folder: Path) -> None:
    path = folder / "forloeb.toml"
    path.write_text("# padding\n" * 120_000)

    with pytest.raises(InvalidInput, match=r"^config: .* is longer than 1,048,576 bytes"):
        load_config(path)
