"""Every command refuses a master key other than the store's, the read-only ones too."""

from __future__ import annotations

import pytest

from cli.bootstrap import open_service, open_views
from storage.secrets import MasterKey, MasterKeyProblem
from storage.store import StoreConfig
from tests.privacy.conftest import Run, ok, refer_and_close
from workflows import commands as cmd


def test_the_views_refuse_a_wrong_master_key_at_open(
    store: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = open_service(store)
    try:
        service.execute(
            cmd.Refer(cpr="010190-1234", programme="pva", referring_caseworker="sb"), "rk-anna"
        )
        views = open_views(store, service)
        views.catch_up()
    finally:
        service.close()
    monkeypatch.setenv("FORLOEB_MASTER_KEY", MasterKey.generate().text())

    with pytest.raises(MasterKeyProblem, match="not the key this store was set up with"):
        open_views(store)


@pytest.mark.parametrize(
    "command",
    [
        ("outcomes", "--programme", "pva"),
        ("caseload",),
        ("courses",),
        ("projections", "status"),
        ("verify", "--all"),
    ],
    ids=lambda c: " ".join(c),
)
def test_every_command_refuses_a_wrong_master_key_with_one_line(
    run: Run, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    refer_and_close(run)
    monkeypatch.setenv("FORLOEB_MASTER_KEY", MasterKey.generate().text())

    refused = run(*command)

    assert refused.exit_code == 1, refused.output
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and "master key" in lines[0], refused.output


def test_the_right_master_key_still_reads(run: Run) -> None:
    refer_and_close(run)
    ok(run("outcomes", "--programme", "pva"))
