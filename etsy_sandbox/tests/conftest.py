"""Fixtures for the sandbox's own tests: plain `requests` against a served sandbox.

These tests use `requests` directly, never the project's client, so they check the sandbox on
its own (import paths and the `spec` fixture: the repository's conftest.py).
"""

from pathlib import Path

import pytest
import requests

from etsy_sandbox import DEFAULT_KEYSTRING, DEFAULT_SHARED_SECRET, EtsySandbox

REPO = Path(__file__).resolve().parents[2]

API_KEY = f"{DEFAULT_KEYSTRING}:{DEFAULT_SHARED_SECRET}"
TIMEOUT = 10


class Api:
    """A requests.Session speaking to the sandbox with Etsy's headers.

    Paths starting with "/" (but not "/v3/", "/oauth" or "/_sandbox") are relative to
    /v3/application.
    """

    def __init__(self, base_url, access_token=None, api_key=API_KEY):
        self.base_url = base_url
        self.session = requests.Session()
        if api_key:
            self.session.headers["x-api-key"] = api_key
        if access_token:
            self.session.headers["Authorization"] = f"Bearer {access_token}"

    def url(self, path):
        """Absolute URL of an API path."""
        if path.startswith(("/v3/", "/oauth", "/_sandbox", "/api/")):
            return self.base_url + path
        return f"{self.base_url}/v3/application{path}"

    def request(self, method, path, **kwargs):
        """Send one request (10 s timeout unless given)."""
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path, **kwargs):
        """GET."""
        return self.request("GET", path, **kwargs)

    def put(self, path, **kwargs):
        """PUT."""
        return self.request("PUT", path, **kwargs)

    def post(self, path, **kwargs):
        """POST."""
        return self.request("POST", path, **kwargs)


@pytest.fixture
def sb():
    """A seeded sandbox with rate limits high enough not to interfere (tests lower them)."""
    sandbox = EtsySandbox.seeded()
    sandbox.set_rate_limits(per_second=1_000_000, per_day=1_000_000_000)
    return sandbox


@pytest.fixture
def server(sb):
    """The sandbox served on 127.0.0.1 from a thread."""
    with sb.serve_in_thread() as running:
        yield running


@pytest.fixture
def api(sb, server):
    """Api with the seller's tokens (every scope)."""
    return Api(server.url, sb.issue_tokens()["access_token"])


@pytest.fixture
def shop_id(sb):
    """The seeded shop's id."""
    return sb.seller["shop_id"]


ARRAYS = (
    "price_on_property",
    "quantity_on_property",
    "sku_on_property",
    "readiness_state_on_property",
)


def put_body(inventory):
    """The PUT body a careful client builds from a GET (API-NOTES §7)."""
    return {
        "products": [
            {
                "sku": p["sku"],
                "property_values": [
                    {k: v for k, v in pv.items() if k != "scale_name"}
                    for pv in p["property_values"]
                ],
                "offerings": [
                    {
                        "price": o["price"]["amount"] / o["price"]["divisor"],
                        "quantity": o["quantity"],
                        "is_enabled": o["is_enabled"],
                        "readiness_state_id": o["readiness_state_id"],
                    }
                    for o in p["offerings"]
                ],
            }
            for p in inventory["products"]
        ],
        **{key: inventory[key] for key in ARRAYS},
    }

