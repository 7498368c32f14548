"""Runs people (or Etsy's webhooks) asked for: queued here, run in the background by a cron.

A request is a row that is only ever inserted and deleted, so asking for a run never writes a
row a running flow writes. `_cron_run_requests` takes the pending requests with SKIP LOCKED
(two cron workers never take the same one) and runs each flow once per shop, through the same
entry points the schedule uses.

A request naming a receipt (a webhook's) imports just that receipt, through the order import and
its lock: when an order run of the shop holds the lock, the request waits a few seconds and
tries again, so a webhook and the poller never import one receipt at the same time.
"""

import logging

from odoo import api, fields, models

from ..const import BUSY_RETRY_DELAY, MAX_BUSY_RETRIES
from .etsy_run import notification, run_flow
from .flow_orders import OrderImport

_logger = logging.getLogger(__name__)

# What a request can ask for: a flow key and the etsy.shop entry point that runs it.
REQUESTABLE_FLOWS = {
    "orders": "_sync_etsy_orders",
    "inventory": "_sync_etsy_inventory",
    "listings": "_etsy_import_listings",
}
FLOW_LABELS = [("orders", "Order"), ("inventory", "Stock"), ("listings", "Listing")]


class EtsySyncRequest(models.Model):
    _name = "etsy.sync.request"
    _description = "Etsy Sync Request"
    _order = "id"

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True)
    flow = fields.Selection(FLOW_LABELS, required=True)
    trigger = fields.Selection([("cron", "Scheduled"), ("manual", "Manual")], required=True,
                               default="manual")
    receipt_id = fields.Char(string="Etsy receipt",
                             help="Import only this receipt (asked for by an Etsy webhook).")
    run_after = fields.Datetime(help="Not run before this moment (the order lock was taken).")
    attempts = fields.Integer(
        default=0, help="How many times the receipt import found the lock taken.")

    @api.model
    def _request(self, shop, flow, trigger="manual", receipt_id=None):
        """Queue a run of `flow` for `shop` (or of one receipt's import), wake the cron that
        runs requests, and return the notification that says so."""
        cron = self.env.ref("etsy_connector.ir_cron_run_requests").sudo()
        if not cron.active:
            return notification(self.env._(
                "The scheduled action 'Etsy: run requested syncs' is disabled: enable it under "
                "Settings > Technical > Scheduled Actions (developer mode), then try again."),
                "warning")
        self.sudo().create({"shop_id": shop.id, "flow": flow, "trigger": trigger,
                            "receipt_id": str(receipt_id) if receipt_id else False})
        cron._trigger()
        flows = dict(self._fields["flow"]._description_selection(self.env))
        # The view reloads: the shop's dashboard card shows the run waiting, then going on.
        return notification(self.env._(
            "%(flow)s sync of %(shop)s started in the background: the shop's dashboard card "
            "and its sync log show how far it is.", flow=flows[flow], shop=shop.name), "info",
            {"type": "ir.actions.client", "tag": "soft_reload"})

    @api.model
    def _cron_run_requests(self):
        """Run the oldest due request for its shop; the progress API brings the cron back at
        once while due requests remain."""
        self.flush_model()
        self.env.cr.execute(
            "SELECT shop_id, flow, trigger, receipt_id, attempts FROM etsy_sync_request "
            "WHERE run_after IS NULL OR run_after <= %s "
            "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", [fields.Datetime.now()])
        row = self.env.cr.fetchone()
        if not row:
            return
        shop_id, flow, trigger, receipt_id, attempts = row
        # Every request of that shop and flow (and receipt) is served by this one run.
        self.env.cr.execute(
            "DELETE FROM etsy_sync_request WHERE shop_id = %s AND flow = %s "
            "AND receipt_id IS NOT DISTINCT FROM %s", [shop_id, flow, receipt_id])
        shop = self.env["etsy.shop"].browse(shop_id).exists()
        if not (shop and shop.active and shop.state == "connected"):
            _logger.info("Etsy %s request for shop %s dropped: the shop is not connected",
                         flow, shop_id)
        elif receipt_id:
            self._run_receipt_request(shop.with_company(shop.company_id), receipt_id, attempts)
        else:
            getattr(shop.with_company(shop.company_id), REQUESTABLE_FLOWS[flow])(trigger)
        self.env["ir.cron"]._notify_progress(done=1, remaining=self.search_count(
            ["|", ("run_after", "=", False), ("run_after", "<=", fields.Datetime.now())]))

    def _run_receipt_request(self, shop, receipt_id, attempts):
        outcome = self._import_receipt(shop, receipt_id)
        if outcome != "busy":
            self.env["etsy.webhook.event"]._mark(shop, receipt_id, outcome)
        elif (attempts or 0) < MAX_BUSY_RETRIES:
            run_after = fields.Datetime.now() + BUSY_RETRY_DELAY
            self.sudo().create({"shop_id": shop.id, "flow": "orders", "trigger": "cron",
                                "receipt_id": receipt_id, "run_after": run_after,
                                "attempts": (attempts or 0) + 1})
            self.env.ref("etsy_connector.ir_cron_run_requests").sudo()._trigger(at=run_after)
        else:
            _logger.info("Etsy receipt %s of shop %s left to the order poll: an order run held "
                         "the lock all along", receipt_id, shop.id)

    @api.model
    def _import_receipt(self, shop, receipt_id):
        """Import one receipt through the order flow and its lock: 'done', 'failed', or
        'busy' when another order run of the shop holds the lock."""
        log = run_flow(shop, OrderImport, "cron", receipt_ids=[receipt_id])[0]
        if log is None:
            return "busy"
        return "failed" if log.failed_with or log.counts["failed"] else "done"
