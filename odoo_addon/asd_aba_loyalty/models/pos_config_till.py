"""What the till needs to know at load: whether it asks the engine at all."""

from odoo import api, fields, models


class PosConfigTill(models.Model):
    _inherit = "pos.config"

    aba_till_engine = fields.Boolean(
        "Till Asks the Loyalty Engine",
        compute="_compute_aba_till_engine",
        help="The native engine is on and this point of sale routes some of its orders to it: "
        "the till asks the engine for the discounts and points of those orders. Off: the "
        "till is Odoo's own, unchanged.",
    )

    @api.depends("rust_engine_rollout_percentage")
    @api.depends_context("uid")
    def _compute_aba_till_engine(self):
        use_native = self.env["aba.loyalty.engine"]._use_native()
        for config in self:
            config.aba_till_engine = use_native and config.rust_engine_rollout_percentage > 0
