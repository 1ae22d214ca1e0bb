"""`forloeb projections`: where the read views stand, rebuilding them, and a worker keeping
them current.

Every command that writes catches the views up before it exits (read your
writes), and every read command catches them up before it reads; `run` is
the same catch-up in a loop, for a deployment where writes come from other
places (an import job, another host) and reads should stay fast. Both feed
the same projections from the same log, so they give the same views.

`rebuild` empties a view and builds it again from the first event. If it is
interrupted, the view stays marked as rebuilding at the position it reached
(each batch commits with its position), and the next `rebuild` — or any
catch-up — continues from there instead of starting again.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from cli.context import app_context
from cli.errors import EXIT_INTERRUPTED
from cli.render import console, emit_model, format_option, table
from domain.errors import InvalidInput
from workflows.access import (
    PROJECTIONS_REBUILD,
    PROJECTIONS_RUN,
    PROJECTIONS_STATUS,
    PROJECTIONS_VERIFY,
)

if TYPE_CHECKING:
    from projections.catalog import Views, ViewStatus


def status_dict(status: ViewStatus) -> dict[str, Any]:
    """A view's position against the head of the log, as plain values."""
    return {
        "view": status.name,
        "position": status.position,
        "head": status.head,
        "behind": status.behind,
        "rebuilding": status.rebuilding,
    }


def _state(row: dict[str, Any]) -> str:
    if row["rebuilding"]:
        return "rebuilding (interrupted; run rebuild again to continue)"
    return "up to date" if row["behind"] == 0 else "behind"


@click.group("projections")
def projections_group() -> None:
    """The read views: their status, verifying and rebuilding them, keeping them caught up."""


@projections_group.command("status")
@format_option
def status_command(output_format: str) -> None:
    """Each view's position against the head of the event log (does not catch up)."""
    app = app_context()
    app.require(PROJECTIONS_STATUS)
    rows = [status_dict(s) for s in app.views.status()]
    head = rows[0]["head"] if rows else 0
    if output_format == "json":
        from cli.read_models.checks import ProjectionsStatus

        emit_model(ProjectionsStatus.model_validate({"head": head, "views": rows}))
        return
    cells = [[r["view"], r["position"], r["behind"], _state(r)] for r in rows]
    title = f"views; head of the log: {head}"
    console().print(table(title, ["view", "position", "behind", "state"], cells))


class RateColumn(ProgressColumn):
    """Events per second so far."""

    def render(self, task: Task) -> Text:
        """The task's speed, or a dash before there is one."""
        speed = task.finished_speed or task.speed
        return Text("– events/s" if speed is None else f"{speed:,.0f} events/s")


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress callback `(done, total)`: a rich bar with events/s and ETA on a terminal,
    nothing otherwise."""
    if not enabled:
        yield lambda done, total: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console(), transient=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _views_named(views: Views, name: str | None) -> list[str]:
    if name is None:
        return views.names
    if name not in views.names:
        raise InvalidInput("name", f"no view {name!r} (views: {', '.join(views.names)})")
    return [name]


@projections_group.command("verify")
@click.argument("name", required=False)
@format_option
def verify_command(name: str | None, output_format: str) -> None:
    """Compare each view (NAME, or all) with a rebuild from the log; name every difference.

    Exits 1 if any view differs (a row missing, extra or altered); `rebuild` repairs it.
    """
    from projections.verify import verify_views

    app = app_context()
    app.require(PROJECTIONS_VERIFY)
    views = app.views
    result = verify_views(views, _views_named(views, name))
    if output_format == "json":
        from cli.read_models.checks import Difference, ProjectionsVerify

        differences = [
            Difference(
                view=d.view, table=d.table, key=d.key, column=d.column,
                stored=d.stored, rebuilt=d.rebuilt,
            )
            for d in result.differences
        ]  # fmt: skip
        emit_model(ProjectionsVerify(views=result.views, rows=result.rows, differences=differences))
    else:
        for difference in result.differences:
            click.echo(difference.line())
        checked = f"{len(result.views)} views, {result.rows} rows"
        if result.differences:
            click.echo(
                f"{_count(len(result.differences), 'difference')} from a rebuild from the log "
                f"({checked}); forloeb projections rebuild repairs them"
            )
        else:
            click.echo(f"no differences: {checked} equal a rebuild from the log")
    if result.differences:
        raise SystemExit(1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@projections_group.command("rebuild")
@click.argument("name", required=False)
def rebuild_command(name: str | None) -> None:
    """Empty a view (NAME) or all of them and rebuild from the start of the log.

    Interrupted (Ctrl-C), a rebuild keeps what it has done; run it again to continue.
    """
    app = app_context()
    app.require(PROJECTIONS_REBUILD)
    views = app.views
    names = _views_named(views, name)
    out = console()
    before = {s.name: s for s in views.status() if s.name in names}
    resumed = [s for s in before.values() if s.rebuilding]
    for s in resumed:
        click.echo(f"{s.name}: continuing the interrupted rebuild from position {s.position}")
    label = f"rebuilding {name or 'all views'}"
    started = time.perf_counter()
    try:
        with progress_bar(label, out.is_terminal) as progress:
            processed = views.rebuild(name, progress)
    except KeyboardInterrupt:
        reached = min(s.position for s in views.status() if s.name in names)
        click.echo(
            f"interrupted at position {reached} of {views.head()}; "
            "run `forloeb projections rebuild` again to continue",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    seconds = time.perf_counter() - started
    rate = f", {processed / seconds:,.0f} events/s" if seconds > 0 and processed else ""
    what = "continued" if len(resumed) == len(names) else "rebuilt"
    click.echo(
        f"{', '.join(names)}: {what} to position {views.head()} "
        f"({processed} events in {seconds:.1f} s{rate})"
    )


class _Stop:
    """Set by SIGINT or SIGTERM: the worker finishes its batch and stops. A second signal
    interrupts at once."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()

    def check(self, done: int, total: int) -> None:
        """A progress callback stopping a long catch-up between batches (each committed)."""
        if self.event.is_set():
            raise _Stopped


class _Stopped(Exception):
    """The worker was asked to stop in the middle of a catch-up."""


@contextmanager
def stop_on_signals(stop: _Stop) -> Iterator[None]:
    """Route SIGINT and SIGTERM to `stop` while the worker runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _now() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")


MAX_INTERVAL_SECONDS = 3600.0


class Seconds(click.FloatRange):
    """A number of seconds in a range; NaN, which every range check lets through, is
    refused too."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if math.isnan(seconds):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


@projections_group.command("run")
@click.option(
    "--interval",
    type=Seconds(min=0.01, max=MAX_INTERVAL_SECONDS),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="how often to look for new events",
)
@click.option("--once", is_flag=True, help="catch up once and exit (for scripts and tests)")
def run_command(interval: float, once: bool) -> None:
    """Follow the event log and keep every view caught up, until Ctrl-C or SIGTERM."""
    app = app_context()
    app.require(PROJECTIONS_RUN)
    if app.principal is not None and not once:  # on the server, which would wait on it
        raise InvalidInput("once", "the shared server runs projections run --once only")
    views = app.views
    stop = _Stop()
    if not once:
        click.echo(
            f"following {app.store.describe()} every {interval:g} s "
            f"from position {min(s.position for s in views.status())} (Ctrl-C to stop)"
        )
    with stop_on_signals(stop):
        while True:
            try:
                processed = views.catch_up(stop.check)
            except _Stopped:
                break
            if processed or once:
                click.echo(f"{_now()} caught up {processed} events; views at {views.head()}")
            if once or stop.event.wait(interval):
                break
    if not once:
        position = min(s.position for s in views.status())
        click.echo(f"stopped; views at position {position} of {views.head()}")
