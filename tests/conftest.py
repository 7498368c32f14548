"""Pure tests of the Etsy layer (import paths: the repository's conftest.py).

Fixtures: ``sandbox`` (the seeded Etsy sandbox served on 127.0.0.1 in a thread), ``sandbox_url``,
``make_client`` (an EtsyClient factory wired to the sandbox with fresh tokens) and ``client``.
"""

import time

import pytest


@pytest.fixture
def sandbox_server():
    """(sandbox, server): a seeded sandbox served in a thread, stopped after the test."""
    from etsy_sandbox import EtsySandbox

    sb = EtsySandbox.seeded()
    server = sb.serve_in_thread()
    try:
        yield sb, server
    finally:
        server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The seeded Etsy sandbox (``EtsySandbox.seeded()``), already serving HTTP."""
    return sandbox_server[0]


@pytest.fixture
def sandbox_url(sandbox_server):
    """Base URL of the served sandbox, e.g. ``http://127.0.0.1:PORT``."""
    return sandbox_server[1].url


@pytest.fixture
def make_client(sandbox, sandbox_url):
    """Factory for EtsyClients on the sandbox with fresh seller tokens; kwargs override."""
    from etsy import EtsyClient

    from etsy_sandbox import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET

    def make(**overrides):
        tokens = sandbox.issue_tokens()
        kwargs = {
            "keystring": DEFAULT_KEYSTRING,
            "shared_secret": DEFAULT_SHARED_SECRET,
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "token_expires_at": time.time() + tokens["expires_in"],
            "api_base_url": sandbox_url,
            "timeout": 5,
            "backoff_base": 0.01,
            "backoff_max": 0.1,
        }
        kwargs.update(overrides)
        return EtsyClient(**kwargs)

    return make


@pytest.fixture
def client(make_client):
    """An EtsyClient for the seeded seller (DEFAULT_KEYSTRING/DEFAULT_SHARED_SECRET)."""
    return make_client()
