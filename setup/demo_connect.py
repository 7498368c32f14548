"""Connect the demo shop the way a person would, over HTTP: log in, create the shop, press
'Connect to Etsy', approve on the (sandbox) consent page, come back to Odoo, import the listings
(creating the products), stock them as Etsy shows them, and import the orders.

Usage: python setup/demo_connect.py <odoo url> <database> <sandbox url>
"""

import os
import sys
import time

import requests

SHOP_NAME = "WicksByWerby (sandbox)"
# The sandbox's registered demo app (etsy_sandbox/constants.py).
SANDBOX_APP = ("DEFAULT_KEYSTRING", "DEFAULT_SHARED_SECRET")


class Odoo:
    def __init__(self, url, db):
        self.url, self.session = url, requests.Session()
        self.rpc("/web/session/authenticate", {"db": db, "login": "admin", "password": "admin"})

    def rpc(self, path, params):
        answer = self.session.post(
            self.url + path,
            timeout=120,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
        )
        answer.raise_for_status()
        body = answer.json()
        if body.get("error"):
            raise RuntimeError(body["error"]["data"].get("message") or body["error"]["message"])
        return body.get("result")  # Odoo leaves it out when a method returns None

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


def sandbox_app():
    # etsy_sandbox/ is at the repository root, beside setup/.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from etsy_sandbox import constants

    return tuple(getattr(constants, name) for name in SANDBOX_APP)


def demo_shop(odoo, sandbox_url):
    keystring, secret = sandbox_app()
    values = {
        "keystring": keystring,
        "shared_secret": secret,
        "api_base_url": sandbox_url,
        "oauth_base_url": sandbox_url,
        "import_orders_since": "2000-01-01 00:00:00",
        "create_missing_products": True,
    }
    found = odoo.call("etsy.shop", "search", [("name", "=", SHOP_NAME)], limit=1)
    if found:
        odoo.call("etsy.shop", "write", found, values)
        return found[0]
    return odoo.call("etsy.shop", "create", [{"name": SHOP_NAME, **values}])[0]


def connect(odoo, shop_id):
    """'Connect to Etsy': Etsy's page (auto-approving in the demo) redirects to Odoo's callback."""
    action = odoo.call("etsy.shop", "action_connect", [shop_id])
    consent = odoo.session.get(action["url"], timeout=30, allow_redirects=False)
    if consent.status_code != 302:
        raise RuntimeError(f"the sandbox consent page answered {consent.status_code}")
    back = odoo.session.get(consent.headers["Location"], timeout=120, allow_redirects=False)
    if back.status_code != 303:
        raise RuntimeError(f"Odoo's callback answered {back.status_code}: {back.text[:300]}")


def stock_like_etsy(odoo, shop_id):
    """Products created for the demo start with the quantity Etsy shows, so the first stock
    push does not empty the sandbox's listings."""
    bindings = odoo.call("etsy.product", "search_read",
                         [("shop_id", "=", shop_id), ("link_state", "=", "linked")],
                         ["product_id", "etsy_qty"])
    wanted = {}
    for binding in bindings:
        product_id = binding["product_id"][0]
        wanted[product_id] = max(wanted.get(product_id, 0), binding["etsy_qty"])
    on_hand = {p["id"]: p["qty_available"] for p in odoo.call(
        "product.product", "read", list(wanted), ["qty_available"])}
    return set_stock(odoo, shop_id, {product_id: quantity for product_id, quantity
                                     in wanted.items() if quantity and not on_hand[product_id]})


def set_stock(odoo, shop_id, quantities):
    """Count {product id: quantity} in the shop's warehouse (an inventory adjustment)."""
    [shop] = odoo.call("etsy.shop", "read", [shop_id], ["warehouse_id"])
    [warehouse] = odoo.call("stock.warehouse", "read", [shop["warehouse_id"][0]], ["lot_stock_id"])
    quants = [{"product_id": product_id, "location_id": warehouse["lot_stock_id"][0],
               "inventory_quantity": quantity} for product_id, quantity in quantities.items()]
    if quants:
        ids = odoo.call("stock.quant", "create", quants, context={"inventory_mode": True})
        odoo.call("stock.quant", "action_apply_inventory", ids)
    return len(quants)


def while_busy(function, attempts=30):
    """Call `function`, waiting while a scheduled run of the same flow holds the shop."""
    for _attempt in range(attempts):
        try:
            return function()
        except RuntimeError as exc:
            if "already running" not in str(exc):
                raise
            time.sleep(2)
    raise RuntimeError("a scheduled run kept the shop busy for a minute")


def import_listings(odoo, shop_id, timeout=600):
    """'Import listings' (a background run: connecting started one already), then wait until
    a listing import that started after the click, or the one the click found running, is
    over; returns its sync log (state and message)."""
    domain = [("shop_id", "=", shop_id), ("operation", "=", "listings")]

    def last_log():
        logs = odoo.call("etsy.sync.log", "search_read", domain, ["state", "message"],
                         order="id desc", limit=1)
        return logs[0] if logs else {"id": 0, "state": "none"}

    before = last_log()["id"]
    try:
        odoo.call("etsy.shop", "action_import_listings", [shop_id])
    except RuntimeError as exc:
        if "already running" not in str(exc):
            raise
        before -= 1  # the running one, or a later one, will do
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = last_log()
        if log["id"] > before and log["state"] != "running":
            if log["state"] == "failed":
                raise RuntimeError(f"the listing import failed: {log['message']}")
            return log
        time.sleep(1)
    raise RuntimeError(f"the listings were not imported within {timeout} s")


def sync_orders(odoo, shop_id):
    """'Sync orders', waiting for the scheduled import when it happens to be running."""
    return while_busy(lambda: odoo.call("etsy.shop", "action_sync_orders", [shop_id]))


def main(argv):
    odoo_url, db, sandbox_url = argv
    odoo = Odoo(odoo_url, db)
    shop_id = demo_shop(odoo, sandbox_url)
    connect(odoo, shop_id)
    [shop] = odoo.call("etsy.shop", "read", [shop_id], ["state", "etsy_shop_name"])
    print(f"[etsy_connector] demo shop connected: {shop['etsy_shop_name']} ({shop['state']})")
    log = import_listings(odoo, shop_id)
    print(f"[etsy_connector] listings: {log['message']}")
    print(f"[etsy_connector] {stock_like_etsy(odoo, shop_id)} products stocked as Etsy shows them")
    answer = sync_orders(odoo, shop_id)
    print(f"[etsy_connector] first order sync: {answer['params']['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
