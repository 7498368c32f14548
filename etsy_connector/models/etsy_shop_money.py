"""etsy.shop: money settings (VAT, invoices), the shop's Etsy journal and the ledger figures.

The Etsy journal ("Etsy Payments — <shop>") is a bank journal in the shop's currency whose
account plays the seller's Etsy Payment Account. Invoice payments go through it to the shop's
"sales awaiting Etsy's posting" account (its outstanding receipts account); when Etsy posts the
sale to the ledger, the ledger run moves it onto the Etsy Payment Account and reconciles the two.
So the journal's account always holds exactly what Etsy's ledger says, and the outstanding
account what buyers paid that Etsy has not posted yet.
"""

from odoo import api, fields, models

from ..const import INVOICE_POLICIES, VAT_POLICIES
from .etsy_money import EtsyBooks
from .etsy_run import check_may_run, notification, notify_log, run_flow
from .flow_ledger import LedgerSync


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    vat_policy = fields.Selection(
        VAT_POLICIES, string="VAT", required=True, default="etsy_collects",
        help="Etsy collects: the VAT Etsy shows (UK, EU, Norway, Australia...) is Etsy's to "
             "remit, kept out of the order total and stored on the order. I charge it: mapped "
             "to the Odoo sales tax of the same rate.")
    invoice_policy = fields.Selection(
        INVOICE_POLICIES, string="Invoices", required=True, default="none",
        help="Invoices are created, posted and paid through the shop's Etsy journal by the "
             "order sync; Etsy refunds become credit notes.")
    payment_journal_id = fields.Many2one(
        "account.journal", string="Etsy journal", check_company=True, copy=False,
        domain="[('type', '=', 'bank')]",
        help="Bank journal playing the shop's Etsy Payment Account (created on connection).")
    etsy_pending_account_id = fields.Many2one(
        "account.account", string="Sales awaiting Etsy's posting", copy=False,
        check_company=True, help="Invoice payments wait here until Etsy posts the sale.")
    ledger_suspense_account_id = fields.Many2one(
        "account.account", string="Ledger suspense account", copy=False, check_company=True,
        help="Entries of a ledger type the account map does not know are booked here.")
    ledger_entry_ids = fields.One2many("etsy.ledger.entry", "shop_id", readonly=True)
    # The ledger figures are computed from the books and the recorded entries: the ledger flow
    # never writes the shop row (two flows must not write the same row, defect 11.4).
    ledger_currency_id = fields.Many2one(
        "res.currency", compute="_compute_ledger_figures",
        help="Etsy's amounts are in the shop's currency.")
    ledger_etsy_balance = fields.Monetary(
        string="Etsy balance", currency_field="ledger_currency_id",
        compute="_compute_ledger_figures", help="Balance of Etsy's latest ledger entry.")
    ledger_journal_balance = fields.Monetary(
        string="Etsy journal balance", currency_field="ledger_currency_id",
        compute="_compute_ledger_figures",
        help="Balance of the Etsy journal's account, in the shop's currency.")
    ledger_pending_amount = fields.Monetary(
        string="Paid, not posted by Etsy yet", currency_field="ledger_currency_id",
        compute="_compute_ledger_figures",
        help="Invoice payments of sales Etsy has not posted to the ledger yet: they wait on "
             "the account of sales awaiting Etsy's posting, not in the journal's balance.")
    ledger_pending_count = fields.Integer(string="Sales not posted yet",
                                          compute="_compute_ledger_figures")
    ledger_difference = fields.Monetary(
        currency_field="ledger_currency_id", compute="_compute_ledger_figures",
        help="Etsy journal balance less Etsy's balance: anything but zero needs a person.")
    ledger_to_check_count = fields.Integer(compute="_compute_ledger_figures")
    ledger_needs_attention = fields.Boolean(compute="_compute_ledger_figures")
    ledger_attention_reason = fields.Text(compute="_compute_ledger_figures")

    @api.depends("currency_id", "company_id", "payment_journal_id")
    def _compute_ledger_figures(self):
        Entry = self.env["etsy.ledger.entry"].sudo()
        for shop in self:
            shop.ledger_currency_id = shop.currency_id or shop.company_id.currency_id
            figures = (EtsyBooks(self.env, shop).figures() if shop.payment_journal_id
                       and shop.etsy_pending_account_id else {})
            unknown = Entry._read_group([("shop_id", "=", shop.id), ("state", "=", "suspense")],
                                        ["ledger_type"], ["__count"])
            to_check = Entry.search_count([("shop_id", "=", shop.id),
                                           ("state", "in", ("to_check", "suspense"))])
            shop.ledger_etsy_balance = figures.get("etsy", 0.0)
            shop.ledger_journal_balance = figures.get("journal", 0.0)
            shop.ledger_pending_amount = figures.get("pending", 0.0)
            shop.ledger_pending_count = figures.get("pending_count", 0)
            shop.ledger_difference = figures.get("difference", 0.0)
            shop.ledger_to_check_count = to_check
            reasons = [self.env._(
                "Etsy ledger type %(type)s (%(count)s entries) is not in the account map: its "
                "entries are on the suspense account %(account)s. Map it (Etsy > Configuration "
                "> Ledger accounts), then press 'Rebook suspense entries'.",
                type=ledger_type, count=count,
                account=shop.ledger_suspense_account_id.display_name)
                for ledger_type, count in unknown]
            if figures and not shop.ledger_currency_id.is_zero(figures["difference"]):
                reasons.append(self.env._(
                    "The Etsy journal holds %(journal)s but Etsy's ledger says %(etsy)s: check "
                    "the entries to check and any manual entry in the Etsy journal.", **figures))
            shop.ledger_needs_attention = bool(reasons)
            shop.ledger_attention_reason = "\n".join(reasons) or False

    # === ENTRY POINTS === #

    def _sync_etsy_ledger(self, trigger="cron"):
        """Read and book the shop's new Etsy Payment Account entries; returns the run's log."""
        return run_flow(self, LedgerSync, trigger)[0]

    def action_sync_ledger(self):
        """'Sync Etsy ledger' button."""
        self.ensure_one()
        return notify_log(self._sync_etsy_ledger(trigger="manual"))

    def action_rebook_suspense(self):
        """Move the suspense entries whose ledger type is now mapped to their account."""
        self.ensure_one()
        check_may_run(self)
        count = EtsyBooks(self.env, self.sudo()).rebook_suspense()
        return notification(self.env._("%s suspense entries rebooked.", count), "success",
                            {"type": "ir.actions.client", "tag": "soft_reload"})
