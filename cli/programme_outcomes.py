"""The outcome tables of the programme a pull is of: its definition's `outcome_tables`
(`programmes.outcome_tables`), with the milestones view read for the programme tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from cli.context import app_context
from cli.programmes_cmd import catalogue

if TYPE_CHECKING:
    from projections.milestones import CourseMilestones
    from projections.outcomes_course import CourseOutcome
    from projections.outcomes_report import Report


def outcome_report(
    programme: str,
    courses: Sequence[CourseOutcome],
    as_of: date,
    known_at: datetime | None,
    *,
    follow_up_forms: bool,
    chosen: Sequence[str],
) -> Report:
    """The tables the programme's definition names (or those chosen) for its courses."""
    from programmes.outcome_tables import programme_report
    from projections.milestones import MilestonesView

    def milestones() -> Mapping[str, CourseMilestones]:
        view = app_context().caught_up_views("milestones").view("milestones")
        assert isinstance(view, MilestonesView)
        return view.course_milestones(programme, as_of, known_at)

    definition = catalogue().get(programme)
    return programme_report(
        definition,
        courses,
        milestones,
        follow_up_forms=follow_up_forms,
        chosen=chosen,
        as_of=as_of,
    )
