"""The shop's listing and stock settings, and the entry points of their two flows.

The listing import lives in `flow_listings.py` (`ListingImport`), the stock export in
`flow_stock.py` (`StockExport`); both run in the run frame (`etsy_run.py`).
"""

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .etsy_run import check_may_run, notify_log, run_flow
from .flow_listings import ListingImport
from .flow_stock import StockExport


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    inventory_warehouse_ids = fields.Many2many(
        "stock.warehouse", "etsy_shop_inventory_warehouse_rel", "shop_id", "warehouse_id",
        string="Publish stock of", check_company=True,
        help="Warehouses whose free quantity is published on Etsy. Empty: the shop's warehouse.",
    )
    stock_buffer = fields.Integer(
        string="Safety buffer", default=0,
        help="Units kept back from Etsy for each product: Etsy shows the free quantity minus "
             "this number (never less than 0).",
    )
    allow_listing_renewal = fields.Boolean(
        string="Renew sold-out listings",
        help="When stock comes back for a listing Etsy marked sold out (or that expired while "
             "Odoo had deactivated it), renew it on Etsy. Etsy charges a listing fee for each "
             "renewal. Off: Odoo publishes the quantities and asks you to renew it yourself.",
    )
    listing_ids = fields.One2many("etsy.listing", "shop_id", string="Etsy listings")

    @api.constrains("stock_buffer")
    def _check_stock_buffer(self):
        for shop in self:
            if shop.stock_buffer < 0:
                raise ValidationError(self.env._("The safety buffer cannot be negative."))

    # === BUTTONS === #

    def action_import_listings(self):
        """'Import listings' button: every listing of the shop, with its inventory, read in the
        background: a large shop takes minutes, which would block the browser (and meet the
        request time limit); the dashboard card and the sync log show how far it is."""
        self.ensure_one()
        check_may_run(self)
        if self.env["etsy.sync.log"]._running(self, ListingImport.flow):
            raise UserError(ListingImport.busy_message(self))
        return self.env["etsy.sync.request"]._request(self, ListingImport.flow)

    def action_sync_inventory(self):
        """'Push stock' button: the same code as the 15-minute schedule, for this shop, now."""
        return notify_log(self._sync_etsy_inventory(trigger="manual"))

    # === FLOWS === #

    def _etsy_import_listings(self, trigger="cron"):
        """Import every listing of the shop (see `ListingImport`); returns the run's log."""
        return run_flow(self, ListingImport, trigger)[0]

    def _sync_etsy_inventory(self, trigger="cron"):
        """Import new orders, then push the stock (see `StockExport`); returns the run's log."""
        return run_flow(self, StockExport, trigger)[0]
