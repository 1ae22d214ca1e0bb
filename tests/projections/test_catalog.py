"""The mechanism: catching up, tracking, rebuilding, and resuming after an interruption."""

from __future__ import annotations

import gc
import random
from datetime import date
from typing import Any

import pytest

from projections.base import REBUILDING, ViewProjection
from projections.catalog import VIEW_MODULES, Views, ViewStatus, registered, view_module
from tests.projections.history import Clinic
from workflows import commands as cmd

D = date


class Crash(Exception):
    """Stands in for the process dying."""


def busy_history(clinic: Clinic, citizens: int = 4) -> None:
    """A few courses with moves, measurements, meetings, a praktik and corrections."""
    for n in range(citizens):
        course = clinic.start(f"0101{90 + n}1234", f"rk-{n % 2}", D(2024, 1, 2), D(2024, 1, 9))
        clinic.baseline(course, D(2024, 2, 1))
        clinic.do(cmd.Meeting, course, D(2024, 3, 1))
        clinic.do(
            cmd.PraktikStart,
            course,
            D(2024, 3, 5),
            employer="Netto",
            hours_per_week=12,
            planned_end=D(2024, 6, 1),
        )
        clinic.do(
            cmd.Correct,
            course,
            D(2024, 3, 6),
            version=2,
            reason="typo",
            changes={"occurred_on": "2024-01-08"},
        )
        clinic.do(cmd.Correct, course, D(2024, 3, 6), version=6, reason="no", retract=True)
        if n % 2:
            clinic.do(cmd.PraktikEnd, course, D(2024, 5, 1), outcome="aborted")


def snapshot(views: Views) -> dict[str, Any]:
    return {name: views.view(name).snapshot() for name in views.names}


def test_catch_up_brings_every_view_to_the_head(clinic: Clinic, views: Views) -> None:
    busy_history(clinic)

    processed = views.catch_up()

    head = views.head()
    assert processed == head > 0
    assert views.status() == [ViewStatus(name, head, head) for name in views.names]


def test_catch_up_of_named_views_moves_only_those(clinic: Clinic, views: Views) -> None:
    busy_history(clinic)

    views.catch_up(views=["course_list"])
    behind_after_the_list = {s.name for s in views.status() if s.behind}
    views.catch_up(views=["caseload", "outcomes"])
    behind_after_two_more = {s.name for s in views.status() if s.behind}

    assert behind_after_the_list == {"caseload", "audit", "outcomes", "milestones"}
    assert behind_after_two_more == {"audit", "milestones"}


def test_each_view_is_named_after_its_module() -> None:
    for module, spec in zip(VIEW_MODULES, registered(), strict=True):
        assert view_module(spec.name) == module


def test_catch_up_with_nothing_new_is_a_no_op(clinic: Clinic, views: Views) -> None:
    busy_history(clinic)
    views.catch_up()
    before = snapshot(views), views.status()

    assert views.catch_up() == 0
    assert (snapshot(views), views.status()) == before


def test_catch_up_on_an_empty_log(views: Views) -> None:
    assert views.catch_up() == 0
    assert {(s.position, s.head) for s in views.status()} == {(0, 0)}


def test_catch_up_processes_only_what_is_new(clinic: Clinic, views: Views) -> None:
    course = clinic.refer("0101901234", D(2024, 1, 2))
    views.catch_up()
    clinic.do(cmd.Session, course, D(2024, 1, 3))

    assert views.catch_up() == 1
    assert views.course_list.list_courses()[0].version == 2


def test_progress_counts_up_to_the_head(clinic: Clinic, views: Views) -> None:
    busy_history(clinic)
    views.batch_size = 7
    seen: list[tuple[int, int]] = []

    views.catch_up(progress=lambda done, total: seen.append((done, total)))

    head = views.head()
    assert seen[-1] == (head, head)
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})


def test_rebuild_from_zero_equals_the_caught_up_views(clinic: Clinic, views: Views) -> None:
    course = clinic.refer("0909901234", D(2024, 1, 2))
    views.catch_up()
    busy_history(clinic)
    clinic.do(cmd.Session, course, D(2024, 1, 3))
    views.catch_up()
    caught_up = snapshot(views)

    assert views.rebuild() == views.head()
    assert snapshot(views) == caught_up
    assert all(s.position == s.head and not s.rebuilding for s in views.status())


def test_rebuild_of_one_view_leaves_the_others(clinic: Clinic, views: Views) -> None:
    busy_history(clinic, citizens=2)
    views.catch_up()
    before = snapshot(views)
    audit_rows = views.audit.snapshot()

    with views.audit.transaction(commit=True) as c:
        views.audit.reset(c)
    views.view("audit").finish_rebuild()
    assert views.audit.snapshot() != audit_rows

    views.rebuild("audit")
    assert snapshot(views) == before


def test_unknown_view_is_refused(views: Views) -> None:
    with pytest.raises(KeyError, match="course_list"):
        views.rebuild("no-such-view")


@pytest.mark.parametrize("seed", range(4))
def test_an_interrupted_rebuild_resumes_where_it_stopped(
    clinic: Clinic, views: Views, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_history(clinic)
    views.catch_up()
    expected = snapshot(views)
    rng = random.Random(seed)
    views.batch_size = rng.randint(1, 12)
    crash_at = rng.randint(1, views.head())
    _crash_at_event(monkeypatch, crash_at)

    with pytest.raises(Crash):
        views.rebuild()

    status = views.status()
    assert all(s.rebuilding for s in status)
    assert all(s.position < crash_at for s in status)  # the failed batch left nothing
    monkeypatch.undo()
    if seed % 2:
        views.rebuild()  # a second rebuild continues, it does not start over
    else:
        views.catch_up()
    assert snapshot(views) == expected
    assert not any(s.rebuilding for s in views.status())


def test_a_long_catch_up_commits_every_few_batches_and_a_crash_loses_only_the_last_commit(
    clinic: Clinic, views: Views, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_history(clinic)
    head = views.head()
    views.batch_size, views.batches_per_commit = 3, 2  # a commit every 6 notifications
    crash_at = 20  # in the fourth transaction's second batch (notifications 19-21)
    committed: list[int] = []
    _crash_at_event(monkeypatch, crash_at)

    with pytest.raises(Crash):
        views.catch_up(progress=lambda done, total: committed.append(done))

    assert committed == [6, 12, 18]
    assert {s.position for s in views.status()} == {18}
    monkeypatch.undo()
    assert views.catch_up() == head - 18
    caught_up = snapshot(views)
    views.batches_per_commit = 1
    views.rebuild()
    assert snapshot(views) == caught_up


def test_status_reads_each_views_own_position_and_rebuilding_mark(
    clinic: Clinic, views: Views, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_history(clinic, citizens=3)
    views.catch_up()
    caught_up = views.head()
    views.batch_size = 3
    _crash_at_event(monkeypatch, caught_up - 4)
    with pytest.raises(Crash):
        views.rebuild("course_list")
    monkeypatch.undo()

    status = {s.name: s for s in views.status()}

    for name in views.names:
        view = views.view(name)
        assert (status[name].position, status[name].rebuilding) == (
            view.position(),
            view.max_tracking_id(REBUILDING) is not None,
        )
    assert status["course_list"].rebuilding and status["course_list"].position < caught_up - 4
    assert {status[n].position for n in views.names if n != "course_list"} == {caught_up}
    assert views.catch_up() > 0
    assert all(s.position == caught_up and not s.rebuilding for s in views.status())


def test_a_crash_in_catch_up_counts_no_event_twice(
    clinic: Clinic, views: Views, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_history(clinic)
    views.batch_size = 5
    _crash_at_event(monkeypatch, 23)

    with pytest.raises(Crash):
        views.catch_up()
    monkeypatch.undo()
    views.catch_up()
    caught_up = snapshot(views)

    views.rebuild()
    assert snapshot(views) == caught_up


def test_a_second_reader_finds_the_work_done(
    clinic: Clinic, views: Views, store: Any, service: Any
) -> None:
    from projections.catalog import open_views

    busy_history(clinic, citizens=2)
    with open_views(store, app=service) as other:
        assert other.catch_up() == views.head()
        assert views.catch_up() == 0
        assert snapshot(views) == snapshot(other)


def _crash_at_event(monkeypatch: pytest.MonkeyPatch, position: int) -> None:
    """Make the projections fail when they reach the event at `position`."""
    original = ViewProjection.project

    def project(self: ViewProjection[Any], c: Any, events: Any) -> None:
        original(self, c, [e for e in events if e[1] < position])
        if any(n >= position for _, n in events):
            raise Crash(position)

    monkeypatch.setattr(ViewProjection, "project", project)


def _collector_while_projecting(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the cyclic collector was running at each batch a projection was given."""
    seen: list[bool] = []
    original = ViewProjection.project

    def project(self: Any, c: Any, events: Any) -> None:
        seen.append(gc.isenabled())
        original(self, c, events)

    monkeypatch.setattr(ViewProjection, "project", project)
    return seen


def test_a_long_catch_up_pauses_the_collector_and_leaves_it_running(
    clinic: Clinic, views: Views, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_history(clinic, citizens=2)
    views.batch_size = 3  # the whole log is long for batches of 3
    seen = _collector_while_projecting(monkeypatch)

    views.rebuild()

    assert seen and not any(seen)
    assert gc.isenabled()


def test_a_short_catch_up_leaves_the_collector_running(
    clinic: Clinic, views: Views, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = clinic.refer("0909901234", D(2024, 1, 2))
    views.catch_up()
    clinic.do(cmd.Session, course, D(2024, 1, 3))
    seen = _collector_while_projecting(monkeypatch)

    assert views.catch_up() == 1
    assert seen and all(seen)
