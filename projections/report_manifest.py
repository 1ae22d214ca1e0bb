"""The manifest block of the HTML report: what the report was pulled from, to pull it again."""

from __future__ import annotations

from html import escape
from typing import Any

from projections.manifest import Manifest

BLOCK_ID = "manifest"


def manifest_items(manifest: Manifest) -> list[tuple[str, str]]:
    """The manifest as (dotted key, text) pairs, in the model's order."""

    def walk(prefix: str, value: Any) -> list[tuple[str, str]]:
        if isinstance(value, dict):
            return [
                pair
                for key, inner in value.items()
                for pair in walk(f"{prefix}.{key}" if prefix else key, inner)
            ]
        if isinstance(value, list):
            return [(prefix, ", ".join(str(item) for item in value))]
        return [(prefix, "–" if value is None else str(value))]

    return walk("", manifest.model_dump(mode="json", by_alias=True))


def manifest_block(manifest: Manifest) -> str:
    """An HTML block listing the manifest (no script: the report runs none)."""
    rows = "".join(
        f"<tr><th>{escape(key)}</th><td>{escape(text)}</td></tr>"
        for key, text in manifest_items(manifest)
    )
    return (
        f'<aside id="{BLOCK_ID}"><h2>Manifest</h2><p>Pull this report again with the same '
        "--as-of and --known-at (the log position says how far the log was read).</p>"
        f"<table>{rows}</table></aside>"
    )


def with_manifest(html: str, manifest: Manifest) -> str:
    """The report's HTML with the manifest block at the end of its body."""
    head, body_end, tail = html.rpartition("</body>")
    if not body_end:
        return html + manifest_block(manifest)
    return head + manifest_block(manifest) + "\n" + body_end + tail
