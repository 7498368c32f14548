"""Map one Etsy receipt (a dict shaped like Etsy's ShopReceipt) onto Odoo sale orders.

ORM side of the order flow: the shop's sync loop (etsy_shop_orders.py) fetches receipts and calls
`_import_receipt` once per receipt inside a savepoint; everything here works on one receipt.
"""

from decimal import Decimal

from odoo import Command, _, api, models
from odoo.tools import float_compare

from ..etsy.money import epoch_to_datetime, money_to_decimal
from .etsy_binding import property_key

ZERO = Decimal(0)


class RunCache(dict):
    """Lookups that stay true for a whole sync run (currencies, countries, products by SKU...).

    The sync clears it when a receipt's savepoint rolls back: a record created there is gone.
    """

    def fetch(self, key, compute):
        if key not in self:
            self[key] = compute()
        return self[key]


class EtsyOrderImporter(models.AbstractModel):
    _name = "etsy.order.importer"
    _description = "Etsy receipt to sale order mapping"

    # === ENTRY POINT === #

    @api.model
    def _import_receipt(self, shop, receipt, cache=None):
        """Create or update the sale order of `receipt`.

        :param cache: a RunCache shared by the receipts of one run (None: a fresh one).
        :return: ('created'|'updated'|'unchanged', order)
        """
        cache = RunCache() if cache is None else cache
        order = self.env["sale.order"].search([
            ("etsy_shop_id", "=", shop.id), ("etsy_receipt_id", "=", str(receipt["receipt_id"])),
        ], limit=1)
        if order:
            changed = self._update_order(shop, order, receipt)
            return ("updated" if changed else "unchanged"), order
        return "created", self._create_order(shop, receipt, cache)

    # === CREATION === #

    def _create_order(self, shop, receipt, cache):
        attention = []
        buyer, shipping = self._buyer_and_shipping_partners(receipt, attention, cache)
        currency = self._receipt_currency(receipt, cache)
        taxes = self._receipt_taxes(shop, receipt, attention, cache)
        lines = [self._transaction_line(shop, tx, taxes, attention, cache)
                 for tx in receipt.get("transactions") or []]
        lines += self._extra_lines(shop, receipt, taxes)
        amounts = self._receipt_amounts(receipt)
        order = self.env["sale.order"].with_company(shop.company_id).create({
            "company_id": shop.company_id.id,
            "partner_id": buyer.id,
            "partner_invoice_id": buyer.id,
            "partner_shipping_id": shipping.id,
            "pricelist_id": cache.fetch(("pricelist", currency.id),
                                        lambda: shop._etsy_pricelist(currency)).id,
            "fiscal_position_id": False,
            "warehouse_id": shop.warehouse_id.id,
            "team_id": shop.team_id.id,
            "user_id": shop.user_id.id,
            "date_order": self._receipt_date(receipt),
            "client_order_ref": str(receipt["receipt_id"]),
            "origin": _("Etsy receipt %s", receipt["receipt_id"]),
            "etsy_shop_id": shop.id,
            "etsy_receipt_id": str(receipt["receipt_id"]),
            "etsy_status": self._receipt_status(receipt),
            "etsy_is_shipped": bool(receipt.get("is_shipped")),
            "etsy_updated_at": self._receipt_updated_at(receipt),
            "etsy_grand_total": float(amounts["grandtotal"]),
            "etsy_sales_tax": float(amounts["sales_tax"]),
            "etsy_buyer_message": receipt.get("message_from_buyer") or False,
            "etsy_gift_message": self._gift_message(receipt),
            "etsy_is_gift": bool(receipt.get("is_gift")),
            "order_line": [Command.create(vals) for vals in lines],
        })
        self._check_totals(shop, order, receipt, attention)
        if attention:
            order._etsy_flag("\n".join(attention))
        self._apply_status(shop, order, receipt)
        order._etsy_note_refunds(receipt.get("refunds") or [], float(amounts["refunds"]),
                                 currency.name)
        # The Discord announcement is queued in this same transaction (see the outbox model).
        self.env["etsy.discord.message"]._enqueue_new_order(shop, order, receipt)
        return order

    def _receipt_status(self, receipt):
        # Etsy has sent both "fully refunded" and "Fully Refunded": compare in lower case.
        return (receipt.get("status") or "").strip().lower()

    def _receipt_date(self, receipt):
        return epoch_to_datetime(receipt.get("created_timestamp") or receipt["create_timestamp"])

    def _receipt_updated_at(self, receipt):
        stamp = receipt.get("updated_timestamp") or receipt.get("update_timestamp")
        return epoch_to_datetime(stamp) if stamp else False

    def _gift_message(self, receipt):
        message = receipt.get("gift_message") or ""
        sender = receipt.get("gift_sender") or ""
        if sender and message:
            return f"{message}\n— {sender}"
        return message or False

    # === PARTNERS === #

    def _buyer_and_shipping_partners(self, receipt, attention, cache):
        Partner = self.env["res.partner"]
        buyer_id = str(receipt.get("buyer_user_id") or "")
        email = (receipt.get("buyer_email") or "").strip()
        buyer = Partner
        if buyer_id:
            buyer = Partner.search([("etsy_buyer_user_id", "=", buyer_id)], limit=1)
        if not buyer and email:
            buyer = Partner.search([("email", "=ilike", email), ("parent_id", "=", False)], limit=1)
            if buyer and buyer_id and not buyer.etsy_buyer_user_id:
                buyer.etsy_buyer_user_id = buyer_id
        address = self._address_values(receipt, attention, cache)
        if not buyer:
            buyer = Partner.create({
                "name": receipt.get("name") or _("Etsy buyer %s", buyer_id or "?"),
                "email": email or False,
                "etsy_buyer_user_id": buyer_id or False,
                "customer_rank": 1,
                **address,
            })
        return buyer, self._shipping_partner(buyer, receipt, address)

    def _address_values(self, receipt, attention, cache):
        code = (receipt.get("country_iso") or "").strip().upper()
        country = cache.fetch(("country", code), lambda: self.env["res.country"].search(
            [("code", "=", code)], limit=1) if code else self.env["res.country"])
        state_value = (receipt.get("state") or "").strip()
        state = cache.fetch(("state", country.id, state_value),
                            lambda: self._find_state(country, state_value))
        if not (receipt.get("first_line") and country):
            attention.append(_("The shipping address is incomplete on Etsy (Etsy restricts "
                               "addresses in some regions): check it before shipping."))
        return {
            "street": receipt.get("first_line") or False,
            "street2": receipt.get("second_line") or False,
            "city": receipt.get("city") or False,
            "zip": receipt.get("zip") or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
        }

    def _find_state(self, country, value):
        value = (value or "").strip()
        if not (country and value):
            return self.env["res.country.state"]
        State = self.env["res.country.state"]
        domain = [("country_id", "=", country.id)]
        return (State.search(domain + [("code", "=ilike", value)], limit=1)
                or State.search(domain + [("name", "=ilike", value)], limit=1))

    def _shipping_partner(self, buyer, receipt, address):
        if not any(address.values()):
            return buyer
        name = receipt.get("name") or buyer.name
        same = [("parent_id", "=", buyer.id), ("type", "=", "delivery"), ("name", "=", name)]
        same += [(key, "=", value) for key, value in address.items()]
        existing = self.env["res.partner"].search(same, limit=1)
        if existing:
            return existing
        return self.env["res.partner"].create(
            {"parent_id": buyer.id, "type": "delivery", "name": name, **address})

    # === MONEY, CURRENCY, TAXES === #

    def _receipt_amounts(self, receipt):
        def amount(key):
            value = receipt.get(key)
            return money_to_decimal(value) if value else ZERO

        return {
            "grandtotal": amount("grandtotal"),
            "total_price": amount("total_price"),
            "shipping": amount("total_shipping_cost"),
            "sales_tax": amount("total_tax_cost"),
            "vat": amount("total_vat_cost"),
            "discount": amount("discount_amt"),
            "gift_wrap": amount("gift_wrap_price"),
            "refunds": sum((money_to_decimal(r["amount"]) for r in receipt.get("refunds") or []),
                           ZERO),
        }

    def _receipt_currency(self, receipt, cache):
        code = (receipt.get("grandtotal") or {}).get("currency_code") or ""
        return cache.fetch(("currency", code), lambda: self._find_currency(code))

    def _find_currency(self, code):
        currency = self.env["res.currency"].with_context(active_test=False).search(
            [("name", "=", code.upper())], limit=1)
        if not currency:
            raise ValueError(_("Unknown currency %r on the Etsy receipt.", code))
        if not currency.active:
            currency.active = True
        return currency

    def _receipt_taxes(self, shop, receipt, attention, cache):
        """Odoo taxes for the receipt's lines: the VAT the seller charged, mapped by rate."""
        amounts = self._receipt_amounts(receipt)
        if not amounts["vat"]:
            return self.env["account.tax"]
        base = amounts["total_price"] - amounts["discount"] + amounts["shipping"]
        base += amounts["gift_wrap"]
        if base <= 0:
            return self.env["account.tax"]
        # Etsy rounds the VAT to the cent: any rate that rounds to the same cents fits.
        cent = Decimal("0.005")
        low, high = ((amounts["vat"] + delta) * 100 / base for delta in (-cent, cent))
        rate = float((amounts["vat"] * 100 / base).quantize(Decimal("0.01")))
        tax = cache.fetch(("vat", rate), lambda: shop._etsy_vat_tax(float(low), float(high), rate))
        if not tax:
            # Etsy's rounding makes 24 % look like 24.01 %: people think in tenths.
            attention.append(_("No Odoo sales tax of %(rate)s %% to record the VAT Etsy shows "
                               "(%(vat)s): create one (price excluded), then fix this order's "
                               "lines; they were imported without VAT.",
                               rate=f"{round(rate, 1):g}", vat=amounts["vat"]))
        return tax

    def _check_totals(self, shop, order, receipt, attention):
        amounts = self._receipt_amounts(receipt)
        expected = amounts["grandtotal"]
        if shop.sales_tax_policy == "exclude":
            expected -= amounts["sales_tax"]
        difference = float(expected) - order.amount_total
        if float_compare(difference, 0.0, precision_rounding=order.currency_id.rounding):
            attention.append(_(
                "Totals differ: Etsy %(etsy)s, Odoo %(odoo)s (difference %(diff)s %(currency)s).",
                etsy=expected, odoo=order.amount_total, diff=round(difference, 2),
                currency=order.currency_id.name,
            ))

    # === LINES === #

    def _transaction_line(self, shop, tx, taxes, attention, cache):
        key = ("product", tx.get("product_id"), (tx.get("sku") or "").strip())
        product, unmatched = cache.fetch(key, lambda: self._transaction_product(shop, tx))
        if unmatched:
            attention.append(_("No Odoo product for Etsy item %(title)s (SKU %(sku)s): "
                               "link it, then fix the order line.",
                               title=tx.get("title") or tx.get("listing_id"),
                               sku=tx.get("sku") or "-"))
        return {
            "product_id": product.id,
            "name": self._transaction_description(tx),
            "product_uom_qty": tx.get("quantity") or 1,
            "price_unit": float(money_to_decimal(tx["price"])),
            "tax_id": [Command.set(taxes.ids)],
            "etsy_shop_id": shop.id,
            "etsy_transaction_id": str(tx["transaction_id"]),
            "etsy_listing_id": str(tx.get("listing_id") or "") or False,
            "etsy_product_id": str(tx.get("product_id") or "") or False,
            "etsy_unmatched": unmatched,
        }

    def _transaction_product(self, shop, tx):
        """Binding first, then SKU, else the shop's placeholder (flagged for linking)."""
        binding = self._transaction_binding(shop, tx)
        if binding:
            return binding.product_id, False
        sku = (tx.get("sku") or "").strip()
        if sku:
            product = self.env["product.product"].search([
                ("default_code", "=", sku), ("company_id", "in", [False, shop.company_id.id]),
            ], limit=1)
            if product:
                return product, False
        return shop.placeholder_product_id, True

    def _transaction_binding(self, shop, tx):
        """The linked Etsy product binding of a transaction.

        By Etsy product id, else by listing + variation: Etsy gives a listing's products new ids
        at every inventory update, so a sale made before a stock push carries an id the binding
        no longer has.
        """
        Binding = self.env["etsy.product"]
        linked = [("shop_id", "=", shop.id), ("product_id", "!=", False)]
        if tx.get("product_id"):
            binding = Binding.search(
                linked + [("etsy_product_id", "=", str(tx["product_id"]))], limit=1)
            if binding:
                return binding
        if not tx.get("listing_id"):
            return Binding
        return Binding.search(linked + [
            ("listing_id.etsy_listing_id", "=", str(tx["listing_id"])),
            ("property_key", "=", property_key({"property_values": tx.get("product_data")})),
        ], limit=1)

    def _transaction_description(self, tx):
        lines = [tx.get("title") or _("Etsy item")]
        for variation in tx.get("variations") or []:
            name = variation.get("formatted_name") or ""
            value = variation.get("formatted_value") or ""
            lines.append(f"{name}: {value}" if name else value)
        if tx.get("sku"):
            lines.append(_("SKU: %s", tx["sku"]))
        return "\n".join(line for line in lines if line)

    def _extra_lines(self, shop, receipt, taxes):
        """Shipping, gift wrap, discount and (by policy) the sales tax Etsy collected."""
        amounts = self._receipt_amounts(receipt)
        extras = [
            (shop.shipping_product_id, amounts["shipping"], _("Shipping (Etsy)"), taxes),
            (shop.gift_wrap_product_id, amounts["gift_wrap"], _("Gift wrap (Etsy)"), taxes),
            (shop.discount_product_id, -amounts["discount"], _("Coupon discount (Etsy)"), taxes),
        ]
        if shop.sales_tax_policy == "line":
            extras.append((shop.sales_tax_product_id, amounts["sales_tax"],
                           _("Sales tax collected by Etsy"), self.env["account.tax"]))
        return [{
            "product_id": product.id,
            "name": name,
            "product_uom_qty": 1,
            "price_unit": float(amount),
            "tax_id": [Command.set(line_taxes.ids)],
            "etsy_shop_id": shop.id,
        } for product, amount, name, line_taxes in extras if amount]

    # === STATUS === #

    def _apply_status(self, shop, order, receipt):
        """Confirm paid orders per shop policy; cancel cancelled ones. Returns True if changed."""
        status = self._receipt_status(receipt)
        if status == "canceled":
            return order._etsy_cancel_from_etsy()
        if order.state == "draft" and shop.auto_confirm and receipt.get("is_paid"):
            date_order = order.date_order
            order.action_confirm()
            # action_confirm stamps date_order with now; Etsy's date is the real one.
            order.date_order = date_order
            return True
        return False

    def _update_order(self, shop, order, receipt):
        """Bring a known order in step with Etsy. Returns True if anything changed."""
        amounts = self._receipt_amounts(receipt)
        changed = self._apply_status(shop, order, receipt)
        changed |= order._etsy_note_refunds(receipt.get("refunds") or [],
                                            float(amounts["refunds"]), order.currency_id.name)
        values = {
            "etsy_status": self._receipt_status(receipt),
            "etsy_is_shipped": bool(receipt.get("is_shipped")),
            "etsy_updated_at": self._receipt_updated_at(receipt),
        }
        dirty = {key: value for key, value in values.items() if order[key] != value}
        if dirty:
            order.write(dirty)
            changed = True
        return changed
