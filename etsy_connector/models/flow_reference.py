"""Etsy's reference data for publishing: the seller taxonomy (categories) and the shop's
shipping, return and processing profiles, kept as records the product form and the readiness
check choose from.
"""

from .etsy_run import EtsyFlow


class ReferenceDataSync(EtsyFlow):
    """Etsy's seller taxonomy and the shop's shipping, return and processing profiles."""

    flow = "publish"

    def execute(self):
        self._sync_taxonomy(self.client.get_seller_taxonomy_nodes())
        shop_id = int(self.shop.etsy_shop_id)
        self._sync_shop_records(
            "etsy.shipping.profile", "etsy_shipping_profile_id",
            self.client.get_shop_shipping_profiles(shop_id),
            lambda p: (p["shipping_profile_id"], {
                "name": p.get("title") or str(p["shipping_profile_id"]),
                "origin_country": p.get("origin_country_iso"),
                "destination_count": len(p.get("shipping_profile_destinations") or []),
                "active": not p.get("is_deleted")}))
        self._sync_shop_records(
            "etsy.return.policy", "etsy_return_policy_id",
            self.client.get_shop_return_policies(shop_id),
            lambda p: (p["return_policy_id"], {
                "name": _policy_name(p), "accepts_returns": p.get("accepts_returns"),
                "accepts_exchanges": p.get("accepts_exchanges"),
                "return_deadline": p.get("return_deadline") or 0}))
        self._sync_shop_records(
            "etsy.readiness.state", "etsy_readiness_state_id",
            self.client.get_shop_readiness_state_definitions(shop_id),
            lambda p: (p["readiness_state_id"], {
                "name": p.get("processing_days_display_label") or p.get("readiness_state"),
                "readiness_state": p.get("readiness_state"),
                "min_processing_days": p.get("min_processing_days") or 0,
                "max_processing_days": p.get("max_processing_days") or 0}))

    def _sync_taxonomy(self, roots):
        Taxonomy = self.env["etsy.taxonomy"].sudo().with_context(active_test=False)
        existing = {node.etsy_taxonomy_id: node for node in Taxonomy.search([])}
        seen = set()

        def walk(node, parent, path):
            full_path = [*path, node["name"]]
            values = {"name": node["name"], "full_path": " > ".join(full_path),
                      "parent_id": parent.id if parent else False, "level": node.get("level", 0),
                      "is_leaf": not node.get("children"), "active": True}
            record = existing.get(node["id"])
            if record:
                changed = {k: v for k, v in values.items()
                           if (record[k].id if k == "parent_id" else record[k]) != v}
                if changed:
                    record.write(changed)
            else:
                record = Taxonomy.create({"etsy_taxonomy_id": node["id"], **values})
                self.log.count("created")
            seen.add(node["id"])
            for child in node.get("children") or []:
                walk(child, record, full_path)

        for root in roots:
            walk(root, None, [])
        gone = Taxonomy.browse([node.id for key, node in existing.items() if key not in seen])
        gone.filtered("active").write({"active": False})
        self.commit()

    def _sync_shop_records(self, model, id_field, items, convert):
        Model = self.env[model].with_context(active_test=False)
        existing = {record[id_field]: record
                    for record in Model.search([("shop_id", "=", self.shop.id)])}
        seen = set()
        for item in items:
            etsy_id, values = convert(item)
            key = str(etsy_id)
            seen.add(key)
            if key in existing:
                existing[key].write(values)
            else:
                Model.create({"shop_id": self.shop.id, id_field: key, **values})
                self.log.count("created")
        for key, record in existing.items():
            if key not in seen and record.active:
                record.active = False
        self.commit()

    def summary(self):
        return self.env._("Etsy categories and shop profiles read.")


def _policy_name(policy):
    if not policy.get("accepts_returns"):
        return "No returns" + (", exchanges" if policy.get("accepts_exchanges") else "")
    return f"Returns within {policy.get('return_deadline') or '?'} days"
