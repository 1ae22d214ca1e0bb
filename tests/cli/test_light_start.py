"""A light start: `--help` imports no command module and shows each command's own summary
as a whole sentence; nothing builds a pydantic schema at import time; a write catches up
only the course list, and every read command still shows every write."""

from __future__ import annotations

import importlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from uuid import uuid5

import click
import pytest

from cli.main import COMMANDS, WRITE, load_command, write_commands
from projections.catalog import open_views, registered
from storage.store import StoreConfig
from tests.cli.conftest import Run
from workflows import commands
from workflows.commands import COMMAND_NAMESPACE, COMMANDS_BY_NAME, HOMES, Command

ROOT = Path(__file__).resolve().parents[2]


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `code`."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return set(found)


def command_modules() -> set[str]:
    """The modules the command table points at."""
    return {target.partition(":")[0] for target, _ in COMMANDS.values()}


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_imports_none_of_the_command_modules(flag: str) -> None:
    imported = modules_after(
        f"from cli.main import forloeb\nforloeb.main([{flag!r}], standalone_mode=False)"
    )

    assert not command_modules() & imported
    assert "workflows.commands" not in imported
    assert "pydantic" not in imported


def test_each_stored_summary_is_the_commands_own_short_help() -> None:
    for name, (_, summary) in COMMANDS.items():
        assert load_command(name).get_short_help_str(limit=10**6) == summary, name


def test_the_table_lists_every_write_command_and_nothing_else_as_one() -> None:
    written = {name for name, (target, _) in COMMANDS.items() if target == WRITE}

    assert written == set(write_commands())


def test_every_summary_in_help_is_a_whole_sentence(run: Run) -> None:
    shown = " ".join(run("--help").output.split())

    for name, (_, summary) in COMMANDS.items():
        assert summary.endswith("."), name
        assert "…" not in summary, name
        assert f"{name} {summary}" in shown


@pytest.mark.parametrize(
    "group", sorted(name for name in COMMANDS if isinstance(load_command(name), click.Group))
)
def test_a_group_lists_its_commands_with_whole_sentences(run: Run, group: str) -> None:
    shown = " ".join(run(group, "--help").output.split())
    commands = cast("click.Group", load_command(group)).commands

    assert commands
    for name, command in commands.items():
        summary = " ".join(command.get_short_help_str(limit=10**6).split())
        assert summary.endswith("."), (group, name)
        assert f"{name} {summary}" in shown


def test_no_pydantic_schema_is_built_at_import_time() -> None:
    imported = modules_after("import domain.values, domain.events, domain.course, cli.write")

    assert "pydantic.plugin._loader" not in imported  # loaded with the first schema


def test_the_command_line_skips_pydantic_s_plugin_search() -> None:
    code = (
        "from cli.startup import skip_pydantic_plugin_scan\n"
        "skip_pydantic_plugin_scan()\n"
        "from workflows.commands import Session\n"
        "Session.model_validate({'course': 'abcd', 'note': 'x'})"
    )

    assert "importlib.metadata" not in modules_after(code)


def test_pydantic_s_plugin_search_stays_when_plugins_are_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "")
    code = (
        "from cli.startup import skip_pydantic_plugin_scan\n"
        "skip_pydantic_plugin_scan()\n"
        "from workflows.commands import Session\n"
        "Session.model_validate({'course': 'abcd', 'note': 'x'})"
    )

    assert "importlib.metadata" in modules_after(code)


def test_a_write_catches_up_the_course_list_and_leaves_the_other_views_for_their_readers(
    run: Run, referred: str, db_path: Path
) -> None:
    result = run("accept", referred, "--consultant", "mette", "--occurred-on", "2019-01-10")
    assert result.exit_code == 0, result.output

    with open_views(StoreConfig(sqlite_path=db_path)) as views:
        behind = {s.name for s in views.status() if s.behind}
    assert behind == {"caseload", "audit", "outcomes", "milestones"}


def test_init_creates_every_view_s_tables_though_views_open_when_used(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import forloeb

    store = tmp_path / "new.sqlite"
    result = CliRunner().invoke(
        forloeb,
        ["init", "--db", str(store), "--as", "anna"],
        env={"FORLOEB_CONFIG": str(tmp_path / "forloeb.toml")},
    )

    assert result.exit_code == 0, result.output
    with sqlite3.connect(store) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {f"{spec.name}_tracking" for spec in registered()} <= tables


def test_views_open_only_when_used(tmp_path: Path) -> None:
    imported = modules_after(
        "from pathlib import Path\n"
        "from storage.store import StoreConfig\n"
        "from projections.catalog import open_views\n"
        f"views = open_views(StoreConfig(sqlite_path=Path({str(tmp_path / 's.sqlite')!r})))\n"
        "views.catch_up(views=['course_list'])"
    )

    assert "projections.course_list" in imported
    assert not {"projections.caseload", "projections.audit", "projections.outcomes"} & imported


def _consultants(found: Any) -> set[str]:
    """Every consultant named anywhere in a read command's JSON."""
    text = json.dumps(found)
    return set(re.findall(r'"consultant": "([^"]+)"', text))


def _referred(outcomes: Any) -> int:
    """The outcome tables' count of referred courses (VIVE table 5.1)."""
    status = next(t for t in outcomes["tables"] if t["name"] == "status")
    count: int = next(r for r in status["rows"] if r["label"] == "referred")["cells"][0]["value"]
    return count


READS: dict[str, tuple[tuple[str, ...], Callable[[Any], bool]]] = {
    "courses": (("courses",), lambda rows: _consultants(rows) == {"bo"}),
    "caseload": (("caseload", "--as-of", "2019-01-12"), lambda c: _consultants(c) == {"bo"}),
    "due": (("due", "--as-of", "2019-06-01"), lambda d: _consultants(d) == {"bo"}),
    "show": (("show", "COURSE"), lambda shown: shown["consultant"] == "bo"),
    "audit": (
        ("audit", "010190-1234", "--purpose", "test"),
        lambda found: "ConsultantReassigned" in json.dumps(found),
    ),
}


@pytest.mark.all_modes
@pytest.mark.parametrize("read", sorted(READS))
def test_a_read_command_run_next_shows_the_write(
    read: str, run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    """Given a course accepted by mette, when bo takes it over (a write that catches up
    only the course list), then the read command run next shows bo."""
    assert (
        run("accept", referred, "--consultant", "mette", "--occurred-on", "2019-01-10").exit_code
        == 0
    )
    assert (
        run("reassign", referred, "--consultant", "bo", "--occurred-on", "2019-01-11").exit_code
        == 0
    )
    args, shows_the_write = READS[read]

    found = run_json(*[referred if arg == "COURSE" else arg for arg in args])

    assert shows_the_write(found), found


@pytest.mark.all_modes
def test_the_outcome_tables_run_next_show_the_write(
    run: Run, run_json: Callable[..., Any], referred: str
) -> None:
    """Given one course referred, when a second citizen is referred, then `outcomes` run
    next counts two."""
    second = run(
        "refer", "--cpr", "0202901234", "--programme", "pva",
        "--referring-caseworker", "bo", "--occurred-on", "2019-01-03",
    )  # fmt: skip
    assert second.exit_code == 0, second.output

    assert _referred(run_json("outcomes", "--programme", "pva")) == 2


def installed(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, in-process (no server)."""
    script = Path(sys.executable).with_name("forloeb")
    env = {**os.environ, "FORLOEB_SERVER": "off"}
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, env=env, check=False
    )


def test_the_console_script_leaves_at_once_with_its_output_and_exit_code() -> None:
    listed = installed("--help")
    unknown = installed("nope")

    assert listed.returncode == 0
    assert listed.stdout.rstrip().endswith("transitions table).")  # all of it, flushed
    assert unknown.returncode == 2
    assert "No such command 'nope'" in unknown.stderr


def _modules_of_a_run(argv: list[str], env: dict[str, str]) -> set[str]:
    """The modules a fresh `forloeb ARGV` process (in-process mode) has imported at its end
    (started as the console script starts it: no pydantic plugin search)."""
    probe = (
        "import sys, json\n"
        "from cli.startup import skip_pydantic_plugin_scan\n"
        "skip_pydantic_plugin_scan()\n"
        "from cli.main import forloeb\n"
        f"code = forloeb.main({argv!r}, standalone_mode=False)\n"
        "assert code == 0, code\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
        check=True,
    )  # fmt: skip
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return set(found)


def test_a_write_with_the_master_key_file_at_home_does_not_load_the_os_keyring(
    tmp_path: Path,
) -> None:
    """Given the user's master key in their configuration folder, a write reads it there
    and never imports `keyring` (which loads every backend it knows)."""
    from storage.secrets import MasterKey

    config_home = tmp_path / "config"
    (config_home / "forloeb").mkdir(parents=True)
    MasterKey.generate().write(config_home / "forloeb" / "master.key")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORLOEB_")}
    env |= {
        "XDG_CONFIG_HOME": str(config_home),
        "FORLOEB_CONFIG": str(tmp_path / "forloeb.toml"),
        "FORLOEB_SERVER": "off",
    }
    store = str(tmp_path / "store" / "forloeb.sqlite")
    _modules_of_a_run(["init", "--db", store, "--as", "anna"], env)

    imported = _modules_of_a_run(
        ["--db", store, "--as", "anna", "refer", "--cpr", "0101901234", "--programme", "pva",
         "--referring-caseworker", "bo", "--occurred-on", "2019-01-02"],
        env,
    )  # fmt: skip

    assert "storage.keys" in imported  # the write did open the store
    assert not {name for name in imported if name.split(".")[0] == "keyring"}


def test_a_write_builds_only_the_command_model_it_uses() -> None:
    code = (
        "from cli.main import load_command\n"
        "load_command('session')\n"
        "from workflows.commands import COMMANDS_BY_NAME, Session\n"
        "Session.model_validate({'course': 'abcd', 'note': 'x'})\n"
        "built = sorted(n for n, c in COMMANDS_BY_NAME.items() if c.__pydantic_complete__)\n"
        "print(built)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )

    assert done.stdout.split("\n")[-2] == "['session']"


def _collection_after(delay: float, wait: float) -> str:
    """gc.isenabled() after a command ran, then after `wait` seconds more, and whether
    anything was frozen, with collection deferred for `delay` seconds."""
    code = (
        "import gc, time\n"
        "import cli.startup\n"
        f"cli.startup.RESUME_AFTER_SECONDS = {delay}\n"
        "cli.startup.defer_garbage_collection()\n"
        "from cli.main import forloeb\n"
        "forloeb.main(['workflow', '--help'], standalone_mode=False)\n"
        "ran = gc.isenabled()\n"
        f"time.sleep({wait})\n"
        "print(ran, gc.isenabled(), gc.get_freeze_count() > 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return done.stdout.splitlines()[-1]


def test_the_command_line_collects_no_garbage_while_a_short_command_runs() -> None:
    assert _collection_after(delay=60, wait=0) == "False False False"


def test_a_command_still_running_later_collects_as_usual_what_was_loaded_frozen() -> None:
    assert _collection_after(delay=0.01, wait=0.5) == "True True True"


def test_a_process_that_had_turned_collection_off_keeps_it_off() -> None:
    code = (
        "import gc\n"
        "gc.disable()\n"
        "from cli.startup import defer_garbage_collection, resume_garbage_collection\n"
        "defer_garbage_collection()\n"
        "resume_garbage_collection()\n"
        "print(gc.isenabled())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )

    assert done.stdout.strip() == "False"


def test_a_remote_command_leaves_the_garbage_collector_alone() -> None:
    """Deferring collection (a timer thread) is for in-process commands: the remote
    client sends the command and leaves, within its 100 ms."""
    code = (
        "import gc, os, sys\n"
        "import cli.remote as remote\n"
        "remote.run_remote = lambda server, argv: (0, '', '')\n"
        "real_exit = os._exit\n"
        "def leave(code):\n"
        "    print(gc.isenabled(), 'cli.startup' in sys.modules, 'threading' in sys.modules)\n"
        "    sys.stdout.flush()\n"
        "    real_exit(code)\n"
        "os._exit = leave\n"
        "sys.argv = ['forloeb', '--server', 'http://127.0.0.1:9', 'courses']\n"
        "remote.main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )

    assert done.stdout.strip() == "True False False"


COMMAND_MODULES = {module for module, _ in HOMES.values()}


def test_a_write_imports_only_the_module_of_its_own_command(tmp_path: Path) -> None:
    """Given a course, `forloeb session` imports the module that holds `Session` and none
    of the other command modules (each builds its pydantic models as it is imported), nor
    the citizen index it does not touch (given the course's id, not the CPR), and finds
    the shipped programme definitions without importlib.resources."""
    env = {k: v for k, v in os.environ.items() if k != "FORLOEB_SERVER_URL"}
    env |= {"FORLOEB_CONFIG": str(tmp_path / "forloeb.toml"), "FORLOEB_SERVER": "off"}
    store = str(tmp_path / "forloeb.sqlite")
    _modules_of_a_run(["init", "--db", store, "--as", "anna"], env)
    _modules_of_a_run(
        ["--db", store, "--as", "anna", "refer", "--cpr", "0101901234", "--programme", "pva",
         "--referring-caseworker", "bo", "--occurred-on", "2019-01-02", "--command-id", "c1"],
        env,
    )  # fmt: skip
    course = str(uuid5(COMMAND_NAMESPACE, "c1"))  # the course the referral's id opens
    _modules_of_a_run(
        ["--db", store, "--as", "anna", "accept", course, "--consultant", "anna",
         "--occurred-on", "2019-01-03"],
        env,
    )  # fmt: skip

    imported = _modules_of_a_run(
        ["--db", store, "--as", "anna", "session", course[:8], "--note", "first talk"], env
    )

    assert imported & COMMAND_MODULES == {"workflows.activity_commands"}
    assert "importlib.resources" not in imported  # with tempfile, shutil, bz2, lzma, zipfile
    assert "domain.citizen" not in imported  # the citizen index: referrals, reads, erasure


def test_the_command_table_names_each_class_where_it_is() -> None:
    classes = {name: COMMANDS_BY_NAME[name] for name in HOMES}

    for name, (module, class_name) in HOMES.items():
        assert classes[name].name == name
        assert (classes[name].__module__, classes[name].__name__) == (module, class_name)
    defined = {
        cls
        for module in COMMAND_MODULES
        for cls in vars(importlib.import_module(module)).values()
        if isinstance(cls, type) and issubclass(cls, Command) and cls.__module__ == module
    }
    assert defined == set(classes.values())


@pytest.mark.parametrize(
    "class_name", ["Refer", "Reject", "JobStart", "Reassign", "TeamAdd", "Exit", "Correct"]
)
def test_a_type_check_without_the_import_agrees_with_isinstance(class_name: str) -> None:
    guard = getattr(commands, f"is_{re.sub(r'(?<!^)(?=[A-Z])', '_', class_name).lower()}")
    cls = getattr(commands, class_name)

    for other in COMMANDS_BY_NAME.values():
        instance = other.model_construct()
        assert guard(instance) == isinstance(instance, cls), other.name


def test_the_console_script_leaves_a_sqlite_store_to_the_exit_and_the_write_is_there(
    tmp_path: Path,
) -> None:
    """An in-process command run by the console script does not close a SQLite store: the
    write-ahead log stays (no checkpoint, no fsync of the file at the end); the next
    process reads the write from it."""
    env = {k: v for k, v in os.environ.items() if k != "FORLOEB_SERVER_URL"}
    env |= {"FORLOEB_CONFIG": str(tmp_path / "forloeb.toml"), "FORLOEB_SERVER": "off"}
    store = tmp_path / "forloeb.sqlite"
    script = str(Path(sys.executable).with_name("forloeb"))
    subprocess.run([script, "init", "--db", str(store), "--as", "anna"], env=env, check=True)

    subprocess.run(
        [script, "--db", str(store), "--as", "anna", "refer", "--cpr", "0101901234",
         "--programme", "pva", "--referring-caseworker", "bo", "--occurred-on", "2019-01-02"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip

    assert Path(f"{store}-wal").stat().st_size > 0
    shown = subprocess.run(
        [script, "--db", str(store), "--as", "anna", "courses", "--format", "json"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert [row["cpr_masked"] for row in json.loads(shown.stdout)["courses"]] == ["010190-xxxx"]


def test_a_command_run_in_a_process_that_goes_on_closes_the_sqlite_store(
    run: Run, referred: str, db_path: Path
) -> None:
    assert run("session", referred, "--note", "x").exit_code == 0

    assert not Path(f"{db_path}-wal").exists()  # the last connection closed checkpointed it


def test_only_stores_whose_commits_are_durable_without_a_close_are_left_to_the_exit() -> None:
    assert StoreConfig(sqlite_path=Path("x.sqlite")).backend.left_to_exit
    assert not StoreConfig(database_url="postgresql://h/db").backend.left_to_exit


def test_a_write_reads_the_definition_of_its_course_s_programme_and_no_other(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FORLOEB_SERVER_URL"}
    env |= {"FORLOEB_CONFIG": str(tmp_path / "forloeb.toml"), "FORLOEB_SERVER": "off"}
    store = str(tmp_path / "forloeb.sqlite")
    _modules_of_a_run(["init", "--db", store, "--as", "anna"], env)
    _modules_of_a_run(
        ["--db", store, "--as", "anna", "refer", "--cpr", "0101901234", "--programme", "oph",
         "--referring-caseworker", "bo", "--occurred-on", "2019-01-02"],
        env,
    )  # fmt: skip
    probe = (
        "from cli.main import forloeb\n"
        f"code = forloeb.main(['--db', {store!r}, '--as', 'anna', 'accept', '0101901234', "
        "'--consultant', 'anna', '--occurred-on', '2019-01-03'], standalone_mode=False)\n"
        "assert code == 0, code\n"
        "from programmes.catalogue import shipped\n"
        "print(shipped().entries.parsed())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
        check=True,
    )  # fmt: skip

    assert done.stdout.splitlines()[-1] == "['oph']"


def _console_script_compilations(argv: list[str], env: dict[str, str]) -> int:
    """How many generated source texts (dataclass methods, forward references) a console
    script run of `forloeb ARGV` compiled instead of taking from its code cache."""
    probe = (
        "import os, sys\n"
        "import cli.code_cache as code_cache\n"
        "real_save = code_cache.CodeCache.save\n"
        "def save(self):\n"
        "    print('compiled', self.compiled, file=sys.stderr)\n"
        "    real_save(self)\n"
        "code_cache.CodeCache.save = save\n"
        f"sys.argv = ['forloeb', *{argv!r}]\n"
        "from cli.remote import main\n"
        "main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
        check=True,
    )  # fmt: skip
    return sum(int(line.split()[1]) for line in done.stderr.splitlines() if "compiled " in line)


def test_a_repeated_write_compiles_none_of_the_code_dataclasses_typing_and_re_generate(
    tmp_path: Path,
) -> None:
    """Given a write run once by the console script, the same write again takes every
    dataclass method, forward reference and regular expression from the code cache
    (`cli.code_cache`) and leaves its file as it was."""
    env = {k: v for k, v in os.environ.items() if k != "FORLOEB_SERVER_URL"}
    env |= {
        "FORLOEB_CONFIG": str(tmp_path / "forloeb.toml"),
        "FORLOEB_SERVER": "off",
        "FORLOEB_CODE_CACHE": str(tmp_path / "generated.bin"),
    }
    store = str(tmp_path / "forloeb.sqlite")
    _modules_of_a_run(["init", "--db", store, "--as", "anna"], env)
    refer = ["--db", store, "--as", "anna", "refer", "--programme", "pva",
             "--referring-caseworker", "bo", "--occurred-on", "2019-01-02", "--cpr"]  # fmt: skip

    first = _console_script_compilations([*refer, "0101901234"], env)
    files = {p.name: p.read_bytes() for p in tmp_path.glob("generated*.bin")}
    again = _console_script_compilations([*refer, "0202901234"], env)

    assert first > 100  # the libraries' and our dataclasses, pydantic-core's TypedDicts
    assert again <= 1  # the tokenizer's pattern, built in hash order (`NEW_TO_SAVE`)
    assert set(files) == {"generated.bin", "generated.refer.bin"}  # the start's, refer's
    assert {p.name: p.read_bytes() for p in tmp_path.glob("generated*.bin")} == files
