"""The OpenID provider for the server tests: the one `.ci/oidc-start` started, or our own."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.server.provider import start_provider


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The issuer URL of a running test provider (see tests/server/provider.py)."""
    started = os.environ.get("FORLOEB_OIDC_ISSUER")
    if started:
        yield started
        return
    provider = start_provider(tmp_path_factory.mktemp("oidc-provider"))
    try:
        yield provider.issuer
    finally:
        provider.stop()
