"""`python -m cli.read_models FOLDER`: write each read command's JSON Schema to
FOLDER/COMMAND.json (docs/schemas is the committed copy)."""

from __future__ import annotations

import sys
from pathlib import Path

from cli.read_models.schemas import schema_files

if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in schema_files().items():
        (folder / name).write_text(text, encoding="utf-8")
