"""Runs people (or Etsy's webhooks) asked for: queued here, run in the background by a cron.

A request is a row that is only ever inserted and deleted, so asking for a run never writes a
row a running flow writes. `_cron_run_requests` takes the pending requests with SKIP LOCKED
(two cron workers never take the same one) and runs each flow once per shop, through the same
entry points the schedule uses.
"""

import logging

from odoo import api, fields, models

from .etsy_run import notification

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

    @api.model
    def _request(self, shop, flow, trigger="manual"):
        """Queue a run of `flow` for `shop`, wake the cron that runs requests, and return the
        notification that says so."""
        cron = self.env.ref("etsy_connector.ir_cron_run_requests").sudo()
        if not cron.active:
            return notification(self.env._(
                "The scheduled action 'Etsy: run requested syncs' is disabled: enable it under "
                "Settings > Technical > Scheduled Actions (developer mode), then try again."),
                "warning")
        self.sudo().create({"shop_id": shop.id, "flow": flow, "trigger": trigger})
        cron._trigger()
        flows = dict(self._fields["flow"]._description_selection(self.env))
        return notification(self.env._(
            "%(flow)s sync of %(shop)s started in the background: its sync log shows the "
            "progress.", flow=flows[flow], shop=shop.name), "info")

    @api.model
    def _cron_run_requests(self):
        """Run the oldest requested flow for its shop; the progress API brings the cron back
        at once while requests remain."""
        self.env.cr.execute(
            "SELECT shop_id, flow, trigger FROM etsy_sync_request ORDER BY id "
            "LIMIT 1 FOR UPDATE SKIP LOCKED")
        row = self.env.cr.fetchone()
        if not row:
            return
        shop_id, flow, trigger = row
        # Every request of that shop and flow is served by this one run.
        self.env.cr.execute(
            "DELETE FROM etsy_sync_request WHERE shop_id = %s AND flow = %s", [shop_id, flow])
        shop = self.env["etsy.shop"].browse(shop_id).exists()
        if shop and shop.active and shop.state == "connected":
            getattr(shop.with_company(shop.company_id), REQUESTABLE_FLOWS[flow])(trigger)
        else:
            _logger.info("Etsy %s request for shop %s dropped: the shop is not connected",
                         flow, shop_id)
        self.env["ir.cron"]._notify_progress(done=1, remaining=self.search_count([]))
