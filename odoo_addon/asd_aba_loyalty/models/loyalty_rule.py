from odoo import models


class LoyaltyRule(models.Model):
    # Part of the engine config: a change drops the cached engines.
    _name = "loyalty.rule"
    _inherit = ["loyalty.rule", "aba.loyalty.engine.source"]
