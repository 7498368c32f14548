"""Where each kind of Etsy Payment Account entry is booked: an editable map per company.

Etsy publishes no list of ledger types (etsy/open-api #442) and adds new ones: a type the map
does not know is booked on the shop's suspense account and the shop is flagged, never dropped.
A credit that reverses a charge (`transaction_refund`, `listing_credit`...) goes where the
charge went unless the map says otherwise.
"""

from odoo import api, fields, models

ROLES = [
    ("sale", "Sale (matched with the invoice payment)"),
    ("tax", "Taxes Etsy keeps (matched with the invoice payment)"),
    ("fee", "Etsy fee"),
    ("payout", "Payout to your bank"),
]
REVERSAL_SUFFIXES = ("_refund", "_credit", "_reversal")
# (code, name, account type) of the accounts created for the defaults, by key.
DEFAULT_ACCOUNTS = {
    "transaction": ("ETSY611", "Etsy transaction fees", "expense"),
    "processing": ("ETSY612", "Etsy payment processing fees", "expense"),
    "listing": ("ETSY613", "Etsy listing and renewal fees", "expense"),
    "marketing": ("ETSY614", "Etsy advertising fees (Etsy Ads, Offsite Ads)", "expense"),
    "shipping": ("ETSY615", "Etsy shipping labels", "expense"),
    "other": ("ETSY619", "Etsy other fees (regulatory, VAT on fees, subscriptions)", "expense"),
}
DEFAULT_MAP = [
    ("PAYMENT_GROSS", "sale", None),
    ("REFUND_GROSS", "sale", None),
    ("sales_tax", "tax", None),
    ("DISBURSE2", "payout", None),
    ("DISBURSE", "payout", None),
    ("transaction", "fee", "transaction"),
    ("shipping_transaction", "fee", "transaction"),
    ("transaction_quantity", "fee", "transaction"),
    ("PAYMENT_PROCESSING_FEE", "fee", "processing"),
    ("listing", "fee", "listing"),
    ("renew_sold", "fee", "listing"),
    ("renew_sold_auto", "fee", "listing"),
    ("renew_expired", "fee", "listing"),
    ("auto_renew_expired", "fee", "listing"),
    ("offsite_ads_fee", "fee", "marketing"),
    ("prolist", "fee", "marketing"),
    ("shipping_labels", "fee", "shipping"),
    ("shipping_label", "fee", "shipping"),
    ("vat_seller_services", "fee", "other"),
    ("regulatory_operating_fee", "fee", "other"),
    ("seller_onboarding_fee", "fee", "other"),
]


class EtsyLedgerAccountMap(models.Model):
    _name = "etsy.ledger.account.map"
    _description = "Etsy ledger type to account"
    _order = "company_id, role, ledger_type"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    ledger_type = fields.Char(required=True, help="Etsy's ledger_type, exactly as Etsy sends it.")
    role = fields.Selection(ROLES, required=True, default="fee")
    account_id = fields.Many2one(
        "account.account", check_company=True,
        help="Fees: the expense account. Payouts: the liquidity transfer account your bank "
             "statement is matched with (empty: the company's). Sales and taxes stay on the "
             "shop's account of sales awaiting Etsy's posting, where they meet the invoice "
             "payment.")
    note = fields.Char()

    _sql_constraints = [
        ("type_unique", "unique(company_id, ledger_type)",
         "Each Etsy ledger type is mapped once per company."),
    ]

    @api.model
    def _rule(self, company, ledger_type, rules=None):
        """The map row of `ledger_type` (or of the charge a credit reverses), or an empty one."""
        rules = rules if rules is not None else self._rules(company)
        if ledger_type in rules:
            return rules[ledger_type]
        for suffix in REVERSAL_SUFFIXES:
            if ledger_type.endswith(suffix) and ledger_type[: -len(suffix)] in rules:
                return rules[ledger_type[: -len(suffix)]]
        return self.browse()

    @api.model
    def _rules(self, company):
        """{ledger_type: map row} of `company`."""
        rows = self.sudo().search([("company_id", "=", company.id)])
        return {row.ledger_type: row for row in rows}

    @api.model
    def _ensure_defaults_all(self):
        """On install: the defaults of every company that has a chart of accounts."""
        for company in self.env["res.company"].sudo().search([("chart_template", "!=", False)]):
            self._ensure_defaults(company)

    @api.model
    def _ensure_defaults(self, company):
        """The default accounts and rows of `company` (existing rows are left as edited)."""
        Map = self.sudo()
        existing = Map._rules(company)
        accounts = {}
        Account = Map.env["account.account"].with_company(company)
        for key, (code, name, account_type) in DEFAULT_ACCOUNTS.items():
            account = Account.search([*Account._check_company_domain(company),
                                      ("code", "=", code)], limit=1)
            accounts[key] = account or Account.create({
                "code": code, "name": name, "account_type": account_type,
                "company_ids": [(6, 0, company.ids)]})
        Map.create([{
            "company_id": company.id,
            "ledger_type": ledger_type,
            "role": role,
            "account_id": accounts[key].id if key else False,
        } for ledger_type, role, key in DEFAULT_MAP if ledger_type not in existing])
