"""Read models rebuilt from the event log.

A view is an eventsourcing `TrackingRecorder` with tables of its own and a
tracking table of its own (`<name>_tracking`); a `Projection` writes the
view's rows and its tracking position in ONE transaction, so after a crash no
event is counted twice or skipped. `projections.catalog` opens every view on
a store, catches them up (a CLI write command calls `views.catch_up()` before
it exits), rebuilds them from zero and reports where each stands.

Modules:

- `base`: `View`, `ViewProjection`, `ViewSpec` (what every view shares);
- `sqlite`, `postgres`: the dialect variants, mixed in by the catalog;
- `catalog`: `open_views(store)` -> `Views` (`catch_up`, `rebuild`, `status`);
- one module per view: `course_list`, `caseload`, `audit`, ...

Adding a view
-------------

1. Write `projections/<name>.py` with three things:

   - `class <Name>View(View)`: `name = "<name>"`, `tables = {table: columns}`
     in portable SQL (TEXT, INTEGER, BIGINT; dates as ISO text via `iso`),
     optional `indexes = {index: "table (columns)"}`, and query methods that
     read with `self.rows("SELECT ... FROM {table} WHERE x=?", params)`:
     `{table}` names and `?` placeholders are turned into the dialect's.
   - `class <Name>Projection(ViewProjection[<Name>View])`: handler methods
     `(self, c, event, position)` listed in `handlers = {EventClass: method}`;
     events not listed only advance the position, and only listed events are
     decoded. A handler writes with `self.execute(c, sql, *params)`, or
     collects rows in `begin` and writes them in `flush(c)` with
     `self.execute_many` (one statement per batch: much faster to rebuild).
     Read nothing but the events: a view must be rebuildable from the log.
   - `VIEW = ViewSpec(<Name>View, <Name>Projection)`.

2. Add `"projections.<name>"` to `catalog.VIEW_MODULES` (and, for typed
   access, a property on `Views` like `course_list`).

3. Test it as the others are: build a history with the `service` fixture,
   `views.catch_up()`, check the rows; `tests/projections/test_properties.py`
   then checks that catching up equals a rebuild for the new view too.

The first `catch_up` on an existing store fills the new view from zero.
Changing a view's tables later: rebuild it with a connection that may create
tables, which drops and recreates them: on SQLite any `views.rebuild("<name>")`;
on PostgreSQL the owner role's, `open_views(store.for_init()).rebuild("<name>")`
(the application role only deletes the rows, keeping the old tables).
"""
