from odoo import api, fields, models


class AbaLoyaltyEngineFallback(models.Model):
    """Every time the native engine could not be used and the legacy path answered instead."""

    _name = "aba.loyalty.engine.fallback"
    _description = "Loyalty Engine Fallback"
    _order = "id desc"
    _rec_name = "order_uid"

    pos_order_id = fields.Many2one("pos.order", ondelete="set null", index="btree_not_null")
    order_uid = fields.Char(index=True)
    stage = fields.Selection(
        [("import", "Import"), ("version", "Version mismatch"), ("call", "Native call")],
        required=True,
    )
    error_type = fields.Char()
    error = fields.Text()
    engine = fields.Char(help="Engine that produced the result used.")

    @api.model
    def _record(self, report, order):
        """Record the shim's fallback `report` about `order` (pos.order, possibly empty)."""
        return self.create(
            {
                "pos_order_id": order.id,
                "order_uid": report.get("order_uid"),
                "stage": report.get("stage"),
                "error_type": report.get("error_type"),
                "error": report.get("error"),
                "engine": report.get("engine"),
            }
        )
