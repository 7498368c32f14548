from odoo import fields, models
from odoo.exceptions import UserError

from ..models.etsy_run import notification


class EtsyReceiptImportWizard(models.TransientModel):
    _name = "etsy.receipt.import.wizard"
    _description = "Import one Etsy receipt by its ID"

    shop_id = fields.Many2one("etsy.shop", required=True, domain=[("state", "=", "connected")])
    receipt_id = fields.Char(
        string="Etsy receipt ID",
        required=True,
        help="The number Etsy shows on the order (Order #...).",
    )

    def action_import(self):
        self.ensure_one()
        receipt_id = (self.receipt_id or "").strip().lstrip("#")
        if not receipt_id.isdigit():
            raise UserError(self.env._("An Etsy receipt ID is a number, such as 3012345678."))
        order, _log = self.shop_id.import_receipt_by_id(receipt_id)
        if not order:
            return notification(
                self.env._(
                    "Receipt %s could not be imported: the reason is in the order sync's log "
                    "(Etsy > Sync Logs), and in 'Receipts to fix' when Etsy sent it.",
                    receipt_id,
                ),
                "warning",
            )
        action = order.get_formview_action()
        action["target"] = "current"
        return action
