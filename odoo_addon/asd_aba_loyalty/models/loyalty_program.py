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
    aba_points_on_tax_included = fields.Boolean(
        "Points on Prices With Tax",
        help="Loyalty: the engine earns (and discounts) on unit prices with their taxes, as "
        "Odoo's point of sale does. Off (default): on unit prices without tax, the prices the "
        "order lines carry.",
    )
