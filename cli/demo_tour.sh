#!/bin/sh
# The demo tour `make demo` runs: load the demo cohort, then show what each kind of user
# sees, as of the cohort's data pull date. Usage: cli/demo_tour.sh [PATH/TO/forloeb]
# (the store and the user come from FORLOEB_DB and FORLOEB_USER, as for any command).
# `forloeb demo` creates the store's configuration with the demo users; each step below
# runs as the user whose view it shows.
set -eu

# The demo keeps its users in a configuration of its own, named after its store
# (demo.sqlite -> demo.toml), so it never meets the forloeb.toml that `forloeb init`
# creates in the same folder (the README's walk-through), whichever runs first.
if [ -n "${FORLOEB_DB:-}" ]; then
    FORLOEB_CONFIG=${FORLOEB_DB%.sqlite}.toml
    export FORLOEB_CONFIG
fi

forloeb=${1:-forloeb}
as_of=2019-04-15 # the VIVE midterm's data pull, the demo cohort's "today"
programme=paa-vej-til-arbejde

run() {
    printf '\n$ forloeb %s\n' "$*"
    "$forloeb" "$@"
}

run demo
# The team lead sees the team's caseload and what is overdue.
run --as teamlead caseload --as-of "$as_of"
run --as teamlead due --as-of "$as_of"
# The evaluator sees the outcome tables (pseudonymised, no CPR numbers, no free text).
run --as evaluator outcomes --programme "$programme" --as-of "$as_of"
# The municipality runs other programmes side by side; each has a definition and a demo
# cohort of its own (forloeb demo --programme NAME), and outcome tables of its own.
run --as evaluator programmes list
printf '\nOther programmes: OPH, MB, the drop-in-centre model and Faxe match group 3 each\n'
printf 'have a demo cohort shaped on their report: forloeb --db OTHER.sqlite demo --programme\n'
printf 'oph|mb|vaerestedsmodel|faxe-m3, then forloeb --db OTHER.sqlite outcomes --programme NAME\n'
printf 'shows its tables (completion, outcome kinds, follow-up with the worst case, contacts and\n'
printf 'no-shows, profile shares; see the README, "A second programme").\n'
courses=$("$forloeb" --as auditor courses --state exited_planned --format json)
course=$(printf '%s\n' "$courses" | sed -n '/"course_id"/{s/.*: "\(.*\)".*/\1/p;q;}')
consultant=$(printf '%s\n' "$courses" | sed -n '/"consultant"/{s/.*: "\(.*\)".*/\1/p;q;}')
# The course's consultant types in a paper note late and corrects it; the audit shows both.
run --as "$consultant" correct "$course" --version 3 --set "note=first talk at the library" \
    --reason "note typed in from the paper journal"
# The auditor reads the citizen's whole history, saying why (the read itself is recorded).
run --as auditor audit "$course" --purpose "demo: checking the correction"
# ...and checks that nothing in the log was altered: every course's hash chain, end to end.
run --as auditor verify --all
# ...and that every read view equals a rebuild from the log (a row deleted or altered in a
# view would be named here, with its stored and rebuilt values).
run --as auditor projections verify
