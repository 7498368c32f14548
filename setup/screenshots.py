"""The README's screenshots, taken from a running demo (setup/run, or the one setup/screenshots
starts) in headless Chromium: the Etsy dashboard, the shop form, an Etsy order on its Etsy tab
and the Etsy listing of a product published from Odoo.

What the screenshots show goes through the addon's real flows against the sandbox: a candle is
created in Odoo and published with the publish wizard, then a sandbox buyer purchases it and
'Sync now' imports the order. On a demo that already has them, they are reused.

Usage: python setup/screenshots.py <odoo url> <database> <output folder>
"""

import base64
import io
import os
import signal
import sys
import tempfile
import time
from typing import NamedTuple

import requests
from demo_connect import SHOP_NAME, Odoo, set_stock, sync_orders, while_busy
from headless_chromium import BrowserError, HeadlessChromium
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1440, 900
LOAD_SECONDS = 45
CANDLES = 1102  # the sandbox's "Home & Living > Candles" Etsy category
CANDLE = {
    "name": "Beeswax Pillar Candle",
    "list_price": 24.0,
    "is_storable": True,
    "description_sale": "A pillar candle hand-poured from pure beeswax, with a cotton wick. "
                        "3 x 4 in, about 40 hours of warm, honey-scented light.",
    "etsy_tags": "beeswax candle, pillar candle, natural candle, gift",
    "etsy_materials": "beeswax, cotton",
}
COLORS = {"White": "WBW-PILLAR-WHT", "Beige": "WBW-PILLAR-BGE"}  # variant: SKU
STOCK = 12
BUYER_MESSAGE = "Could you wrap it? It's a birthday present for my sister."


class ScreenshotError(RuntimeError):
    """The demo or a view is not what the screenshots need."""


def say(text):
    print(f"[etsy_connector] {text}", file=sys.stderr, flush=True)


# === THE DEMO'S DATA === #


def wait_for_demo(url, db, seconds=180):
    """Log in; the demo shop once it is connected and its first orders are in."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            odoo = Odoo(url, db)
            shops = odoo.call("etsy.shop", "search", [("name", "=", SHOP_NAME),
                                                      ("state", "=", "connected")], limit=1)
            if shops and odoo.call("sale.order", "search_count",
                                   [("etsy_shop_id", "=", shops[0])]):
                return odoo, shops[0]
            waiting = f"the connected shop {SHOP_NAME!r} and its first orders"
        except (requests.RequestException, RuntimeError) as exc:
            waiting = f"Odoo ({exc})"
        if time.monotonic() > deadline:
            raise ScreenshotError(f"no demo at {url} (database {db}) after {seconds} s: "
                                  f"waited for {waiting}. Is setup/run serving it?")
        time.sleep(2)


def candles_category(odoo, shop_id):
    """Etsy's reference data for the shop (read at connection, else now): the Candles category."""
    if not odoo.call("etsy.shipping.profile", "search_count", [("shop_id", "=", shop_id)]):
        while_busy(lambda: odoo.call("etsy.shop", "action_sync_etsy_reference_data", [shop_id]))
    found = odoo.call("etsy.taxonomy", "search", [("etsy_taxonomy_id", "=", CANDLES)], limit=1)
    if not found:
        raise ScreenshotError("Etsy's categories were not read: press 'Refresh Etsy data' on "
                              "the shop and look at its sync log")
    return found[0]


def color_values(odoo):
    """The Color attribute and its values for the candle's variants."""
    found = odoo.call("product.attribute", "search", [("name", "=", "Color")], limit=1)
    attribute_id = found[0] if found else odoo.call(
        "product.attribute", "create", [{"name": "Color"}])[0]
    values = []
    for name in COLORS:
        value = odoo.call("product.attribute.value", "search",
                          [("attribute_id", "=", attribute_id), ("name", "=", name)], limit=1)
        values += value or odoo.call("product.attribute.value", "create",
                                     [{"attribute_id": attribute_id, "name": name}])
    return attribute_id, values


def candle_png():
    """A picture of the candle (the product image Etsy gets), drawn here."""
    size = 600
    image = Image.new("RGB", (size, size), (250, 244, 234))
    draw = ImageDraw.Draw(image)
    for y in range(size):  # a warm backdrop, lighter at the top
        shade = int(18 * y / size)
        draw.line([(0, y), (size, y)], fill=(250 - shade, 242 - shade, 228 - shade * 2))
    glow = Image.new("L", (size, size), 0)
    ImageDraw.Draw(glow).ellipse((200, 40, 400, 240), fill=150)
    image.paste((255, 226, 150), mask=glow.filter(ImageFilter.GaussianBlur(40)))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((190, 200, 410, 540), radius=18, fill=(240, 214, 150))
    draw.rectangle((360, 210, 410, 530), fill=(226, 196, 128))
    draw.ellipse((190, 185, 410, 225), fill=(247, 228, 178))
    draw.line([(300, 205), (300, 168)], fill=(60, 45, 35), width=5)
    draw.ellipse((281, 92, 319, 175), fill=(255, 170, 40))
    draw.ellipse((291, 122, 309, 170), fill=(255, 236, 150))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode()


def candle(odoo, shop_id, category_id):
    """The candle template: two colours, one SKU each, stocked in the shop's warehouse."""
    found = odoo.call("product.template", "search", [("name", "=", CANDLE["name"])], limit=1)
    if found:
        return found[0]
    attribute_id, value_ids = color_values(odoo)
    [template_id] = odoo.call("product.template", "create", [{
        **CANDLE, "etsy_taxonomy_id": category_id, "image_1920": candle_png(),
        "attribute_line_ids": [(0, 0, {"attribute_id": attribute_id,
                                       "value_ids": [(6, 0, value_ids)]})],
    }])
    variants = odoo.call("product.product", "search_read", [("product_tmpl_id", "=", template_id)],
                         ["product_template_attribute_value_ids"])
    for variant in variants:
        [value] = odoo.call("product.template.attribute.value", "read",
                            variant["product_template_attribute_value_ids"], ["name"])
        odoo.call("product.product", "write", [variant["id"]],
                  {"default_code": COLORS[value["name"]]})
    set_stock(odoo, shop_id, {variant["id"]: STOCK for variant in variants})
    return template_id


def published_listing(odoo, shop_id, template_id):
    """The candle's Etsy listing, published (and activated) with the publish wizard."""
    domain = [("shop_id", "=", shop_id), ("product_tmpl_id", "=", template_id)]
    fields = ["publish_state", "publish_error", "etsy_listing_id"]
    listing = odoo.call("etsy.listing", "search_read", domain, fields)
    if listing and listing[0]["publish_state"] == "active":
        return listing[0]
    action = odoo.call("product.template", "action_etsy_publish", [template_id])
    wizard = [action["res_id"]]
    odoo.call("etsy.publish.wizard", "write", wizard, {"shop_id": shop_id, "activate": True})
    [check] = odoo.call("etsy.publish.wizard", "read", wizard, ["ready_count",
                                                                "readiness_report"])
    if not check["ready_count"]:
        raise ScreenshotError(f"Etsy would refuse the candle: {check['readiness_report']}")
    while_busy(lambda: odoo.call("etsy.publish.wizard", "action_publish", wizard))
    listing = odoo.call("etsy.listing", "search_read", domain, fields)
    if not listing or listing[0]["publish_state"] != "active":
        error = listing[0]["publish_error"] if listing else "no listing created"
        raise ScreenshotError(f"publishing the candle failed: {error}")
    return listing[0]


def purchased_order(odoo, shop_id, template_id, listing, seconds=90):
    """An Etsy order of the candle: a sandbox buyer purchases it, 'Sync now' imports it."""
    domain = [("etsy_shop_id", "=", shop_id),
              ("order_line.product_id.product_tmpl_id", "=", template_id)]
    found = odoo.call("sale.order", "search", domain, limit=1, order="id desc")
    if found:
        return found[0]
    [shop] = odoo.call("etsy.shop", "read", [shop_id], ["api_base_url"])
    answer = requests.post(f"{shop['api_base_url']}/_sandbox/buy", timeout=30, json={
        "listing_id": int(listing["etsy_listing_id"]), "quantity": 2,
        "message_from_buyer": BUYER_MESSAGE})
    if answer.status_code != 200:
        raise ScreenshotError(f"a sandbox buyer could not purchase the candle at "
                              f"{shop['api_base_url']} ({answer.status_code}): the screenshots "
                              "need the demo's Etsy sandbox")
    receipt_id = str(answer.json()["receipt_id"])
    sync_orders(odoo, shop_id)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = odoo.call("sale.order", "search", [("etsy_shop_id", "=", shop_id),
                                                   ("etsy_receipt_id", "=", receipt_id)])
        if found:
            return found[0]
        time.sleep(2)
    raise ScreenshotError(f"the order of Etsy receipt {receipt_id} was not imported within "
                          f"{seconds} s: look at the shop's sync logs")


# === THE SCREENSHOTS === #


class Capture(NamedTuple):
    name: str
    path: str
    ready: str  # a CSS selector: the view is loaded
    tab: str = ""  # the notebook page to open, then `shown` inside it
    shown: str = ""


def captures(shop_id, order_id, listing_id):
    form = ".o_form_view .o_form_sheet .o_field_widget[name='{}']"
    return [
        Capture("dashboard", "/odoo/action-etsy_connector.action_etsy_dashboard",
                ".o_kanban_renderer .o_kanban_record .o_etsy_shop_name"),
        Capture("shop", f"/odoo/action-etsy_connector.action_etsy_shop/{shop_id}",
                form.format("name")),
        Capture("order", f"/odoo/action-sale.action_orders/{order_id}",
                form.format("partner_id"), "etsy", "[name='etsy_receipt_id']"),
        Capture("publish", f"/odoo/action-etsy_connector.action_etsy_listing/{listing_id}",
                ".o_form_view .o_field_widget[name='etsy_product_ids'] .o_data_row"),
    ]


def page_state(selector):
    """JavaScript: 'ready' once `selector` is shown and nothing loads, else what is wrong."""
    return f"""(() => {{
        const error = document.querySelector('.o_error_dialog');
        if (error) return 'an error dialog: ' + error.innerText.slice(0, 400);
        if (document.querySelector('.oe_login_form')) return 'the login page';
        if (document.readyState !== 'complete' || document.querySelector('.o_loading_indicator'))
            return 'loading';
        return document.querySelector({selector!r}) ? 'ready' : 'no ' + {selector!r};
    }})()"""


def wait_until_ready(browser, name, selector):
    """Wait for `selector`; an error dialog fails at once, anything else after LOAD_SECONDS."""
    deadline = time.monotonic() + LOAD_SECONDS
    state = "nothing"
    while time.monotonic() < deadline:
        try:
            state = browser.evaluate(page_state(selector))
        except BrowserError:
            state = "loading"  # the page is being replaced
        if state == "ready":
            return
        if state.startswith("an error dialog"):
            break
        time.sleep(0.25)
    raise ScreenshotError(f"{name}: the view did not load within {LOAD_SECONDS} s "
                          f"({state}){keep_failed(browser, name)}")


def keep_failed(browser, name):
    """Where the failed view's picture is kept, for whoever looks into it."""
    path = os.path.join(tempfile.gettempdir(), f"etsy_screenshot_{name}_failed.png")
    try:
        with open(path, "wb") as file:
            file.write(browser.screenshot())
    except (OSError, RuntimeError):
        return ""
    return f"; what the browser showed: {path}"


def log_in(browser, url, db):
    browser.navigate(f"{url}/web/login?db={db}")
    if not browser.wait_for("!!document.querySelector('form.oe_login_form #password')",
                            LOAD_SECONDS):
        raise ScreenshotError(f"no login page at {url}/web/login{keep_failed(browser, 'login')}")
    browser.evaluate("""(() => {
        const form = document.querySelector('form.oe_login_form');
        form.querySelector('#login').value = 'admin';
        form.querySelector('#password').value = 'admin';
        form.submit();
        return true;
    })()""")
    wait_until_ready(browser, "login", ".o_main_navbar")


def settle(browser):
    """Fonts and images loaded, no caret or toast, transitions over."""
    browser.evaluate("""(async () => {
        await document.fonts.ready;
        await Promise.all([...document.images].filter(i => !i.complete).map(
            i => new Promise(done => { i.onload = i.onerror = done; })));
        document.activeElement && document.activeElement.blur();
        document.querySelectorAll('.o_notification_manager .o_notification')
            .forEach(n => n.remove());
        return true;
    })()""")
    time.sleep(0.8)


def take(browser, url, capture):
    """The capture as optimised PNG bytes."""
    browser.navigate(url + capture.path)
    wait_until_ready(browser, capture.name, capture.ready)
    if capture.tab:
        tab = f".o_notebook .nav-link[name='{capture.tab}']"
        if not browser.evaluate(f"(t => t ? (t.click(), true) : false)"
                                f"(document.querySelector({tab!r}))"):
            raise ScreenshotError(f"{capture.name}: no {capture.tab!r} tab on the form"
                                  f"{keep_failed(browser, capture.name)}")
        wait_until_ready(browser, capture.name, f".o_notebook .tab-pane.active {capture.shown}")
    settle(browser)
    return optimised(capture.name, browser.screenshot())


def optimised(name, png):
    """256 colours, no dithering: UI pictures stay sharp at a fraction of the size."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if len(image.getcolors(maxcolors=WIDTH * HEIGHT) or ()) < 16:
        raise ScreenshotError(f"{name}: the page is blank")
    buffer = io.BytesIO()
    image.quantize(colors=256, dither=Image.Dither.NONE).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main(argv):
    url, db, folder = argv
    url = url.rstrip("/")
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))  # the browser is stopped
    try:
        odoo, shop_id = wait_for_demo(url, db)
        template_id = candle(odoo, shop_id, candles_category(odoo, shop_id))
        listing = published_listing(odoo, shop_id, template_id)
        say(f"candle published: Etsy listing {listing['etsy_listing_id']}")
        order_id = purchased_order(odoo, shop_id, template_id, listing)
        pictures = {}
        with HeadlessChromium(WIDTH, HEIGHT) as browser:
            log_in(browser, url, db)
            for capture in captures(shop_id, order_id, listing["id"]):
                pictures[capture.name] = take(browser, url, capture)
    except (RuntimeError, requests.RequestException) as exc:
        say(f"ERROR: {exc}")
        return 1
    # Written only when every view loaded: the README never shows half old, half new.
    os.makedirs(folder, exist_ok=True)
    for name, png in pictures.items():
        path = os.path.join(folder, f"{name}.png")
        with open(path, "wb") as file:
            file.write(png)
        say(f"{path}: {len(png) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
