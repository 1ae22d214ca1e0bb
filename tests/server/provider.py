"""The real OpenID provider the server tests run against (.ci/oidc-provider).

The npm `oidc-provider` package, run by Node.js: every token the tests present is
issued and signed by it. A test session uses the provider `.ci/oidc-start` started
(FORLOEB_OIDC_ISSUER), or starts one itself; tests that restart a provider (key
rotation) or need other lifetimes start their own with `start_provider`.

Without Node.js or the installed package these tests skip, saying how to enable them,
unless FORLOEB_REQUIRE_OIDC=1 (as in `.ci/run`), which makes them fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PROVIDER_DIR = Path(__file__).resolve().parents[2] / ".ci" / "oidc-provider"
AUDIENCE = "https://forloeb.test/api"
SHORT_AUDIENCE = "https://forloeb.test/api-short-lived"
"""Tokens for this resource live one second."""
DEVICE_CLIENT = "forloeb-cli"
SERVICE_CLIENT = "forloeb-test-service"
SERVICE_SECRET = "forloeb-test-service-secret"
ODENSE_SERVICE_CLIENT = "forloeb-test-service-odense"
"""Another service client for `anna`: its tokens' `municipality` claim is odense (the
first client's is aarhus)."""
ANNA_SUBJECT = "sub-7f3a9c"
"""The account the provider signs in on its device pages; preferred_username `anna`."""
REQUIRE_VARIABLE = "FORLOEB_REQUIRE_OIDC"


def node_or_skip() -> str:
    """The node executable; skip without it or the package (fail under FORLOEB_REQUIRE_OIDC=1)."""
    node = shutil.which("node")
    if node is None:
        why = "Node.js is not installed (apt-get install nodejs npm), so no OpenID provider"
    elif not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        why = "the test OpenID provider is not installed: run .ci/oidc-install"
    else:
        return node
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{why}, and {REQUIRE_VARIABLE}=1")
    pytest.skip(why)


@dataclass
class RunningProvider:
    """A provider process this test session started."""

    issuer: str
    process: subprocess.Popen[bytes]
    keys: Path

    def stop(self) -> None:
        """Stop it and wait until it has gone."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_provider(
    folder: Path,
    *,
    port: int = 0,
    keys: Path | None = None,
    access_ttl: int = 300,
    device_code_ttl: int = 600,
) -> RunningProvider:
    """Start provider.mjs on 127.0.0.1; the signing keys in `keys` (made if missing)."""
    node = node_or_skip()
    keys = keys or folder / "keys.json"
    out = folder / "provider.out"
    with out.open("wb") as stdout, (folder / "provider.log").open("ab") as log:
        process = subprocess.Popen(
            [node, str(PROVIDER_DIR / "provider.mjs"), "--port", str(port), "--keys", str(keys),
             "--access-ttl", str(access_ttl), "--device-code-ttl", str(device_code_ttl)],
            stdout=stdout, stderr=log, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while (match := re.search(r"^ready (\S+)$", out.read_text(), re.MULTILINE)) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"the OpenID provider did not start; see {folder}/provider.log")
        time.sleep(0.05)
    return RunningProvider(match.group(1), process, keys)


def service_token(issuer: str, resource: str = AUDIENCE, client: str = SERVICE_CLIENT) -> str:
    """An access token the provider issues to a test service (client credentials)."""
    response = httpx.post(
        f"{issuer}/token",
        data={"grant_type": "client_credentials", "scope": "forloeb", "resource": resource},
        auth=(client, SERVICE_SECRET),
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def enter_user_code(verification_uri: str, user_code: str, *, abort: bool = False) -> str:
    """Do what the person does in a browser: open the provider's device page, type the
    user code, then confirm (or abort). The page the provider ends on, as text."""
    with httpx.Client(follow_redirects=True) as browser:
        page = browser.get(verification_uri)
        page = browser.post(
            verification_uri, data={**_hidden_fields(page.text), "user_code": user_code}
        )
        answer = {"abort": "yes"} if abort else {"confirm": "yes"}
        confirm = {k: v for k, v in _hidden_fields(page.text).items() if k != "confirm"}
        page = browser.post(verification_uri, data={**confirm, **answer})
        page.raise_for_status()
        return page.text
