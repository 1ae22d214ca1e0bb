"""Signing in with the device flow (RFC 8628) against the real provider: the person
enters the user code on the provider's own device pages while the client polls."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cli.device_flow import DeviceAuthorization, DeviceFlowError, obtain_token
from server.oidc import OidcSettings, OidcVerifier
from tests.server.provider import (
    ANNA_SUBJECT,
    AUDIENCE,
    DEVICE_CLIENT,
    enter_user_code,
    start_provider,
)

SCOPE = "openid forloeb"


class Person:
    """Sees the code the client shows, and enters it after the client's first poll."""

    def __init__(self, *, abort: bool = False, act_after: int = 1, really_wait: float = 0) -> None:
        self.shown: DeviceAuthorization | None = None
        self.waits: list[float] = []
        self.abort = abort
        self.act_after = act_after
        self.really_wait = really_wait

    def see(self, authorization: DeviceAuthorization) -> None:
        self.shown = authorization

    def wait(self, seconds: float) -> None:
        """The client's sleep between polls: recorded, slept only `really_wait` seconds."""
        self.waits.append(seconds)
        time.sleep(self.really_wait)
        if len(self.waits) == self.act_after + 1:
            assert self.shown is not None
            enter_user_code(self.shown.verification_uri, self.shown.user_code, abort=self.abort)


def sign_in(issuer: str, person: Person, **options: Callable[[], float]) -> str:
    return obtain_token(
        issuer, DEVICE_CLIENT, person.see, scope=SCOPE, audience=AUDIENCE, sleep=person.wait,
        **options,
    )  # fmt: skip


def test_the_device_flow_gives_a_token_for_the_person_who_entered_the_code(issuer: str) -> None:
    person = Person()

    token = sign_in(issuer, person)

    identity = OidcVerifier(OidcSettings(issuer=issuer, audience=AUDIENCE)).verify(token)
    assert (identity.user, identity.subject) == ("anna", ANNA_SUBJECT)
    assert person.shown is not None
    assert person.shown.verification_uri == f"{issuer}/device"


def test_the_client_keeps_polling_at_the_interval_while_authorization_is_pending(
    issuer: str,
) -> None:
    person = Person(act_after=3)

    sign_in(issuer, person)

    assert person.waits == [5, 5, 5, 5]


def test_a_person_who_aborts_on_the_provider_page_gets_no_token(issuer: str) -> None:
    with pytest.raises(DeviceFlowError, match="signing in was denied at the provider"):
        sign_in(issuer, Person(abort=True))


def test_a_code_nobody_entered_in_time_expires(tmp_path: Path) -> None:
    """The provider's expired_token: the client's own deadline is held still."""
    provider = start_provider(tmp_path, device_code_ttl=1)
    try:
        person = Person(act_after=99, really_wait=1.5)
        with pytest.raises(DeviceFlowError, match="the code expired before signing in"):
            sign_in(provider.issuer, person, clock=lambda: 0.0)
    finally:
        provider.stop()


def test_slow_down_adds_five_seconds_to_the_interval() -> None:
    """The test provider never asks to slow down, so this answer is scripted."""
    answers = iter([{"error": "slow_down"}, {"error": "authorization_pending"},
                    {"access_token": "the-token"}])  # fmt: skip
    issuer = "https://login.example.dk"

    def provider(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={
                "issuer": issuer, "device_authorization_endpoint": f"{issuer}/device/auth",
                "token_endpoint": f"{issuer}/token"})  # fmt: skip
        if request.url.path == "/device/auth":
            return httpx.Response(200, json={
                "device_code": "d", "user_code": "U", "verification_uri": f"{issuer}/device",
                "expires_in": 600, "interval": 2})  # fmt: skip
        answer = next(answers)
        return httpx.Response(200 if "access_token" in answer else 400, json=answer)

    waits: list[float] = []
    token = obtain_token(
        issuer, "cli", lambda _: None, http=httpx.Client(transport=httpx.MockTransport(provider)),
        sleep=waits.append,
    )  # fmt: skip

    assert token == "the-token"
    assert waits == [2, 7, 7]


def test_an_issuer_url_where_no_provider_answers_is_named(issuer: str) -> None:
    with pytest.raises(DeviceFlowError, match=f"no OpenID provider at {issuer}/nowhere"):
        obtain_token(issuer + "/nowhere", DEVICE_CLIENT, lambda _: None)
