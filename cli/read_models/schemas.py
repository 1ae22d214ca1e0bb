"""The JSON Schema files of the read commands and the write replies, as committed in
docs/schemas."""

from __future__ import annotations

import json

from cli.read_models import READ_MODELS
from cli.read_models.write_reply import WRITE_MODELS


def schema_files() -> dict[str, str]:
    """Each read command's (and write reply's) file name and its JSON Schema (the model's
    serialised form)."""
    files = {}
    for command, model in sorted((READ_MODELS | WRITE_MODELS).items()):
        schema = model.model_json_schema(mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        files[f"{command}.json"] = text
    return files
