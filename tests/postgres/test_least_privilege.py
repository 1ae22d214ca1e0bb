"""Least privilege: the application role can read and append events, never change them.

The owner role (here the test role) creates the tables with `forloeb init
--grant-to APP`; the application role then runs the normal commands, and the
database itself refuses UPDATE, DELETE and TRUNCATE on the stored events.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg import errors, sql

from cli.admin import init_store
from cli.bootstrap import open_service
from storage.backend import InitRefused
from storage.store import EVENTS_TABLE, StoreConfig
from workflows.commands import Accept, Refer, Session, today
from workflows.service import CourseService

from .pgtools import PgServer


@dataclass(frozen=True)
class Deployment:
    """One database with an owner role and an application role."""

    owner: StoreConfig
    app: StoreConfig
    app_role: str


@pytest.fixture(scope="module")
def deployment(pg_server: PgServer) -> Iterator[Deployment]:
    """A database initialised by the owner, with a granted application role (per module)."""
    role, password = pg_server.create_role("forloeb_app")
    name = pg_server.create_database("forloeb_lp")
    try:
        owner = pg_server.store(name)
        init_store(owner, grant_to=role)
        app = StoreConfig(database_url=pg_server.url_for(name, user=role, password=password))
        yield Deployment(owner=owner, app=app, app_role=role)
    finally:
        pg_server.drop_database(name)  # takes the role's grants in that database with it
        pg_server.drop_role(role)


def app_connection(store: StoreConfig) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(**store.postgres.connect_kwargs(), autocommit=True)


_citizens = itertools.count(1000)


def run_a_course(store: StoreConfig) -> CourseService:
    """Refer a new citizen, accept, hold a session: five events as the given role."""
    service = open_service(store)
    cpr = f"010190-{next(_citizens)}"
    referred = service.execute(Refer(cpr=cpr, programme="pva", referring_caseworker="sb"), "rk")
    service.execute(Accept(course=str(referred.course_id), consultant="rk-anna"), "rk")
    service.execute(Session(course=str(referred.course_id)), "rk")
    return service


def test_the_application_role_runs_normal_commands(deployment: Deployment) -> None:
    service = run_a_course(deployment.app)
    try:
        notifications = service.recorder.select_notifications(start=None, limit=100)
        assert [n.topic.rsplit(":", 1)[-1] for n in notifications][-2:] == [
            "Accepted",
            "SessionHeld",
        ]
        assert [n.id for n in notifications] == sorted({n.id for n in notifications})
    finally:
        service.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET state = 'x'::bytea",
        "UPDATE {table} SET originator_version = originator_version + 100",
        "DELETE FROM {table}",
        "DELETE FROM {table} WHERE originator_version = 1",
        "TRUNCATE {table}",
    ],
)
def test_the_application_role_cannot_change_or_remove_events(
    deployment: Deployment, statement: str
) -> None:
    run_a_course(deployment.app).close()
    table = sql.Identifier("public", EVENTS_TABLE)
    with app_connection(deployment.app) as conn:
        before = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        with pytest.raises(errors.InsufficientPrivilege, match="permission denied for table"):
            conn.execute(sql.SQL(statement).format(table=table))
        after = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
    assert before == after
    assert before is not None and before[0] >= 5


def test_the_application_role_cannot_create_or_drop_tables(deployment: Deployment) -> None:
    with app_connection(deployment.app) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.sneaky (x int)")
        with pytest.raises(errors.InsufficientPrivilege, match="must be owner"):
            conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("public", EVENTS_TABLE)))


def test_the_application_role_cannot_run_init(deployment: Deployment) -> None:
    with pytest.raises(InitRefused, match=r"cannot initialise .*permission denied"):
        init_store(deployment.app)


def test_init_refuses_to_grant_the_owner_its_own_tables(deployment: Deployment) -> None:
    owner_role = deployment.owner.postgres.user
    with pytest.raises(InitRefused, match="must not own the tables"):
        init_store(deployment.owner, grant_to=owner_role)


def test_the_library_default_table_lock_would_need_update_rights(deployment: Deployment) -> None:
    """Why the store swaps eventsourcing's LOCK TABLE for an advisory lock."""
    table = sql.Identifier("public", EVENTS_TABLE)
    with app_connection(deployment.app) as conn:
        before = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        denied = f"permission denied for table {EVENTS_TABLE}"
        refused = pytest.raises(errors.InsufficientPrivilege, match=denied)
        with refused, conn.transaction():
            conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
    library_recorder = {"APPLICATION_RECORDER_TOPIC": get_topic(PostgresApplicationRecorder)}
    service = open_service(deployment.app, env=library_recorder)
    try:
        cpr = f"010190-{next(_citizens)}"
        # The library pipelines its statements: the refusal surfaces as the lock's
        # "permission denied", or as "pipeline aborted" on a statement after it.
        with pytest.raises(Exception, match=r"permission denied for table|pipeline aborted"):
            service.execute(Refer(cpr=cpr, programme="pva", referring_caseworker="sb"), "rk")
    finally:
        service.close()
    with app_connection(deployment.app) as conn:
        assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone() == before


def test_grants_are_exactly_select_and_insert_on_the_events(deployment: Deployment) -> None:
    with app_connection(deployment.owner) as conn:
        rows = conn.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_name = %s ORDER BY privilege_type",
            (deployment.app_role, EVENTS_TABLE),
        ).fetchall()
    assert [r[0] for r in rows] == ["INSERT", "SELECT"]


LINKS_TABLE = f"{EVENTS_TABLE.removesuffix('events')}event_links"


def test_grants_are_exactly_select_and_insert_on_the_event_links(deployment: Deployment) -> None:
    with app_connection(deployment.owner) as conn:
        rows = conn.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_name = %s ORDER BY privilege_type",
            (deployment.app_role, LINKS_TABLE),
        ).fetchall()
    assert [r[0] for r in rows] == ["INSERT", "SELECT"]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET hash = prev_hash", "DELETE FROM {table}", "TRUNCATE {table}"],
)
def test_the_application_role_cannot_change_or_remove_links(
    deployment: Deployment, statement: str
) -> None:
    run_a_course(deployment.app).close()
    table = sql.Identifier("public", LINKS_TABLE)
    with (
        app_connection(deployment.app) as conn,
        pytest.raises(errors.InsufficientPrivilege, match="permission denied for table"),
    ):
        conn.execute(sql.SQL(statement).format(table=table))


def test_the_application_role_appends_and_verifies_the_chain(deployment: Deployment) -> None:
    from storage.chain import Verifier

    service = run_a_course(deployment.app)
    try:
        verifier = Verifier(service.recorder.require_chain_key())  # type: ignore[attr-defined]
        assert list(service.recorder.chain_findings(verifier)) == []  # type: ignore[attr-defined]
        assert verifier.events >= 5
    finally:
        service.close()


LOG_LINKS_TABLE = f"{EVENTS_TABLE.removesuffix('events')}log_links"


@pytest.mark.parametrize("table", ["citizen_keys", "citizen_keys_meta", LOG_LINKS_TABLE])
def test_grants_are_exactly_select_and_insert_on_keys_and_log_links(
    deployment: Deployment, table: str
) -> None:
    with app_connection(deployment.owner) as conn:
        rows = conn.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_name = %s ORDER BY privilege_type",
            (deployment.app_role, table),
        ).fetchall()
    assert [r[0] for r in rows] == ["INSERT", "SELECT"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET lookup = lookup || 'x'",
        "UPDATE {table} SET wrapped = wrapped",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
    ],
)
def test_the_application_role_cannot_change_or_remove_key_rows(
    deployment: Deployment, statement: str
) -> None:
    run_a_course(deployment.app).close()
    table = sql.Identifier("public", "citizen_keys")
    with (
        app_connection(deployment.app) as conn,
        pytest.raises(errors.InsufficientPrivilege, match="permission denied for table"),
    ):
        conn.execute(sql.SQL(statement).format(table=table))


def test_the_erase_function_refuses_a_citizen_whose_erasure_is_not_in_the_log(
    deployment: Deployment,
) -> None:
    run_a_course(deployment.app).close()
    with app_connection(deployment.app) as conn:
        (subject,) = conn.execute("SELECT subject FROM public.citizen_keys LIMIT 1").fetchone()
        with pytest.raises(errors.RaiseException, match="no erasure in the log; the key is kept"):
            conn.execute("SELECT public.forloeb_erase_citizen_key(%s)", (subject,))
        kept = conn.execute(
            "SELECT count(*) FROM public.citizen_keys WHERE subject = %s", (subject,)
        ).fetchone()
    assert kept == (1,)


def test_the_application_role_erases_a_citizen_through_the_function(
    deployment: Deployment,
) -> None:

    from workflows.commands import Exit

    service = open_service(deployment.app)
    try:
        cpr = f"010190-{next(_citizens)}"
        referred = service.execute(Refer(cpr=cpr, programme="pva", referring_caseworker="sb"), "rk")
        service.execute(
            Exit(course=str(referred.course_id), planned=False, reason="not_motivated"), "rk"
        )
        citizen = service.erase_citizen(
            cpr.replace("-", ""), actor="admin", reason="slettefrist", on=today()
        )
        assert service.keyring.store.row(citizen.id) is None
    finally:
        service.close()
