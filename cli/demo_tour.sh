#!/bin/sh
# The demo tour `make demo` runs: load the demo cohort, then show what each kind of user
# sees, as of the cohort's data pull date. Usage: cli/demo_tour.sh [PATH/TO/forloeb]
# (the store and the user come from FORLOEB_DB and FORLOEB_USER, as for any command).
set -eu

forloeb=${1:-forloeb}
as_of=2019-04-15 # the VIVE midterm's data pull, the demo cohort's "today"
programme=paa-vej-til-arbejde

run() {
    printf '\n$ forloeb %s\n' "$*"
    "$forloeb" "$@"
}

run demo
run caseload --as-of "$as_of"
run due --as-of "$as_of"
run outcomes --programme "$programme" --as-of "$as_of"
course=$("$forloeb" courses --state exited_planned --format json |
    sed -n '/"course_id"/{s/.*: "\(.*\)".*/\1/p;q;}')
# A caseworker types in a paper note late and corrects it; the audit shows both.
run --as consultant-4 correct "$course" --version 3 --set "note=first talk at the library" \
    --reason "note typed in from the paper journal"
run audit "$course"
