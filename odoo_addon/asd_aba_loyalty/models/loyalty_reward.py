from odoo import models


class LoyaltyReward(models.Model):
    # Part of the engine config: a change drops the cached engines.
    _name = "loyalty.reward"
    _inherit = ["loyalty.reward", "aba.loyalty.engine.source"]
