"""Benchmark 6: many clients writing at once through one `forloeb server` on PostgreSQL.

A `forloeb server` (its own process, on loopback) serves a fresh PostgreSQL store
holding COURSES active courses. CLIENTS clients (threads of this process, each with
its own keep-alive HTTP connection, httpx) start together and each sends COMMANDS
write command lines to `POST /cli`, as the remote CLI does: sessions and meetings
with notes, measurements, praktik and job starts and ends, on courses chosen at
random, so a move may be refused because another client's move landed first. Every
request carries its own request id (`load-cNN-NNNN`), which the server records as the
command id of its events: the per-command marker the log is counted by afterwards.

Printed: commands/s and p50/p95 latency under load, beside one client alone sending
the same mix one command after another on the same server in the same run (the
baseline); how busy the server process was (its CPU seconds over the wall time of the
run: near 1.0 means the one process, not the database, is what limits); and the
exactly-once check: every command answered as accepted has exactly the events its
reply named in the log, once each; a refused one has none; no marker is in the log
twice or unasked for.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bench.measure import BENCH_USER, Figure, child_env, say

if TYPE_CHECKING:
    import httpx

    from storage.store import StoreConfig

CLIENTS = 50
COMMANDS = 200
COURSES = 20
ALONE_COMMANDS = 200
"""Commands the lone client sends for the baseline."""
REQUEST_SECONDS = 120.0
CONCURRENT = "at the same time"
"""In the refusal of a command whose course another process changed meanwhile (after the
service's retries): `ConcurrentChange`."""
REFERRED_ON = date.today() - timedelta(days=90)
ON = date.today() - timedelta(days=30)
"""Every load command is dated this day (after the courses became active)."""


# The server -----------------------------------------------------------------------------


@dataclass
class ServerProcess:
    """A `forloeb server` process on loopback, and a token clients send it."""

    store_args: list[str]
    env: dict[str, str]
    port: int
    token: str
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it listens."""
        from bench.cli_latency import _wait_listening, forloeb_script

        self.process = subprocess.Popen(
            [forloeb_script(), "--as", BENCH_USER, *self.store_args, "server",
             "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            _wait_listening(self.port)
        except RuntimeError:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise RuntimeError(f"forloeb server exited {self.process.returncode} at start")

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)

    def cpu_seconds(self) -> float:
        """The server process's user + system CPU seconds so far (Linux /proc)."""
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU seconds every core of the machine has spent busy so far (Linux /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(t) for t in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait; steal (8th) is not time run here
    return (sum(ticks[:7]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """This process's CPU seconds (the clients' side)."""
    times = os.times()
    return times.user + times.system


def personal_token(store_args: list[str], env: dict[str, str]) -> str:
    """A personal access token for the bench user, made on the store."""
    from bench.cli_latency import forloeb_script

    made = subprocess.run(
        [forloeb_script(), "--as", BENCH_USER, *store_args, "tokens", "create", BENCH_USER,
         "--expires", "2099-12-31", "--format", "json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token: str = json.loads(made.stdout)["token"]
    return token


@contextmanager
def served(store_args: list[str], env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """A server on the store for the block (SIGTERM after)."""
    from bench.cli_latency import free_loopback_port

    env = env or child_env()
    server = ServerProcess(store_args, env, free_loopback_port(), personal_token(store_args, env))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def open_courses(store: StoreConfig, count: int, consultant: str = BENCH_USER) -> list[str]:
    """Refer `count` citizens and bring each course to active (in-process, not timed)."""
    from cli.bootstrap import open_service
    from workflows.commands import Accept, Command, Measure, Refer

    service = open_service(store)
    courses: list[str] = []
    try:
        for n in range(count):
            on = REFERRED_ON
            refer = Refer(cpr=f"0303{70 + n:02d}-{3000 + n}", programme="pva",
                          referring_caseworker="sb", occurred_on=on)  # fmt: skip
            course = str(service.execute(refer, BENCH_USER).course_id)
            steps: list[Command] = [
                Accept(course=course, consultant=consultant, occurred_on=on),
                Measure(course=course, point=1, form="citizen", occurred_on=on),
                Measure(course=course, point=1, form="staff", occurred_on=on),
            ]
            for step in steps:
                service.execute(step, BENCH_USER)
            courses.append(course)
    finally:
        service.close()
    return courses


# The clients ----------------------------------------------------------------------------


def command_line(rng: random.Random, course: str, marker: str, on: date = ON) -> list[str]:
    """One write, as a caseworker types it: mostly notes and forms, some moves that the
    course's state (changed meanwhile by other clients) may refuse."""
    day = ["--occurred-on", on.isoformat()]
    roll = rng.random()
    if roll < 0.35:
        return ["session", course, "--note", f"visit {marker}", *day]
    if roll < 0.45:
        return ["meeting", course, "--participants", "sb,rk", "--note", f"network {marker}", *day]
    if roll < 0.60:
        point, level = str(rng.randint(2, 6)), rng.choice(["good", "less_good", "poor"])
        return ["measure", course, "--point", point, "--form", "citizen",
                "--mental-health", level, *day]  # fmt: skip
    if roll < 0.72:
        end = (on + timedelta(days=90)).isoformat()
        return ["praktik", "start", course, "--employer", "Foetex", "--hours-per-week", "12",
                "--planned-end", end, *day]  # fmt: skip
    if roll < 0.82:
        return ["praktik", "end", course, "--note", f"ended {marker}", *day]
    if roll < 0.91:
        return ["job", "start", course, "--employer", "Netto", "--hours-per-week", "20", *day]
    return ["job", "end", course, "--note", f"ended {marker}", *day]


@dataclass(frozen=True)
class Sent:
    """One request and what became of it."""

    marker: str
    argv: tuple[str, ...]
    seconds: float
    status: str
    """accepted | skipped | refused | unanswered (no reply: the server was gone)."""
    course_id: str = ""
    versions: tuple[int, ...] = ()
    line: str = ""


def send(client: httpx.Client, argv: Sequence[str], marker: str) -> Sent:
    """POST the command line with `marker` as its request id; what became of it."""
    import httpx

    body = {"argv": [*argv, "--format", "json"], "request_id": marker}
    started = time.perf_counter()
    try:
        response = client.post("/cli", json=body)
        reply = response.json()
    except (httpx.TransportError, ValueError) as error:
        seconds = time.perf_counter() - started
        return Sent(marker, tuple(argv), seconds, "unanswered", line=type(error).__name__)
    seconds = time.perf_counter() - started
    if reply.get("exit") != 0:
        line = (reply.get("stderr") or reply.get("error") or "").strip()
        return Sent(marker, tuple(argv), seconds, "refused", line=line)
    outcome = json.loads(reply["stdout"])
    status = "skipped" if outcome["skipped"] else "accepted"
    versions = tuple(event["version"] for event in outcome["events"])
    return Sent(marker, tuple(argv), seconds, status, outcome["course_id"], versions)


def http_client(url: str, token: str) -> httpx.Client:
    """A keep-alive client speaking for the token's user."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=url, headers=headers, timeout=REQUEST_SECONDS)


def run_client(
    url: str, token: str, courses: Sequence[str], number: int, commands: int,
    start: threading.Barrier | None = None, prefix: str = "load",
) -> list[Sent]:  # fmt: skip
    """One client's run: `commands` writes to random courses, one after another."""
    rng = random.Random(7000 + number)
    results: list[Sent] = []
    with http_client(url, token) as client:
        if start is not None:
            start.wait(REQUEST_SECONDS)
        for n in range(commands):
            marker = f"{prefix}-c{number:02d}-{n:04d}"
            results.append(send(client, command_line(rng, rng.choice(courses), marker), marker))
    return results


@dataclass
class Run:
    """Every client's results and the wall time from the common start to the last reply."""

    sent: list[Sent]
    seconds: float

    def answered(self) -> list[Sent]:
        return [s for s in self.sent if s.status != "unanswered"]

    def per_second(self) -> float:
        return len(self.answered()) / self.seconds if self.seconds else 0.0

    def latency(self, quantile: float) -> float:
        times = sorted(s.seconds for s in self.answered())
        if not times:
            return float("nan")
        return times[min(len(times) - 1, int(quantile * len(times)))]


def run_clients(
    targets: Sequence[tuple[str, str]], courses: Sequence[str], clients: int, commands: int,
    prefix: str = "load",
) -> Run:  # fmt: skip
    """`clients` threads started together, `commands` each, client n on the server
    `targets[n % len(targets)]` ((URL, token) pairs); their results."""
    start = threading.Barrier(clients + 1)
    results: list[list[Sent]] = [[] for _ in range(clients)]

    def client(number: int) -> None:
        url, token = targets[number % len(targets)]
        results[number] = run_client(url, token, courses, number, commands, start, prefix)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait(REQUEST_SECONDS)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return Run([s for r in results for s in r], time.perf_counter() - started)


# The log --------------------------------------------------------------------------------


def events_by_marker(store: StoreConfig, prefix: str) -> dict[str, list[tuple[str, int]]]:
    """(course id, version) of every event in the log whose command id starts with
    `prefix`, per command id, in log order."""
    from cli.bootstrap import open_service

    service = open_service(store)
    found: dict[str, list[tuple[str, int]]] = defaultdict(list)
    try:
        start: int | None = None
        while True:
            page = service.recorder.select_notifications(start=start, limit=5000)
            for notification in page:
                event = service.mapper.to_domain_event(notification)
                marker = getattr(event, "command_id", None)
                if isinstance(marker, str) and marker.startswith(prefix):
                    found[marker].append((str(event.originator_id), event.originator_version))
            if len(page) < 5000:
                return dict(found)
            start = page[-1].id + 1
    finally:
        service.close()


@dataclass
class Check:
    """The exactly-once check of a run against the log."""

    accepted: int = 0
    refused: int = 0
    skipped: int = 0
    unanswered: int = 0
    unanswered_logged: int = 0
    """Unanswered commands the log holds (whole): sent, applied, the reply lost."""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "every accepted command in the log exactly once, none duplicated"
        head = f"{verdict}: {'yes' if self.ok else 'NO'}"
        counts = (f"{self.accepted} accepted, {self.refused} refused, {self.skipped} "
                  f"already applied, {self.unanswered} unanswered "
                  f"({self.unanswered_logged} of them in the log)")  # fmt: skip
        lines = [f"{head} ({counts})", *(f"  {p}" for p in self.problems[:10])]
        if len(self.problems) > 10:
            lines.append(f"  … {len(self.problems) - 10} more")
        return "\n".join(lines)


def check_exactly_once(sent: Sequence[Sent], logged: dict[str, list[tuple[str, int]]]) -> Check:
    """Every accepted command's events are in the log once, at the versions its reply
    named; a refused command left none; an unanswered one is in the log whole or not at
    all; no marker is logged that was not sent, and none for two sends of one marker."""
    check = Check()
    last: dict[str, Sent] = {}
    for s in sent:  # a marker sent again (after a lost reply) is judged by its last answer
        if s.marker in last and last[s.marker].status in ("accepted", "skipped"):
            continue
        last[s.marker] = s
    for marker, s in last.items():
        events = logged.get(marker, [])
        if len(events) != len(set(events)):
            check.problems.append(f"{marker}: an event logged twice: {events}")
        if s.status == "accepted":
            check.accepted += 1
            expected = [(s.course_id, v) for v in s.versions]
            if sorted(events) != sorted(expected):
                check.problems.append(f"{marker}: answered {expected}, the log holds {events}")
        elif s.status == "skipped":
            check.skipped += 1
            if not events:
                check.problems.append(f"{marker}: answered already applied, not in the log")
        elif s.status == "refused":
            check.refused += 1
            if events:
                check.problems.append(f"{marker}: refused ({s.line}) but logged {events}")
        else:
            check.unanswered += 1
            check.unanswered_logged += bool(events)
    for marker in logged.keys() - last.keys():
        check.problems.append(f"{marker}: in the log but never sent")
    return check


# The benchmark --------------------------------------------------------------------------


def run(
    kind: str, store: StoreConfig, store_args: list[str], clients: int, commands: int,
    courses: int, servers: int = 1,
) -> list[Figure]:  # fmt: skip
    """Benchmark 6 on a fresh store: the lone client, then the load (spread over `servers`
    server processes on the same store), then the check."""
    say(f"load: opening {courses} courses (in-process, not timed)")
    course_ids = open_courses(store, courses)
    with ExitStack() as stack:
        running = [stack.enter_context(served(store_args)) for _ in range(servers)]
        targets = [(server.url, server.token) for server in running]
        say(f"load: one client alone, {ALONE_COMMANDS} commands (the baseline)")
        alone = run_clients(targets[:1], course_ids, 1, ALONE_COMMANDS, "alone")
        say(f"load: {clients} clients x {commands} commands at once, {servers} server(s)")

        def cpu() -> tuple[float, float, float]:
            own = sum(server.cpu_seconds() for server in running)
            return own, machine_cpu_seconds(), own_cpu_seconds()

        before = cpu()
        loaded = run_clients(targets, course_ids, clients, commands)
        busy = [(a - b) / loaded.seconds for a, b in zip(cpu(), before, strict=True)]
    say("load: counting the log's events by command marker")
    check = check_exactly_once(loaded.sent, events_by_marker(store, "load-"))
    check_alone = check_exactly_once(alone.sent, events_by_marker(store, "alone-"))
    bench = f"6 load [{kind}]"
    name = f"{clients} clients x {commands} commands on {courses} courses"
    if servers > 1:
        name += f", {servers} server processes"
    detail: dict[str, Any] = {
        "clients": clients,
        "servers": servers,
        "commands": commands,
        "courses": courses,
        "seconds": loaded.seconds,
        "server_cpu_share": busy[0],
        "machine_cpu_share": busy[1],
        "clients_cpu_share": busy[2],
        "cores": os.cpu_count(),
        "check": check.summary(),
        "check_alone": check_alone.summary(),
        "statuses": _statuses(loaded.sent),
        "refused_as_concurrent": sum(CONCURRENT in s.line for s in loaded.sent),
    }
    met = check.ok and check_alone.ok and check.unanswered == 0
    return [
        Figure(bench, f"{name}: commands/s", loaded.per_second(), "cmd/s", alone.per_second(),
               "one client alone", "every accepted command logged once", met, detail),
        Figure(bench, f"{name}: p50 latency", loaded.latency(0.50), "s", alone.latency(0.50),
               "one client alone"),
        Figure(bench, f"{name}: p95 latency", loaded.latency(0.95), "s", alone.latency(0.95),
               "one client alone"),
    ]  # fmt: skip


def _statuses(sent: Sequence[Sent]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for s in sent:
        counts[s.status] += 1
    return dict(counts)


def describe(figure: Figure) -> list[str]:
    """Readable lines: the check and how busy the server was."""
    detail = figure.detail
    return [
        f"{figure.benchmark}: {detail['clients']} clients, {detail['seconds']:.1f} s wall; "
        f"CPU seconds per second of the run: {detail['servers']} server process(es) "
        f"{detail['server_cpu_share']:.2f}, "
        f"clients {detail['clients_cpu_share']:.2f}, whole machine "
        f"{detail['machine_cpu_share']:.2f} of {detail['cores']} cores (others' work included)",
        f"  {detail['check']}",
        f"  refused because another server changed the course meanwhile (after retries): "
        f"{detail['refused_as_concurrent']}",
        f"  baseline run: {detail['check_alone']}",
    ]
