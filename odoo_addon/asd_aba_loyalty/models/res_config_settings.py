from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    aba_use_rust_engine = fields.Boolean(
        "Native Loyalty Engine",
        config_parameter="asd_aba_loyalty.use_rust_engine",
        help="Compute loyalty points and discounts with the native engine (aba_loyalty_core); "
        "the legacy Python engine answers when it is off or fails.",
    )
    aba_shadow_mode = fields.Boolean(
        "Shadow Mode",
        config_parameter="asd_aba_loyalty.shadow_mode",
        help="Compute every order with both engines, apply the legacy result and record every "
        "difference.",
    )
    aba_membership_validity_days = fields.Integer(
        "Membership Validity (days)",
        config_parameter="asd_aba_loyalty.membership_validity_days",
        default=30,
    )
    pos_rust_engine_rollout_percentage = fields.Integer(
        related="pos_config_id.rust_engine_rollout_percentage", readonly=False
    )
