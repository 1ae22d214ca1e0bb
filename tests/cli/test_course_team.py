"""Several professionals on one course, contacts, entry routes and segmentation, through the
command line on a staffed store (SQLite and PostgreSQL).

Given a drop-in-centre course held by kim, when nils (a consultant outside it) joins its
team as the programme's outreach addiction worker, then he may read it (`show`) and record
what that role covers (a contact, a session) and is refused the rest, naming his role;
before joining and after leaving he is refused as before. Referral routes are checked
against the programme; contacts and segmentation are recorded facts with dates, counted
per programme.
"""

from __future__ import annotations

import pytest

from tests.cli.staffed import Staffed

pytestmark = pytest.mark.all_modes


def drop_in_course(staffed: Staffed, route: str = "outreach") -> str:
    outcome = staffed.must(
        "lars", "refer", "--cpr", "050590-5678", "--programme", "vaerestedsmodel",
        "--referring-caseworker", "lars", "--entry-route", route, "--occurred-on", "2019-02-01",
    )  # fmt: skip
    course: str = outcome["course_id"]
    staffed.must("lars", "accept", course, "--consultant", "kim", "--occurred-on", "2019-02-02")
    return course


def test_a_team_member_records_what_their_role_covers(staffed: Staffed) -> None:
    course = drop_in_course(staffed)
    refused = staffed.refused("nils", "session", course, "--occurred-on", "2019-02-03")
    assert "only its consultant may write to it" in refused

    staffed.must("kim", "team", "add", course, "--member", "nils",
                 "--role", "outreach_addiction_worker", "--occurred-on", "2019-02-03")  # fmt: skip
    staffed.must("nils", "contact", course, "--contact-kind", "outreach", "--place",
                 "Cafe Noa", "--rating", "4", "--occurred-on", "2019-02-04")  # fmt: skip
    staffed.must("nils", "session", course, "--occurred-on", "2019-02-05")
    refused = staffed.refused("nils", "job", "start", course, "--employer", "Netto",
                              "--hours-per-week", "10", "--occurred-on", "2019-02-06")  # fmt: skip
    assert "you are outreach_addiction_worker, which may record contact, session" in refused

    staffed.must("kim", "team", "remove", course, "--member", "nils", "--occurred-on",
                 "2019-02-07")  # fmt: skip
    refused = staffed.refused("nils", "session", course, "--occurred-on", "2019-02-08")
    assert "only its consultant may write to it" in refused


def test_a_consultant_on_the_team_reads_the_course_until_removed(staffed: Staffed) -> None:
    course = drop_in_course(staffed)
    refused = staffed.refused("nils", "show", course)
    assert refused == (
        f"error: as nils (consultant): course {course[:8]}… is assigned to kim, in state "
        "active; you may not read it: a consultant reads the courses assigned to them "
        "and those on whose team they are"
    )

    staffed.must("kim", "team", "add", course, "--member", "nils",
                 "--role", "outreach_addiction_worker", "--occurred-on", "2019-02-03")  # fmt: skip
    shown = staffed.must("nils", "show", course)
    assert shown["course_id"] == course
    assert "you may not read it" in staffed.refused("bo", "show", course)  # not on the team
    listed = {row["course_id"] for row in staffed.must("nils", "courses")["courses"]}
    assert course not in listed  # the lists stay the course's own consultant's

    staffed.must("kim", "team", "remove", course, "--member", "nils", "--occurred-on",
                 "2019-02-04")  # fmt: skip
    assert "you may not read it" in staffed.refused("nils", "show", course)


def test_a_team_role_the_programme_lacks_is_refused(staffed: Staffed) -> None:
    course = drop_in_course(staffed)
    refused = staffed.refused("kim", "team", "add", course, "--member", "nils", "--role",
                              "job_consultant", code=2)  # fmt: skip
    assert refused.startswith("error: role: vaerestedsmodel has no role job_consultant")


def test_an_entry_route_the_programme_lacks_is_refused(staffed: Staffed) -> None:
    drop_in_course(staffed, "self_referral")
    refused = staffed.refused(
        "lars", "refer", "--cpr", "060690-6789", "--programme", "oph",
        "--referring-caseworker", "lars", "--entry-route", "outreach", code=2,
    )  # fmt: skip
    assert refused == (
        "error: entry_route: oph takes citizens in by caseworker_referral, not outreach"
    )


def test_contacts_and_segments_are_counted_per_programme(staffed: Staffed) -> None:
    course = drop_in_course(staffed)
    for day, kind, rating in (("03", "outreach", "4"), ("04", "conversation", "2"),
                              ("05", "conversation", None)):  # fmt: skip
        rated = ("--rating", rating) if rating else ()
        staffed.must("kim", "contact", course, "--contact-kind", kind, "--place", "Cafe Noa",
                     *rated, "--occurred-on", f"2019-02-{day}")  # fmt: skip
    staffed.must("kim", "segment", course, "--match-group", "M3",
                 "--profiles", "maaske_egnede,misbrug", "--focus", "helbred",
                 "--occurred-on", "2019-02-03")  # fmt: skip
    staffed.must("kim", "segment", course, "--match-group", "M2", "--occurred-on", "2019-03-03")

    counted = staffed.must("root", "programmes", "outcomes", "vaerestedsmodel",
                           "--as-of", "2019-04-02")  # fmt: skip
    assert counted["all_courses"]["referred"] == 1
    assert counted["contacts"] == {
        "contacts": 3,
        "kinds": [{"kind": "conversation", "contacts": 2}, {"kind": "outreach", "contacts": 1}],
        "rated": 2, "mean_rating": 3.0,
    }  # fmt: skip
    assert counted["segments"] == {
        "match_group_now": [{"match_group": "M2", "courses": 1}], "rematched": 1,
        "median_days_in_match_group_now": 30,
        "profiles_ever": [{"profile": "maaske_egnede", "courses": 1},
                          {"profile": "misbrug", "courses": 1}],
        "focus_ever": [{"focus": "helbred", "courses": 1}],
    }  # fmt: skip


def add_partner(staffed: Staffed) -> None:
    """pia: a drop-in centre's support-and-contact person, a user of the partner role."""
    assert staffed.run("root", "users", "add", "pia", "--role", "partner").exit_code == 0


def test_a_partner_reads_and_records_only_on_the_courses_whose_team_they_are_on(
    staffed: Staffed,
) -> None:
    add_partner(staffed)
    course = drop_in_course(staffed)
    assert "you may not read it: a partner reads the courses on whose team they are" in (
        staffed.refused("pia", "show", course)
    )
    assert "you are not on the team of course" in staffed.refused(
        "pia", "session", course, "--occurred-on", "2019-02-03"
    )

    staffed.must("kim", "team", "add", course, "--member", "pia",
                 "--role", "support_contact_person", "--occurred-on", "2019-02-03")  # fmt: skip
    assert staffed.must("pia", "show", course)["course_id"] == course
    staffed.must("pia", "contact", course, "--contact-kind", "conversation", "--place",
                 "Cafe Noa", "--rating", "5", "--occurred-on", "2019-02-04")  # fmt: skip
    refused = staffed.refused("pia", "exit", course, "--unplanned", "--reason", "other",
                              "--occurred-on", "2019-02-05")  # fmt: skip
    assert "you are support_contact_person, which may record refer, contact" in refused
    for read in (("courses",), ("caseload",), ("outcomes", "--programme", "vaerestedsmodel")):
        assert f"may not {read[0]}" in staffed.refused("pia", *read)

    staffed.must("kim", "team", "remove", course, "--member", "pia", "--occurred-on",
                 "2019-02-07")  # fmt: skip
    assert "you may not read it" in staffed.refused("pia", "show", course)


def test_a_partner_refers_where_a_partner_role_of_the_programme_may(staffed: Staffed) -> None:
    add_partner(staffed)
    referred = staffed.must(
        "pia", "refer", "--cpr", "070790-7890", "--programme", "vaerestedsmodel",
        "--referring-caseworker", "pia", "--entry-route", "outreach", "--occurred-on",
        "2019-02-01",
    )  # fmt: skip
    assert referred["state"] == "visitation"
    refused = staffed.refused(
        "pia", "refer", "--cpr", "080890-8901", "--programme", "oph",
        "--referring-caseworker", "pia", "--occurred-on", "2019-02-01",
    )  # fmt: skip
    assert refused == (
        "error: as pia (partner): no partner role of oph may refer; a caseworker refers"
    )
