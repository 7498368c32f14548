"""TRANSITIONAL: the order import lives in `flow_orders.py` (the run) and `order_writer.py`.

Only `_receipt_status` (and `RunCache`) is left here, for `stock_picking.py` (and
`etsy_shop_inventory.py`) until its flow is migrated (it should
import `receipt_status` from `..etsy.receipt`); then delete this file.
"""

from odoo import api, models

from ..etsy.receipt import receipt_status
from .etsy_run import RunCache  # noqa: F401 - still imported by etsy_shop_inventory.py


class EtsyOrderImporter(models.AbstractModel):
    _name = "etsy.order.importer"
    _description = "Etsy order importer (transitional)"

    @api.model
    def _receipt_status(self, receipt):
        return receipt_status(receipt)
