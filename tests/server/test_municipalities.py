"""Several municipalities on one server, each in its own PostgreSQL schema with its own keys.

Given two municipalities, Aarhus and Odense, listed in one file and each initialised with
`forloeb init --municipality`, served by one server: when a user of either works through
the remote CLI, then what they write lands in their own schema only; a course, a citizen,
a user or a token of the other municipality is refused exactly as something that does
not exist, and neither municipality's master key opens the other's data.
"""

from __future__ import annotations

import getpass
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn
from click.testing import CliRunner
from psycopg import sql

from cli.bootstrap import open_service, open_storage
from cli.config import UserEntry, create_config
from cli.main import forloeb
from cli.municipalities import load_municipalities
from cli.remote import run_remote
from server.app import create_app
from server.oidc import OidcSettings, OidcVerifier
from server.run import Listen, uvicorn_config
from server.tenants import Tenants, authenticator_for, open_tenants
from server.tokens import PersonalTokens, digest, token_table
from storage.keks import KekFolder, under_kek
from storage.keys import KeyRow, aes_cipher
from storage.secrets import MasterKey, MasterKeyProblem
from storage.store import EVENTS_TABLE, StoreConfig
from storage.tokens import TOKENS_TABLE, TokenRow
from tests.postgres.pgtools import PgServer
from tests.server.provider import AUDIENCE, ODENSE_SERVICE_CLIENT, service_token
from workflows.access import Role

SCHEMAS = {"aarhus": "kommune_751", "odense": "kommune_461"}
USERS = {
    "aarhus": {
        "aase": UserEntry(role=Role.ADMIN),
        "lars": UserEntry(role=Role.CASEWORKER),
        "anna": UserEntry(role=Role.CASEWORKER),
    },
    "odense": {
        "ole": UserEntry(role=Role.ADMIN),
        "lis": UserEntry(role=Role.CASEWORKER),
        getpass.getuser(): UserEntry(role=Role.CASEWORKER),  # a Unix-socket peer
    },
}
ADMIN = {"aarhus": "aase", "odense": "ole"}


def refer(cpr: str, caseworker: str) -> list[str]:
    return ["refer", "--cpr", cpr, "--programme", "pva", "--referring-caseworker", caseworker,
            "--occurred-on", "2019-01-02", "--format", "json"]  # fmt: skip


@dataclass
class Deployment:
    """The database, the municipalities file and the running server."""

    url: str
    folder: Path
    file: Path
    tenants: Tenants
    server_url: str

    def token(self, municipality: str, user: str) -> str:
        served = self.tenants.served[municipality]
        return PersonalTokens(token_table(served.service.storage)).create(user, date(2099, 1, 1))[1]

    def run(self, municipality: str, user: str, *argv: str) -> tuple[int, str, str]:
        """`forloeb ARGV` through the remote CLI with a token of `user` made in `municipality`."""
        return self.run_with(self.token(municipality, user), *argv)

    def run_with(self, token: str, *argv: str) -> tuple[int, str, str]:
        return run_remote_with(self.server_url, token, *argv)

    def store(self, municipality: str) -> StoreConfig:
        return self.tenants.served[municipality].store

    def rows(self, municipality: str, table: str) -> int:
        statement = sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(SCHEMAS[municipality], table)
        )
        with psycopg.connect(**self.store(municipality).postgres.connect_kwargs()) as conn:
            row = conn.execute(statement).fetchone()
        return int(row[0]) if row else 0


def write_municipalities(folder: Path, url: str) -> Path:
    """Two municipalities, each with its own users file, master key and KEK folder."""
    lines = [f'database_url = "{url}"', ""]
    for name, schema in SCHEMAS.items():
        (folder / name).mkdir()
        create_config(folder / name / "forloeb.toml", USERS[name])
        MasterKey.generate().write(folder / name / "master.key")
        lines += [f"[municipalities.{name}]", f'schema = "{schema}"',
                  f'users = "{name}/forloeb.toml"', f'master_key_file = "{name}/master.key"',
                  f'kek_dir = "{name}/keks"', ""]  # fmt: skip
    path = folder / "municipalities.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def init_municipality(file: Path, name: str, url: str) -> str:
    result = CliRunner().invoke(
        forloeb,
        ["--as", ADMIN[name], "init", "--municipality", name, "--municipalities", str(file),
         "--database-url", url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def deployment(
    pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("municipalities")
    database = pg_server.create_database("forloeb_mun")
    url = pg_server.url_for(database)
    file = write_municipalities(folder, url)
    for name in SCHEMAS:
        init_municipality(file, name, url)
    tenants = open_tenants(load_municipalities(file))
    try:
        with serving(tenants) as server_url:
            yield Deployment(url, folder, file, tenants, server_url)
    finally:
        tenants.close()
        pg_server.drop_database(database)


@contextmanager
def serving(tenants: Tenants, listen: Listen | None = None) -> Iterator[str]:
    """The municipalities served on loopback (or `listen`) until the block ends; the URL."""
    listen = listen or Listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn_config(create_app(tenants), listen))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        if listen.unix_socket is not None:
            yield f"unix:{listen.unix_socket}"
        else:
            yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_init_creates_the_municipalitys_schema_with_its_own_key(deployment: Deployment) -> None:
    again = init_municipality(deployment.file, "odense", deployment.url)

    assert "?schema=kommune_461: already initialised, nothing to create" in again
    with pytest.raises(MasterKeyProblem, match="not the key this store was set up with"):
        other_key = replace(deployment.store("odense"), master_key_file=deployment.folder
                            / "aarhus" / "master.key")  # fmt: skip
        open_service(other_key).close()


def test_each_municipality_writes_into_its_own_schema_only(deployment: Deployment) -> None:
    before = {name: deployment.rows(name, EVENTS_TABLE) for name in SCHEMAS}

    code, _, err = deployment.run("aarhus", "lars", *refer("020290-1111", "lars"))

    assert (code, err) == (0, "")
    after = {name: deployment.rows(name, EVENTS_TABLE) for name in SCHEMAS}
    assert after["aarhus"] > before["aarhus"]
    assert after["odense"] == before["odense"]
    code, _, err = deployment.run("odense", "lis", *refer("030390-2222", "lis"))
    assert (code, err) == (0, "")
    assert deployment.rows("aarhus", EVENTS_TABLE) == after["aarhus"]
    assert deployment.rows("odense", EVENTS_TABLE) > after["odense"]


def test_a_token_is_kept_in_its_municipalitys_schema(deployment: Deployment) -> None:
    admin = deployment.token("odense", "ole")
    before = {name: deployment.rows(name, TOKENS_TABLE) for name in SCHEMAS}

    code, out, _ = deployment.run_with(admin, "tokens", "create", "lis",
                                       "--expires", "2099-01-01", "--format", "json")  # fmt: skip

    assert code == 0
    assert json.loads(out)["user"] == "lis"
    assert deployment.rows("odense", TOKENS_TABLE) == before["odense"] + 1
    assert deployment.rows("aarhus", TOKENS_TABLE) == before["aarhus"]
    assert deployment.run_with(json.loads(out)["token"], "courses")[0] == 0


def test_a_course_of_another_municipality_is_refused_as_if_there_were_none(
    deployment: Deployment,
) -> None:
    _, out, _ = deployment.run("odense", "lis", *refer("040490-3333", "lis"))
    course = json.loads(out)["course_id"]
    admin = deployment.token("aarhus", "aase")
    argvs = (["show", "{}"], ["session", "{}"],
             ["exit", "{}", "--unplanned", "--reason", "moved_municipality"])  # fmt: skip

    for theirs, nobodys in ((course, str(uuid.uuid4())), (course[:8], "00000000"),
                            ("040490-3333", "111111-1118")):  # fmt: skip
        for argv in argvs:
            across = deployment.run_with(admin, *(a.format(theirs) for a in argv))
            nowhere = deployment.run_with(admin, *(a.format(nobodys) for a in argv))

            assert across[0] == nowhere[0] == 1
            assert across[2].replace(theirs, "REF") == nowhere[2].replace(nobodys, "REF")
            assert len(across[2].splitlines()) == 1


def test_a_citizen_of_another_municipality_is_refused_as_if_there_were_none(
    deployment: Deployment,
) -> None:
    deployment.run("odense", "lis", *refer("050590-4444", "lis"))

    across = deployment.run("aarhus", "aase", "audit", "050590-4444")
    nowhere = deployment.run("aarhus", "aase", "audit", "060690-5555")

    assert across[0] == nowhere[0] != 0
    assert across[2].replace("050590-4444", "CPR") == nowhere[2].replace("060690-5555", "CPR")


def test_an_admin_cannot_make_tokens_for_or_act_as_a_user_of_another_municipality(
    deployment: Deployment,
) -> None:
    admin = deployment.token("aarhus", "aase")
    tokens = {name: deployment.rows(name, TOKENS_TABLE) for name in SCHEMAS}
    for argv in (["tokens", "create", "{}", "--expires", "2099-01-01"],
                 ["--as", "{}", *refer("070790-6666", "{}")]):  # fmt: skip
        across = deployment.run_with(admin, *(a.format("lis") for a in argv))
        nowhere = deployment.run_with(admin, *(a.format("nemo") for a in argv))

        assert across[0] == nowhere[0] == 1
        assert across[2].replace("lis", "X") == nowhere[2].replace("nemo", "X")
    assert {name: deployment.rows(name, TOKENS_TABLE) for name in SCHEMAS} == tokens


def test_a_token_in_one_municipality_naming_a_user_of_another_is_refused(
    deployment: Deployment,
) -> None:
    token = "flb_" + uuid.uuid4().hex  # planted in Aarhus's schema for Odense's lis
    hashed = digest(token)
    row = TokenRow(hashed[:12], hashed, "lis", "2026-01-01T00:00:00+00:00",
                   "2099-01-01T23:59:59+00:00", False)  # fmt: skip
    token_table(deployment.tenants.served["aarhus"].service.storage).insert(row)
    events = {name: deployment.rows(name, EVENTS_TABLE) for name in SCHEMAS}

    code, out, err = deployment.run_with(token, *refer("080890-7777", "lis"))

    assert (code, out) == (1, "")
    assert err == "error: as lis: not a user of aarhus\n"
    assert {name: deployment.rows(name, EVENTS_TABLE) for name in SCHEMAS} == events


def test_a_token_of_nobody_on_the_server_is_refused(deployment: Deployment) -> None:
    code, _, err = deployment.run_with("flb_" + uuid.uuid4().hex, "courses")

    url = deployment.server_url
    assert (code, err) == (1, f"error: not logged in to {url}: run forloeb login --server {url}\n")


def test_one_municipalitys_keys_cannot_unwrap_the_others_citizen_keys(
    deployment: Deployment,
) -> None:
    deployment.run("aarhus", "lars", *refer("090990-8888", "lars"))
    storage = open_storage(deployment.store("aarhus"))
    try:
        rows = storage.keyring.store.all_rows()
    finally:
        storage.close()

    assert rows
    assert all(unwraps(deployment.store("aarhus"), row) for row in rows)
    assert not any(unwraps(deployment.store("odense"), row) for row in rows)


def unwraps(store: StoreConfig, row: KeyRow) -> bool:
    """Whether the store's master key and KEK unwrap the row's citizen key, wrapped as the
    keyring wraps it (`storage.keys.Keyring`)."""
    assert store.kek_dir is not None
    kek = None if row.kek is None else KekFolder(store.kek_dir).secret(row.kek)
    cipher = aes_cipher(under_kek(store.master_key().derive("citizen-keys"), kek))
    try:
        cipher.decrypt(row.wrapped)
    except ValueError:
        return False
    return True


def with_provider(deployment: Deployment, issuer: str, claim: str | None) -> Tenants:
    """The deployment's municipalities, also accepting the provider's tokens (`claim`: the
    one naming the municipality)."""
    settings = OidcSettings(issuer=issuer, audience=AUDIENCE, municipality_claim=claim)
    served = deployment.tenants.served
    return replace(
        deployment.tenants, authenticator=authenticator_for(served, OidcVerifier(settings))
    )


def test_a_providers_token_is_refused_in_a_municipality_its_claim_does_not_name(
    deployment: Deployment, issuer: str
) -> None:
    aarhus, odense = service_token(issuer), service_token(issuer, client=ODENSE_SERVICE_CLIENT)
    events = {name: deployment.rows(name, EVENTS_TABLE) for name in SCHEMAS}

    with serving(with_provider(deployment, issuer, "municipality")) as url:
        written = run_remote_with(url, aarhus, *refer("101090-1212", "anna"))
        refused = run_remote_with(url, odense, *refer("111190-1313", "anna"))

    assert written[0] == 0
    assert refused == (1, "", "error: as anna: not a user of odense\n")
    assert deployment.rows("aarhus", EVENTS_TABLE) > events["aarhus"]
    assert deployment.rows("odense", EVENTS_TABLE) == events["odense"]


def test_without_a_municipality_claim_the_providers_user_decides(
    deployment: Deployment, issuer: str
) -> None:
    odense = service_token(issuer, client=ODENSE_SERVICE_CLIENT)

    with serving(with_provider(deployment, issuer, None)) as url:
        code, _, err = run_remote_with(url, odense, "courses")
    with serving(with_provider(deployment, issuer, "kommune")) as url:
        lacking = httpx.post(f"{url}/cli", json={"argv": ["courses"]},
                             headers={"Authorization": f"Bearer {odense}"})  # fmt: skip

    assert (code, err) == (0, "")  # anna is Aarhus's: the claim is not asked for
    assert lacking.status_code == 401
    assert lacking.json() == {"error": "not logged in: token lacks the kommune claim", "exit": 1}


def run_remote_with(url: str, token: str, *argv: str) -> tuple[int, str, str]:
    """`forloeb ARGV` through the remote CLI to `url`, with `token`."""
    mp = pytest.MonkeyPatch()
    mp.setenv("FORLOEB_TOKEN", token)
    try:
        return run_remote(url, list(argv))
    finally:
        mp.undo()


@pytest.mark.subprocess
def test_forloeb_server_serves_the_municipalities_the_file_lists(deployment: Deployment) -> None:
    script = str(Path(sys.executable).with_name("forloeb"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = deployment.token("odense", "lis")
    deployment.run_with(token, *refer("121290-1414", "lis"))
    server = subprocess.Popen(
        [script, "server", "--municipalities", str(deployment.file), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        remote = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
        remote |= {"FORLOEB_SERVER_URL": f"http://127.0.0.1:{port}", "FORLOEB_TOKEN": token}
        listed = subprocess.run([script, "courses", "--format", "json"], env=remote,
                                capture_output=True, text=True, check=False)  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        _, started = server.communicate(timeout=30)

    assert listed.returncode == 0, listed.stderr
    odense = json.loads(deployment.run_with(token, "courses", "--format", "json")[1])
    aarhus = json.loads(deployment.run("aarhus", "aase", "courses", "--format", "json")[1])
    assert json.loads(listed.stdout) == odense != aarhus
    assert f"forloeb server on http://127.0.0.1:{port} (aarhus (postgresql://" in started
    assert "?schema=kommune_461)" in started


def test_a_wrong_municipalities_file_stops_the_server_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "municipalities.toml"
    path.write_text("[municipalities.aarhus]\nschema = 'k1'\n", encoding="utf-8")

    result = CliRunner().invoke(forloeb, ["server", "--municipalities", str(path)])

    assert result.exit_code == 2
    assert result.output == (
        f"error: municipalities: {path}: municipalities.aarhus.users: Field required\n"
    )


def test_each_municipality_served_by_its_own_least_privileged_role(
    pg_server: PgServer, tmp_path: Path
) -> None:
    database = pg_server.create_database("forloeb_roles")
    roles = {name: pg_server.create_role(f"forloeb_{name}") for name in SCHEMAS}
    try:
        owner_url = pg_server.url_for(database)
        file = write_municipalities(tmp_path, owner_url)
        entries = {
            name: f'database_url = "{pg_server.url_for(database, user=r, password=p)}"\n'
            for name, (r, p) in roles.items()
        }
        text = file.read_text()
        for name in SCHEMAS:
            text = text.replace(
                f"[municipalities.{name}]\n", f"[municipalities.{name}]\n" + entries[name]
            )
        file.write_text(text)
        for name, (role, _) in roles.items():
            result = CliRunner().invoke(
                forloeb,
                ["--as", ADMIN[name], "init", "--municipality", name, "--municipalities",
                 str(file), "--database-url", owner_url, "--grant-to", role],
            )  # fmt: skip
            assert result.exit_code == 0, result.output

        tenants = open_tenants(load_municipalities(file))  # as the two application roles
        try:
            with serving(tenants) as url:
                token = PersonalTokens(
                    token_table(tenants.served["odense"].service.storage)
                ).create("lis", date(2099, 1, 1))[1]
                code, _, err = run_remote_with(url, token, *refer("131290-1515", "lis"))
        finally:
            tenants.close()
        aarhus_role, aarhus_password = roles["aarhus"]
        aarhus = pg_server.url_for(database, user=aarhus_role, password=aarhus_password)
        connect = StoreConfig(database_url=aarhus).postgres.connect_kwargs()
        with (
            psycopg.connect(**connect) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(
                    sql.Identifier(SCHEMAS["odense"], EVENTS_TABLE)
                )
            )
    finally:
        pg_server.drop_database(database)
        for role, _ in roles.values():
            pg_server.drop_role(role)

    assert (code, err) == (0, "")


def test_a_unix_socket_peer_works_in_the_municipality_that_names_them(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORLOEB_TOKEN", raising=False)
    events = {name: deployment.rows(name, EVENTS_TABLE) for name in SCHEMAS}

    with serving(deployment.tenants, Listen(unix_socket=tmp_path / "forloeb.sock")) as url:
        code, _, err = run_remote(url, refer("141290-1616", getpass.getuser()))

    assert (code, err) == (0, "")
    assert deployment.rows("odense", EVENTS_TABLE) > events["odense"]
    assert deployment.rows("aarhus", EVENTS_TABLE) == events["aarhus"]


def test_the_typed_reads_and_import_lines_are_routed_and_refused_alike(
    deployment: Deployment,
) -> None:
    _, out, _ = deployment.run("odense", "lis", *refer("151290-1717", "lis"))
    theirs, nobodys = json.loads(out)["course_id"], str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {deployment.token('aarhus', 'aase')}"}
    url = deployment.server_url

    for ref in (theirs, nobodys):
        shown = httpx.get(f"{url}/courses/{ref}", headers=headers)
        line = httpx.post(f"{url}/commands", json={"command": "session", "course": ref},
                          headers=headers)  # fmt: skip

        assert shown.status_code == line.status_code == 404
        assert shown.json()["error"].replace(ref, "ID") == "course: no course ID"
        assert line.json()["error"].replace(ref, "ID") == "course: no course ID"
    listed = httpx.get(f"{url}/courses", headers=headers).json()
    assert theirs[:8] not in json.dumps(listed)  # its short id neither
