"""What the `forloeb` process does once, before a command runs, to start lighter."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import types
from typing import NoReturn

PLUGINS_ENV = "PYDANTIC_DISABLE_PLUGINS"
_DISABLED = ("__all__", "1", "true")


def skip_pydantic_plugin_scan() -> None:
    """Tell pydantic there are no plugins, unless PYDANTIC_DISABLE_PLUGINS says otherwise.

    forloeb uses no pydantic plugins, but pydantic looks for them when it builds
    its first validator: it imports importlib.metadata (with email, zipfile, csv
    and socket) and reads every installed package's entry points, a sizeable
    share of a command's start. Setting PYDANTIC_DISABLE_PLUGINS to anything but
    "__all__", "1" or "true" (a list of plugin names, or empty) keeps pydantic's
    own search.
    """
    if os.environ.setdefault(PLUGINS_ENV, "__all__") not in _DISABLED:
        return
    if "pydantic.plugin._loader" in sys.modules:
        return
    loader = types.ModuleType("pydantic.plugin._loader", "No pydantic plugins (forloeb).")
    loader.get_plugins = tuple  # type: ignore[attr-defined]
    sys.modules[loader.__name__] = loader


RESUME_AFTER_SECONDS = 0.5
"""How long a command runs before the cyclic garbage collector runs again."""


def defer_garbage_collection() -> None:
    """Collect no cyclic garbage during the command's first half second.

    Loading and running a short command creates objects by the hundred thousand
    (modules, classes, pydantic models and schemas) and almost none of them is
    garbage; the collector would walk them again and again, about a twentieth of
    a short write's time. A command still running after RESUME_AFTER_SECONDS (an
    import, the server) collects as usual from then on: a daemon timer calls
    `resume_garbage_collection`.
    """
    global _deferred
    if gc.isenabled():
        gc.disable()
        _deferred = True
        timer = threading.Timer(RESUME_AFTER_SECONDS, resume_garbage_collection)
        timer.daemon = True
        timer.start()


def resume_garbage_collection() -> None:
    """Keep what is loaded by now out of later collections (`gc.freeze`) and collect
    again, or at the end of a long catch-up that paused the collector meanwhile
    (`projections.collector`); does nothing unless `defer_garbage_collection`
    deferred it."""
    global _deferred
    if _deferred:
        _deferred = False
        gc.freeze()
        collector = sys.modules.get("projections.collector")  # loaded: a catch-up may pause
        if collector is None or not collector.resume_after_pause():
            gc.enable()


_deferred = False


def command_chosen(name: str) -> None:
    """Tell the console script's code cache (`cli.code_cache`), if installed, which
    command runs: what it compiles from now on is kept in that command's file."""
    code_cache = sys.modules.get("cli.code_cache")
    if code_cache is not None:
        code_cache.for_command(name)


_leaving_at_once = False


def will_exit_at_once() -> None:
    """Say that this process leaves with `exit_at_once` when its command is done."""
    global _leaving_at_once
    _leaving_at_once = True


def exits_at_once() -> bool:
    """Whether this process leaves with `exit_at_once` when its command is done (the
    console script), so what the operating system releases need not be closed first."""
    return _leaving_at_once


def exit_at_once(code: int) -> NoReturn:
    """Leave the process with `code` as soon as the output is flushed.

    The interpreter's own exit frees every module and object one by one, a large
    share of a short command's time, for nothing: by now click has closed the
    command's context, and with it the views and a store that needs closing
    (committed writes are in the database; nothing waits for a finaliser). The
    launcher leaves the same way after a served command. The code compiled anew
    this run is kept first (`cli.code_cache`), after the output.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`... | head`)
            stream.flush()
    code_cache = sys.modules.get("cli.code_cache")  # installed by the console script
    if code_cache is not None:
        code_cache.save()
    os._exit(code & 0xFF)
