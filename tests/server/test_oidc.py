"""Bearer tokens from a real OpenID provider: accepted and mapped to the user, or refused
with a one-line reason.

Every token here is issued by oidc-provider (tests/server/provider.py). The claim
checks that a provider would never get wrong on its own (another issuer, a future
`nbf`) use tokens signed with the provider's own private key, as a provider serving
several tenants with one key set does; forged tokens (`alg: none`, HS256 keyed with
the public key, a changed payload) are made from the provider's real tokens and keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from pydantic import ValidationError

from server.oidc import (
    Identity,
    InvalidToken,
    OidcSettings,
    OidcVerifier,
    ProviderUnavailable,
)
from tests.server.provider import (
    AUDIENCE,
    SERVICE_CLIENT,
    SHORT_AUDIENCE,
    RunningProvider,
    service_token,
    start_provider,
)


def verifier_for(issuer: str, **settings: Any) -> OidcVerifier:
    clock = settings.pop("clock", time.time)
    return OidcVerifier(OidcSettings(issuer=issuer, audience=AUDIENCE, **settings), clock=clock)


def refused(verifier: OidcVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as refusal:
        verifier.verify(token)
    return refusal.value.reason


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(unb64(token.split(".")[1]))
    return decoded


@pytest.fixture(scope="module")
def keyed_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    """A provider of this module's own, whose private signing key the tests can read."""
    provider = start_provider(tmp_path_factory.mktemp("keyed-provider"))
    yield provider
    provider.stop()


def signed_by(provider: RunningProvider, typ: str = "at+jwt", **claims: Any) -> str:
    """A token with these claims signed with the provider's own private key."""
    key = KeySet.import_key_set(json.loads(provider.keys.read_text())).keys[0]
    now = int(time.time())
    base = {"iss": provider.issuer, "aud": AUDIENCE, "sub": ANY_SUBJECT, "iat": now,
            "exp": now + 300, "preferred_username": "anna"}  # fmt: skip
    body = {k: v for k, v in {**base, **claims}.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": typ}, body, key)


ANY_SUBJECT = "sub-2b81d0"


# --- accepted ------------------------------------------------------------------------


def test_a_token_the_provider_issued_names_the_user_in_its_claim(issuer: str) -> None:
    token = service_token(issuer)

    identity = verifier_for(issuer).verify(token)

    assert identity == Identity(user="anna", subject=SERVICE_CLIENT)


def test_the_user_claim_is_configurable(issuer: str) -> None:
    token = service_token(issuer)

    assert verifier_for(issuer, user_claim="client_id").verify(token).user == SERVICE_CLIENT
    assert refused(verifier_for(issuer, user_claim="email"), token) == (
        "token lacks the email claim"
    )


def test_keys_are_fetched_once_and_then_served_from_the_cache(issuer: str) -> None:
    verifier = verifier_for(issuer)

    for _ in range(3):
        verifier.verify(service_token(issuer))

    assert verifier.keys.fetches == 1


# --- expiry and clock skew -----------------------------------------------------------


def test_a_token_past_its_expiry_and_the_allowed_skew_is_refused(issuer: str) -> None:
    token = service_token(issuer)
    expiry = claims_of(token)["exp"]
    late = verifier_for(issuer, clock_skew_seconds=30, clock=lambda: expiry + 31)

    assert refused(late, token) == "token expired"


def test_a_token_just_past_its_expiry_is_accepted_within_the_skew(issuer: str) -> None:
    token = service_token(issuer)
    expiry = claims_of(token)["exp"]
    slightly_late = verifier_for(issuer, clock_skew_seconds=30, clock=lambda: expiry + 29)

    assert slightly_late.verify(token).user == "anna"


def test_a_short_lived_token_expires_in_real_time(issuer: str) -> None:
    token = service_token(issuer, resource=SHORT_AUDIENCE)  # lives one second
    verifier = OidcVerifier(
        OidcSettings(issuer=issuer, audience=SHORT_AUDIENCE, clock_skew_seconds=1)
    )
    assert verifier.verify(token).user == "anna"

    time.sleep(max(0.0, claims_of(token)["exp"] + 1 - time.time()) + 1.1)

    assert refused(verifier, token) == "token expired"


def test_a_token_not_yet_valid_is_refused_beyond_the_skew(keyed_provider: RunningProvider) -> None:
    verifier = verifier_for(keyed_provider.issuer, clock_skew_seconds=60)
    now = int(time.time())

    assert refused(verifier, signed_by(keyed_provider, nbf=now + 120)) == "token not yet valid"
    assert refused(verifier, signed_by(keyed_provider, iat=now + 120)) == (
        "token issued in the future"
    )
    assert verifier.verify(signed_by(keyed_provider, nbf=now + 30)).user == "anna"


def test_a_token_without_expiry_is_refused(keyed_provider: RunningProvider) -> None:
    verifier = verifier_for(keyed_provider.issuer)

    assert refused(verifier, signed_by(keyed_provider, exp=None)) == "token lacks the exp claim"


# --- meant for someone else ----------------------------------------------------------


def test_a_token_for_another_audience_is_refused(issuer: str) -> None:
    token = service_token(issuer, resource=SHORT_AUDIENCE)

    assert refused(verifier_for(issuer), token) == "wrong audience"


def test_a_token_from_another_issuer_signed_with_the_same_keys_is_refused(
    keyed_provider: RunningProvider,
) -> None:
    verifier = verifier_for(keyed_provider.issuer)
    other_tenant = signed_by(keyed_provider, iss=keyed_provider.issuer + "/tenant-b")

    assert refused(verifier, other_tenant) == "wrong issuer"


def test_a_token_signed_by_another_provider_names_an_unknown_key(
    issuer: str, keyed_provider: RunningProvider
) -> None:
    token = service_token(keyed_provider.issuer)

    assert refused(verifier_for(issuer), token) == "unknown signing key"


def test_only_access_tokens_are_taken_when_the_type_is_required(
    keyed_provider: RunningProvider,
) -> None:
    strict = verifier_for(keyed_provider.issuer, require_access_token_type=True)

    assert strict.verify(signed_by(keyed_provider)).user == "anna"
    assert refused(strict, signed_by(keyed_provider, typ="JWT")) == "not an access token (typ JWT)"


# --- forged --------------------------------------------------------------------------


def test_a_token_whose_payload_was_changed_fails_its_signature(issuer: str) -> None:
    header, payload, signature = service_token(issuer).split(".")
    claims = claims_of(f"{header}.{payload}.{signature}")
    forged_payload = b64(json.dumps({**claims, "preferred_username": "bo"}).encode())

    assert refused(verifier_for(issuer), f"{header}.{forged_payload}.{signature}") == (
        "bad signature"
    )


def test_a_token_with_a_changed_signature_is_refused(issuer: str) -> None:
    header, payload, signature = service_token(issuer).split(".")
    raw = bytearray(unb64(signature))
    raw[10] ^= 0x01

    assert refused(verifier_for(issuer), f"{header}.{payload}.{b64(bytes(raw))}") == (
        "bad signature"
    )


def test_an_unsigned_token_alg_none_is_refused(issuer: str) -> None:
    genuine = service_token(issuer)
    kid = json.loads(unb64(genuine.split(".")[0]))["kid"]
    header = b64(json.dumps({"alg": "none", "kid": kid}).encode())
    payload = genuine.split(".")[1]

    assert refused(verifier_for(issuer), f"{header}.{payload}.") == "algorithm not allowed: none"


def test_an_hs256_token_keyed_with_the_providers_public_key_is_refused(issuer: str) -> None:
    public = RSAKey.import_key(httpx.get(f"{issuer}/jwks").json()["keys"][0])
    secret = public.as_pem()
    payload = service_token(issuer).split(".")[1]
    header = b64(json.dumps({"alg": "HS256", "kid": public.kid}).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()

    assert refused(verifier_for(issuer), f"{header}.{payload}.{b64(mac)}") == (
        "algorithm not allowed: HS256"
    )


def test_symmetric_algorithms_cannot_be_allowed() -> None:
    with pytest.raises(ValidationError, match="HS256 is not a public-key signature algorithm"):
        OidcSettings(issuer="https://login.example.dk", audience="x", allowed_algorithms=("HS256",))


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "no token"),
        ("not-a-jwt", "malformed token (not a signed JWT)"),
        ("a.b.c.d.e", "malformed token (not a signed JWT)"),
        ("!!!.e30.", "malformed token (unreadable header)"),
        ("x" * 20_000, "malformed token (too long)"),
    ],
)
def test_what_is_no_jwt_at_all_is_refused_unread(issuer: str, token: str, reason: str) -> None:
    assert refused(verifier_for(issuer), token) == reason


# --- the provider's keys -------------------------------------------------------------


def test_rotated_keys_are_refetched_and_retired_keys_refused(tmp_path: Path) -> None:
    first = start_provider(tmp_path, keys=tmp_path / "old-keys.json")
    port = int(first.issuer.rsplit(":", 1)[1])
    verifier = verifier_for(first.issuer, jwks_min_refetch_seconds=0)
    try:
        old_token = service_token(first.issuer)
        assert verifier.verify(old_token).user == "anna"
    finally:
        first.stop()

    rotated = start_provider(tmp_path, port=port, keys=tmp_path / "new-keys.json")
    try:
        new_token = service_token(rotated.issuer)
        assert verifier.verify(new_token).user == "anna"
        assert verifier.keys.fetches == 2
        assert refused(verifier, old_token) == "unknown signing key"
    finally:
        rotated.stop()


def test_unknown_key_ids_refetch_the_keys_at_most_once_per_interval(
    issuer: str, keyed_provider: RunningProvider
) -> None:
    verifier = verifier_for(issuer, jwks_min_refetch_seconds=60)
    verifier.verify(service_token(issuer))
    strangers = [service_token(keyed_provider.issuer) for _ in range(5)]

    reasons = {refused(verifier, token) for token in strangers}

    assert reasons == {"unknown signing key"}
    assert verifier.keys.fetches == 1


def test_while_the_provider_is_down_the_keys_fetched_before_stay_in_use(
    tmp_path: Path,
) -> None:
    provider = start_provider(tmp_path)
    clock = [time.time()]
    verifier = verifier_for(provider.issuer, jwks_cache_seconds=60, clock=lambda: clock[0])
    token = service_token(provider.issuer)
    verifier.verify(token)
    provider.stop()

    clock[0] += 120  # the cached keys are stale; the refetch fails
    assert verifier.verify(token).user == "anna"
    assert verifier.verify(token).user == "anna"
    assert verifier.keys.fetches == 1


def test_a_provider_that_cannot_be_reached_is_the_servers_problem_not_the_tokens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = verifier_for(f"http://127.0.0.1:{port}", http_timeout_seconds=2)

    with pytest.raises(ProviderUnavailable, match="cannot fetch the provider's discovery"):
        verifier.verify(_any_well_formed_token())


def _any_well_formed_token() -> str:
    header = b64(json.dumps({"alg": "RS256", "kid": "k1"}).encode())
    return f"{header}.e30.c2ln"


def test_plain_http_is_refused_for_a_provider_elsewhere() -> None:
    with pytest.raises(ValidationError, match="must use https"):
        OidcSettings(issuer="http://login.example.dk", audience=AUDIENCE)
