"""`python -m bench.compare BASE HEAD -- BENCH-ARGS`: `make bench` in two worktrees, alternating.

Runs `python -m bench BENCH-ARGS` in the worktree BASE, then in HEAD, for
--rounds rounds (the order flips every round: base, head, head, base, ...),
each with its own venv, so both sides see the same load on a shared machine.
Then one row per figure: the medians over the rounds of each side's value,
the change in per cent, each side's median ratio to its same-run baseline
(`python -c pass`, the bare decode loop, ...) and the change of that ratio,
which cancels most of the machine's noise. A figure worse by more than
--threshold per cent on both counts is flagged. Writes the rows and every
run's results path to bench/results/compare-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.measure import RESULTS_DIR, median, say

THRESHOLD = 10.0
"""Per cent by which a figure may get worse (issue 14: no regression over 10 %)."""
HIGHER_IS_BETTER = ("ev/s", "events/s")
"""Units of throughput; every other unit (s, MB) is better lower."""
ALIASES = {
    "session on a N-event course, served (forloeb serve)": (
        "session on a N-event course, remote (forloeb server on loopback)"
    ),
    "export to Parquet (read, pseudonymise, write)": (
        "export to Parquet (once: read, pseudonymise, write)"
    ),
}
"""Figures renamed since: the older name -> today's (after `figure_key`'s normalising)."""


@dataclass(frozen=True)
class Row:
    """One figure on both sides: medians over the rounds and their changes."""

    benchmark: str
    name: str
    unit: str
    base: float
    head: float
    base_ratio: float | None
    head_ratio: float | None
    rounds: tuple[int, int]

    @property
    def change(self) -> float:
        """Head against base, per cent of base (signed as the value moved)."""
        return percent(self.base, self.head)

    @property
    def ratio_change(self) -> float | None:
        """The ratio to the same-run baseline, head against base, per cent."""
        if self.base_ratio is None or self.head_ratio is None:
            return None
        return percent(self.base_ratio, self.head_ratio)

    @property
    def worse(self) -> float:
        """How much worse head is, per cent (negative: better), by the value."""
        return worse_by(self.unit, self.change)

    @property
    def ratio_worse(self) -> float | None:
        """How much worse head is, per cent, by the ratio to the baseline."""
        return None if self.ratio_change is None else worse_by(self.unit, self.ratio_change)

    def regressed(self, threshold: float = THRESHOLD) -> bool:
        """Worse than the threshold by the value and (where there is one) by the ratio."""
        by_ratio = self.ratio_worse
        return self.worse > threshold and (by_ratio is None or by_ratio > threshold)


def percent(before: float, after: float) -> float:
    """`after` against `before`, per cent of `before`."""
    return (after - before) / before * 100.0


def worse_by(unit: str, change: float) -> float:
    """A signed change read as "worse by": throughput falling, times or memory growing."""
    return -change if unit in HIGHER_IS_BETTER else change


STORE_COUNT = re.compile(r"\d[\d,]*(?=[- ](?:event|course)s?\b)")
"""A count of events or courses in a figure's name (it differs per generated store)."""


def figure_key(figure: dict[str, Any]) -> tuple[str, str]:
    """(benchmark, name) with counts that differ per store replaced by N, and old names."""
    name = STORE_COUNT.sub("N", figure["name"])
    name = name.replace(" (FORLOEB_SERVER=off)", "")  # the in-process default since
    return figure["benchmark"], ALIASES.get(name, name)


def collect(runs: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each figure's occurrences over the runs (bench JSON payloads), by key."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        for figure in run["figures"]:
            found.setdefault(figure_key(figure), []).append(figure)
    return found


def _ratio(figures: Sequence[dict[str, Any]]) -> float | None:
    ratios = [f["ratio"] for f in figures if f.get("ratio") is not None]
    return median(ratios) if ratios else None


def compare(base_runs: Sequence[dict[str, Any]], head_runs: Sequence[dict[str, Any]]) -> list[Row]:
    """One row per figure found on both sides, in head's order."""
    base, head = collect(base_runs), collect(head_runs)
    rows = []
    for key, head_figures in head.items():
        base_figures = base.get(key)
        if not base_figures:
            continue
        rows.append(
            Row(
                benchmark=key[0],
                name=key[1],
                unit=head_figures[0]["unit"],
                base=median([f["value"] for f in base_figures]),
                head=median([f["value"] for f in head_figures]),
                base_ratio=_ratio(base_figures),
                head_ratio=_ratio(head_figures),
                rounds=(len(base_figures), len(head_figures)),
            )
        )
    return rows


def unmatched(
    base_runs: Sequence[dict[str, Any]], head_runs: Sequence[dict[str, Any]]
) -> list[str]:
    """Figures measured on one side only (named, with the side)."""
    base, head = collect(base_runs), collect(head_runs)
    only = [f"base only: {b}: {n}" for b, n in base if (b, n) not in head]
    return only + [f"head only: {b}: {n}" for b, n in head if (b, n) not in base]


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f} %"


def markdown(rows: Sequence[Row], threshold: float = THRESHOLD) -> str:
    """The rows as a Markdown table (the ratio columns blank where there is no baseline)."""
    lines = [
        "| benchmark | figure | base | head | change | base ratio | head ratio | ratio change"
        f" | worse > {threshold:.0f} % |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ratios = [f"{r:.2f}" if r is not None else "" for r in (row.base_ratio, row.head_ratio)]
        flag = "REGRESSED" if row.regressed(threshold) else ""
        cells = [
            row.benchmark,
            row.name,
            _value(row.base, row.unit),
            _value(row.head, row.unit),
            _signed(row.change),
            *ratios,
            _signed(row.ratio_change),
            flag,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_bench(worktree: Path, bench_args: Sequence[str]) -> tuple[Path, dict[str, Any]]:
    """`python -m bench` in a worktree with its own venv; its results file and payload."""
    done = subprocess.run(
        [str(worktree / ".venv/bin/python"), "-m", "bench", *bench_args],
        cwd=worktree,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.findall(r"^results: (.+)$", done.stdout, flags=re.MULTILINE)
    if not found:
        raise SystemExit(f"{worktree}: bench wrote no results (exit {done.returncode}):\n"
                         f"{done.stderr[-2000:]}")  # fmt: skip
    path = Path(found[-1])
    return path, json.loads(path.read_text())


def order(rounds: int) -> list[str]:
    """base, head, head, base, base, head, ...: each side first in half the rounds."""
    sides = []
    for index in range(rounds):
        pair = ["base", "head"]
        sides += pair if index % 2 == 0 else pair[::-1]
    return sides


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line; what follows `--` goes to `python -m bench` on both sides."""
    bench_args: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, bench_args = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare", description=__doc__.splitlines()[0]
    )
    parser.add_argument("base", type=Path, nargs="?", help="worktree of the older code (.venv)")
    parser.add_argument("head", type=Path, nargs="?", help="worktree of the newer code (.venv)")
    parser.add_argument(
        "--again", type=Path, help="no runs: the table again from a compare-*.json's runs"
    )
    parser.add_argument("--rounds", type=int, default=5, help="runs on each side")
    parser.add_argument("--threshold", type=float, default=THRESHOLD, help="per cent")
    for side in ("base", "head"):
        parser.add_argument(
            f"--{side}-extra",
            default="",
            help=f"more bench options for {side} only (e.g. --no-large, which older code lacks)",
        )
    args = parser.parse_args(argv)
    if args.again is None and (args.base is None or args.head is None):
        parser.error("name the BASE and HEAD worktrees (or --again FILE)")
    args.bench_args = bench_args
    return args


def main(argv: list[str]) -> int:
    """Alternate the runs, print the table, write the JSON; exit 1 if a figure regressed."""
    args = parse_args(argv)
    runs: dict[str, list[dict[str, Any]]] = {"base": [], "head": []}
    paths: dict[str, list[str]] = {"base": [], "head": []}
    if args.again is not None:
        paths = json.loads(args.again.read_text())["runs"]
        runs = {side: [json.loads(Path(p).read_text()) for p in paths[side]] for side in paths}
    for number, side in enumerate(order(0 if args.again else args.rounds), start=1):
        tree = args.base if side == "base" else args.head
        say(f"run {number}/{2 * args.rounds}: {side} ({tree})")
        extra = shlex.split(args.base_extra if side == "base" else args.head_extra)
        path, payload = run_bench(tree, [*args.bench_args, *extra])
        runs[side].append(payload)
        paths[side].append(str(path))
    rows = compare(runs["base"], runs["head"])
    print(markdown(rows, args.threshold))
    for line in unmatched(runs["base"], runs["head"]):
        print(line)
    if args.again is not None:
        return 1 if any(r.regressed(args.threshold) for r in rows) else 0
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"compare-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    commits = {side: runs[side][0]["meta"].get("git") for side in runs}
    payload = {
        "argv": argv,
        "commits": commits,
        "rows": [asdict(r) | {"change": r.change, "ratio_change": r.ratio_change} for r in rows],
        "runs": paths,
    }
    out.write_text(json.dumps(payload, indent=2))
    print(f"\ncompared: {out}")
    return 1 if any(r.regressed(args.threshold) for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
