"""Read models rebuilt from the event log.

A view is an eventsourcing `TrackingRecorder` with tables of its own and a
tracking table of its own (`<name>_tracking`); a `Projection` writes the
view's rows and its tracking position in ONE transaction, so after a crash no
event is counted twice or skipped. `projections.catalog` opens the views on
a store (each when first used), catches them up (a CLI write command catches
up the course list before it exits, a read command the views it reads before
reading), rebuilds them from zero and reports where each stands.

Modules:

- `base`: `View`, `ViewProjection`, `ViewSpec` (what every view shares);
- the SQL variants (`storage.sqlite_views`, `storage.postgres_views`) come from the
  store's backend, which the catalog mixes into every view;
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
     decoded. A handler that needs nothing but the event's `originator_id`
     and `originator_version` goes in `header_handlers` instead: it is given
     a `Header` read off the notification when no view needs the event
     decoded (most of the log is such events). A handler writes with
     `self.execute(c, sql, *params)`, or collects rows in `begin` and writes
     them in `flush(c)` with `self.execute_many` (one statement per batch:
     much faster to rebuild); `start`/`finish` let a projection keep what it
     wrote from one committed batch to the next (see `course_list`).
     Read nothing but the events: a view must be rebuildable from the log.
   - `VIEW = ViewSpec(<Name>View, <Name>Projection)`.

2. Add `"projections.<name>"` to `catalog.VIEW_MODULES` (and, for typed
   access, a property on `Views` like `course_list`).

3. Test it as the others are: build a history with the `service` fixture,
   `views.catch_up()`, check the rows; `tests/projections/test_properties.py`
   then checks that catching up equals a rebuild for the new view too.

The first `catch_up` on an existing store fills the new view from zero.
Changing a view's columns later: a connection that may create tables (any on
SQLite; the owner role's on PostgreSQL, `open_views(store.for_init())`) finds
the view's tables differ from `tables` when it opens the view (when first used,
or all at once by `create_tables()`, as `forloeb init` does), drops and
recreates them, and the next `catch_up` or `rebuild` fills them from zero.
Other changes (an index, what a handler writes): rebuild the view with such a
connection, `views.rebuild("<name>")` (the application role on PostgreSQL
only deletes the rows, keeping the old tables).

A rebuild from zero creates a view's indexes only when it reaches the head
(`View.finish_rebuild`): maintaining them row by row costs more than building
them once. Queries are right without them, only slower, while an interrupted
rebuild waits to be continued.
"""
