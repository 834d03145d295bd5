"""The bridge between Odoo records and the loyalty engine (native or legacy, via the shim):
the abstract model aba.loyalty.engine, its settings here; the config it builds from Odoo's
loyalty records in aba_loyalty_engine_config.py, the cached config and shim in
aba_loyalty_engine_cache.py. The orders' payloads are built by pos.order
(pos_order_payload.py)."""

import logging

from odoo import api, models

_logger = logging.getLogger(__name__)

PARAM_USE_RUST = "asd_aba_loyalty.use_rust_engine"
PARAM_SHADOW = "asd_aba_loyalty.shadow_mode"
PARAM_VALIDITY = "asd_aba_loyalty.membership_validity_days"


class AbaLoyaltyEngine(models.AbstractModel):
    _name = "aba.loyalty.engine"
    _description = "Loyalty Engine Bridge"

    # -- settings -----------------------------------------------------------------------------

    @api.model
    def _param_bool(self, key):
        value = self.env["ir.config_parameter"].sudo().get_param(key, "False")
        return str(value).strip().lower() in ("1", "true", "yes", "on")

    @api.model
    def _use_native(self):
        return self._param_bool(PARAM_USE_RUST)

    @api.model
    def _shadow_mode(self):
        return self._param_bool(PARAM_SHADOW)

    @api.model
    def _membership_validity_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM_VALIDITY, "30")
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            _logger.warning("%s is not an integer (%r): using 30", PARAM_VALIDITY, value)
            return 30

    @api.model
    def _native_module(self):
        """The module the shim uses for the native path; None: `import aba_loyalty_core`.
        (Tests patch this to inject a failing module.)"""
        return
