from odoo import fields, models


class AbaLoyaltyTier(models.Model):
    _name = "aba.loyalty.tier"
    _inherit = ["aba.loyalty.engine.source"]
    _description = "Loyalty Membership Tier"
    _order = "rank, id"

    code = fields.Char(required=True)
    name = fields.Char(required=True, translate=True)
    rank = fields.Integer(required=True, default=0, help="Higher rank wins.")
    multiplier = fields.Float(
        digits=(16, 4), required=True, default=1.0, help="Points multiplier, > 0."
    )
    min_spend = fields.Float(
        digits=(16, 2), default=0.0, help="Spend over the membership window that qualifies."
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "The tier code must be unique."),
        ("multiplier_positive", "CHECK(multiplier > 0)", "The multiplier must be positive."),
        ("min_spend_positive", "CHECK(min_spend >= 0)", "The minimum spend cannot be negative."),
    ]
