"""Order import settings and the `_sync_etsy_orders` flow of an Etsy shop."""

import datetime
import logging

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..etsy.errors import EtsyOffsetLimitError
from ..etsy.money import datetime_to_epoch
from .etsy_order_importer import RunCache

_logger = logging.getLogger(__name__)

# Etsy's modified times and ours are not the same clock: re-read a margin before the watermark.
ORDER_WINDOW_OVERLAP = datetime.timedelta(minutes=15)
ORDERS_PER_COMMIT = 25
# Cancellations and refunds do not move Etsy's modified time: re-read recent receipts, a few
# pages (of PAGE_SIZE) per run, so the cost stays fixed whatever the shop's volume.
RECHECK_DAYS = 60
RECHECK_PAGES = 2
PAGE_SIZE = 100
# A window holding more receipts than Etsy lists (12,000) is read in slices of at most this.
MAX_WINDOW_SLICE = datetime.timedelta(days=30)
MIN_WINDOW_SLICE = datetime.timedelta(hours=1)


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    team_id = fields.Many2one(
        "crm.team", string="Sales team", check_company=True,
        default=lambda self: self.env.ref("etsy_connector.crm_team_etsy", raise_if_not_found=False),
        help="Sales team of the imported orders (an 'Etsy' team by default).",
    )
    user_id = fields.Many2one("res.users", string="Salesperson", check_company=True,
                              help="Salesperson of the imported orders; empty leaves none.")
    auto_confirm = fields.Boolean(
        string="Confirm paid orders", default=True,
        help="Confirm imported orders once Etsy says they are paid, which reserves stock and "
             "creates the delivery.",
    )
    import_orders_since = fields.Datetime(
        string="Import orders since",
        default=lambda self: fields.Datetime.now() - datetime.timedelta(days=30),
        help="The first sync imports receipts changed since this date; later syncs continue "
             "from the last one.",
    )
    sales_tax_policy = fields.Selection(
        [("exclude", "Leave it out (recommended)"), ("line", "Record it as an order line")],
        string="Sales tax collected by Etsy", default="exclude", required=True,
        help="US sales tax Etsy collects and remits as marketplace facilitator is not your "
             "revenue. It is always stored on the order for reporting.",
    )
    shipping_product_id = fields.Many2one(
        "product.product", string="Shipping product", check_company=True,
        default=lambda self: self.env.ref("etsy_connector.product_etsy_shipping",
                                          raise_if_not_found=False),
    )
    discount_product_id = fields.Many2one(
        "product.product", string="Discount product", check_company=True,
        default=lambda self: self.env.ref("etsy_connector.product_etsy_discount",
                                          raise_if_not_found=False),
    )
    gift_wrap_product_id = fields.Many2one(
        "product.product", string="Gift wrap product", check_company=True,
        default=lambda self: self.env.ref("etsy_connector.product_etsy_gift_wrap",
                                          raise_if_not_found=False),
    )
    sales_tax_product_id = fields.Many2one(
        "product.product", string="Sales tax product", check_company=True,
        default=lambda self: self.env.ref("etsy_connector.product_etsy_sales_tax",
                                          raise_if_not_found=False),
    )
    placeholder_product_id = fields.Many2one(
        "product.product", string="Placeholder product", check_company=True,
        default=lambda self: self.env.ref("etsy_connector.product_etsy_unmatched",
                                          raise_if_not_found=False),
        help="Used for Etsy items no Odoo product matches; such orders are flagged.",
    )
    create_missing_products = fields.Boolean(
        help="Create Odoo products for Etsy listings that match none (off: unmatched items use "
             "the placeholder and are flagged).",
    )
    order_recheck_offset = fields.Integer(
        copy=False, readonly=True,
        help="Where the re-reading of recent receipts (cancellations, refunds) continues.")
    order_ids = fields.One2many("sale.order", "etsy_shop_id", string="Etsy orders")
    order_count = fields.Integer(compute="_compute_order_counts", compute_sudo=True)
    attention_count = fields.Integer(compute="_compute_order_counts", compute_sudo=True,
                                     string="Orders needing attention")
    receipt_issue_ids = fields.One2many("etsy.receipt.issue", "shop_id")
    receipt_issue_count = fields.Integer(compute="_compute_order_counts", compute_sudo=True,
                                         string="Receipts not imported")

    def _compute_order_counts(self):
        SaleOrder = self.env["sale.order"]
        orders = dict(SaleOrder._read_group([("etsy_shop_id", "in", self.ids)],
                                            ["etsy_shop_id"], ["__count"]))
        flagged = dict(SaleOrder._read_group(
            [("etsy_shop_id", "in", self.ids), ("etsy_needs_attention", "=", True)],
            ["etsy_shop_id"], ["__count"]))
        issues = dict(self.env["etsy.receipt.issue"]._read_group(
            [("shop_id", "in", self.ids), ("state", "=", "pending")], ["shop_id"], ["__count"]))
        for shop in self:
            shop.order_count = orders.get(shop, 0)
            shop.attention_count = flagged.get(shop, 0)
            shop.receipt_issue_count = issues.get(shop, 0)

    # === HELPERS USED BY THE IMPORTER === #

    def _etsy_pricelist(self, currency):
        """The shop company's 'Etsy <CUR>' pricelist, created on first use."""
        self.ensure_one()
        Pricelist = self.env["product.pricelist"].sudo()
        domain = [("currency_id", "=", currency.id),
                  ("company_id", "in", [self.company_id.id, False])]
        pricelist = Pricelist.search(domain + [("name", "=", f"Etsy {currency.name}")], limit=1)
        return pricelist or Pricelist.create({
            "name": f"Etsy {currency.name}",
            "currency_id": currency.id,
            "company_id": self.company_id.id,
        })

    def _etsy_vat_tax(self, low, high, rate):
        """The price-excluded percent sales tax between `low` and `high` %, nearest to `rate`."""
        self.ensure_one()
        taxes = self.env["account.tax"].search([
            ("company_id", "=", self.company_id.id),
            ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"),
            ("price_include", "=", False),
            ("amount", ">=", low - 0.01),
            ("amount", "<=", high + 0.01),
        ])
        return taxes.sorted(lambda tax: abs(tax.amount - rate))[:1]

    # === BUTTONS === #

    def action_sync_orders(self):
        """'Sync orders' button: the same code as the cron, for this shop, now."""
        self.ensure_one()
        log = self._sync_etsy_orders(trigger="manual")
        return self._etsy_notify_log(log)

    def action_view_orders(self):
        action = self._etsy_shop_action("sale.action_orders", shop_field="etsy_shop_id")
        action["context"] = {"default_etsy_shop_id": self.id}
        return action

    def action_view_attention(self):
        action = self.action_view_orders()
        action["domain"] += [("etsy_needs_attention", "=", True)]
        return action

    def action_view_receipt_issues(self):
        return self._etsy_shop_action("etsy_connector.action_etsy_receipt_issue")

    # === THE ORDER SYNC === #

    def _sync_etsy_orders(self, trigger="cron"):
        """Import receipts changed since the last sync, then re-check recent open ones.

        Runs under a per-shop lock; commits every few receipts (outside tests) so a crash loses
        nothing, and only advances `last_order_sync` past receipts that are committed.
        """
        self.ensure_one()
        shop = self.sudo().with_company(self.company_id)
        with shop._etsy_lock("orders") as acquired:
            if acquired:
                return shop._etsy_run_order_sync(trigger)
        if trigger == "manual":
            raise UserError(_("An order sync of %s is already running: wait for it to finish, "
                              "its log shows the progress.", shop.name))
        _logger.info("Etsy order sync of shop %s skipped: another one is running", shop.id)
        return None

    def _etsy_run_order_sync(self, trigger):
        # A fresh snapshot now that the lock is held: a run that just ended elsewhere may have
        # moved `last_order_sync` after this transaction began (REPEATABLE READ would refuse
        # our update of that row at the end).
        self._etsy_commit()
        started = fields.Datetime.now()
        limit_note = _("Etsy's daily API limit is reached: the next run continues where this "
                       "one stopped.")
        with self._etsy_sync_frame("orders", trigger, limit_note,
                                   self._etsy_order_summary) as (log, client):
            cache = RunCache()
            self._etsy_import_window(client, log, started, cache)
            self.env["etsy.receipt.issue"]._retry_due(self, client, log)
            self._etsy_recheck_recent(client, log, cache)
        return log

    def _etsy_order_summary(self, log, _client=None):
        counts = log.counts
        return _("%(fetched)s receipts read from Etsy: %(created)s orders created, %(updated)s "
                 "updated, %(skipped)s unchanged, %(failed)s failed.", fetched=counts["fetched"],
                 created=counts["created"], updated=counts["updated"],
                 skipped=counts["skipped"], failed=counts["failed"])

    def _etsy_order_window_start(self):
        if self.last_order_sync:
            return self.last_order_sync - ORDER_WINDOW_OVERLAP
        return self.import_orders_since or fields.Datetime.now() - datetime.timedelta(days=30)

    def _etsy_import_window(self, client, log, started, cache):
        """Receipts modified since the watermark, oldest first, committed in small batches."""
        watermark = self.last_order_sync
        Importer = self.env["etsy.order.importer"]
        receipts = self._etsy_changed_receipts(client, self._etsy_order_window_start())
        for done, receipt in enumerate(receipts, start=1):
            cache.fetch("window_receipts", set).add(str(receipt.get("receipt_id")))
            log.count("fetched")
            self._etsy_import_one(receipt, log, cache)
            watermark = max(filter(None, [watermark, Importer._receipt_updated_at(receipt)]),
                            default=watermark)
            if done % ORDERS_PER_COMMIT == 0:
                self._etsy_commit_progress(watermark)
        # The whole window is done: next run starts from when this one started.
        self._etsy_commit_progress(max(filter(None, [watermark, started])))

    def _etsy_changed_receipts(self, client, since):
        """Receipts modified since `since`, oldest first, each once.

        Etsy lists at most 12,000 records per query: a larger window (a long backfill) is read
        in time slices, halved until each fits.
        """
        seen, start, span = set(), since, None  # span None: the whole window at once
        now = fields.Datetime.now()
        while start < now:
            end = min(start + span, now) if span else None
            filters = {"min_last_modified": datetime_to_epoch(start),
                       "sort_on": "updated", "sort_order": "asc"}
            if end:
                filters["max_last_modified"] = datetime_to_epoch(end)
            try:
                for receipt in client.iter_shop_receipts(self.etsy_shop_id, **filters):
                    if receipt.get("receipt_id") not in seen:
                        seen.add(receipt.get("receipt_id"))
                        yield receipt
            except EtsyOffsetLimitError:
                span = (end - start) / 2 if span else MAX_WINDOW_SLICE
                if span < MIN_WINDOW_SLICE:
                    raise
                continue
            if not end:
                return
            start = end

    def _etsy_import_one(self, receipt, log, cache=None):
        """Import one receipt in a savepoint; a failure is recorded and retried later."""
        Importer = self.env["etsy.order.importer"]
        cache = RunCache() if cache is None else cache
        receipt_ref = _("receipt %s", receipt.get("receipt_id"))
        try:
            with self.env.cr.savepoint():
                outcome, order = Importer._import_receipt(self, receipt, cache)
        except Exception as exc:  # noqa: BLE001 - one bad receipt never stops the batch
            cache.clear()  # it may hold records the savepoint just rolled back
            _logger.info("Etsy receipt %s of shop %s not imported: %s",
                         receipt.get("receipt_id"), self.id, type(exc).__name__)
            self.env["etsy.receipt.issue"]._record(self, receipt, exc)
            log.failure(receipt_ref, exc, etsy_id=receipt.get("receipt_id"))
            return None
        pending = cache.fetch("pending_issues", lambda: set(
            self.env["etsy.receipt.issue"].search([
                ("shop_id", "=", self.id), ("state", "=", "pending"),
            ]).mapped("etsy_receipt_id")))
        if str(receipt.get("receipt_id")) in pending:
            self.env["etsy.receipt.issue"]._resolve(self, receipt.get("receipt_id"), order)
        log.count("skipped" if outcome == "unchanged" else outcome)
        return order

    def _etsy_recheck_recent(self, client, log, cache):
        """Re-read the last RECHECK_DAYS days of receipts, RECHECK_PAGES pages per run.

        Etsy does not move a receipt's modified time when it is cancelled or refunded, so the
        window misses those; this walks the recent receipts page by page, run after run (the
        offset is kept on the shop), and brings known orders in step. Unknown receipts are left
        to the window, which respects 'Import orders since'.
        """
        offset = self.order_recheck_offset
        filters = {"min_created": datetime_to_epoch(
            fields.Datetime.now() - datetime.timedelta(days=RECHECK_DAYS)),
            "sort_on": "created", "sort_order": "asc", "limit": PAGE_SIZE}
        for _page in range(RECHECK_PAGES):
            page = client.request("getShopReceipts", "GET",
                                  f"/shops/{int(self.etsy_shop_id)}/receipts",
                                  params={**filters, "offset": offset}) or {}
            results = page.get("results") or []
            known = set(self.env["sale.order"].search([
                ("etsy_shop_id", "=", self.id),
                ("etsy_receipt_id", "in", [str(r.get("receipt_id")) for r in results]),
            ]).mapped("etsy_receipt_id"))
            # Receipts this run's window just imported need no second look.
            known -= cache.fetch("window_receipts", set)
            for receipt in results:
                if str(receipt.get("receipt_id")) in known:
                    log.count("fetched")
                    self._etsy_import_one(receipt, log, cache)
            offset += len(results)
            if len(results) < PAGE_SIZE:
                offset = 0
                break
        self.order_recheck_offset = offset

    def _etsy_commit_progress(self, watermark):
        if watermark and (not self.last_order_sync or watermark > self.last_order_sync):
            self.last_order_sync = watermark
        self._etsy_commit()

    def import_receipt_by_id(self, receipt_id):
        """Fetch one receipt from Etsy and import it now (the 'Import receipt' wizard)."""
        self.ensure_one()
        shop = self.sudo().with_company(self.company_id)
        with shop._etsy_lock("orders") as acquired:
            if not acquired:
                raise UserError(_("An order sync of %s is running: try again when it is done.",
                                  shop.name))
            with shop.env["etsy.sync.log"]._open(shop, "orders", trigger="manual") as log:
                client = shop._etsy_client()
                try:
                    receipt = client.get_shop_receipt(shop.etsy_shop_id, receipt_id)
                    log.count("fetched")
                    return shop._etsy_import_one(receipt, log), log
                finally:
                    log.api_calls = client.call_count

