"""`forloeb programmes`: the programmes this installation knows, from their definitions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from cli.context import app_context
from cli.render import console, emit_model, format_option, table

if TYPE_CHECKING:
    from cli.read_models.outcomes_programme import Milestones, ProgrammeOutcomes
    from cli.read_models.programmes import ProgrammeSummary
    from programmes.catalogue import Catalogue, Entry
    from projections.milestones import Counted, MilestoneCounts


ALL, OUTSIDE = "all", "outside the cohorts"
"""The groups `programmes outcomes` counts besides the cohorts (the table's columns)."""


def catalogue() -> Catalogue:
    """The shipped definitions with the municipality's own (beside the configuration)."""
    from programmes.catalogue import load

    return load(app_context().programmes_folder)


@click.group("programmes")
def programmes_group() -> None:
    """The programmes run side by side: entry routes, roles, moves, cohorts and outcomes."""


@programmes_group.command("list")
@format_option
def list_command(output_format: str) -> None:
    """List the defined programmes and where each definition comes from."""
    entries = [catalogue().require(name) for name in catalogue().names()]
    if output_format == "json":
        from cli.read_models.programmes import ProgrammeList

        emit_model(ProgrammeList(programmes=[summary(entry) for entry in entries]))
        return
    cells = [
        [
            e.definition.name,
            e.definition.title,
            ", ".join(e.definition.entry_routes),
            len(e.definition.cohorts),
            e.origin,
        ]
        for e in entries
    ]
    columns = ["programme", "title", "entry routes", "cohorts", "definition"]
    console().print(table(f"{len(entries)} programmes", columns, cells))


@programmes_group.command("show")
@click.argument("name")
@format_option
def show_command(name: str, output_format: str) -> None:
    """Show one programme's definition: routes, instruments, roles, moves, rhythm, cohorts."""
    from workflows.machine import MOVES, programme_moves

    entry = catalogue().require(name)
    definition = entry.definition
    if output_format == "json":
        from cli.read_models.programmes import ProgrammeReport

        emit_model(ProgrammeReport(definition=definition, origin=entry.origin))
        return
    kept = {move.trigger for move in programme_moves(definition)}
    out = console()
    out.print(f"{definition.title} ({definition.name}) — {definition.source}")
    out.print(f"entry routes: {', '.join(definition.entry_routes)}")
    baseline = "both start forms" if definition.moves.baseline_forms else "none (ends at accept)"
    out.print(f"baseline: {baseline}")
    left_out = [move.trigger for move in MOVES if move.trigger not in kept]
    out.print(f"moves left out: {', '.join(left_out) or 'none'}")
    cadence = definition.cadence
    out.print(
        f"rhythm: measure every {cadence.measurement_interval_days} days, network meeting "
        f"every {cadence.network_meeting_interval_days} days; caseload target "
        f"{cadence.target_caseload}"
    )
    out.print(f"outcome tables: {', '.join(definition.outcome_tables) or 'none'}")
    added = definition.outcomes
    for what, codes in (
        ("job kinds", added.job_kinds),
        ("exit reasons", added.exit_reasons),
        ("planned-exit destinations", added.exit_destinations),
    ):
        if codes:
            out.print(f"{what} added: " + ", ".join(f"{c.code}: {c.title}" for c in codes))
    if definition.instruments:
        rows = [[i.name, i.version, i.title] for i in definition.instruments]
        out.print(table("instruments", ["instrument", "version", "what"], rows))
    roles = [
        [role, grant.title, "yes" if grant.partner else "", ", ".join(grant.may)]
        for role, grant in definition.roles.items()
    ]
    out.print(table("roles", ["role", "title", "partner", "may record"], roles))
    if definition.cohorts:
        cohorts = [[c.name, c.start, c.end, c.participants] for c in definition.cohorts]
        out.print(table("cohorts", ["cohort", "from", "to", "participants"], cohorts))
    out.print(f"definition: {entry.origin}")


def summary(entry: Entry) -> ProgrammeSummary:
    """One programme as a line of `programmes list --format json`."""
    from cli.read_models.programmes import ProgrammeSummary

    definition = entry.definition
    return ProgrammeSummary(
        name=definition.name,
        title=definition.title,
        entry_routes=[str(route) for route in definition.entry_routes],
        cohorts=[cohort.name for cohort in definition.cohorts],
        origin=entry.origin,
    )


def danish_today() -> date:
    """Today's Danish date, as the commands record it."""
    from workflows.commands import today

    return today()


@programmes_group.command("outcomes")
@click.argument("name")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=lambda: danish_today().isoformat(),
    help="the day time in match group is counted to (YYYY-MM-DD), default today",
)
@format_option
def outcomes_command(name: str, as_of: datetime, output_format: str) -> None:
    """Count what the programme's courses reached, per cohort: completion, each kind of
    job, education, and planned exits (after job, education, onto disability pension)."""
    from domain.programme import Outcomes
    from projections.milestones import COUNTED, MilestonesView, added_rows, count
    from workflows.access import OUTCOMES

    app = app_context()
    app.require(OUTCOMES)
    definition = catalogue().get(name)
    view = app.caught_up_views("milestones").view("milestones")
    assert isinstance(view, MilestonesView)
    courses = view.courses(name)
    reached = view.reached(name)
    groups: dict[str, list[str]] = {}
    if definition is not None and definition.cohorts:
        for cohort in definition.cohorts:
            groups[cohort.name] = []
        groups[OUTSIDE] = []
        for course_id, referred_on in courses:
            cohort_name = definition.cohort_of(date.fromisoformat(referred_on))
            groups[cohort_name or OUTSIDE].append(course_id)
        if not groups[OUTSIDE]:
            del groups[OUTSIDE]
    groups[ALL] = [course_id for course_id, _ in courses]
    added = added_rows(definition.outcomes if definition else Outcomes())
    counted = {group: count(ids, reached, (*COUNTED, *added)) for group, ids in groups.items()}
    contacts, segments = view.contacts(name), view.segments(name, as_of.date())
    if output_format == "json":
        emit_model(outcomes_model(name, as_of.date(), counted, contacts, segments, added))
        return
    rows = [["referred", *(c.referred for c in counted.values())]]
    rows += [
        [label, *(c.counts[label] for c in counted.values())] for label, *_ in (*COUNTED, *added)
    ]
    out = console()
    out.print(table(f"{name}: milestones reached", ["", *counted], rows))
    if contacts["contacts"]:
        out.print(table("contacts", ["", "n"], list(contacts.items())))
    if any(segments.values()):
        flat = [
            [f"{what}: {name}", n]
            for what in ("match group now", "profiles ever", "focus ever")
            for name, n in segments[what].items()
        ]
        flat.append(["rematched", segments["rematched"]])
        flat.append(["median days in match group now", segments["median days in match group now"]])
        out.print(table("segmentation (courses)", ["", "n"], flat))


def outcomes_model(
    name: str,
    as_of: date,
    counted: dict[str, MilestoneCounts],
    contacts: dict[str, Any],
    segments: dict[str, Any],
    added: Counted = (),
) -> ProgrammeOutcomes:
    """`programmes outcomes --format json`: the counted groups (with the rows the
    programme's definition `added`), contacts and segments."""
    from cli.read_models.outcomes_programme import (
        CohortMilestones,
        Contacts,
        ContactsByKind,
        FocusCount,
        MatchGroupCount,
        ProfileCount,
        ProgrammeOutcomes,
        Segments,
    )
    from domain.values import ContactKind, MatchGroup

    kinds = [
        ContactsByKind(kind=kind, contacts=contacts[kind])
        for kind in ContactKind
        if kind.value in contacts
    ]
    return ProgrammeOutcomes(
        programme=name,
        as_of=as_of,
        cohorts=[
            CohortMilestones(cohort=group, **milestones(c, added).model_dump())
            for group, c in counted.items()
            if group not in (ALL, OUTSIDE)
        ],
        outside_cohorts=milestones(counted[OUTSIDE], added) if OUTSIDE in counted else None,
        all_courses=milestones(counted[ALL], added),
        contacts=Contacts(
            contacts=contacts["contacts"],
            kinds=kinds,
            rated=contacts["rated"],
            mean_rating=contacts["mean rating"],
        ),
        segments=Segments(
            match_group_now=[
                MatchGroupCount(match_group=MatchGroup(group), courses=n)
                for group, n in segments["match group now"].items()
            ],
            rematched=segments["rematched"],
            median_days_in_match_group_now=segments["median days in match group now"],
            profiles_ever=[
                ProfileCount(profile=p, courses=n) for p, n in segments["profiles ever"].items()
            ],
            focus_ever=[FocusCount(focus=f, courses=n) for f, n in segments["focus ever"].items()],
        ),
    )


def milestones(counted: MilestoneCounts, added: Counted = ()) -> Milestones:
    """One group's counts under the JSON keys of its rows, and those of the rows the
    programme's definition `added`."""
    from cli.read_models.outcomes_programme import AddedMilestone, Milestones
    from projections.milestones import COUNTED, EXIT

    by_key = {key: counted.counts[label] for label, key, _, _ in COUNTED}
    own = [
        AddedMilestone(
            milestone="planned_exit" if milestone == EXIT else "job",
            code=code,
            label=label,
            courses=counted.counts[label],
        )
        for label, code, milestone, _ in added
    ]
    return Milestones(referred=counted.referred, **by_key, added=own)
