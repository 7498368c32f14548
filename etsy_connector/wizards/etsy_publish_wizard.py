"""The publish wizard: pick a shop, see what Etsy would refuse and the activation fee, publish."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import ACTIVATION_FEE
from ..models.etsy_run import run_flow
from ..models.flow_publish import ListingPublish
from ..models.publish_spec import readiness_problems


class EtsyPublishWizard(models.TransientModel):
    _name = "etsy.publish.wizard"
    _description = "Publish products on Etsy"

    shop_id = fields.Many2one("etsy.shop", required=True, domain=[("state", "=", "connected")],
                              default=lambda self: self._default_shop())
    product_tmpl_ids = fields.Many2many("product.template", string="Products", required=True)
    activate = fields.Boolean(
        help="Make the listings active (visible to buyers). Etsy charges a listing fee for each; "
             "without it they stay drafts you can review on Etsy.")
    readiness_report = fields.Text(compute="_compute_readiness", string="To fix first")
    ready_count = fields.Integer(compute="_compute_readiness")
    refused_count = fields.Integer(compute="_compute_readiness")
    fee_note = fields.Char(compute="_compute_readiness", string="Etsy fee")

    @api.model
    def _default_shop(self):
        return self.env["etsy.shop"].search([("state", "=", "connected")], limit=1)

    @api.model
    def _action_for(self, templates):
        wizard = self.create({"product_tmpl_ids": [fields.Command.set(templates.ids)]})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Publish on Etsy"),
        }

    def _problems(self):
        """{template: [problem, ...]} for the templates Etsy would refuse (no call made)."""
        self.ensure_one()
        result = {}
        for template in self.product_tmpl_ids:
            taxonomy = template.etsy_taxonomy_id or self.shop_id.default_taxonomy_id
            properties = taxonomy._etsy_properties() if taxonomy else None
            problems = readiness_problems(self.shop_id, template, self.activate, properties)
            if problems:
                result[template] = problems
        return result

    @api.depends("shop_id", "product_tmpl_ids", "activate")
    def _compute_readiness(self):
        for wizard in self:
            if not wizard.shop_id:
                wizard.update({"readiness_report": False, "ready_count": 0, "refused_count": 0,
                               "fee_note": False})
                continue
            problems = wizard._problems()
            wizard.refused_count = len(problems)
            wizard.ready_count = len(wizard.product_tmpl_ids) - len(problems)
            wizard.readiness_report = "\n\n".join(
                f"{template.display_name}:\n" + "\n".join(f"- {p}" for p in lines)
                for template, lines in problems.items()) or False
            to_activate = wizard._listings_to_activate()
            # The fee is formatted outside the call: the .pot extractor cannot read it inside.
            fee = f"{to_activate * ACTIVATION_FEE:.2f}"
            wizard.fee_note = self.env._(
                "Activating %(count)s listing(s) costs %(fee)s USD on Etsy ($0.20 each).",
                count=to_activate, fee=fee,
            ) if wizard.activate and to_activate else False

    def _listings_to_activate(self):
        """Ready templates whose listing is not active yet: each activation is charged."""
        problems = self._problems()
        active = self.env["etsy.listing"].search([
            ("shop_id", "=", self.shop_id.id), ("publish_state", "=", "active"),
            ("product_tmpl_id", "in", self.product_tmpl_ids.ids)]).product_tmpl_id
        return len(self.product_tmpl_ids - active - self.env["product.template"].union(*problems))

    def action_publish(self):
        """Publish the templates that pass the readiness check; report the others."""
        self.ensure_one()
        if self.shop_id.state != "connected":
            raise UserError(self.env._("Connect the shop to Etsy first."))
        problems = self._problems()
        ready = self.product_tmpl_ids - self.env["product.template"].union(*problems)
        if not ready:
            raise UserError(self.env._("Nothing can be published yet:\n\n%s",
                                       self.readiness_report))
        log, _result = run_flow(self.shop_id, ListingPublish, "manual", template_ids=ready.ids,
                                activate=self.activate)
        action = self.env["ir.actions.act_window"]._for_xml_id("etsy_connector.action_etsy_listing")
        action["domain"] = [("shop_id", "=", self.shop_id.id),
                            ("product_tmpl_id", "in", self.product_tmpl_ids.ids)]
        action["context"] = {}
        if log and (log.counts["failed"] or log.failed_with):
            # Something was refused or failed: the run's log says what and what to do.
            return {"type": "ir.actions.act_window", "res_model": "etsy.sync.log",
                    "res_id": log.id, "view_mode": "form", "target": "current"}
        return action
