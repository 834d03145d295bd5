from odoo import fields, models


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
