"""The privacy tests run on a fresh store driven through the command line."""

from tests.citizen_store import CPR, Run, ok, refer_and_close, run

__all__ = ["CPR", "Run", "ok", "refer_and_close", "run"]
