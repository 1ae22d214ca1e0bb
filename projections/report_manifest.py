"""The manifest block of the HTML report: what the report was pulled from, to pull it again."""

from __future__ import annotations

from html import escape

from projections.manifest import Manifest, flattened

BLOCK_ID = "manifest"


def manifest_block(manifest: Manifest) -> str:
    """An HTML block listing the manifest (no script: the report runs none)."""
    rows = "".join(
        f"<tr><th>{escape(key)}</th><td>{escape('–' if value is None else str(value))}</td></tr>"
        for key, value in flattened(manifest)
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
