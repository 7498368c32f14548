{
    "name": "Etsy Connector",
    "version": "18.0.1.0.0",
    "category": "Sales",
    "summary": "Connect Etsy shops to Odoo: orders, stock and sync logs per shop",
    "author": "Etsy Connector contributors",
    "license": "LGPL-3",
    "depends": ["sale_management", "stock", "sale_stock", "account"],
    "data": [
        # Groups before the access rights that name them.
        "security/etsy_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/etsy_order_data.xml",
        "data/etsy_carrier_data.xml",
        "data/ir_cron_shipping_data.xml",
        "data/etsy_discord_data.xml",
        "data/ir_cron_publish_data.xml",
        "data/etsy_money_data.xml",
        # The shop form opens the log action by xmlid, the menus need both actions.
        "views/etsy_sync_log_views.xml",
        # The shop form opens the receipt import wizard by xmlid.
        "views/etsy_receipt_issue_views.xml",
        # The menus need the listing actions.
        "views/etsy_listing_views.xml",
        "views/product_views.xml",
        "views/etsy_shop_views.xml",
        "views/sale_order_views.xml",
        "views/etsy_menus.xml",
        "views/stock_picking_views.xml",
        # Its menu goes under the Etsy menu.
        "views/etsy_carrier_views.xml",
        # Both inherit the shop form and add menus under the Etsy menu.
        "views/etsy_discord_views.xml",
        "views/etsy_dashboard_views.xml",
        # Inherits the product, listing and shop forms; menus under the Etsy menu.
        "views/product_publish_views.xml",
        # Inherits the shop form and the dashboard card; its menu goes under the Etsy menu.
        "views/etsy_shop_webhook_views.xml",
        "views/etsy_money_views.xml",
    ],
    "assets": {
        "web.assets_backend": ["etsy_connector/static/src/**/*"],
        "web.assets_tests": ["etsy_connector/static/tests/tours/*.js"],
    },
    "application": True,
}
