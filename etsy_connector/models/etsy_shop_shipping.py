"""A shop's shipping settings and counters, and the entry points of its tracking export.

The tracking export itself (validated deliveries -> Etsy shipments, exactly once) is
`flow_tracking.TrackingExport`.
"""

import datetime

from odoo import fields, models

from ..const import CLOSED_PICKING_STATES, TRACKING_ISSUE_STATES
from .etsy_run import run_flow
from .flow_tracking import TrackingExport


def tracking_issue_domain(shop):
    """Validated deliveries of `shop` whose tracking Etsy refused or has to be checked."""
    return [("etsy_shop_id", "=", shop.id), ("state", "=", "done"),
            ("etsy_push_state", "in", TRACKING_ISSUE_STATES)]


def late_delivery_domain(shop):
    """Open deliveries of `shop` past Etsy's ship-by date (late from the next day, as Etsy
    counts it)."""
    today = datetime.datetime.combine(fields.Date.context_today(shop), datetime.time.min)
    return [("etsy_shop_id", "=", shop.id), ("picking_type_code", "=", "outgoing"),
            ("state", "not in", CLOSED_PICKING_STATES), ("etsy_ship_by", "<", today)]


class EtsyShop(models.Model):
    _inherit = "etsy.shop"

    push_tracking = fields.Boolean(
        string="Send tracking automatically", default=True,
        help="When a delivery of an Etsy order is validated, send its tracking code to Etsy, "
             "which marks the order shipped and emails the buyer. Off: use the 'Send tracking "
             "to Etsy' button of the delivery.",
    )
    tracking_send_bcc = fields.Boolean(
        string="Copy shipping emails to me",
        help="Etsy also emails you the shipping notice it sends the buyer.",
    )
    default_carrier_id = fields.Many2one(
        "etsy.carrier", string="Default carrier",
        help="Carrier of the deliveries that name none (neither on the delivery nor through "
             "its delivery method).",
    )
    # === THE TRACKING EXPORT (flow_tracking.py) === #

    def _etsy_push_tracking(self, pickings=None, trigger="cron"):
        """Send the tracking of `pickings` (default: this shop's due deliveries) to Etsy.

        Returns the run's log, or None when there was nothing to do (no log is written) or
        another push of this shop is running (a manual push then raises).
        """
        if pickings is None and not TrackingExport.due_pickings(self):
            return None
        return run_flow(self, TrackingExport, trigger,
                        picking_ids=pickings.ids if pickings is not None else None)[0]
