"""VIVE's distribution tables (4.1-4.7, 5.2, 5.3, 6.2-6.4), computed from the outcome facts.

Each table counts, per column, the answers to one item on one form at one
measurement point among a population of courses, and shows every answer
category with its count and its whole-number percentage of those who answered
the item (half up). "Ved ikke" is an answer like any other; a blank item is
not, so a column's percentages are of `answered`, and `forms` says how many
forms the column read. The items are read from the instrument versions whose
question means the same (see `domain.instruments`).

Populations, as the report has them:

- 4.1-4.7: courses with a baseline, from their point-1 form (staff form for 4.1,
  4.3, 4.6, 4.7 and the consultant's block of 4.2 and 4.4; the citizen form
  for the self-ratings). Age (4.1) is age on the day of the baseline, from the
  CPR's birth date, of those with a start staff form.

Blocks (a question, or a group of citizens) are stacked under the same columns.
- 4.5: point-1 citizen forms with both self-ratings answered; each cell is a
  percentage of all of them.
- 5.2: the point-1 self-ratings by the course's status on the as-of date
  (ongoing, planned exit, unplanned exit) and in total.
- 5.3: staff forms at points 1, 2 and 3, each point on its own.
- 6.2: the point-1 self-ratings by whether the course ever had an ordinary job
  (as in 6.1) and in total.
- 6.3: courses with a staff form at both point 1 and point 3; 6.4: courses with
  a citizen form at both (the same citizens at both points).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from domain import instruments as ins
from projections.outcomes_counting import Builder, Counts
from projections.outcomes_course import CourseOutcome, Form
from projections.outcomes_report import Cell, OutcomeTable, Tally

CITIZEN, STAFF = "citizen", "staff"
SHARED = (1, 2)
"""Staff-assessment versions in which diagnosis, medication, substances and the network
question mean the same."""
CURRENT = (2,)

Answer = Callable[[CourseOutcome], str | None]
"""What a course answered in one column (None: blank or no form)."""


@dataclass(frozen=True)
class Column:
    """One column: its heading and, per course of its population, the answer."""

    heading: str
    population: Callable[[CourseOutcome], bool]
    answer: Answer


@dataclass(frozen=True)
class Block:
    """Columns sharing one list of answer categories (code, label)."""

    title: str
    categories: tuple[tuple[str, str], ...]
    columns: tuple[Column, ...]


def item(point: int, form: str, instrument: str, key: str, versions: Sequence[int]) -> Answer:
    """The answer to an item on the form at a point."""

    where, name = (point, form), f"{instrument}.{key}"

    def answer(course: CourseOutcome) -> str | None:
        found: Form | None = course.forms.get(where)
        return None if found is None else found.named_answer(instrument, name, versions)

    return answer


def self_rated(point: int, measure: str) -> Answer:
    """The citizen's self-rated mental or physical health at a point (every version)."""

    def answer(course: CourseOutcome) -> str | None:
        found = course.form(point, CITIZEN)
        return None if found is None else getattr(found, measure)

    return answer


@cache
def has_forms(form: str, *points: int) -> Callable[[CourseOutcome], bool]:
    """Courses with a baseline and the form at every one of the points (one test per
    form and points, so columns sharing a population are tested once per course)."""
    needed = frozenset((point, form) for point in points)

    def member(course: CourseOutcome) -> bool:
        return course.baseline_on is not None and course.forms.keys() >= needed

    return member


def categories(scale: ins.Scale) -> tuple[tuple[str, str], ...]:
    """A scale's answers as (code, Danish label) rows, in printed order."""
    return tuple((option.code, option.label) for option in scale.options)


def distribution(name: str, title: str, blocks: Sequence[Block]) -> Builder:
    """Blocks stacked under the same columns: per block its forms, how many answered, and
    each answer category with its count and % of those answering."""
    headings = tuple(column.heading for column in blocks[0].columns)
    if any(tuple(c.heading for c in block.columns) != headings for block in blocks):
        raise ValueError(f"table {name}: every block must have the columns {headings}")
    columns = [
        (f"{name} {block.title} {column.heading}", column)
        for block in blocks
        for column in block.columns
    ]
    groups: dict[Callable[[CourseOutcome], bool], list[tuple[str, str, str, Answer]]] = {}
    for key, column in columns:  # columns sharing a population: tested once per course
        groups.setdefault(column.population, []).append(
            (key, f"{key} forms", f"{key} answered", column.answer)
        )
    answer_keys: dict[tuple[str, str], str] = {}

    def keys(course: CourseOutcome) -> list[str]:
        found: list[str] = []
        add = found.append
        for population, members in groups.items():
            if not population(course):
                continue
            for key, forms, answered, answer_of in members:
                add(forms)
                answer = answer_of(course)
                if answer is not None:
                    add(answered)
                    named = answer_keys.get((key, answer))
                    if named is None:
                        named = answer_keys[(key, answer)] = f"{key} = {answer}"
                    add(named)
        return found

    def table(tally: Tally, counts: Counts) -> OutcomeTable:
        return distribution_table(tally, counts, name, title, blocks)

    return Builder(keys, table)


def distribution_table(
    tally: Tally, counts: Counts, name: str, title: str, blocks: Sequence[Block]
) -> OutcomeTable:
    """The table of `distribution`, laid out from the sums of its keys."""
    headings = tuple(column.heading for column in blocks[0].columns)
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    for block in blocks:
        forms_row, answered_row = f"{block.title}: forms (n)", f"{block.title}: answered"
        block_rows: dict[str, list[Cell]] = {forms_row: [], answered_row: []}
        block_rows.update({f"{block.title}: {label}": [] for _, label in block.categories})
        for column in block.columns:
            key = f"{name} {block.title} {column.heading}"
            n, answered = f"{key} forms", f"{key} answered"
            block_rows[forms_row] += [tally.count(n, counts.get(n, 0)), Cell(None)]
            block_rows[answered_row] += [tally.count(answered, counts.get(answered, 0)), Cell(None)]
            parts = []
            for code, label in block.categories:
                part = f"{key} = {code}"
                parts.append(part)
                block_rows[f"{block.title}: {label}"] += [
                    tally.count(part, counts.get(part, 0)),
                    tally.share(part, answered),
                ]
            tally.partition(answered, tuple(parts))
        rows += [(label, tuple(cells)) for label, cells in block_rows.items()]
    columns = tuple(h for heading in headings for h in (heading, f"{heading} %"))
    return OutcomeTable(name, title, columns, tuple(rows))


# Table 4.1 ----------------------------------------------------------------------

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("18-24 år", 18, 24),
    ("25-29 år", 25, 29),
    ("30-39 år", 30, 39),
    ("40-49 år", 40, 49),
    ("50-59 år", 50, 59),
    ("60 år og derover", 60, 200),
    ("under 18 år", 0, 17),
)
"""VIVE's age groups at the start, then those the demo and the report never had."""


def age_band(course: CourseOutcome) -> str | None:
    """The course's age group at the baseline."""
    age = course.age_at_baseline
    if age is None:
        return None
    return next(label for label, low, high in AGE_BANDS if low <= age <= high)


def table_4_1() -> Builder:
    """Sex, age and nationality of the citizens with a baseline."""
    staff_1 = has_forms(STAFF, 1)
    return distribution(
        "4.1",
        "Køn, alder og nationalitet (VIVE tabel 4.1)",
        (
            Block(
                "Køn",
                categories(ins.SEX),
                (Column("point 1", staff_1, item(1, STAFF, "background", "sex", (1,))),),
            ),
            Block(
                "Alder",
                tuple((label, label) for label, _, _ in AGE_BANDS),
                (Column("point 1", staff_1, age_band),),
            ),
            Block(
                "Nationalitet",
                categories(ins.NATIONALITY),
                (Column("point 1", staff_1, item(1, STAFF, "background", "nationality", (1,))),),
            ),
        ),
    )


# Tables 4.2-4.4, 4.6, 4.7 ------------------------------------------------------


def _start(form: str, instrument: str, key: str, versions: Sequence[int]) -> Column:
    return Column("point 1", has_forms(form, 1), item(1, form, instrument, key, versions))


def table_4_2() -> Builder:
    """Mental health at the start: the citizen's self-rating and the consultant's view."""
    return distribution(
        "4.2",
        "Psykisk helbred ved opstart (VIVE tabel 4.2)",
        (
            Block(
                "Borger",
                categories(ins.SELF_RATED),
                (Column("point 1", has_forms(CITIZEN, 1), self_rated(1, "mental")),),
            ),
            Block(
                "Medarbejder",
                categories(ins.LIMITS),
                (_start(STAFF, "staff_assessment", "mental_problems_limit", CURRENT),),
            ),
        ),
    )


def table_4_3() -> Builder:
    """Psychiatric diagnosis and prescribed medication at the start."""
    return distribution(
        "4.3",
        "Psykiatrisk diagnose (VIVE tabel 4.3)",
        (
            Block(
                "Psykiatrisk diagnose",
                categories(ins.YES_NO_DONT_KNOW),
                (_start(STAFF, "staff_assessment", "psychiatric_diagnosis", SHARED),),
            ),
            Block(
                "Lægeordineret medicin",
                categories(ins.YES_NO_DONT_KNOW),
                (_start(STAFF, "staff_assessment", "prescribed_medication", SHARED),),
            ),
        ),
    )


def table_4_4() -> Builder:
    """Physical health at the start: the citizen's self-rating and the consultant's view."""
    return distribution(
        "4.4",
        "Fysisk helbred ved opstart (VIVE tabel 4.4)",
        (
            Block(
                "Borger",
                categories(ins.SELF_RATED),
                (Column("point 1", has_forms(CITIZEN, 1), self_rated(1, "physical")),),
            ),
            Block(
                "Medarbejder",
                categories(ins.LIMITS),
                (_start(STAFF, "staff_assessment", "physical_problems_limit", CURRENT),),
            ),
        ),
    )


def table_4_6() -> Builder:
    """Misuse of alcohol, cannabis and hard drugs at the start."""
    blocks = tuple(
        Block(label, categories(ins.SUBSTANCE), (_start(STAFF, "staff_assessment", key, SHARED),))
        for key, label in (
            ("alcohol", "Alkohol"),
            ("cannabis", "Hash"),
            ("hard_drugs", "Hårde stoffer"),
        )
    )
    return distribution("4.6", "Misbrugsproblemer ved opstart (VIVE tabel 4.6)", blocks)


def table_4_7() -> Builder:
    """Self-reliance at the start: everyday functions, own economy, the support system."""
    blocks = tuple(
        Block(label, categories(ins.ABLE), (_start(STAFF, "staff_assessment", key, CURRENT),))
        for key, label in (
            ("everyday_functions", "Dagligdags funktioner"),
            ("own_economy", "Egen økonomi"),
            ("support_system", "Behandlings- og støttesystem"),
        )
    )
    return distribution("4.7", "Selvhjulpenhed (VIVE tabel 4.7)", blocks)


# Table 4.5 -----------------------------------------------------------------------


def table_4_5() -> Builder:
    """Self-rated mental (rows) by physical (columns) health at the start, % of all."""
    return Builder(_keys_4_5, _table_4_5)


def _keys_4_5(course: CourseOutcome) -> Iterator[str]:
    form = course.form(1, CITIZEN) if course.has_baseline else None
    if form is not None and form.mental is not None and form.physical is not None:
        yield "4.5 both answered"
        yield f"4.5 {form.mental} x {form.physical}"
        yield f"4.5 {form.mental}"
        yield f"4.5 physical {form.physical}"


def _table_4_5(tally: Tally, counts: Counts) -> OutcomeTable:
    levels = categories(ins.SELF_RATED)
    n = "4.5 both answered"
    tally.count(n, counts.get(n, 0))
    headings = (
        *(h for _, label in levels for h in (label, f"{label} %")),
        "Total",
        "Total %",
    )
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    for mental, mental_label in levels:
        cells: list[Cell] = []
        parts = []
        for physical, _ in levels:
            key = f"4.5 {mental} x {physical}"
            parts.append(key)
            cells += [tally.count(key, counts.get(key, 0)), tally.share(key, n)]
        total = f"4.5 {mental}"
        cells += [tally.count(total, counts.get(total, 0)), tally.share(total, n)]
        tally.partition(total, tuple(parts))
        rows.append((f"psykisk: {mental_label}", tuple(cells)))
    margin: list[Cell] = []
    for physical, _ in levels:
        key = f"4.5 physical {physical}"
        margin += [tally.count(key, counts.get(key, 0)), tally.share(key, n)]
        tally.partition(key, tuple(f"4.5 {m} x {physical}" for m, _ in levels))
    margin += [tally.count(n, counts.get(n, 0)), tally.share(n, n)]
    rows.append(("Total (n)", tuple(margin)))
    tally.partition(n, tuple(f"4.5 {m}" for m, _ in levels))
    title = "Psykisk (rækker) mod fysisk (kolonner) selvvurderet helbred (VIVE tabel 4.5)"
    return OutcomeTable("4.5", title, headings, tuple(rows))


# Tables 5.2, 6.2 -----------------------------------------------------------------


def _status(course: CourseOutcome) -> str:
    if course.exit_after is not None:
        return "planned"
    if course.exit_reason is not None:
        return "unplanned"
    return "ongoing"


def _within(test: Callable[[CourseOutcome], bool]) -> Callable[[CourseOutcome], bool]:
    """Courses with a start citizen form that pass the test."""
    start = has_forms(CITIZEN, 1)
    return lambda c: start(c) and test(c)


def _by(
    groups: Sequence[tuple[str, Callable[[CourseOutcome], bool]]], key: str
) -> tuple[Column, ...]:
    return tuple(
        Column(
            heading,
            _within(test),
            self_rated(1, key),
        )
        for heading, test in groups
    )


def _health_by(
    name: str,
    title: str,
    groups: Sequence[tuple[str, Callable[[CourseOutcome], bool]]],
) -> Builder:
    everyone = (*groups, ("Total", lambda c: True))
    blocks = (
        Block("Psykisk helbred", categories(ins.SELF_RATED), _by(everyone, "mental")),
        Block("Fysisk helbred", categories(ins.SELF_RATED), _by(everyone, "physical")),
    )
    counted = distribution(name, title, blocks)

    def table(tally: Tally, counts: Counts) -> OutcomeTable:
        laid_out = counted.table(tally, counts)
        for block in blocks:  # the groups split the total: say so, for suppression
            key = f"{name} {block.title}"
            for cell in ("forms", "answered", *(f"= {code}" for code, _ in block.categories)):
                parts = tuple(f"{key} {heading} {cell}" for heading, _ in groups)
                tally.partition(f"{key} Total {cell}", parts)
        return laid_out

    return Builder(counted.keys, table)


def table_5_2() -> Builder:
    """Self-rated health at the start by the course's status."""
    groups = (
        ("igangværende", lambda c: _status(c) == "ongoing"),
        ("planlagt afsluttet", lambda c: _status(c) == "planned"),
        ("uplanlagt afsluttet", lambda c: _status(c) == "unplanned"),
    )
    title = "Selvvurderet helbred ved opstart efter status (VIVE tabel 5.2)"
    return _health_by("5.2", title, groups)


def table_6_2() -> Builder:
    """Self-rated health at the start by whether the citizen got an ordinary job."""
    groups = (
        ("ikke i beskæftigelse", lambda c: not c.jobs),
        ("i beskæftigelse", lambda c: bool(c.jobs)),
    )
    title = "Selvvurderet helbred ved opstart efter beskæftigelse (VIVE tabel 6.2)"
    return _health_by("6.2", title, groups)


# Table 5.3 -----------------------------------------------------------------------


def table_5_3() -> Builder:
    """How often individual sessions are held, at points 1, 2 and 3."""
    columns = tuple(
        Column(
            f"point {p}",
            has_forms(STAFF, p),
            item(p, STAFF, "staff_assessment", "session_frequency", CURRENT),
        )
        for p in (1, 2, 3)
    )
    return distribution(
        "5.3",
        "Hyppighed af individuelle samtaler (VIVE tabel 5.3)",
        (Block("Hyppighed", categories(ins.FREQUENCY), columns),),
    )


# Tables 6.3, 6.4 -------------------------------------------------------------------


def _bip_table(name: str, title: str, bip: ins.Instrument) -> Builder:
    both = has_forms(bip.form, 1, 3)
    blocks = tuple(
        Block(
            f"{n}. {question.wording}",
            categories(question.scale),
            tuple(
                Column(f"point {p}", both, item(p, bip.form, bip.id, question.key, (bip.version,)))
                for p in (1, 3)
            ),
        )
        for n, question in enumerate(bip.items, 1)
    )
    return distribution(name, title, blocks)


def table_6_3() -> Builder:
    """The staff's BIP indicators at points 1 and 3, same citizens."""
    title = "BIP-indikatorer, medarbejderrettede spørgsmål (VIVE tabel 6.3)"
    return _bip_table("6.3", title, ins.BIP_STAFF_V2)


def table_6_4() -> Builder:
    """The citizen's BIP indicators at points 1 and 3, same citizens."""
    title = "BIP-indikatorer, borgerrettede spørgsmål (VIVE tabel 6.4)"
    return _bip_table("6.4", title, ins.BIP_CITIZEN_V2)


VIVE_BUILDERS: tuple[Builder, ...] = (
    table_4_1(),
    table_4_2(),
    table_4_3(),
    table_4_4(),
    table_4_5(),
    table_4_6(),
    table_4_7(),
    table_5_2(),
    table_5_3(),
    table_6_2(),
    table_6_3(),
    table_6_4(),
)
"""VIVE's distribution tables, in the report's order."""

VIVE_TABLE_NAMES: tuple[str, ...] = (
    "4.1",
    "4.2",
    "4.3",
    "4.4",
    "4.5",
    "4.6",
    "4.7",
    "5.2",
    "5.3",
    "6.2",
    "6.3",
    "6.4",
)
"""The names (VIVE's numbers) of the tables built here."""
