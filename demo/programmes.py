"""Demo cohorts for the programmes beside På vej til arbejde, shaped on each report's
published figures (programme reference §2–§4).

`generate_programme(name, seed)` yields import lines in date order, like `demo.generate`:
- oph: 72 referred in three cohorts (hold), 53 complete: 37 in work, 8 in education,
  8 onto disability pension; the other 19 leave early.
- mb: 109 referred 2004–2007, 82 complete a year of praktik and further education and
  leave into work; the follow-up finds 35 employed, 10 not, 37 no answer.
- vaerestedsmodel: 561 citizens registered (outreach, self-referral, referral), each with
  registered contacts rated 1–5; of 100 caseworker meetings in the model's first half-year
  and 100 a year later, 32 and then 14 are no-shows (Odense's 32 % and 14 %).
- faxe-m3: about 100 reviewed M3 cases with profiles, several at once: 50 maybe-suitable,
  30 physically ill, 20 substance users, 15 diffusely mentally ill, 10 diagnosed.
Only `random.Random(seed)` decides dates and draws; the counts are fixed.

Assumptions, not published (the seed reports were checked for each; they give none):
- OPH's jobs: the note says only that the work is "mainly flexjobs", that some work on
  fully ordinary terms and that several are in apprenticeships; the demo's 22 flexjobs,
  12 ordinary and 3 wage-subsidy jobs (OPH_JOBS) are invented to fit "mainly". The three
  cohorts' dates are not given either: the demo refers 24 in each project year.
- OPH's and MB's early leavers: the reasons are drawn; no report gives them.
- The drop-in-centre model: the number of contacts per citizen (1–4), their kind, place
  and rating (2–5) are drawn; the report's counts of forms and contacts (Tabel 1.1) are
  missing from the transcript. The no-show figures are percentages only; 100 meetings
  in each period is the demo's choice, as is the even split of entry routes.
- Faxe: which cases hold which profiles is drawn; the shares add up to 125 %, so profiles
  overlap (the case review's 45 % beside the heading's 50 % for the maybe-suitable: the
  demo uses 50).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from demo.lines import course_id_for

CONSULTANTS = ("consultant-1", "consultant-2", "consultant-3", "consultant-4")
CASEWORKERS = ("cw-1", "cw-2", "cw-3", "cw-4")
"""Logins of the demo staff (present in a reference-size demo configuration)."""

OPH_JOBS = {"flexjob": 22, "ordinary": 12, "wage_subsidy": 3}
"""Assumed (the note says "mainly flexjobs" and gives no split of the 37 in work)."""
OPH_EDUCATION, OPH_PENSION, OPH_PARTICIPANTS = 8, 8, 72
OPH_COHORTS = (date(2007, 8, 1), date(2008, 8, 1), date(2009, 8, 1))
MB_PARTICIPANTS, MB_COMPLETED = 109, 82
MB_FOLLOW_UP = {"employed": 35, "not_employed": 10, "no_response": 37}
DROP_IN_CITIZENS = 561
DROP_IN_CONTACTS = (1, 4)
"""Assumed: contacts per citizen, drawn between these (the report's counts are missing)."""
DROP_IN_MEETINGS = ((date(2014, 9, 15), 100, 32), (date(2015, 7, 1), 100, 14))
"""(first day, meetings, no-shows) before and after the model settled in: one meeting a day,
in the second half of 2014 and of 2015 (the report gives 1-1½ years to full operation)."""
FAXE_CASES = 100
FAXE_PROFILES = {
    "maaske_egnede": 50,
    "fysisk_syge": 30,
    "misbrugere": 20,
    "diffust_psykisk_syge": 15,
    "diagnosticerede": 10,
}
EARLY_EXIT_REASONS = ("complex_needs", "not_motivated", "substance_use", "moved_municipality")


class Citizen:
    """One citizen's lines, numbered and dated, the referral's command id naming the course."""

    def __init__(self, prefix: str, rng: random.Random) -> None:
        self.prefix = prefix
        self.course = str(course_id_for(f"{prefix}-0001"))
        self.rng = rng
        self.lines: list[dict[str, Any]] = []

    def add(self, day: date, command: str, actor: str, **fields: Any) -> None:
        line = {"command": command, "occurred_on": day.isoformat(), "actor": actor, **fields}
        if command != "refer":
            line["course"] = self.course
        line["command_id"] = f"{self.prefix}-{len(self.lines) + 1:04d}"
        self.lines.append(line)

    def refer(self, day: date, programme: str, route: str = "caseworker_referral") -> str:
        """Referral and acceptance a week later; the consultant."""
        caseworker = self.rng.choice(CASEWORKERS)
        consultant = self.rng.choice(CONSULTANTS)
        born = date(1960, 1, 1) + timedelta(days=self.rng.randint(0, 9000))
        cpr = f"{born:%d%m%y}{self.rng.randint(0, 3)}{self.rng.randint(0, 999):03d}"
        self.add(day, "refer", caseworker, cpr=cpr, programme=programme,
                 referring_caseworker=caseworker, entry_route=route)  # fmt: skip
        self.add(day + timedelta(days=7), "accept", caseworker, consultant=consultant)
        return consultant


def _unique(rng: random.Random, prefix: str, number: int) -> Citizen:
    return Citizen(f"{prefix}-{number:04d}", rng)


def oph(rng: random.Random, seed: int) -> Iterator[Citizen]:
    outcomes = [
        *(("job", kind) for kind, n in OPH_JOBS.items() for _ in range(n)),
        *(("education", None) for _ in range(OPH_EDUCATION)),
        *(("pension", None) for _ in range(OPH_PENSION)),
    ]
    outcomes += [("early", None)] * (OPH_PARTICIPANTS - len(outcomes))
    rng.shuffle(outcomes)
    for number, (outcome, kind) in enumerate(outcomes, start=1):
        citizen = _unique(rng, f"oph-{seed}", number)
        start = OPH_COHORTS[(number - 1) % 3] + timedelta(days=rng.randint(0, 60))
        who = citizen.refer(start, "oph")
        day = start + timedelta(days=7)
        if outcome == "early":
            reason = rng.choice(EARLY_EXIT_REASONS)
            citizen.add(day + timedelta(days=rng.randint(30, 200)), "exit", who, planned=False,
                        reason=reason)  # fmt: skip
            yield citizen
            continue
        planned_end = (day + timedelta(days=130)).isoformat()
        citizen.add(day + timedelta(days=40), "praktik start", who, employer="Praktikstedet",
                    hours_per_week=15, planned_end=planned_end)  # fmt: skip
        citizen.add(day + timedelta(days=130), "praktik end", who, outcome="completed")
        done = day + timedelta(days=rng.randint(200, 280))
        if outcome == "job":
            citizen.add(day + timedelta(days=140), "job start", who, employer="Arbejdspladsen",
                        hours_per_week=25 if kind == "flexjob" else 37, kind=kind,
                        ordinary_hours=kind != "flexjob")  # fmt: skip
        elif outcome == "education":
            citizen.add(day + timedelta(days=140), "education start", who, institution="EUC")
        citizen.add(done, "complete", who)
        if outcome == "pension":
            citizen.add(done + timedelta(days=10), "exit", who, planned=True,
                        onto="disability_pension")  # fmt: skip
        else:
            citizen.add(done + timedelta(days=10), "exit", who, planned=True)
        yield citizen


def mb(rng: random.Random, seed: int) -> Iterator[Citizen]:
    follow_ups = [o for o, n in MB_FOLLOW_UP.items() for _ in range(n)]
    rng.shuffle(follow_ups)
    completes = [True] * MB_COMPLETED + [False] * (MB_PARTICIPANTS - MB_COMPLETED)
    rng.shuffle(completes)
    for number, completed in enumerate(completes, start=1):
        citizen = _unique(rng, f"mb-{seed}", number)
        start = date(2004, 1, 15) + timedelta(days=rng.randint(0, 1050))
        who = citizen.refer(start, "mb")
        day = start + timedelta(days=7)
        if not completed:
            citizen.add(day + timedelta(days=rng.randint(30, 250)), "exit", who, planned=False,
                        reason=rng.choice(EARLY_EXIT_REASONS))  # fmt: skip
            yield citizen
            continue
        planned_end = (day + timedelta(days=140)).isoformat()
        citizen.add(day + timedelta(days=20), "praktik start", who, employer="Psykiatrien",
                    hours_per_week=20, planned_end=planned_end)  # fmt: skip
        citizen.add(day + timedelta(days=140), "praktik end", who, outcome="completed")
        citizen.add(day + timedelta(days=150), "education start", who,
                    institution="Uddannelsesafdelingen Risskov")  # fmt: skip
        citizen.add(day + timedelta(days=360), "education end", who)
        citizen.add(day + timedelta(days=365), "complete", who)
        citizen.add(day + timedelta(days=370), "job start", who, employer="Socialpsykiatrien",
                    hours_per_week=37)  # fmt: skip
        citizen.add(day + timedelta(days=375), "exit", who, planned=True)
        citizen.add(date(2010, 3, 1), "follow-up", who, outcome=follow_ups.pop())
        yield citizen


def vaerestedsmodel(rng: random.Random, seed: int) -> Iterator[Citizen]:
    meetings = [
        (first + timedelta(days=n), n < no_shows)
        for first, total, no_shows in DROP_IN_MEETINGS
        for n in range(total)
    ]
    routes = ("outreach", "self_referral", "caseworker_referral")
    for number in range(1, DROP_IN_CITIZENS + 1):
        citizen = _unique(rng, f"vaer-{seed}", number)
        start = date(2014, 9, 1) + timedelta(days=rng.randint(0, 25))
        who = citizen.refer(start, "vaerestedsmodel", rng.choice(routes))
        day = start + timedelta(days=8)
        for n in range(rng.randint(*DROP_IN_CONTACTS)):
            citizen.add(day + timedelta(days=n * 14), "contact", who,
                        contact_kind=rng.choice(("outreach", "conversation", "accompanied")),
                        place=rng.choice(("Cafe Noa", "Vaerestedet Lyset", "Bydelshuset")),
                        rating=rng.randint(2, 5))  # fmt: skip
        if number <= len(meetings):
            on, no_show = meetings[number - 1]
            citizen.add(max(on, day), "meeting", who,
                        outcome="citizen_no_show" if no_show else "held")  # fmt: skip
        yield citizen


def faxe_m3(rng: random.Random, seed: int) -> Iterator[Citizen]:
    holders: dict[int, list[str]] = {n: [] for n in range(1, FAXE_CASES + 1)}
    for profile, count in FAXE_PROFILES.items():
        for number in rng.sample(sorted(holders), count):
            holders[number].append(profile)
    for number, profiles in holders.items():
        citizen = _unique(rng, f"faxe-{seed}", number)
        start = date(2016, 1, 4) + timedelta(days=rng.randint(0, 300))
        who = citizen.refer(start, "faxe-m3")
        citizen.add(start + timedelta(days=8), "segment", who, match_group="M3",
                    profiles=profiles)  # fmt: skip
        yield citizen


GENERATORS: dict[str, Callable[[random.Random, int], Iterator[Citizen]]] = {
    "oph": oph,
    "mb": mb,
    "vaerestedsmodel": vaerestedsmodel,
    "faxe-m3": faxe_m3,
}
"""The programmes with a demo cohort of their own (På vej til arbejde: `demo.generate`)."""


def generate_programme(name: str, seed: int = 2019) -> Iterator[dict[str, Any]]:
    """The programme's demo cohort as import lines, in date order (KeyError: no such demo)."""
    lines = [
        line for citizen in GENERATORS[name](random.Random(seed), seed) for line in citizen.lines
    ]
    yield from sorted(lines, key=lambda line: (line["occurred_on"], line["command_id"]))
