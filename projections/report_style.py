"""The visual report's stylesheet: one inline `<style>`, for the screen and for print."""

from __future__ import annotations

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d0d4da; --band: #f3f5f8;
        --accent: #0072B2; --warn: #B00020; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif;
       color: var(--ink); background: #fff; }
header, main { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; border-bottom: 3px solid var(--accent); padding-bottom: 12px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 0 0 4px; color: var(--accent); }
.meta { color: var(--muted); margin: 0; font-size: 14px; }
.meta strong { color: var(--ink); font-weight: 600; }
.notice { background: #fff8e1; border-left: 4px solid #E69F00; padding: 6px 10px; margin: 10px 0 0;
          font-size: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px;
         margin: 18px 0 6px; }
.card { background: var(--band); border-radius: 6px; padding: 10px 12px; }
.card .value { font-size: 24px; font-weight: 700; }
.card .label { font-size: 13px; color: var(--muted); }
.card.miss .value { color: var(--warn); }
section { padding: 22px 0 10px; border-bottom: 1px solid var(--rule); }
section > p.intro { color: var(--muted); margin: 0 0 12px; max-width: 80ch; }
.pair { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 24px;
        align-items: start; }
figure { margin: 0; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
.tables { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px;
        font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0 0 4px; font-size: 13.5px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--rule); }
thead th { background: var(--band); text-align: right; font-weight: 600; vertical-align: bottom; }
thead th:first-child, tbody th { text-align: left; }
tbody th { font-weight: normal; white-space: nowrap; }
tbody th.long { white-space: normal; min-width: 30ch; }
tbody th.sub { padding-left: 22px; color: var(--muted); }
td { text-align: right; white-space: nowrap; }
td.suppressed { color: var(--muted); font-style: italic; }
td.miss { color: var(--warn); font-weight: 600; }
tr.total th, tr.total td { font-weight: 600; border-top: 2px solid var(--ink); }
footer { max-width: 1280px; margin: 0 auto; padding: 16px 24px 32px; color: var(--muted);
         font-size: 12px; }
@media (max-width: 900px) { .pair { grid-template-columns: 1fr; } }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; }
  header, main, footer { max-width: none; padding: 0; }
  section { break-before: page; border: none; padding-top: 0; }
  main > section:first-child { break-before: avoid; padding-top: 12px; }
  .pair { grid-template-columns: 1fr; gap: 10px; }
  figure { break-inside: avoid; }
  table { font-size: 9pt; }
  thead { display: table-header-group; }
  table.short { break-inside: avoid; }
  tr { break-inside: avoid; }
  caption { break-after: avoid; }
  .cards { grid-template-columns: repeat(6, 1fr); gap: 6px; margin: 10px 0 4px; }
  .card { border: 1px solid var(--rule); padding: 5px 7px; }
  .card .value { font-size: 15pt; }
  .card .label { font-size: 8pt; }
  figure { max-width: 150mm; }
}
"""
"""The report's whole stylesheet (no web fonts, no external resources)."""
