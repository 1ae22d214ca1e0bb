"""The protection tests of a citizen's record run on a fresh store through the command line."""

from tests.citizen_store import run

__all__ = ["run"]
