"""Child process: one CLI write, timed phase by phase, printed as JSON.

Does what `forloeb session COURSE --note bench` does (`cli.write.run_write`),
in the same order, with a clock around each step, so the parent can show
where a write command's time goes. Run as
`python -m bench.cli_phases STORE-OPTIONS... -- COURSE`.
"""

from __future__ import annotations

import json
import sys
import time

STARTED = time.perf_counter()


def main(argv: list[str]) -> None:
    """Time: importing the CLI, opening the service, deciding and saving, the views."""
    store_args, course = argv[: argv.index("--")], argv[argv.index("--") + 1]
    options = dict(zip(store_args[::2], store_args[1::2], strict=True))
    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = now - clock
        clock = now

    from cli.startup import defer_garbage_collection

    defer_garbage_collection()  # as the console script does first
    from cli.code_cache import install, save

    install()  # and then
    import cli.main  # noqa: F401  (what the console script imports first)
    from cli.startup import skip_pydantic_plugin_scan

    skip_pydantic_plugin_scan()  # as the console script's main() does

    lap("import cli.main (click; no command module)")
    from cli.context import AppContext
    from cli.vocabulary import build_command
    from cli.write import WRITE_VIEWS
    from workflows.commands import Session

    app = AppContext(
        actor="bench", db=options.get("--db"), database_url=options.get("--database-url")
    )
    service = app.service
    lap("open the service (imports commands, domain, pydantic, eventsourcing; connects)")
    command = build_command(Session, {"course": course, "note": "bench"})
    service.execute(command, app.actor)  # the reply's state comes with the outcome
    lap("execute: load course, decide, save")
    app.caught_up_views(*WRITE_VIEWS)
    lap("views a write catches up: open + catch up the new event")
    app.close()
    lap("close")
    save()  # as the console script does at its exit: once, on the warm-up run
    modules = len(sys.modules)
    print(json.dumps({"phases": phases, "since_main_start": clock - STARTED, "modules": modules}))


if __name__ == "__main__":
    main(sys.argv[1:])
