"""Whether a store's citizen keys are protected by key-encryption keys, and how recently.

`forloeb init` makes KEKs required (`init_notes`), `forloeb verify --all` names
what leaves an erased citizen recoverable from the WAL or a backup
(`kek_findings`), and `forloeb citizen rotate-keys --if-older-than` asks
`rotation_due` before rotating. See `storage.keks`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from storage.chain import Finding, FindingKind
from storage.keks import KEK_DIR_ENV, KEK_MAX_AGE_ENV
from storage.keys import Keyring

ROTATE = "run `forloeb citizen rotate-keys`"
WHERE = "citizen keys"
WHAT = "KEK"
"""How a KEK finding names itself: `citizen keys KEK: ...`."""


def no_folder_risk() -> str:
    """What a store without a KEK folder risks, and what to do."""
    return (
        f"no key-encryption key folder is set ({KEK_DIR_ENV}): an erased citizen's key "
        f"survives in the WAL and in backups; set {KEK_DIR_ENV} to a folder outside the "
        f"database, then {ROTATE}"
    )


def master_only_risk(count: int) -> str:
    """What keys under the master key alone risk, and what to do."""
    return (
        f"{count} citizen key(s) are wrapped under the master key alone (written before "
        f"key-encryption keys): their erasure does not reach the WAL or backups; {ROTATE}"
    )


def init_notes(keyring: Keyring, store_folder: Path | None) -> list[str]:
    """Make KEKs required on the store (a first one made if needed) and say so; warn about
    a store left without a KEK folder, a folder inside the store's, keys not under one."""
    if keyring.keks is None:
        return [f"warning: {no_folder_risk()}"]
    number = keyring.require_keks()
    folder = keyring.keks.path
    notes = [f"keks: citizen keys go under key-encryption key {number}, in {folder}"]
    if inside(folder, store_folder):
        notes.append(
            f"warning: the KEK folder {folder} is in the store's folder: a copy of that "
            f"folder can undo erasures; set {KEK_DIR_ENV} to a folder elsewhere"
        )
    unprotected = keyring.keys_without_kek()
    if unprotected:
        notes.append(f"warning: {master_only_risk(unprotected)}")
    return notes


def inside(folder: Path, store_folder: Path | None) -> bool:
    """Whether `folder` is the store's folder or inside it."""
    if store_folder is None:
        return False
    store = store_folder.expanduser().resolve()
    path = folder.expanduser().resolve()
    return path == store or store in path.parents


def kek_findings(keyring: Keyring, max_age: timedelta, now: datetime) -> list[Finding]:
    """What leaves erasures undoable: no KEK folder, keys under the master key alone, a
    current KEK older than `max_age` (FORLOEB_KEK_MAX_AGE)."""
    found: list[str] = []
    if keyring.keks is None:
        found.append(no_folder_risk())
    unprotected = keyring.keys_without_kek()
    if unprotected:
        found.append(master_only_risk(unprotected))
    newest = None if keyring.keks is None else keyring.keks.newest_age(now)
    if newest is not None and newest[1] > max_age:
        number, age = newest
        found.append(
            f"the current key-encryption key (KEK {number}) is {age.days} days old, over "
            f"{describe(max_age)} ({KEK_MAX_AGE_ENV}): erasures since it was made are not "
            f"final; {ROTATE} (e.g. `--if-older-than {describe(max_age)}` from a timer)"
        )
    return [Finding(FindingKind.KEK, WHAT, -1, detail, WHERE) for detail in found]


def rotation_due(keyring: Keyring, period: timedelta, now: datetime) -> str | None:
    """Why a rotation is due (none yet, keys under the master key alone, the current KEK
    older than `period`), or None when it is not."""
    newest = None if keyring.keks is None else keyring.keks.newest_age(now)
    if newest is None:
        return "no key-encryption key yet"
    if keyring.keys_without_kek():
        return "citizen keys under the master key alone"
    number, age = newest
    if age >= period:
        return f"KEK {number} is {age.days} days old"
    return None


def describe(period: timedelta) -> str:
    """A period as FORLOEB_KEK_MAX_AGE writes it: whole weeks, days or hours."""
    hours = int(period.total_seconds() // 3600)
    if hours % (24 * 7) == 0:
        return f"{hours // (24 * 7)}w"
    if hours % 24 == 0:
        return f"{hours // 24}d"
    return f"{hours}h"
