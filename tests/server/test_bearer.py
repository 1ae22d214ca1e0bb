"""A request's Authorization header → the user, or 401/429/503 with a one-line reason."""

from __future__ import annotations

import logging
import socket

import pytest

from server.bearer import BearerAuthenticator, Refused
from server.oidc import Identity, OidcSettings, OidcVerifier
from server.ratelimit import FailedAttemptLimiter
from tests.server.provider import AUDIENCE, SERVICE_CLIENT, SHORT_AUDIENCE, service_token


def authenticator(issuer: str, max_failures: int = 3) -> BearerAuthenticator:
    verifier = OidcVerifier(OidcSettings(issuer=issuer, audience=AUDIENCE))
    return BearerAuthenticator(verifier, FailedAttemptLimiter(max_failures, window_seconds=60))


def refusal(auth: BearerAuthenticator, header: str | None, client: str = "10.0.0.7") -> Refused:
    with pytest.raises(Refused) as refused:
        auth.authenticate(header, client)
    return refused.value


def test_a_valid_bearer_token_names_the_user(issuer: str) -> None:
    auth = authenticator(issuer)

    identity = auth.authenticate(f"Bearer {service_token(issuer)}", "10.0.0.7")

    assert identity == Identity(user="anna", subject=SERVICE_CLIENT)


def test_a_missing_header_is_401_without_counting_as_a_failed_attempt(issuer: str) -> None:
    auth = authenticator(issuer, max_failures=1)

    refused = refusal(auth, None)

    assert (refused.status, refused.reason) == (401, "no token")
    assert refused.www_authenticate == 'Bearer realm="forloeb"'
    assert auth.limiter.retry_after("10.0.0.7") is None


def test_a_wrong_token_is_401_with_its_reason_and_logged(
    issuer: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = service_token(issuer, resource=SHORT_AUDIENCE)
    with caplog.at_level(logging.WARNING, logger="forloeb.server.auth"):
        refused = refusal(authenticator(issuer), f"Bearer {wrong}")

    assert (refused.status, refused.reason) == (401, "wrong audience")
    assert refused.www_authenticate == (
        'Bearer realm="forloeb", error="invalid_token", error_description="wrong audience"'
    )
    assert caplog.messages == [
        "authentication failed for client 10.0.0.7: wrong audience (1 of 3 allowed in 60 s)"
    ]
    assert wrong.split(".")[1] not in caplog.text


def test_another_scheme_counts_as_a_wrong_token(issuer: str) -> None:
    refused = refusal(authenticator(issuer), "Basic YW5uYTpzZWNyZXQ=")

    assert (refused.status, refused.reason) == (401, "not a Bearer authorization header")


def test_a_client_with_too_many_failures_is_429_even_with_a_good_token(issuer: str) -> None:
    auth = authenticator(issuer, max_failures=2)
    for _ in range(2):
        refusal(auth, "Bearer forged.token.here")

    refused = refusal(auth, f"Bearer {service_token(issuer)}")

    assert refused.status == 429
    assert refused.reason.startswith("too many failed attempts; try again in ")
    assert refused.retry_after is not None and 55 <= refused.retry_after <= 60
    assert auth.authenticate(f"Bearer {service_token(issuer)}", "10.0.0.8").user == "anna"


def test_an_unreachable_provider_is_503_and_not_the_clients_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    auth = authenticator(f"http://127.0.0.1:{port}", max_failures=1)
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln"

    with caplog.at_level(logging.ERROR, logger="forloeb.server.auth"):
        refused = refusal(auth, f"Bearer {token}")

    assert refused.status == 503
    assert auth.limiter.retry_after("10.0.0.7") is None
    assert caplog.messages[0].startswith("cannot check tokens: cannot fetch the provider's")
