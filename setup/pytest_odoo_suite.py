"""pytest plugin for the Odoo suite: what Odoo's own runner does that pytest-odoo leaves out.

Loaded by ./setup/test with ``-p pytest_odoo_suite`` next to pytest-odoo (which loads the
registry, starts the HTTP server with ``--odoo-http`` and runs Odoo's TestCase classes):

- ``ETSY_ODOO_TEST_TAGS`` (e.g. ``/etsy_connector:TestOrders``) selects tests with Odoo's own
  ``TagsSelector``, so a narrowing means exactly what ``--test-tags`` means to odoo-bin;
- ``odoo.modules.module.current_test`` is set as Odoo's runner sets it (pytest-odoo does so only
  from Odoo 19 on): in Odoo 18 it keeps the mail server from opening real SMTP connections.
"""

import os

import pytest

DEFAULT_TAGS = "/etsy_connector"


def _selector():
    from odoo.tests.tag_selector import TagsSelector

    return TagsSelector(os.environ.get("ETSY_ODOO_TEST_TAGS") or DEFAULT_TAGS)


def _odoo_test(item):
    """The item's Odoo test, made as Odoo's loader makes it (None for other tests)."""
    cls = getattr(item, "cls", None)
    if cls is None or not hasattr(cls, "test_tags"):
        return None
    return cls(methodName=item.name)


def pytest_collection_modifyitems(config, items):
    selector = _selector()
    selected, deselected = [], []
    for item in items:
        test = _odoo_test(item)
        (selected if test is not None and selector.check(test) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session", autouse=True)
def odoo_current_test():
    from odoo.modules import module

    module.current_test = True
    yield
    module.current_test = False
