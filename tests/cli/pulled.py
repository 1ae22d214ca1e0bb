"""Reading a JSON pull (`outcomes`/`analysis --format json`) in tests."""

from __future__ import annotations

from typing import Any

from projections.pull import PulledCell, shown_text


def shown(pulled: dict[str, Any], cell: dict[str, Any]) -> Any:
    """A JSON cell as people read it: its value, "<N" for a small count, "x" for the others."""
    below = pulled["manifest"]["suppression"]["below"]
    return shown_text(PulledCell.model_validate(cell), below)


def tables(pulled: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    """Every table of a JSON pull, as row label (stripped) -> cells as people read them."""
    return {
        t["name"]: {
            row["label"].strip(): [shown(pulled, c) for c in row["cells"]] for row in t["rows"]
        }
        for t in pulled["tables"]
    }
