"""Breakdowns by match group and by profile, as of the date, through `forloeb analysis trends`
(SQLite, PostgreSQL and remote).

Given Faxe M3 courses segmented on dates (a rematch recorded with its match group
alone, new profiles recorded without a match group, a course never segmented), when
`analysis trends` runs as of a date, then each course is under its match group as of
that date, and under each of its profiles as of that date (the profile groups adding up
to more than the total); a back-dated segmentation counts as of its date, but only in
pulls known after it was recorded; a programme whose courses have no segmentation has
neither breakdown.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.cli.staffed import Staffed

pytestmark = pytest.mark.all_modes


def faxe_course(staffed: Staffed, cpr: str) -> str:
    outcome = staffed.must(
        "lars", "refer", "--cpr", cpr, "--programme", "faxe-m3",
        "--referring-caseworker", "lars", "--occurred-on", "2019-02-01",
    )  # fmt: skip
    course: str = outcome["course_id"]
    staffed.must("lars", "accept", course, "--consultant", "kim", "--occurred-on", "2019-02-02")
    return course


def segment(staffed: Staffed, course: str, on: str, *options: str) -> None:
    staffed.must("kim", "segment", course, *options, "--occurred-on", on)


def breakdowns(staffed: Staffed, programme: str, as_of: str) -> dict[str, dict[str, Any]]:
    """The trends' breakdown tables by name: group -> referred."""
    pulled = staffed.must("eva", "analysis", "trends", "--programme", programme,
                          "--as-of", as_of)  # fmt: skip
    return {
        t["name"]: {r["label"]: r["cells"][0]["value"] for r in t["rows"]}
        for t in pulled["tables"]
        if t["name"].startswith("by_")
    }


@pytest.fixture
def segmented(staffed: Staffed) -> Staffed:
    first, second = faxe_course(staffed, "050590-5678"), faxe_course(staffed, "060690-6789")
    faxe_course(staffed, "070790-7890")  # never segmented
    segment(staffed, first, "2019-02-03", "--match-group", "M3", "--profiles",
            "maaske_egnede,misbrugere")  # fmt: skip
    segment(staffed, first, "2019-03-03", "--match-group", "M2")  # rematch: profiles kept
    segment(staffed, second, "2019-02-05", "--match-group", "M3", "--profiles", "fysisk_syge")
    segment(staffed, second, "2019-03-10", "--profiles", "diagnosticerede")  # still M3
    return staffed


def test_each_course_is_under_its_match_group_and_profiles_as_of_the_date(
    segmented: Staffed,
) -> None:
    found = breakdowns(segmented, "faxe-m3", "2019-04-01")

    assert found["by_match_group"] == {"M2": 1, "M3": 1, "(none)": 1, "total": 3}
    assert found["by_profile"] == {
        "diagnosticerede": 1, "maaske_egnede": 1, "misbrugere": 1, "(none)": 1, "total": 3,
    }  # fmt: skip


def test_before_the_rematch_and_the_new_profile_the_earlier_ones_hold(
    segmented: Staffed,
) -> None:
    found = breakdowns(segmented, "faxe-m3", "2019-02-15")

    assert found["by_match_group"] == {"M3": 2, "(none)": 1, "total": 3}
    assert found["by_profile"] == {
        "fysisk_syge": 1, "maaske_egnede": 1, "misbrugere": 1, "(none)": 1, "total": 3,
    }  # fmt: skip


def test_before_any_segmentation_there_is_no_such_breakdown(segmented: Staffed) -> None:
    assert not {"by_match_group", "by_profile"} & set(breakdowns(segmented, "faxe-m3",
                                                                 "2019-02-02"))  # fmt: skip
    assert not {"by_match_group", "by_profile"} & set(breakdowns(segmented, "pva", "2019-04-01"))


def test_the_profile_breakdown_says_its_groups_overlap(segmented: Staffed) -> None:
    pulled = segmented.must("eva", "analysis", "trends", "--programme", "faxe-m3",
                            "--as-of", "2019-04-01")  # fmt: skip

    titles = {t["name"]: t["title"] for t in pulled["tables"]}

    assert titles["by_profile"] == (
        "By profile (as of the date; a course counts under each of its profiles, so the "
        "groups add up to more than the total)"
    )
    assert titles["by_match_group"] == "By match group (as of the date)"


def test_a_back_dated_segmentation_counts_only_once_known(segmented: Staffed) -> None:
    third = faxe_course(segmented, "080890-8901")
    before = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    segment(segmented, third, "2019-02-20", "--match-group", "M1", "--profiles", "misbrugere")

    known_before = segmented.must("eva", "analysis", "trends", "--programme", "faxe-m3",
                                  "--as-of", "2019-04-01", "--known-at", before)  # fmt: skip
    now = breakdowns(segmented, "faxe-m3", "2019-04-01")

    groups = {t["name"]: {r["label"]: r["cells"][0]["value"] for r in t["rows"]}
              for t in known_before["tables"]}  # fmt: skip
    assert groups["by_match_group"]["(none)"] == 2 and "M1" not in groups["by_match_group"]
    assert now["by_match_group"]["M1"] == 1 and now["by_match_group"]["(none)"] == 1
    assert now["by_profile"]["misbrugere"] == 2
