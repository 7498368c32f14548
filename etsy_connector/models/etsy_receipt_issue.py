"""Receipts that could not be imported: kept with their reason, retried with backoff."""

import datetime
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..etsy.errors import EtsyError

_logger = logging.getLogger(__name__)

RETRY_BASE = datetime.timedelta(minutes=10)
RETRY_MAX = datetime.timedelta(days=1)
RETRIES_PER_RUN = 20
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
        [("pending", "To retry"), ("resolved", "Imported"), ("ignored", "Ignored")],
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
        receipt_id = str(receipt.get("receipt_id") or "?")
        issue = self.search([("shop_id", "=", shop.id), ("etsy_receipt_id", "=", receipt_id)])
        attempts = issue.attempts + 1 if issue else 1
        values = {
            "state": "pending",
            "reason": shop._etsy_redact(self._reason(exc)),
            "attempts": attempts,
            "next_retry_at": fields.Datetime.now()
            + min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX),
            "payload": {k: v for k, v in receipt.items() if k not in PAYLOAD_DROPPED_KEYS},
        }
        if issue:
            issue.write(values)
            return issue
        return self.create({"shop_id": shop.id, "etsy_receipt_id": receipt_id, **values})

    @api.model
    def _reason(self, exc):
        if isinstance(exc, EtsyError):
            return exc.user_message
        return str(exc) or type(exc).__name__

    @api.model
    def _resolve(self, shop, receipt_id, order):
        issue = self.search(
            [
                ("shop_id", "=", shop.id),
                ("etsy_receipt_id", "=", str(receipt_id)),
                ("state", "=", "pending"),
            ]
        )
        if issue:
            issue.write({"state": "resolved", "sale_order_id": order.id if order else False})

    @api.model
    def _retry_due(self, shop, client, log):
        """Re-fetch and re-import the receipts whose backoff has elapsed."""
        due = self.search(
            [
                ("shop_id", "=", shop.id),
                ("state", "=", "pending"),
                ("next_retry_at", "<=", fields.Datetime.now()),
            ],
            order="next_retry_at",
            limit=RETRIES_PER_RUN,
        )
        for issue in due:
            receipt = client.get_shop_receipt(shop.etsy_shop_id, issue.etsy_receipt_id)
            shop._etsy_import_one(receipt, log)

    def action_retry(self):
        """'Retry' button: fetch each receipt again from Etsy and import it now."""
        imported = 0
        for issue in self.filtered(lambda i: i.state == "pending"):
            order, _log = issue.shop_id.import_receipt_by_id(issue.etsy_receipt_id)
            imported += bool(order)
        failed = len(self) - imported
        return self.env["etsy.shop"]._etsy_notification(
            _(
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
            raise UserError(_("This receipt has not been imported yet."))
        return self.sale_order_id.get_formview_action()
