"""The keyring keeps at most `max_kept` unwrapped citizen keys: reading a national store's
whole log meets hundreds of thousands of citizens, whose keys must not all stay in memory.
Past the bound it forgets the keys it holds (never the staged ones) and reads a key again
when its citizen is met; a citizen without a key, or erased, still has no cipher."""

from __future__ import annotations

from uuid import UUID

import pytest

from storage.keys import Keyring, MemoryKeyStore
from storage.secrets import MasterKey

MASTER = MasterKey.generate()


def keyring(store: MemoryKeyStore, kept: int) -> Keyring:
    ring = Keyring(store, MASTER)
    ring.max_kept = kept
    return ring


def registered(store: MemoryKeyStore, cprs: list[str]) -> list[UUID]:
    """Citizens registered (and their keys stored) through a keyring of their own."""
    ring = keyring(store, kept=1000)
    subjects = [ring.register(cpr) for cpr in cprs]
    ring.flush()
    return subjects


CPRS = [f"01019{n}0001" for n in range(10)]


def plaintext_round_trip(writer: Keyring, reader: Keyring, subject: UUID) -> bytes:
    cipher = writer.cipher(subject)
    assert cipher is not None
    found = reader.cipher(subject)
    assert found is not None
    return found.decrypt(cipher.encrypt(b"hours 12"))


def test_a_store_with_more_keys_than_kept_loads_only_as_many_and_reads_the_rest_when_met() -> (
    None
):
    store = MemoryKeyStore()
    subjects = registered(store, CPRS)
    writer = keyring(store, kept=1000)

    reader = keyring(store, kept=4)
    reader.load_all()
    assert len(reader._ciphers) == 4

    for subject in subjects:  # every citizen's key, read again when forgotten
        assert plaintext_round_trip(writer, reader, subject) == b"hours 12"
        assert len(reader._ciphers) <= 4


def test_a_store_whose_keys_all_fit_is_loaded_whole_and_a_citizen_without_a_key_has_none() -> (
    None
):
    store = MemoryKeyStore()
    registered(store, CPRS[:3])
    reader = keyring(store, kept=4)
    reader.load_all()

    assert reader.cipher(UUID(int=7)) is None  # no key: not asked again of the store
    assert len(reader._ciphers) == 3


def test_staged_keys_are_never_forgotten_before_their_flush() -> None:
    store = MemoryKeyStore()
    ring = keyring(store, kept=2)
    staged = [ring.register(cpr) for cpr in CPRS[:5]]

    assert all(ring.cipher(subject) is not None for subject in staged)
    ring.flush()
    assert {row.subject for row in store.rows.values()} == set(staged)


@pytest.mark.parametrize("kept", [1, 100])
def test_an_erased_citizen_stays_without_a_cipher_after_the_keys_are_forgotten(
    kept: int,
) -> None:
    store = MemoryKeyStore()
    erased, *others = registered(store, CPRS[:4])
    ring = keyring(store, kept=kept)

    assert ring.erase(erased, CPRS[0])
    for subject in others:  # past the bound: the held keys are forgotten
        assert ring.cipher(subject) is not None
    assert ring.cipher(erased) is None
