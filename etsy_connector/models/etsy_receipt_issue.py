"""Receipts that could not be imported: kept with their reason, retried with backoff.

The order flow (`flow_orders.py`) records a receipt here when it fails, retries the due ones
one by one, and resolves them once imported. A receipt Etsy no longer has is closed.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import retry_delay
from ..etsy.errors import EtsyError, EtsyNotFoundError
from .etsy_run import notification, run_flow
from .flow_orders import OrderImport
from .user_messages import user_text

# Personal data a diagnosis does not need stays out of the stored payload.
PAYLOAD_DROPPED_KEYS = (
    "name",
    "first_line",
    "second_line",
    "city",
    "zip",
    "formatted_address",
    "buyer_email",
    "seller_email",
    "payment_email",
    "message_from_buyer",
    "gift_message",
    "gift_sender",
    "message_from_payment",
)


class EtsyReceiptIssue(models.Model):
    _name = "etsy.receipt.issue"
    _description = "Etsy receipt that needs attention"
    _order = "state, write_date desc"
    _rec_name = "etsy_receipt_id"

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    etsy_receipt_id = fields.Char(string="Etsy receipt", required=True, index=True)
    state = fields.Selection(
        [("pending", "To retry"), ("resolved", "Imported"), ("ignored", "Ignored"),
         ("gone", "Not on Etsy")],
        default="pending",
        required=True,
        index=True,
    )
    reason = fields.Text(readonly=True)
    attempts = fields.Integer(readonly=True, default=0)
    next_retry_at = fields.Datetime(readonly=True)
    payload = fields.Json(readonly=True, help="The receipt as Etsy sent it, without personal data.")
    sale_order_id = fields.Many2one("sale.order", readonly=True)

    _sql_constraints = [
        (
            "etsy_receipt_issue_unique",
            "unique(shop_id, etsy_receipt_id)",
            "This Etsy receipt already has an entry.",
        ),
    ]

    @api.model
    def _record(self, shop, receipt, exc):
        """Remember a failed receipt (or count one more failed attempt)."""
        issue = self._record_attempt(shop, str(receipt.get("receipt_id") or "?"), exc)
        issue.payload = {k: v for k, v in receipt.items() if k not in PAYLOAD_DROPPED_KEYS}
        return issue

    @api.model
    def _record_attempt(self, shop, receipt_id, exc):
        issue = self.search([("shop_id", "=", shop.id), ("etsy_receipt_id", "=", receipt_id)])
        attempts = issue.attempts + 1 if issue else 1
        values = {
            "state": "pending",
            "reason": shop._etsy_redact(self._reason(exc)),
            "attempts": attempts,
            "next_retry_at": fields.Datetime.now() + retry_delay(attempts),
        }
        if issue:
            issue.write(values)
            return issue
        # Only the sync records receipts to fix: nobody, managers included, creates one by hand.
        return self.sudo().create({"shop_id": shop.id, "etsy_receipt_id": receipt_id, **values})

    @api.model
    def _fetch_failed(self, shop, receipt_id, exc):
        """Etsy did not give a receipt waiting here: close it if Etsy no longer has it, else
        try again later (a receipt asked for by id and never recorded stays unrecorded)."""
        issue = self.search([("shop_id", "=", shop.id), ("etsy_receipt_id", "=", str(receipt_id)),
                             ("state", "=", "pending")])
        if not issue:
            return
        if isinstance(exc, EtsyNotFoundError):
            issue.write({"state": "gone", "next_retry_at": False, "reason": self.env._(
                "Etsy no longer has this receipt (it answered 'not found'): there is nothing to "
                "import. Check the order on Etsy if you expected one.")})
            return
        self._record_attempt(shop, issue.etsy_receipt_id, exc)

    @api.model
    def _reason(self, exc):
        if isinstance(exc, EtsyError):
            return user_text(self.env, exc)
        return str(exc) or type(exc).__name__

    @api.model
    def _resolve(self, shop, orders):
        """The receipts of `orders` ``{receipt id: sale.order}`` are imported."""
        if not orders:
            return
        issues = self.search([("shop_id", "=", shop.id), ("state", "=", "pending"),
                              ("etsy_receipt_id", "in", list(orders))])
        for issue in issues:
            issue.write({"state": "resolved", "sale_order_id": orders[issue.etsy_receipt_id].id})

    @api.model
    def _due(self, shop, limit):
        """The pending receipts of `shop` whose backoff has elapsed, the longest waiting first."""
        return self.search([("shop_id", "=", shop.id), ("state", "=", "pending"),
                            ("next_retry_at", "<=", fields.Datetime.now())],
                           order="next_retry_at", limit=limit)

    def action_retry(self):
        """'Retry' button: fetch each receipt again from Etsy and import it now."""
        imported = 0
        by_shop = self.filtered(lambda i: i.state == "pending").grouped("shop_id")
        for shop, issues in by_shop.items():
            _log, orders = run_flow(shop, OrderImport, "manual",
                                    receipt_ids=issues.mapped("etsy_receipt_id"))
            imported += len(orders or {})
        failed = len(self) - imported
        return notification(
            self.env._(
                "Retried %(count)s receipt(s): %(ok)s imported, %(ko)s still failing (see the "
                "reason on each).",
                count=len(self),
                ok=imported,
                ko=failed,
            ),
            "success" if not failed else "warning",
        )

    def action_ignore(self):
        self.write({"state": "ignored"})

    def action_open_order(self):
        self.ensure_one()
        if not self.sale_order_id:
            raise UserError(self.env._("This receipt has not been imported yet."))
        return self.sale_order_id.get_formview_action()
