"""A clean, uninterrupted import of the crash tests' file: what every kill is checked against."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.config import load_config, save_users
from cli.demo import cohort_staff
from demo import generate
from storage.store import StoreConfig
from tests.conftest import initialised

from .crashes import ImportTiming, Log, Watcher, log_size, size_query, start

IMPORT_SIZE = 120
"""Citizens in the import file: about 3,700 lines (8 batches of 500), 4,100 events."""
IMPORT_SEED = 11


@dataclass(frozen=True)
class CleanRun:
    """An import run to completion on a fresh SQLite store, and how long it took."""

    file: Path
    store: StoreConfig
    log: Log
    seconds: float
    """The whole run, start-up and catching the views up included."""
    writing: float
    """From the start until the log held all its events."""
    timing: ImportTiming


def write_import_file(path: Path, size: int, seed: int) -> Path:
    """The demo cohort of `size` citizens as a JSONL import file (every line has a
    command id of its own); the staff its lines name become users of the test
    configuration, as an import records lines only for configured users."""
    add_cohort_staff(size)
    with path.open("w", encoding="utf-8") as out:
        for line in generate(size=size, seed=seed):
            out.write(json.dumps(line, default=str) + "\n")
    return path


def add_cohort_staff(size: int) -> None:
    """Add the staff of a demo cohort of `size` to the test configuration (FORLOEB_CONFIG)."""
    config = load_config(Path(os.environ["FORLOEB_CONFIG"]))
    users = {**cohort_staff(size), **config.content.users}
    save_users(config, users)


@pytest.fixture(scope="session")
def clean_import(tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    """The import file, imported once without interruption by the installed command."""
    folder = tmp_path_factory.mktemp("clean-import")
    file = write_import_file(folder / "cohort.jsonl", IMPORT_SIZE, IMPORT_SEED)
    store = StoreConfig(sqlite_path=initialised(folder / "clean.sqlite"))
    started = time.monotonic()
    process = start(store, folder, "import", str(file))
    commits: list[float] = []
    with Watcher(store, size_query) as size:
        events = 0
        while process.poll() is None:
            now = size()
            if now > events:
                events = now
                commits.append(time.monotonic() - started)
            time.sleep(0.005)
    out, err = process.communicate()
    seconds = time.monotonic() - started
    assert process.returncode == 0, err
    assert ", 0 refused" in out, out
    log = Log()
    log.read(store)
    assert len(commits) > 3, "the import must write in several batches"
    timing = ImportTiming(
        events=log_size(store),
        batch=(commits[-1] - commits[0]) / (len(commits) - 1),
        catch_up=seconds - commits[-1],
    )
    return CleanRun(file, store, log, seconds, commits[-1], timing)
