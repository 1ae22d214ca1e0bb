"""Signing in from a terminal: the OAuth 2.0 device authorization grant (RFC 8628).

The client asks the provider's `device_authorization_endpoint` for a user code,
shows the person where to enter it (the verification URI), and polls the
`token_endpoint` until the person has signed in there: waiting `interval` seconds
between polls (5 when the provider names none), 5 seconds more after each
`slow_down`, going on while `authorization_pending`, and stopping with a one-line
`DeviceFlowError` on `access_denied`, `expired_token`, any other error, or when the
code's lifetime has passed. The audience is asked for as an RFC 8707 `resource`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5
"""Seconds between polls when the provider names no interval (RFC 8628 §3.2)."""
SLOW_DOWN_STEP = 5
"""Seconds added to the interval on each slow_down (RFC 8628 §3.5)."""


class DeviceFlowError(Exception):
    """Signing in did not give a token; the message is one line for the person."""


@dataclass(frozen=True)
class ProviderEndpoints:
    """The two endpoints the device flow uses, from the provider's discovery document."""

    device_authorization: str
    token: str


@dataclass(frozen=True)
class DeviceAuthorization:
    """The provider's answer: what the person must do, and what the client polls with."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


def discover(issuer: str, http: httpx.Client) -> ProviderEndpoints:
    """The device flow endpoints of the provider at this issuer URL."""
    response = _call(http.get, issuer.rstrip("/") + "/.well-known/openid-configuration")
    if response.status_code != 200:
        raise DeviceFlowError(f"no OpenID provider at {issuer} (HTTP {response.status_code})")
    document = _json(response, "discovery")
    if document.get("issuer") != issuer:
        raise DeviceFlowError(f"the provider at {issuer} names another issuer")
    device = document.get("device_authorization_endpoint")
    token = document.get("token_endpoint")
    if not isinstance(device, str) or not isinstance(token, str):
        raise DeviceFlowError(f"the provider at {issuer} does not offer the device flow")
    return ProviderEndpoints(device_authorization=device, token=token)


def authorize(
    endpoints: ProviderEndpoints,
    client_id: str,
    http: httpx.Client,
    *,
    scope: str = "openid",
    audience: str | None = None,
) -> DeviceAuthorization:
    """Ask the provider for a device code and the user code to show."""
    form = {"client_id": client_id, "scope": scope}
    if audience:
        form["resource"] = audience
    response = _call(http.post, endpoints.device_authorization, data=form)
    answer = _json(response, "device authorization")
    if response.status_code != 200:
        raise DeviceFlowError(f"the provider refused to start signing in: {_error(answer)}")
    try:
        return DeviceAuthorization(
            device_code=str(answer["device_code"]),
            user_code=str(answer["user_code"]),
            verification_uri=str(answer["verification_uri"]),
            verification_uri_complete=answer.get("verification_uri_complete"),
            expires_in=int(answer["expires_in"]),
            interval=int(answer.get("interval", DEFAULT_INTERVAL)),
        )
    except (KeyError, TypeError, ValueError):
        raise DeviceFlowError("the provider's device authorization answer is incomplete") from None


def poll_for_token(
    endpoints: ProviderEndpoints,
    client_id: str,
    authorization: DeviceAuthorization,
    http: httpx.Client,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Poll the token endpoint until the person has signed in; the access token."""
    interval = authorization.interval
    deadline = clock() + authorization.expires_in
    form = {"grant_type": DEVICE_CODE_GRANT, "device_code": authorization.device_code,
            "client_id": client_id}  # fmt: skip
    while True:
        sleep(interval)
        if clock() >= deadline:
            raise _expired()
        answer = _json(_call(http.post, endpoints.token, data=form), "token")
        token = answer.get("access_token")
        if isinstance(token, str) and token:
            return token
        error = answer.get("error")
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += SLOW_DOWN_STEP
            continue
        if error == "expired_token":
            raise _expired()
        if error == "access_denied":
            raise DeviceFlowError("signing in was denied at the provider")
        raise DeviceFlowError(f"the provider refused the sign-in: {_error(answer)}")


def obtain_token(
    issuer: str,
    client_id: str,
    show: Callable[[DeviceAuthorization], None],
    *,
    scope: str = "openid",
    audience: str | None = None,
    http: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """The whole flow: discover, authorize, `show` the person the code, poll; the token."""
    with contextlib.nullcontext(http) if http else httpx.Client(timeout=10) as client:
        endpoints = discover(issuer, client)
        authorization = authorize(endpoints, client_id, client, scope=scope, audience=audience)
        show(authorization)
        return poll_for_token(endpoints, client_id, authorization, client, sleep=sleep, clock=clock)


def _expired() -> DeviceFlowError:
    return DeviceFlowError("the code expired before signing in was finished; log in again")


def _call(method: Callable[..., httpx.Response], url: str, **options: Any) -> httpx.Response:
    try:
        return method(url, **options)
    except httpx.HTTPError as error:
        raise DeviceFlowError(f"cannot reach the provider at {url}: {error}") from None


def _json(response: httpx.Response, what: str) -> Mapping[str, Any]:
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise DeviceFlowError(
            f"the provider's {what} answer is not JSON (HTTP {response.status_code})"
        )
    return document


def _error(answer: Mapping[str, Any]) -> str:
    error = str(answer.get("error", "unknown error"))
    description = answer.get("error_description")
    return f"{error} ({description})" if isinstance(description, str) else error
