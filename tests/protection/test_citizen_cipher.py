"""A citizen's cipher writes and reads exactly what eventsourcing's AESCipher does, and the
keyring reads every key row page by page."""

from __future__ import annotations

import os
from datetime import date

import pytest

from storage.citizen_cipher import CitizenCipher
from storage.keys import aes_cipher
from workflows import commands as cmd
from workflows.service import CourseService


def test_either_cipher_decrypts_the_others_text() -> None:
    key = os.urandom(32)
    ours, theirs = CitizenCipher(key), aes_cipher(key)
    assert theirs.decrypt(ours.encrypt(b"cpr 010190-1234")) == b"cpr 010190-1234"
    assert ours.decrypt(theirs.encrypt(b"a note")) == b"a note"


def test_a_damaged_text_or_another_key_is_refused() -> None:
    key = os.urandom(32)
    sealed = bytearray(CitizenCipher(key).encrypt(b"a note"))
    sealed[-1] ^= 1
    with pytest.raises(ValueError):
        CitizenCipher(key).decrypt(bytes(sealed))
    with pytest.raises(ValueError):
        CitizenCipher(os.urandom(32)).decrypt(CitizenCipher(key).encrypt(b"a note"))
    with pytest.raises(ValueError):
        CitizenCipher(key).decrypt(b"short")


def test_a_cipher_holds_no_more_than_its_key() -> None:
    cipher = CitizenCipher(os.urandom(32))
    assert not hasattr(cipher, "__dict__")


def test_the_key_rows_read_page_by_page_are_every_row(service: CourseService) -> None:
    for n in range(7):
        service.execute(
            cmd.Refer(cpr=f"0101901{n:03d}", programme="pva", referring_caseworker="sb",
                      occurred_on=date(2026, 1, 5)),
            "rk-anna",
        )  # fmt: skip
    every = service.keyring.store.all_rows()
    assert len(every) == 7
    for page in (1, 2, 3, 7, 100):
        assert list(service.keyring.store.each_row(page)) == every
