"""The ORM side of the order import: Etsy receipts (`etsy.receipt.Receipt`) -> sale orders.

`OrderWriter` serves one run of the order flow. For a batch of receipts it first resolves, in a
few queries, everything the batch refers to (`order_lookups.BatchLookups`); then it writes one
receipt at a time, each in the flow's savepoint. Lookups never write: a currency is activated,
a buyer linked to their Etsy id and a pricelist created in the write step only. Notes for a
person are returned, not collected in shared state.
"""

from odoo import Command
from odoo.tools import float_compare

from ..const import CLOSED_PICKING_STATES
from .etsy_binding import property_key
from .etsy_invoicing import EtsyInvoicing
from .order_lookups import BatchLookups, delivery_key


class OrderWriter:
    """Resolves and writes the orders of one run of the order flow (`flow_orders.OrderImport`)."""

    def __init__(self, flow):
        self.flow = flow
        self.env = flow.env
        self.shop = flow.shop
        # Lookups of records this run never creates (countries, currencies, taxes): they stay
        # true when a receipt's savepoint rolls back, unlike `flow.cache`.
        self.lasting = {}

    def _lasting(self, key, compute):
        if key not in self.lasting:
            self.lasting[key] = compute()
        return self.lasting[key]

    def lookups(self, receipts):
        """The batch's lookups (read again after a rollback emptied the flow's cache)."""
        ids = tuple(receipt.receipt_id for receipt in receipts)
        batch_ids, lookups = self.flow.cache.get("batch", ((), None))
        if batch_ids != ids:
            lookups = BatchLookups(self, receipts)
            self.flow.cache["batch"] = (ids, lookups)
        return lookups

    # === ONE RECEIPT === #

    def write_receipt(self, receipt, lookups):
        """Create or update the order of `receipt`: ``(outcome, order)``, outcome one of
        ``created``, ``updated``, ``unchanged``."""
        order = lookups.orders.get(receipt.receipt_id)
        if order:
            outcome = "updated" if self.update(order, receipt) else "unchanged"
        else:
            order, outcome = self.create_order(receipt, lookups), "created"
            lookups.orders[receipt.receipt_id] = order
        # Invoices per the shop's policy, paid through its Etsy journal (idempotent).
        EtsyInvoicing(self.env, self.shop).sync_order(order, receipt.raw)
        return outcome, order

    def create_order(self, receipt, lookups):
        shop = self.shop
        currency = self._currency(receipt.currency)
        buyer, buyer_values = self._buyer(receipt, lookups)
        address, notes = self._address(receipt)
        taxes, tax_notes = self._vat_tax(receipt)
        lines, line_notes = self._transaction_lines(receipt, taxes, lookups)
        notes += tax_notes + line_notes
        # --- writes from here on --- #
        if not currency.active:
            currency.sudo().active = True  # Etsy sells in it: Odoo must be able to record it
        buyer = self._write_buyer(buyer, buyer_values, address, lookups)
        shipping = self._delivery_partner(buyer, receipt, address, lookups)
        order = self.env["sale.order"].with_company(shop.company_id).create({
            "company_id": shop.company_id.id,
            "partner_id": buyer.id,
            "partner_invoice_id": buyer.id,
            "partner_shipping_id": shipping.id,
            "pricelist_id": self._pricelist(currency).id,
            "fiscal_position_id": False,
            "warehouse_id": shop.warehouse_id.id,
            "team_id": shop.team_id.id,
            "user_id": shop.user_id.id,
            # Kept when the order is confirmed (see sale.order._prepare_confirmation_values).
            "date_order": receipt.created_at,
            "client_order_ref": receipt.receipt_id,
            "origin": self.env._("Etsy receipt %s", receipt.receipt_id),
            "etsy_shop_id": shop.id,
            "etsy_receipt_id": receipt.receipt_id,
            "etsy_status": receipt.status,
            "etsy_is_shipped": receipt.is_shipped,
            "etsy_updated_at": receipt.updated_at or False,
            "etsy_grand_total": float(receipt.grandtotal),
            "etsy_sales_tax": float(receipt.sales_tax),
            "etsy_vat_amount": float(receipt.vat),
            "etsy_buyer_message": receipt.message_from_buyer or False,
            "etsy_gift_message": receipt.gift_message or False,
            "etsy_is_gift": receipt.is_gift,
            "order_line": [Command.create(values)
                           for values in lines + self._extra_lines(receipt, taxes)],
        })
        notes += self._total_notes(order, receipt)
        if notes:
            order._etsy_flag("\n".join(notes))
        self.apply_status(order, receipt)
        order._etsy_note_refunds(receipt.refund_list, float(receipt.refunds))
        # The Discord announcement is queued in this same transaction (see the outbox model).
        self.env["etsy.discord.message"]._enqueue_new_order(shop, order, receipt.raw)
        return order

    def update(self, order, receipt):
        """Bring a known order in step with Etsy. Returns True if anything changed."""
        # Ship-by dates move without Etsy touching the receipt's modified time: compare each.
        changed = order._etsy_update_ship_by(
            {tx.transaction_id: tx.ship_by or False for tx in receipt.transactions})
        changed |= self.apply_status(order, receipt)
        changed |= order._etsy_note_refunds(receipt.refund_list, float(receipt.refunds))
        values = {"etsy_status": receipt.status, "etsy_is_shipped": receipt.is_shipped,
                  "etsy_updated_at": receipt.updated_at or False}
        dirty = {key: value for key, value in values.items() if order[key] != value}
        if dirty:
            order.write(dirty)
        return changed or bool(dirty)

    # === STATUS === #

    def apply_status(self, order, receipt):
        """Cancel what Etsy cancelled; confirm paid orders per shop policy. True if changed.

        A receipt refunded in full before anything shipped is a sale that did not happen: it is
        cancelled, not confirmed.
        """
        if receipt.is_canceled:
            return order._etsy_cancel_from_etsy(
                self.env._("Cancelled because the receipt was cancelled on Etsy."))
        if receipt.is_fully_refunded and not receipt.is_shipped:
            return order._etsy_cancel_from_etsy(self.env._(
                "Cancelled because Etsy refunded the receipt in full before it shipped."))
        if not (order.state == "draft" and self.shop.auto_confirm and receipt.is_paid):
            return False
        policy = self.shop.shipped_receipt_policy
        if receipt.is_shipped and policy == "none":
            # The goods left before Odoo heard of the order: no delivery to create.
            order.with_context(skip_procurement=True).action_confirm()
            order._etsy_note_shipped_before_import(policy)
            return True
        order.action_confirm()
        if receipt.is_shipped:
            self._validate_shipped_deliveries(order)
            order._etsy_note_shipped_before_import(policy)
        return True

    def _validate_shipped_deliveries(self, order):
        """Etsy says the goods left: the order's open transfers are done as ordered."""
        pickings = order.picking_ids.filtered(
            lambda p: p.state not in CLOSED_PICKING_STATES).sorted("id")
        for picking in pickings:
            for move in picking.move_ids.filtered(lambda m: m.state not in CLOSED_PICKING_STATES):
                move.quantity = move.product_uom_qty
                move.picked = True
            picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        # Etsy already knows: validating queued a shipping notice there is no need to send.
        pickings.filtered(lambda p: p.etsy_push_state == "to_push").write({
            "etsy_push_state": "skipped",
            "etsy_push_message": self.env._(
                "Shipped on Etsy before the order was imported: no shipping notice to send."),
        })

    # === PARTNERS === #

    def _buyer(self, receipt, lookups):
        """The known buyer (by Etsy user id, else e-mail) and the values a new one would get."""
        buyer = lookups.buyers_by_etsy_id.get(receipt.buyer_user_id) if receipt.buyer_user_id \
            else None
        if not buyer and receipt.buyer_email:
            buyer = lookups.buyers_by_email.get(receipt.buyer_email.lower())
        return buyer, {
            "name": receipt.address.name
            or self.env._("Etsy buyer %s", receipt.buyer_user_id or "?"),
            "email": receipt.buyer_email or False,
            "etsy_buyer_user_id": receipt.buyer_user_id or False,
            "customer_rank": 1,
        }

    def _write_buyer(self, buyer, values, address, lookups):
        if buyer:
            if values["etsy_buyer_user_id"] and not buyer.etsy_buyer_user_id:
                buyer.etsy_buyer_user_id = values["etsy_buyer_user_id"]
                lookups.buyers_by_etsy_id[values["etsy_buyer_user_id"]] = buyer
            return buyer
        buyer = self.env["res.partner"].create({**values, **address})
        if values["etsy_buyer_user_id"]:
            lookups.buyers_by_etsy_id[values["etsy_buyer_user_id"]] = buyer
        if values["email"]:
            lookups.buyers_by_email.setdefault(values["email"].lower(), buyer)
        return buyer

    def _address(self, receipt):
        """``(partner address values, notes)`` for the receipt's shipping address."""
        address = receipt.address
        country = self._country(address.country_code)
        state = self._state(country, address.state)
        notes = []
        if not (address.street and country):
            notes.append(self.env._("The shipping address is incomplete on Etsy (Etsy restricts "
                                    "addresses in some regions): check it before shipping."))
        return {
            "street": address.street or False,
            "street2": address.street2 or False,
            "city": address.city or False,
            "zip": address.zip or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
        }, notes

    def _country(self, code):
        Country = self.env["res.country"]
        return self._lasting(("country", code), lambda: Country.search(
            [("code", "=", code)], limit=1) if code else Country)

    def _state(self, country, value):
        State = self.env["res.country.state"]
        if not (country and value):
            return State

        def find():
            domain = [("country_id", "=", country.id)]
            return (State.search(domain + [("code", "=ilike", value)], limit=1)
                    or State.search(domain + [("name", "=ilike", value)], limit=1))

        return self._lasting(("state", country.id, value), find)

    def _delivery_partner(self, buyer, receipt, address, lookups):
        if not any(address.values()):
            return buyer
        name = receipt.address.name or buyer.name
        key = delivery_key(buyer.id, name, address)
        partner = lookups.deliveries.get(key)
        if not partner:
            partner = lookups.deliveries[key] = self.env["res.partner"].create(
                {"parent_id": buyer.id, "type": "delivery", "name": name, **address})
        return partner

    # === MONEY, CURRENCY, TAXES === #

    def _currency(self, code):
        def find():
            currency = self.env["res.currency"].with_context(active_test=False).search(
                [("name", "=", code)], limit=1)
            if not currency:
                raise ValueError(self.env._("Unknown currency %r on the Etsy receipt.", code))
            return currency

        return self._lasting(("currency", code), find)

    def _pricelist(self, currency):
        """The shop company's 'Etsy <CUR>' pricelist, created on first use."""
        def find_or_create():
            Pricelist = self.env["product.pricelist"].sudo()
            company = self.shop.company_id
            name = f"Etsy {currency.name}"
            pricelist = Pricelist.search([("currency_id", "=", currency.id),
                                          ("company_id", "in", [company.id, False]),
                                          ("name", "=", name)], limit=1)
            return pricelist or Pricelist.create(
                {"name": name, "currency_id": currency.id, "company_id": company.id})

        # In the flow's cache: a pricelist created by a rolled-back receipt is gone.
        return self.flow.cache.fetch(("pricelist", currency.id), find_or_create)

    def _vat_tax(self, receipt):
        """``(taxes, notes)``: the Odoo tax recording the VAT the seller charged, by rate.

        None when Etsy collects the VAT itself (the shop's VAT policy): like the US sales tax,
        it is then neither the seller's revenue nor the seller's tax (kept on the order).
        """
        Tax = self.env["account.tax"]
        rates = receipt.vat_rate()
        if not rates or self.shop.vat_policy == "etsy_collects":
            return Tax, []
        low, high, rate = rates
        tax = self._lasting(("vat", rate), lambda: Tax.search([
            ("company_id", "=", self.shop.company_id.id),
            ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"),
            ("price_include", "=", False),
            ("amount", ">=", float(low) - 0.01),
            ("amount", "<=", float(high) + 0.01),
        ]).sorted(lambda t: abs(t.amount - float(rate)))[:1])
        if tax:
            return tax, []
        # Etsy's rounding makes 24 % look like 24.01 %: people think in tenths. (Computed
        # outside the call: the .pot extractor cannot read a call inside an f-string there.)
        tenths = f"{round(float(rate), 1):g}"
        return Tax, [self.env._(
            "No Odoo sales tax of %(rate)s %% to record the VAT Etsy shows (%(vat)s): create one "
            "(price excluded), then fix this order's lines; they were imported without VAT.",
            rate=tenths, vat=receipt.vat)]

    def _total_notes(self, order, receipt):
        expected = receipt.expected_total(self.shop.sales_tax_policy == "line",
                                          vat_kept_by_etsy=self.shop.vat_policy == "etsy_collects")
        difference = float(expected) - order.amount_total
        if not float_compare(difference, 0.0, precision_rounding=order.currency_id.rounding):
            return []
        return [self.env._(
            "Totals differ: Etsy %(etsy)s, Odoo %(odoo)s (difference %(diff)s %(currency)s).",
            etsy=expected, odoo=order.amount_total, diff=round(difference, 2),
            currency=order.currency_id.name)]

    # === LINES === #

    def _transaction_lines(self, receipt, taxes, lookups):
        lines, notes = [], []
        for tx in receipt.transactions:
            product, unmatched = self._transaction_product(tx, lookups)
            note = unmatched and self.env._(
                "No Odoo product for Etsy item %(title)s (SKU %(sku)s): link it under Etsy > "
                "Listings > To Link; the order line then gets the product.",
                title=tx.title or tx.listing_id, sku=tx.sku or "-")
            if note:
                notes.append(note)
            lines.append({
                "product_id": product.id,
                "name": self._transaction_description(tx),
                "product_uom_qty": tx.quantity,
                "price_unit": float(tx.price),
                "tax_id": [Command.set(taxes.ids)],
                "etsy_shop_id": self.shop.id,
                "etsy_transaction_id": tx.transaction_id,
                "etsy_listing_id": tx.listing_id or False,
                "etsy_product_id": tx.product_id or False,
                "etsy_unmatched": unmatched,
                "etsy_unmatched_note": note or False,
                "etsy_sku": tx.sku or False,
                "etsy_variation_key": property_key({"property_values": list(tx.property_values)}),
                "etsy_is_digital": tx.is_digital,
                "etsy_ship_by": tx.ship_by or False,
            })
        return lines, notes

    def _transaction_product(self, tx, lookups):
        """Binding first, then SKU, else the shop's placeholder (flagged for linking).

        The binding by Etsy product id, else by listing + variation: Etsy gives a listing's
        products new ids at every inventory update, so a sale made before a stock push carries
        an id the binding no longer has.
        """
        binding = tx.product_id and lookups.bindings_by_product.get(tx.product_id)
        if not binding and tx.listing_id:
            key = (tx.listing_id, property_key({"property_values": list(tx.property_values)}))
            binding = lookups.bindings_by_variation.get(key)
        if binding:
            return binding.product_id, False
        product = tx.sku and lookups.products_by_sku.get(tx.sku)
        if product:
            return product, False
        return self.shop.placeholder_product_id, True

    def _transaction_description(self, tx):
        lines = [tx.title or self.env._("Etsy item")]
        lines += [f"{name}: {value}" if name else value for name, value in tx.variations]
        if tx.sku:
            lines.append(self.env._("SKU: %s", tx.sku))
        return "\n".join(line for line in lines if line)

    def _extra_lines(self, receipt, taxes):
        """Shipping, gift wrap, discount and (by policy) the sales tax Etsy collected."""
        shop = self.shop
        extras = [
            (shop.shipping_product_id, receipt.shipping, self.env._("Shipping (Etsy)"), taxes),
            (shop.gift_wrap_product_id, receipt.gift_wrap, self.env._("Gift wrap (Etsy)"), taxes),
            (shop.discount_product_id, -receipt.discount, self.env._("Coupon discount (Etsy)"),
             taxes),
        ]
        if shop.sales_tax_policy == "line":
            extras.append((shop.sales_tax_product_id, receipt.sales_tax,
                           self.env._("Sales tax collected by Etsy"), self.env["account.tax"]))
        return [{
            "product_id": product.id,
            "name": name,
            "product_uom_qty": 1,
            "price_unit": float(amount),
            "tax_id": [Command.set(line_taxes.ids)],
            "etsy_shop_id": shop.id,
        } for product, amount, name, line_taxes in extras if amount]
