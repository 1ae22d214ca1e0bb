"""The citizen's record on the command line: who looked, the right of access, erasure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import forloeb
from tests.citizen_store import CPR, Run, ok
from tests.conftest import initialised

NOTE = "Fortrolig note MARKER-c0de"


@pytest.fixture
def course(run: Run) -> str:
    """A closed course of the citizen, with a note."""
    out = ok(run("refer", "--cpr", CPR, "--programme", "pva", "--referring-caseworker", "sb",
                 "--note", NOTE, "--format", "json"))
    course_id: str = json.loads(out.stdout)["course_id"]
    ok(run("accept", course_id, "--consultant", "rk-anna"))
    ok(run("session", course_id, "--kind", "individual", "--note", NOTE))
    return course_id


def close(run: Run, course: str) -> None:
    ok(run("exit", course, "--unplanned", "--reason", "not_motivated"))


def audit_json(run: Run, ref: str, purpose: str = "kontrol", user: str = "rita") -> Any:
    return json.loads(ok(run("audit", ref, "--purpose", purpose, "--format", "json",
                             user=user)).stdout)


def test_every_look_at_the_record_is_recorded_and_listed_in_the_audit(
    run: Run, course: str, tmp_path: Path
) -> None:
    ok(run("show", course, user="anna"))
    ok(run("citizen", "export", CPR, "--out", str(tmp_path / "indsigt.json"),
           "--purpose", "aktindsigt"))
    ok(run("outcomes", "--programme", "pva"))  # a summary, not a look at one citizen

    report = audit_json(run, CPR, purpose="klagesag 2026-14")

    reads = [(r["actor"], r["what"], r["purpose"]) for r in report["reads"]]
    assert reads == [
        ("anna", "show", None),
        ("ole", "citizen-export", "aktindsigt"),
        ("rita", "audit", "klagesag 2026-14"),
    ]
    assert all(r["recorded_at"].endswith("+00:00") for r in report["reads"])


def test_the_audit_shows_the_cpr_in_full_and_asks_for_a_purpose(run: Run, course: str) -> None:
    report = audit_json(run, course)
    assert report["cpr"] == CPR

    missing = run("audit", CPR, user="rita")
    assert missing.exit_code == 2 and "purpose" in missing.output
    blank = run("audit", CPR, "--purpose", "  ", user="rita")
    assert blank.exit_code == 2 and "purpose" in blank.output


def test_the_citizen_export_holds_everything_recorded_about_them(
    run: Run, course: str, tmp_path: Path
) -> None:
    close(run, course)
    second = json.loads(ok(run("refer", "--cpr", CPR, "--programme", "pva",
                               "--referring-caseworker", "sb", "--format", "json")).stdout)
    out = tmp_path / "indsigt.json"

    ok(run("citizen", "export", CPR, "--out", str(out)))

    document = json.loads(out.read_text())
    assert document["citizen"]["cpr"] == CPR
    assert [c["course_id"] for c in document["courses"]] == [course, second["course_id"]]
    first = document["courses"][0]
    assert [e["type"] for e in first["history"]] == [
        "Referred", "Accepted", "SessionHeld", "ExitedUnplanned",
    ]
    assert first["history"][0]["details"]["note"] == NOTE
    assert first["state"] == "exited_unplanned"
    assert out.stat().st_mode & 0o777 == 0o600


def test_the_citizen_export_never_overwrites_and_needs_a_known_citizen(
    run: Run, course: str, tmp_path: Path
) -> None:
    out = tmp_path / "indsigt.json"
    out.write_text("keep me")

    exists = run("citizen", "export", CPR, "--out", str(out))
    unknown = run("citizen", "export", "020290-1234", "--out", str(tmp_path / "x.json"))

    assert exists.exit_code == 2 and "exists" in exists.output
    assert out.read_text() == "keep me"
    assert unknown.exit_code == 1 and not (tmp_path / "x.json").exists()


def test_erasure_asks_for_the_cpr_again_and_does_nothing_on_a_mismatch(
    run: Run, course: str
) -> None:
    close(run, course)

    refused = run("citizen", "erase", CPR, "--reason", "slettefrist", input="010190-9999\n")

    assert refused.exit_code == 1 and "nothing was erased" in refused.output
    assert audit_json(run, CPR)["erasure"] is None


def test_erasure_then_the_audit_by_course_shows_who_erased_and_when(
    run: Run, course: str
) -> None:
    close(run, course)

    ok(run("citizen", "erase", CPR, "--reason", "slettefrist udløbet", input=f"{CPR}\n"))

    report = audit_json(run, course)
    assert report["cpr"] is None
    assert report["erasure"]["actor"] == "ole"
    assert report["erasure"]["reason"] == "(erased)"  # sealed under the destroyed key
    assert [e["type"] for e in report["history"]] == [
        "Referred", "Accepted", "SessionHeld", "ExitedUnplanned",
    ]
    assert NOTE not in json.dumps(report)
    gone = run("audit", CPR, "--purpose", "x", user="rita")
    assert gone.exit_code == 1 and "no citizen" in gone.output
    assert run("verify", "--all", user="rita").exit_code == 0


def test_erasure_is_for_admins_only(run: Run, course: str) -> None:
    close(run, course)

    refused = run("citizen", "erase", CPR, "--reason", "x", "--yes", user="rita")

    assert refused.exit_code == 1
    assert audit_json(run, CPR)["erasure"] is None


def test_rotate_keys_without_the_stores_kek_folder_is_one_line_and_changes_nothing(
    run: Run, course: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The store's keys are under KEK 1 in FORLOEB_KEK_DIR; run without it, the SQLite
    store's default folder (the user's configuration folder) does not hold KEK 1."""
    monkeypatch.delenv("FORLOEB_KEK_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    result = run("citizen", "rotate-keys")
    assert result.exit_code == 1
    assert result.output.startswith("error: kek: key-encryption key 1 is not in the KEK folder")
    assert result.output.rstrip().endswith("(set FORLOEB_KEK_DIR to the store's)")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "config").exists()  # no KEK was made


def test_rotate_keys_is_for_an_admin(run: Run, course: str) -> None:
    result = run("citizen", "rotate-keys", user="anna")
    assert result.exit_code == 1
    assert "anna" in result.output


def test_erasure_then_rotation_rewraps_the_others_under_a_new_kek(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keks = tmp_path / "keks"
    monkeypatch.setenv("FORLOEB_KEK_DIR", str(keks))
    config = tmp_path / "forloeb.toml"
    config.write_text('[users.ole]\nrole = "admin"\n')
    monkeypatch.setenv("FORLOEB_CONFIG", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FORLOEB_DATABASE_URL", raising=False)
    db = initialised(tmp_path / "forloeb.sqlite")
    runner = CliRunner()

    def cli(*args: str) -> Result:
        return ok(runner.invoke(forloeb, ["--db", str(db), "--as", "ole", *args]))

    for cpr in (CPR, "020290-1234"):
        referred = cli("refer", "--cpr", cpr, "--programme", "pva",
                       "--referring-caseworker", "sb", "--format", "json")  # fmt: skip
        cli("exit", json.loads(referred.stdout)["course_id"], "--unplanned",
            "--reason", "not_motivated")  # fmt: skip
    assert sorted(p.name for p in keks.iterdir()) == ["kek-000001.key"]
    cli("citizen", "erase", CPR, "--reason", "slettefrist", "--yes")
    rotated = cli("citizen", "rotate-keys")
    assert "re-wrapped 1 citizen key(s) under KEK 2; destroyed KEK(s): 1" in rotated.stdout
    assert sorted(p.name for p in keks.iterdir()) == ["kek-000002.key"]
    shown = cli("audit", "020290-1234", "--purpose", "kontrol", "--format", "json")
    assert json.loads(shown.stdout)["cpr"] == "020290-1234"
    assert cli("verify", "--all").stdout.splitlines()[-1].endswith("no findings")
