from odoo import api, fields, models


class AbaLoyaltyEngineDifference(models.Model):
    """Shadow mode: an order for which the native and the legacy results differ."""

    _name = "aba.loyalty.engine.difference"
    _description = "Loyalty Engine Shadow Difference"
    _order = "id desc"
    _rec_name = "order_uid"

    pos_order_id = fields.Many2one("pos.order", ondelete="set null", index="btree_not_null")
    order_uid = fields.Char(index=True)
    difference_count = fields.Integer()
    differences = fields.Json(help="[{path, native, legacy}, ...]")
    differences_text = fields.Text(readonly=True)

    @api.model
    def _record(self, report, order):
        """Record the shim's shadow `report` about `order` (pos.order, possibly empty)."""
        diffs = [
            {key: str(value) for key, value in item.items()}
            for item in report.get("differences", [])
        ]
        return self.create(
            {
                "pos_order_id": order.id,
                "order_uid": report.get("order_uid"),
                "difference_count": len(diffs),
                "differences": diffs,
                "differences_text": "\n".join(
                    f"{d['path']}: native {d['native']} / legacy {d['legacy']}" for d in diffs
                ),
            }
        )
