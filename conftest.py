"""Shared by both pure suites (`tests/` and `etsy_sandbox/tests/`): import paths and Etsy's spec.

`etsy` is imported with `etsy_connector/` on sys.path (so it never pulls in Odoo), the sandbox as
the top-level `etsy_sandbox` package, and `contract.openapi` from `tests/`.
"""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
for entry in (REPO / "tests", REPO, REPO / "etsy_connector"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))


@pytest.fixture(scope="session")
def spec():
    """Etsy's OpenAPI document, or skip when it is not available."""
    from contract.openapi import load_spec

    document = load_spec()
    if document is None:
        pytest.skip(
            "Etsy's OpenAPI document was not found: set ETSY_OPENAPI_SPEC or put "
            "etsy-openapi-v3_*.json in <repo>/../shared/etsy/"
        )
    return document
