"""The shop's listing and stock settings, and the entry points of their two flows.

The listing import lives in `flow_listings.py` (`ListingImport`), the stock export in
`flow_stock.py` (`StockExport`); both run in the run frame (`etsy_run.py`).
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .etsy_run import run_flow
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
    # Read from the flows' own sync state rows: a run never writes the shop row (defect 11.4).
    last_listing_import = fields.Datetime(
        string="Last Listing Import", compute="_compute_last_catalog_runs",
        help="When the shop's listings were last read from Etsy.",
    )
    last_inventory_sync = fields.Datetime(
        string="Last Inventory Sync", compute="_compute_last_catalog_runs", store=False,
        readonly=True, copy=False, help="When stock quantities were last published to Etsy.",
    )
    listing_ids = fields.One2many("etsy.listing", "shop_id", string="Etsy listings")
    listing_count = fields.Integer(compute="_compute_listing_counts", compute_sudo=True)
    to_link_count = fields.Integer(compute="_compute_listing_counts", compute_sudo=True,
                                   string="Etsy products to link")

    @api.constrains("stock_buffer")
    def _check_stock_buffer(self):
        for shop in self:
            if shop.stock_buffer < 0:
                raise ValidationError(self.env._("The safety buffer cannot be negative."))

    def _compute_last_catalog_runs(self):
        State = self.env["etsy.sync.state"]
        listings = State._value(self, "listings", "watermark")
        inventory = State._value(self, "inventory", "watermark")
        for shop in self:
            shop.last_listing_import = listings.get(shop.id, False)
            shop.last_inventory_sync = inventory.get(shop.id, False)

    def _compute_listing_counts(self):
        listings = dict(self.env["etsy.listing"]._read_group(
            [("shop_id", "in", self.ids)], ["shop_id"], ["__count"]))
        to_link = dict(self.env["etsy.product"]._read_group(
            [("shop_id", "in", self.ids), ("product_id", "=", False),
             ("listing_id.active", "=", True)], ["shop_id"], ["__count"]))
        for shop in self:
            shop.listing_count = listings.get(shop, 0)
            shop.to_link_count = to_link.get(shop, 0)

    # === BUTTONS === #

    def action_view_listings(self):
        return self._etsy_shop_action("etsy_connector.action_etsy_listing")

    def action_view_to_link(self):
        return self._etsy_shop_action(
            "etsy_connector.action_etsy_product_to_link",
            domain=[("product_id", "=", False), ("listing_id.active", "=", True)])

    def action_import_listings(self):
        """'Import listings' button: every listing of the shop, with its inventory, now."""
        return self._etsy_notify_log(self._etsy_import_listings(trigger="manual"))

    def action_sync_inventory(self):
        """'Push stock' button: the same code as the 15-minute schedule, for this shop, now."""
        return self._etsy_notify_log(self._sync_etsy_inventory(trigger="manual"))

    # === FLOWS === #

    def _etsy_import_listings(self, trigger="cron"):
        """Import every listing of the shop (see `ListingImport`); returns the run's log."""
        return run_flow(self.sudo(), ListingImport, trigger)[0]

    def _sync_etsy_inventory(self, trigger="cron"):
        """Import new orders, then push the stock (see `StockExport`); returns the run's log."""
        return run_flow(self.sudo(), StockExport, trigger)[0]

    @api.model
    def _cron_import_listings(self):
        """Refresh the listings of every connected shop (new ones, gone ones, Etsy quantities)."""
        self._run_for_connected_shops("_etsy_import_listings")
