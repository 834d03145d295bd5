from odoo import api, models


class AbaLoyaltyEngineSource(models.AbstractModel):
    """Records the engine config is built from: any change drops the cached config and
    engines (`aba.loyalty.engine._cached_config` / `_cached_shim`)."""

    _name = "aba.loyalty.engine.source"
    _description = "Loyalty Engine Config Source"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res
