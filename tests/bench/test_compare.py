"""bench.compare: the table of two worktrees' bench runs (medians, changes, regressions)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.compare import Row, compare, figure_key, markdown, order, unmatched


def figure(name: str, value: float, unit: str, baseline: float | None = None) -> dict[str, Any]:
    """A figure as bench writes it to its results JSON."""
    ratio = None if baseline is None else value / baseline
    return {"benchmark": "5 CLI start [sqlite]", "name": name, "value": value, "unit": unit,
            "baseline": baseline, "ratio": ratio}  # fmt: skip


def run(*figures: dict[str, Any]) -> dict[str, Any]:
    return {"figures": list(figures)}


def test_medians_over_the_rounds_and_the_change_in_per_cent() -> None:
    base = [run(figure("write", v, "s", 0.020)) for v in (0.200, 0.210, 0.300)]
    head = [run(figure("write", v, "s", 0.020)) for v in (0.240, 0.231, 0.500)]

    (row,) = compare(base, head)

    assert (row.base, row.head) == (0.210, 0.240)
    assert row.change == pytest.approx(100 * 0.030 / 0.210)
    assert (row.base_ratio, row.head_ratio) == (pytest.approx(10.5), pytest.approx(12.0))
    assert row.ratio_change == pytest.approx(100 * 1.5 / 10.5)
    assert row.rounds == (3, 3)


def test_a_ratio_is_the_median_of_each_runs_ratio_not_of_the_medians() -> None:
    """A noisy run moves value and baseline together; its own ratio cancels that."""
    base = [run(figure("write", 0.2, "s", 0.02)), run(figure("write", 0.4, "s", 0.04)),
            run(figure("write", 0.3, "s", 0.03))]  # fmt: skip
    head = [run(figure("write", 0.2, "s", 0.02))]

    (row,) = compare(base, head)

    assert row.base_ratio == pytest.approx(10.0)
    assert row.ratio_change == pytest.approx(0.0)


def test_a_time_or_memory_growing_is_worse_and_a_throughput_falling_is_worse() -> None:
    base = [run(figure("write", 0.100, "s", 0.02), figure("import", 1000.0, "ev/s", 2000.0))]
    head = [run(figure("write", 0.115, "s", 0.02), figure("import", 850.0, "ev/s", 2000.0))]

    write, imported = compare(base, head)

    assert write.worse == pytest.approx(15.0) and write.regressed()
    assert imported.change == pytest.approx(-15.0)
    assert imported.worse == pytest.approx(15.0) and imported.regressed()


def test_faster_or_within_the_threshold_is_not_a_regression() -> None:
    base = [run(figure("write", 0.100, "s", 0.02), figure("import", 1000.0, "ev/s", 2000.0))]
    head = [run(figure("write", 0.109, "s", 0.02), figure("import", 1300.0, "ev/s", 2000.0))]

    write, imported = compare(base, head)

    assert not write.regressed() and not imported.regressed()
    assert imported.worse == pytest.approx(-30.0)


def test_a_slower_value_on_a_slower_machine_is_not_a_regression_by_its_ratio() -> None:
    """The whole run 30 % slower, the baseline too: the ratio has not moved."""
    base = [run(figure("write", 0.100, "s", 0.020))]
    head = [run(figure("write", 0.130, "s", 0.026))]

    (row,) = compare(base, head)

    assert row.worse == pytest.approx(30.0)
    assert row.ratio_worse == pytest.approx(0.0)
    assert not row.regressed()


def test_a_figure_without_a_baseline_is_judged_by_its_value() -> None:
    row = Row("4 duckdb [sqlite]", "export", "s", 0.1, 0.12, None, None, (1, 1))

    assert row.ratio_change is None and row.regressed()


def test_counts_that_differ_per_store_and_old_names_match_todays_figure() -> None:
    old = figure("session on a 60-event course, in-process (FORLOEB_SERVER=off)", 0.2, "s")
    new = figure("session on a 61-event course, in-process", 0.2, "s")
    served = figure("session on a 60-event course, served (forloeb serve)", 0.1, "s")
    remote = figure("session on a 61-event course, remote (forloeb server on loopback)", 0.1, "s")

    assert figure_key(old) == figure_key(new)
    assert figure_key(served) == figure_key(remote)
    assert figure_key(new)[1] == "session on a N-event course, in-process"
    assert figure_key(figure("rebuild all views (20,168 events)", 1.0, "ev/s"))[1] == (
        "rebuild all views (N events)"
    )
    assert figure_key(figure("batch 500 lines", 1.0, "ev/s"))[1] == "batch 500 lines"


def test_a_figure_on_one_side_only_is_named_not_compared() -> None:
    base = [run(figure("write", 0.1, "s"), figure("gone", 1.0, "s"))]
    head = [run(figure("write", 0.1, "s"), figure("new", 1.0, "s"))]

    assert [r.name for r in compare(base, head)] == ["write"]
    assert unmatched(base, head) == [
        "base only: 5 CLI start [sqlite]: gone",
        "head only: 5 CLI start [sqlite]: new",
    ]


def test_the_sides_take_turns_going_first() -> None:
    assert order(4) == ["base", "head", "head", "base", "base", "head", "head", "base"]


def test_the_table_shows_milliseconds_signed_changes_and_the_flag() -> None:
    base = [run(figure("write", 0.100, "s", 0.020))]
    head = [run(figure("write", 0.125, "s", 0.020))]

    table = markdown(compare(base, head)).splitlines()

    assert table[2] == (
        "| 5 CLI start [sqlite] | write | 100.0 ms | 125.0 ms | +25.0 % | 5.00 | 6.25 | +25.0 %"
        " | REGRESSED |"
    )
