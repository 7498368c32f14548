"""Order import settings of an Etsy shop and the entry points of its order flow.

The flow itself is `flow_orders.OrderImport`; its progress (watermark, recheck offset) lives in
the shop's "orders" sync state row, shown here as `last_order_sync` and `order_recheck_offset`.
"""

import datetime

from odoo import fields, models

from ..const import DEFAULT_IMPORT_DAYS
from .etsy_run import check_may_run, run_flow
from .flow_orders import OrderImport


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
        default=lambda self: fields.Datetime.now() - datetime.timedelta(days=DEFAULT_IMPORT_DAYS),
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
    shipped_receipt_policy = fields.Selection(
        [("validate", "Validate the delivery as shipped"), ("none", "Create no delivery")],
        string="Receipts already shipped", default="validate", required=True,
        help="A receipt Etsy already shows as shipped when it is imported (a backfill, a "
             "shipment made on Etsy): its goods have left. Validate its delivery, so stock and "
             "the quantities published on Etsy follow, or create none. Said on the order.",
    )
    order_ids = fields.One2many("sale.order", "etsy_shop_id", string="Etsy orders")
    receipt_issue_ids = fields.One2many("etsy.receipt.issue", "shop_id")

    # === BUTTONS === #

    def action_sync_orders(self):
        """'Sync now': import this shop's new and changed orders now, in the background.

        A backfill can take minutes: run by a cron worker it never blocks the browser (nor
        meets the request time limit), and its sync log shows the progress as it goes.
        """
        self.ensure_one()
        check_may_run(self)
        return self.env["etsy.sync.request"]._request(self, "orders")

    # === THE ORDER SYNC === #

    def _sync_etsy_orders(self, trigger="cron"):
        """Import receipts changed since the last sync, retry the failed ones, re-check recent
        ones; returns the run's log (None when another run of this shop held the lock)."""
        return run_flow(self, OrderImport, trigger)[0]

    def import_receipt_by_id(self, receipt_id):
        """Fetch one receipt from Etsy and import it now: ``(sale order or empty, log)``."""
        log, orders = run_flow(self, OrderImport, "manual", receipt_ids=[receipt_id])
        return self.env["sale.order"].browse((orders or {}).get(str(receipt_id))), log
