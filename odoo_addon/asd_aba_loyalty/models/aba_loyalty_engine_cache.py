"""The engine config and the EngineShim built from it, cached per database (aba.loyalty.engine).

Building the config (ORM reads of every program, rule, reward and tier) and the engines from it
costs milliseconds; an order needs them up to three times. Both are kept in the registry's
ormcache (per database), keyed by company and by what they are built from outside the loyalty
records (currency, validity, flags, rollout), and dropped by `registry.clear_cache()` whenever
a loyalty.program/rule/reward or aba.loyalty.tier is created, written or unlinked
(`aba.loyalty.engine.source`) or a setting changes (ir.config_parameter clears the cache
itself); Odoo signals it to the other workers.
"""

from odoo import api, models, tools

from ..aba_loyalty_lib.aba_engine_shim import EngineShim
from .engine_reports import ReportingShim, report_difference, report_fallback


class AbaLoyaltyEngineCache(models.AbstractModel):
    _inherit = "aba.loyalty.engine"

    @api.model
    def _config_key(self, company=None):
        company = company or self.env.company
        currency = company.currency_id
        return (
            company.id,
            currency.id,
            currency.rounding,
            currency.decimal_places,
            self._membership_validity_days(),
        )

    @api.model
    def _engine_config(self, company=None):
        """The engine config of `company` (default: the current one), cached. Shared between
        requests: read it, never change it."""
        return self._cached_config(self._config_key(company))

    @api.model
    def _managed_loyalty_program_ids(self, company=None):
        """Ids of the loyalty programs of the engine config of `company`: their cards carry
        ledger moves and their points are the engine's."""
        return [p["id"] for p in self._engine_config(company)["programs"] if p["kind"] == "loyalty"]

    @api.model
    def _all_managed_loyalty_program_ids(self):
        ids = set()
        # A program without company is in every company's config: the companies that own
        # loyalty programs, and the current one, cover them all.
        programs = (
            self.env["loyalty.program"]
            .sudo()
            .with_context(active_test=False)
            .search([("program_type", "=", "loyalty")])
        )
        for company in programs.company_id | self.env.company:
            ids.update(self._managed_loyalty_program_ids(company))
        return sorted(ids)

    @tools.ormcache("config_key")
    def _cached_config(self, config_key):
        # Built as superuser without the caller's context: the value is shared.
        engine = self.env(context={}, su=True)["aba.loyalty.engine"]
        return engine._build_config(engine.env["res.company"].browse(config_key[0]))

    @tools.ormcache("config_key", "rollout", "use_native", "shadow", "native_module")
    def _cached_shim(self, config_key, rollout, use_native, shadow, native_module):
        return EngineShim(
            self._cached_config(config_key),
            use_native=use_native,
            rollout_percentage=rollout,
            shadow=shadow,
            on_fallback=report_fallback,
            on_difference=report_difference,
            native_module=native_module,
        )

    @api.model
    def _shim(self, pos_config=None, company=None, orders=None):
        """The EngineShim of the settings (flag, shadow), the POS config's rollout percentage
        and the company's engine config, cached; its fallbacks and differences are recorded
        as records in this environment, linked to the one of `orders` (pos.order) whose uuid
        the report names."""
        company = company or (pos_config and pos_config.company_id) or None
        rollout = 100 if pos_config is None else pos_config.rust_engine_rollout_percentage
        shim = self._cached_shim(
            self._config_key(company),
            int(rollout),
            self._use_native(),
            self._shadow_mode(),
            self._native_module(),
        )
        return ReportingShim(shim, self.env, orders)
