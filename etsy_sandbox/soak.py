"""Read-outs for the fault soak (`setup/soak`): what a checker compares Odoo with.

Plain views of the world over `GET /_sandbox/soak/<what>`: receipts (with their buyer's email
and address, to look for them where they must not be), listings with their products'
quantities, and every token ever issued. A development tool serving 127.0.0.1 only.
"""


def receipts(world, shop_id):
    """Every receipt of the shop: ids, status, transactions, shipments and the buyer's PII."""
    with world.lock:
        shop = world.shop(int(shop_id))
        out = []
        for receipt_id in shop.receipt_ids:
            data = world.receipts[receipt_id].data
            out.append(
                {
                    "receipt_id": receipt_id,
                    "status": data["status"],
                    "create_timestamp": data["create_timestamp"],
                    "transaction_ids": [t["transaction_id"] for t in data["transactions"]],
                    "shipments": [dict(s) for s in data["shipments"]],
                    "buyer_email": data.get("buyer_email"),
                    "first_line": data.get("first_line"),
                }
            )
        return out


def listings(world, shop_id):
    """Every listing of the shop with its state and each product's quantity on Etsy."""
    with world.lock:
        shop = world.shop(int(shop_id))
        out = []
        for listing_id in shop.listing_ids:
            record = world.listings[listing_id]
            out.append(
                {
                    "listing_id": listing_id,
                    "state": record.data["state"],
                    "listing_type": record.data["listing_type"],
                    "products": [
                        {
                            "product_id": p["product_id"],
                            "sku": p["sku"],
                            "quantity": p["offerings"][0]["quantity"],
                            "is_enabled": p["offerings"][0]["is_enabled"],
                        }
                        for p in record.inventory.products
                    ],
                }
            )
        return out


def tokens(sandbox):
    """Every access and refresh token ever issued (live, used, expired or revoked)."""
    with sandbox.world.lock:
        return sorted(sandbox.tokens.access) + sorted(sandbox.tokens.refresh)
