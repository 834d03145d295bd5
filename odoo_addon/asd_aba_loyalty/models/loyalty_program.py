from odoo import fields, models


class LoyaltyProgram(models.Model):
    _name = "loyalty.program"
    _inherit = ["loyalty.program", "aba.loyalty.engine.source"]

    aba_exclusive = fields.Boolean(
        "Exclusive",
        help="Promotions: when it applies, no later promotion or redemption applies.",
    )
    aba_points_basis = fields.Selection(
        [("base", "Base prices"), ("paid", "Paid amounts")],
        "Points Basis",
        default="base",
        help="Loyalty: money rules earn on base prices or on the amounts after discounts.",
    )
