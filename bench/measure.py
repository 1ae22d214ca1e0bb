"""Measuring and reporting: medians, timed subprocesses, the results table and its JSON.

Every figure is a median over runs, and every goal is judged on a ratio
against a baseline measured in the same run (the machine is shared and
noisy, so absolute times are reported but only ratios and generous
absolute goals are judged).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    """One reported figure: a measured value, its baseline and the goal it is judged by."""

    benchmark: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    goal: str = ""
    met: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """value / baseline, when there is a baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


def median(values: Sequence[float]) -> float:
    """The median of the values (NaN when there are none)."""
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, minimum, maximum and count of repeated measurements."""
    if not values:
        return {"n": 0}
    return {
        "median": median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def timed_run(argv: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of one subprocess, started to reaped; a failure raises with its stderr."""
    started = time.perf_counter()
    done = subprocess.run(list(argv), capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:4])} … exited {done.returncode}: {done.stderr.strip()[-800:]}"
        )
    return elapsed


def child_json(argv: Sequence[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a benchmark child process and parse the JSON object it prints last."""
    done = subprocess.run(list(argv), capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} … exited {done.returncode}: {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def python_argv(*args: str) -> list[str]:
    """argv running this interpreter (the project's virtualenv) with `args`."""
    return [sys.executable, *args]


BENCH_USER = "bench"
"""Who the benchmarks act as: an admin of their own configuration."""


@cache
def bench_config() -> Path:
    """A configuration file naming the bench user as admin (made once per run)."""
    folder = Path(tempfile.mkdtemp(prefix="forloeb-bench-config-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "forloeb.toml"
    path.write_text(f'[users.{BENCH_USER}]\nrole = "admin"\n', encoding="utf-8")
    return path


def child_env() -> dict[str, str]:
    """The environment for child processes: this one, with the repository importable,
    the bench user configured and one master key and KEK folder for every store of the
    run."""
    env = dict(os.environ)
    env.setdefault("FORLOEB_CONFIG", str(bench_config()))
    env.setdefault("FORLOEB_MASTER_KEY", run_master_key())
    env.setdefault("FORLOEB_KEK_DIR", str(run_kek_folder()))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    for name in ("FORLOEB_SERVER_URL", "FORLOEB_TOKEN"):  # a leg chooses remote itself
        env.pop(name, None)
    return env


@cache
def run_kek_folder() -> Path:
    """The key-encryption keys of this run's stores (removed at the end)."""
    folder = Path(tempfile.mkdtemp(prefix="forloeb-bench-keks-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@cache
def run_master_key() -> str:
    """The master key of this run's stores (FORLOEB_MASTER_KEY if set)."""
    from storage.secrets import MasterKey

    return os.environ.get("FORLOEB_MASTER_KEY") or MasterKey.generate().text()


def alternate(
    first: Callable[[], float], second: Callable[[], float], runs: int
) -> tuple[list[float], list[float]]:
    """Run two measurements alternately `runs` times each, so drifting load hits both alike."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        a.append(first())
        b.append(second())
    return a, b


# Reporting ----------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s" and value < 1:
        return f"{value * 1000:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "events/s":
        return f"{value:,.0f} ev/s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:,.3g} {unit}"


def _verdict(figure: Figure) -> str:
    if figure.met is None:
        return ""
    return "MET" if figure.met else "NOT MET"


def table(figures: Sequence[Figure]) -> str:
    """The figures as a plain-text table (median, baseline, ratio, goal, verdict)."""
    header = ["benchmark", "figure", "median", "baseline", "ratio", "goal", ""]
    rows = [header]
    for f in figures:
        ratio = f.ratio
        base = "" if f.baseline is None else f"{_fmt(f.baseline, f.unit)} ({f.baseline_name})"
        rows.append(
            [
                f.benchmark,
                f.name,
                _fmt(f.value, f.unit),
                base,
                "" if ratio is None else f"{ratio:.2f}",
                f.goal,
                _verdict(f),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def write_json(figures: Sequence[Figure], meta: dict[str, Any], notes: dict[str, Any]) -> Path:
    """Write the run to bench/results/<time>.json (and latest.json); return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    payload = {
        "meta": meta,
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
        "notes": notes,
    }
    text = json.dumps(payload, indent=2, default=str)
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    return path


def say(message: str) -> None:
    """Progress for the person waiting (stderr, so stdout stays the report)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
