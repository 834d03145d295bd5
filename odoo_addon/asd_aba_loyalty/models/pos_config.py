from odoo import fields, models


class PosConfig(models.Model):
    _inherit = "pos.config"

    rust_engine_rollout_percentage = fields.Integer(
        "Native Engine Rollout (%)",
        default=100,
        help="Share of this point of sale's orders computed by the native engine when the "
        "native engine is enabled in the settings. The order's uuid picks the bucket, so a "
        "re-sent order always takes the same path.",
    )

    _sql_constraints = [
        (
            "rust_engine_rollout_percentage_range",
            "CHECK(rust_engine_rollout_percentage BETWEEN 0 AND 100)",
            "The rollout percentage must be between 0 and 100.",
        ),
    ]
