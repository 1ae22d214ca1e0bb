"""The hash chain and signed heads, without a store: hashing, extending, verifying."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from storage.chain import (
    ZERO_HASH,
    ChainKeyMissing,
    ChainRefused,
    ChainRow,
    FindingKind,
    Head,
    Verifier,
    chain,
    event_hash,
    extend,
    head_is_authentic,
    sign_head,
)

KEY = b"k" * 32
COURSE = "0a6f3b52-6a8e-4c4b-9a57-0d0c9e0b7a11"
OTHER = "7f1d2c3b-0000-4000-8000-000000000002"
TOPIC = "domain.events:SessionHeld"


def stored(originator_id: str, version: int, state: bytes = b"{}") -> StoredEvent:
    return StoredEvent(UUID(originator_id), version, TOPIC, state)


def log(originator_id: str, states: list[bytes]) -> tuple[list[ChainRow], Head]:
    """A clean stored log and its signed head, as a recorder would have written it."""
    events = [(v, TOPIC, s) for v, s in enumerate(states, start=1)]
    links = chain(originator_id, ZERO_HASH, events)
    rows = [
        ChainRow(originator_id, v, TOPIC, s, lk.prev_hash, lk.hash)
        for (v, _, s), lk in zip(events, links, strict=True)
    ]
    return rows, sign_head(KEY, originator_id, links[-1].version, links[-1].hash)


def found(rows: list[ChainRow], heads: list[Head]) -> list[tuple[FindingKind, str, int]]:
    verifier = Verifier(KEY)
    return [(f.kind, f.originator_id, f.version) for f in verifier.findings(rows, heads)]


STATES = [b'{"n":1}', b'{"n":2}', b'{"n":3}', b'{"n":4}', b'{"n":5}']


# Hashing and signing ---------------------------------------------------------


def test_the_first_event_follows_32_zero_bytes() -> None:
    (link,) = chain(COURSE, ZERO_HASH, [(1, TOPIC, b"{}")])
    assert link.prev_hash == bytes(32)
    assert link.hash == event_hash(COURSE, 1, TOPIC, b"{}", bytes(32))


@pytest.mark.parametrize(
    "changed",
    [
        (OTHER, 1, TOPIC, b"{}", ZERO_HASH),
        (COURSE, 2, TOPIC, b"{}", ZERO_HASH),
        (COURSE, 1, "domain.events:Accepted", b"{}", ZERO_HASH),
        (COURSE, 1, TOPIC, b"{ }", ZERO_HASH),
        (COURSE, 1, TOPIC, b"{}", b"\x01" * 32),
    ],
    ids=["originator", "version", "topic", "state", "predecessor"],
)
def test_the_hash_covers_every_stored_field(changed: tuple[str, int, str, bytes, bytes]) -> None:
    assert event_hash(*changed) != event_hash(COURSE, 1, TOPIC, b"{}", ZERO_HASH)


def test_field_boundaries_cannot_be_shifted() -> None:
    assert event_hash(COURSE, 1, "ab", b"c", ZERO_HASH) != event_hash(
        COURSE, 1, "a", b"bc", ZERO_HASH
    )


def test_a_head_is_authentic_only_as_signed_and_under_its_key() -> None:
    head = sign_head(KEY, COURSE, 3, b"h" * 32)
    assert head_is_authentic(KEY, head)
    assert not head_is_authentic(b"x" * 32, head)
    assert not head_is_authentic(KEY, head._replace(version=4))
    assert not head_is_authentic(KEY, head._replace(hash=b"g" * 32))
    assert not head_is_authentic(KEY, head._replace(originator_id=OTHER))
    assert not head_is_authentic(KEY, head._replace(mac=bytes(32)))


# Extending the chain as events are appended -----------------------------------


def test_a_new_aggregate_starts_a_chain_and_gets_a_signed_head() -> None:
    links, heads = extend([stored(COURSE, 1), stored(COURSE, 2)], {}, KEY)
    assert [(lk.version, lk.prev_hash) for lk in links] == [(1, ZERO_HASH), (2, links[0].hash)]
    assert heads == [sign_head(KEY, COURSE, 2, links[1].hash)]


def test_appends_continue_from_the_head() -> None:
    _, (head,) = extend([stored(COURSE, 1)], {}, KEY)
    links, (new_head,) = extend([stored(COURSE, 2)], {COURSE: head}, KEY)
    assert links[0].prev_hash == head.hash
    assert new_head.version == 2 and head_is_authentic(KEY, new_head)


def test_one_append_may_extend_several_aggregates() -> None:
    links, heads = extend([stored(COURSE, 1), stored(OTHER, 1), stored(COURSE, 2)], {}, KEY)
    assert sorted((lk.originator_id, lk.version) for lk in links) == [
        (COURSE, 1),
        (COURSE, 2),
        (OTHER, 1),
    ]
    assert {(h.originator_id, h.version) for h in heads} == {(COURSE, 2), (OTHER, 1)}


def test_without_a_key_nothing_is_chained() -> None:
    with pytest.raises(ChainKeyMissing, match="without a key"):
        extend([stored(COURSE, 1)], {}, None)


@pytest.mark.parametrize(
    ("head", "version", "reason"),
    [
        (None, 3, "not under the hash chain"),
        (Head(COURSE, 2, b"h" * 32, bytes(32)), 3, "fails its signature"),
        (sign_head(KEY, COURSE, 1, b"h" * 32), 3, "signed head is at #1"),
        (sign_head(KEY, COURSE, 4, b"h" * 32), 3, "signed head is at #4"),
    ],
    ids=["no head", "forged head", "head behind", "head ahead"],
)
def test_an_append_the_chain_cannot_take_is_refused(
    head: Head | None, version: int, reason: str
) -> None:
    heads = {} if head is None else {COURSE: head}
    with pytest.raises(ChainRefused, match=reason):
        extend([stored(COURSE, version)], heads, KEY)


def test_an_append_with_a_gap_is_refused() -> None:
    with pytest.raises(ChainRefused, match="not consecutive"):
        extend([stored(COURSE, 1), stored(COURSE, 3)], {}, KEY)


# Verifying ------------------------------------------------------------------------


def test_a_clean_log_has_no_findings_and_is_counted() -> None:
    rows, head = log(COURSE, STATES)
    other_rows, other_head = log(OTHER, STATES[:2])
    verifier = Verifier(KEY)
    assert list(verifier.findings(rows + other_rows, [head, other_head])) == []
    assert (verifier.events, verifier.aggregates) == (7, 2)


def test_a_changed_byte_is_found_at_its_version() -> None:
    rows, head = log(COURSE, STATES)
    rows[2] = rows[2]._replace(state=b'{"n":9}')
    assert found(rows, [head]) == [(FindingKind.CHANGED, COURSE, 3)]


def test_a_removed_event_is_found_whether_or_not_its_link_went_too() -> None:
    rows, head = log(COURSE, STATES)
    link_left = [*rows[:2], rows[2]._replace(topic=None, state=None), *rows[3:]]
    assert found(link_left, [head]) == [(FindingKind.REMOVED, COURSE, 3)]
    assert found(rows[:2] + rows[3:], [head]) == [(FindingKind.REMOVED, COURSE, 3)]


def test_removing_the_last_event_leaves_the_signed_head_beyond_the_log() -> None:
    rows, head = log(COURSE, STATES)
    assert found(rows[:-1], [head]) == [(FindingKind.REMOVED, COURSE, 5)]


def test_an_inserted_event_is_found_with_or_without_a_forged_link() -> None:
    rows, head = log(COURSE, STATES)
    forged = ChainRow(COURSE, 6, TOPIC, b"{}", None, None)
    assert found([*rows, forged], [head]) == [(FindingKind.INSERTED, COURSE, 6)]
    link = chain(COURSE, rows[-1].hash or b"", [(6, TOPIC, b"{}")])[0]
    linked = forged._replace(prev_hash=link.prev_hash, hash=link.hash)
    assert found([*rows, linked], [head]) == [(FindingKind.INSERTED, COURSE, 6)]


def test_swapped_events_are_found_as_reordered() -> None:
    rows, head = log(COURSE, STATES)
    swapped = [*rows]
    swapped[1] = rows[1]._replace(topic=rows[2].topic, state=rows[2].state)
    swapped[2] = rows[2]._replace(topic=rows[1].topic, state=rows[1].state)
    assert found(swapped, [head]) == [
        (FindingKind.REORDERED, COURSE, 2),
        (FindingKind.REORDERED, COURSE, 3),
    ]


def test_swapped_events_with_their_links_are_found_as_reordered() -> None:
    rows, head = log(COURSE, STATES)
    swapped = [*rows]
    swapped[1] = rows[2]._replace(version=2)
    swapped[2] = rows[1]._replace(version=3)
    kinds = found(swapped, [head])
    assert (FindingKind.REORDERED, COURSE, 2) in kinds
    assert {k for k, _, _ in kinds} == {FindingKind.REORDERED}


def test_a_head_forged_without_the_key_is_found() -> None:
    rows, _ = log(COURSE, STATES)
    forged = Head(COURSE, 6, b"h" * 32, bytes(32))
    assert found(rows, [forged]) == [(FindingKind.HEAD_INVALID, COURSE, 6)]


def test_a_missing_head_is_found() -> None:
    rows, _ = log(COURSE, STATES)
    assert found(rows, []) == [(FindingKind.HEAD_MISSING, COURSE, 5)]


def test_a_rewritten_chain_does_not_end_in_the_signed_head() -> None:
    _, head = log(COURSE, STATES)
    rewritten, _ = log(COURSE, [*STATES[:2], b'{"n":9}', *STATES[3:]])
    assert found(rewritten, [head]) == [(FindingKind.CHANGED, COURSE, 5)]


def test_an_aggregate_removed_entirely_is_found_by_its_head() -> None:
    rows, head = log(COURSE, STATES)
    other_rows, other_head = log(OTHER, STATES[:2])
    assert found(rows, [head, other_head]) == [(FindingKind.REMOVED, OTHER, 1)]
    assert found(other_rows, [head, other_head]) == [(FindingKind.REMOVED, COURSE, 1)]


def test_events_of_an_upgraded_store_are_found_not_chained() -> None:
    rows, _ = log(COURSE, STATES)
    bare = [r._replace(prev_hash=None, hash=None) for r in rows]
    assert found(bare, []) == [(FindingKind.NOT_CHAINED, COURSE, 1)]


def test_a_finding_names_the_aggregate_and_position() -> None:
    rows, head = log(COURSE, STATES)
    rows[0] = rows[0]._replace(state=b"x")
    (finding,) = Verifier(KEY).findings(rows, [head])
    assert finding.line() == (
        f"course {COURSE} #1: changed: the stored bytes do not match the recorded hash"
    )


@given(
    states=st.lists(st.binary(max_size=40), min_size=1, max_size=12),
    data=st.data(),
)
def test_any_single_changed_byte_is_found_at_its_version(
    states: list[bytes], data: st.DataObject
) -> None:
    rows, head = log(COURSE, states)
    assert found(rows, [head]) == []
    i = data.draw(st.integers(0, len(rows) - 1), label="event")
    state = rows[i].state or b""
    flipped = data.draw(st.binary(min_size=1, max_size=41).filter(lambda s: s != state))
    rows[i] = rows[i]._replace(state=flipped)
    kinds = found(rows, [head])
    assert kinds and kinds[0][2] == i + 1
    assert kinds[0][0] in (FindingKind.CHANGED, FindingKind.REORDERED)


def test_the_head_signature_is_plain_hmac_sha256() -> None:
    head = sign_head(KEY, COURSE, 3, b"h" * 32)
    message = (
        b"forloeb/chain/head/v1"
        + len(COURSE).to_bytes(8, "big")
        + COURSE.encode()
        + (3).to_bytes(8, "big", signed=True)
        + (32).to_bytes(8, "big")
        + b"h" * 32
    )
    assert head.mac == hmac.new(KEY, message, hashlib.sha256).digest()


# The encoding is fixed: stored links must keep verifying ------------------------------


def test_the_event_hash_is_sha256_over_the_documented_encoding() -> None:
    message = (
        b"forloeb/chain/event/v1"
        + len(COURSE).to_bytes(8, "big")
        + COURSE.encode()
        + (3).to_bytes(8, "big", signed=True)
        + len(TOPIC).to_bytes(8, "big")
        + TOPIC.encode()
        + (2).to_bytes(8, "big")
        + b"{}"
        + (32).to_bytes(8, "big")
        + b"p" * 32
    )
    assert event_hash(COURSE, 3, TOPIC, b"{}", b"p" * 32) == hashlib.sha256(message).digest()


def test_links_keep_the_values_stored_links_were_made_with() -> None:
    assert event_hash(COURSE, 1, TOPIC, b"{}", ZERO_HASH).hex() == (
        "6f0b42e6ee2d2ae6090460e2651c6f55a792bf3b324cdc7987af914774a6a0bb"
    )
    links = chain(
        COURSE,
        ZERO_HASH,
        [(1, TOPIC, b'{"n":1}'), (2, "domain.events:Accepted", b"\xff" * 700)],
    )
    assert [lk.hash.hex() for lk in links] == [
        "a84ffc4badc4d970839222bd613bc7cb3b65f15fd788a4d142115aaa59ecc824",
        "842bf5b5c14890b253d4453e4f4c4a81e6714a3bd1b2cfe46406cf5d02509714",
    ]


@given(
    logs=st.lists(
        st.tuples(
            st.uuids(),
            st.lists(
                st.tuples(
                    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
                    st.binary(max_size=80),
                ),
                min_size=1,
                max_size=6,
            ),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda log: log[0],
    ),
    start=st.sampled_from([0, 1]),
    seed=st.randoms(use_true_random=False),
)
def test_appending_in_any_order_links_as_the_reference_encoding(
    logs: list[tuple[UUID, list[tuple[str, bytes]]]], start: int, seed: Any
) -> None:
    """However an append's events are interleaved, each link is `event_hash` of its event
    and its predecessor's hash, and each head is signed over its chain's last link."""
    events = [
        StoredEvent(originator_id, version, topic, state)
        for originator_id, log in logs
        for version, (topic, state) in enumerate(log, start=start)
    ]
    seed.shuffle(events)
    links, heads = extend(events, {}, KEY)
    by_position = {(lk.originator_id, lk.version): lk for lk in links}
    assert len(by_position) == len(events)
    for originator_id, log in logs:
        prev = ZERO_HASH
        for version, (topic, state) in enumerate(log, start=start):
            link = by_position[(str(originator_id), version)]
            assert link.prev_hash == prev
            assert link.hash == event_hash(str(originator_id), version, topic, state, prev)
            prev = link.hash
        last = start + len(log) - 1
        assert sign_head(KEY, str(originator_id), last, prev) in heads


def test_equal_ids_in_different_objects_are_one_aggregate() -> None:
    first, second = stored(COURSE, 1), stored(COURSE, 2)
    assert first.originator_id is not second.originator_id
    links, heads = extend([second, stored(OTHER, 1), first], {}, KEY)
    assert [(lk.originator_id, lk.version) for lk in links] == [
        (COURSE, 1),
        (COURSE, 2),
        (OTHER, 1),
    ]
    assert len(heads) == 2
