"""Sealing: bringing events stored before the chain existed under it.

Only a gap-free log (from version 0 or 1) is sealed; each sealed aggregate gets
its links and a head signed with the chain key. Both recorders seal through
`seal_rows`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage.chain import (
    ZERO_HASH,
    Head,
    Link,
    chain,
    sign_head,
)

SEAL_BATCH = 500
"""Aggregates sealed per transaction."""


@dataclass
class SealReport:
    """What `seal` did: aggregates brought under the chain, and those it could not."""

    aggregates: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)
    """One line per aggregate left unsealed (its versions have a gap)."""
    log_sealed: tuple[int, int] | None = None
    """The notifications brought under the log chain (first, last), if it had none."""


def seal_aggregate(
    originator_id: str, events: Sequence[tuple[int, str, bytes]], key: bytes
) -> tuple[list[Link], Head] | str:
    """Links and a signed head for an unchained aggregate's events, or why it cannot be sealed.

    Only a gap-free log (from version 0 or 1) is sealed: sealing over a gap
    would hide a removal made before the chain existed.
    """
    versions = [v for v, _, _ in events]
    start = versions[0]
    if start > 1 or versions != list(range(start, start + len(versions))):
        return f"{originator_id}: not sealed, versions #{start}..#{versions[-1]} have gaps"
    links = chain(originator_id, ZERO_HASH, events)
    return links, sign_head(key, originator_id, links[-1].version, links[-1].hash)


def seal_rows(
    rows: Iterable[tuple[Any, int, str, bytes]],
    canonical: Callable[[Any], str],
    key: bytes,
    report: SealReport,
) -> tuple[list[Link], list[Head], dict[str, Any]]:
    """Seal the aggregates in `rows` (ordered by originator, version); count into `report`."""
    links: list[Link] = []
    heads: list[Head] = []
    names: dict[str, Any] = {}
    for db_id, group in itertools.groupby(rows, key=lambda r: r[0]):
        originator_id = canonical(db_id)
        events = [(v, topic, bytes(state)) for _, v, topic, state in group]
        sealed = seal_aggregate(originator_id, events, key)
        if isinstance(sealed, str):
            report.skipped.append(sealed)
            continue
        names[originator_id] = db_id
        links.extend(sealed[0])
        heads.append(sealed[1])
        report.aggregates += 1
        report.events += len(events)
    return links, heads, names
