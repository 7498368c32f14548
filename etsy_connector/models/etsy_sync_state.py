"""Where each flow of a shop stands: one row per shop and flow.

Every flow keeps its progress (watermark, offset, the calls-left figure it last read) in a row of
its own, never on the shop: two flows of one shop, or two shops, then never write the same row,
and no run fails with "could not serialize access due to concurrent update" because another one
committed meanwhile.
"""

from odoo import api, fields, models

from ..const import OPERATIONS


class EtsySyncState(models.Model):
    _name = "etsy.sync.state"
    _description = "Etsy Sync State"
    _order = "shop_id, flow"

    shop_id = fields.Many2one("etsy.shop", required=True, ondelete="cascade", index=True,
                              readonly=True)
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    flow = fields.Selection(OPERATIONS, required=True, readonly=True)
    watermark = fields.Datetime(
        readonly=True, help="Records changed on Etsy up to this moment have been processed.")
    offset = fields.Integer(
        readonly=True, help="Where a walk through Etsy's records continues at the next run.")
    calls_left = fields.Integer(
        string="API calls left today", readonly=True,
        help="Etsy's x-remaining-today at the last call of this flow (shared by the app's shops).")
    calls_left_at = fields.Datetime(string="API budget read at", readonly=True)

    _sql_constraints = [
        ("shop_flow_unique", "unique(shop_id, flow)", "A shop has one sync state per flow."),
    ]

    @api.model
    def _for(self, shop, flow):
        """The state row of `flow` for `shop`, created on first use."""
        state = self.sudo().search([("shop_id", "=", shop.id), ("flow", "=", flow)], limit=1)
        if not state:
            # ON CONFLICT: two first runs of different triggers may race to create it.
            self.env.cr.execute(
                "INSERT INTO etsy_sync_state (shop_id, flow, create_date, write_date) "
                "VALUES (%s, %s, now() at time zone 'UTC', now() at time zone 'UTC') "
                "ON CONFLICT (shop_id, flow) DO NOTHING", [shop.id, flow])
            state = self.sudo().search([("shop_id", "=", shop.id), ("flow", "=", flow)], limit=1)
        return state

    def _advance(self, watermark):
        """Move the watermark forward (never back) to `watermark`."""
        self.ensure_one()
        if watermark and (not self.watermark or watermark > self.watermark):
            self.watermark = watermark

    def _note_calls_left(self, calls_left):
        self.ensure_one()
        if calls_left != self.calls_left:
            self.write({"calls_left": calls_left, "calls_left_at": fields.Datetime.now()})

    @api.model
    def _value(self, shops, flow, field_name):
        """{shop id: the value of `field_name` in the state of `flow`} for `shops`."""
        states = self.sudo().search([("shop_id", "in", shops.ids), ("flow", "=", flow)])
        return {state.shop_id.id: state[field_name] for state in states}
