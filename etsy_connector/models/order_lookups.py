"""What a batch of Etsy receipts refers to in Odoo, read in a few queries.

The order flow imports receipts in batches (ORDERS_PER_COMMIT); before writing any of them,
`BatchLookups` reads for the whole batch the orders already imported, the buyers (by Etsy user
id, else e-mail), their delivery addresses, the product bindings and the products by SKU. The
writer adds the records it creates, so a returning buyer within one batch is found too; after a
rolled-back receipt the flow's cache (which holds these) is emptied and the batch read again.
"""

from odoo.osv import expression

ADDRESS_FIELDS = ("street", "street2", "city", "zip", "country_id", "state_id")


class BatchLookups:
    """What a batch of receipts refers to, read at once; records created meanwhile are added."""

    def __init__(self, writer, receipts):
        env, shop = writer.env, writer.shop
        self.orders = {order.etsy_receipt_id: order for order in env["sale.order"].search([
            ("etsy_shop_id", "=", shop.id),
            ("etsy_receipt_id", "in", [receipt.receipt_id for receipt in receipts]),
        ])}
        new = [receipt for receipt in receipts if receipt.receipt_id not in self.orders]
        self._read_buyers(env, new)
        self._read_products(env, shop, [tx for receipt in new for tx in receipt.transactions])

    def _read_buyers(self, env, receipts):
        Partner = env["res.partner"]
        etsy_ids = {r.buyer_user_id for r in receipts if r.buyer_user_id}
        self.buyers_by_etsy_id = {}
        if etsy_ids:
            for partner in Partner.search([("etsy_buyer_user_id", "in", list(etsy_ids))]):
                self.buyers_by_etsy_id.setdefault(partner.etsy_buyer_user_id, partner)
        emails = {r.buyer_email.lower() for r in receipts
                  if r.buyer_email and r.buyer_user_id not in self.buyers_by_etsy_id}
        self.buyers_by_email = {}
        if emails:
            domain = expression.AND([[("parent_id", "=", False)], expression.OR(
                [[("email", "=ilike", email)] for email in sorted(emails)])])
            for partner in Partner.search(domain):
                self.buyers_by_email.setdefault((partner.email or "").strip().lower(), partner)
        buyers = Partner.union(*self.buyers_by_etsy_id.values(), *self.buyers_by_email.values())
        self.deliveries = {}
        if buyers:
            for partner in Partner.search([("parent_id", "in", buyers.ids),
                                           ("type", "=", "delivery")]):
                self.deliveries.setdefault(partner_delivery_key(partner), partner)

    def _read_products(self, env, shop, transactions):
        Binding = env["etsy.product"]
        linked = [("shop_id", "=", shop.id), ("product_id", "!=", False)]
        product_ids = {tx.product_id for tx in transactions if tx.product_id}
        self.bindings_by_product = {}
        if product_ids:
            for binding in Binding.search(linked + [("etsy_product_id", "in", list(product_ids))]):
                self.bindings_by_product.setdefault(binding.etsy_product_id, binding)
        listing_ids = {tx.listing_id for tx in transactions if tx.listing_id}
        self.bindings_by_variation = {}
        if listing_ids:
            for binding in Binding.search(
                    linked + [("listing_id.etsy_listing_id", "in", list(listing_ids))]):
                key = (binding.listing_id.etsy_listing_id, binding.property_key)
                self.bindings_by_variation.setdefault(key, binding)
        skus = {tx.sku for tx in transactions if tx.sku}
        self.products_by_sku = {}
        if skus:
            for product in env["product.product"].search([
                    ("default_code", "in", list(skus)),
                    ("company_id", "in", [False, shop.company_id.id])]):
                self.products_by_sku.setdefault(product.default_code, product)


def delivery_key(parent_id, name, address):
    """What makes two delivery addresses of one buyer the same: the name and the address."""
    return (parent_id, name or False, *(address[field] or False for field in ADDRESS_FIELDS))


def partner_delivery_key(partner):
    address = {field: partner[field].id if field.endswith("_id") else partner[field]
               for field in ADDRESS_FIELDS}
    return delivery_key(partner.parent_id.id, partner.name, address)
