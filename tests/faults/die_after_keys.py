"""Run as a process: import a file, and die by SIGKILL at the moment the Nth batch's
citizen keys are stored but its events are not yet saved.

    python -m tests.faults.die_after_keys (--db PATH | --database-url URL) FILE N

The keys are stored in a transaction of their own just before the events (see
`Keyring.flush`), so this is the one kill point where the two can disagree: a
citizen with a key and no events. The test then resumes the import.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from cli.bootstrap import open_storage
from cli.importer import import_lines
from storage.store import StoreConfig
from workflows.service import CourseService


class DyingService(CourseService):
    """The course service, killing its own process on the Nth save (after the keys)."""

    name = CourseService.name  # the same tables as the real service
    die_on = 1

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save, unless this is the save to die on."""
        self.die_on -= 1
        if self.die_on == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().save(*objs, **kwargs)


def main(argv: list[str]) -> None:
    """Import the file until the Nth save kills the process."""
    option, where, file, nth = argv
    store = (StoreConfig(sqlite_path=Path(where)) if option == "--db"
             else StoreConfig(database_url=where))
    service = DyingService(open_storage(store))
    service.die_on = int(nth)
    import_lines(service, Path(file).read_text().splitlines(), "tester")
    raise SystemExit("the import finished without reaching the save to die on")


if __name__ == "__main__":
    main(sys.argv[1:])
