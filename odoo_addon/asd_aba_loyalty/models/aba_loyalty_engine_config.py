"""The engine configuration built from Odoo's loyalty records (aba.loyalty.engine).

Mapping (docs/spec.md §2):

- loyalty.program: program_type "loyalty" -> kind "loyalty"; "promotion" with trigger "auto"
  -> kind "promotion". sequence, active, date_from, date_to as is; `aba_exclusive` and
  `aba_points_basis` (fields added by this addon) -> exclusive, points_basis.
- loyalty.rule (mode "auto" only): reward_point_mode order/money/unit -> mode,
  reward_point_amount -> amount, minimum_qty -> min_qty, minimum_amount -> min_amount,
  product_ids -> product_ids, product_category_id -> category_ids (with its children, as
  Odoo's child_of: an order line carries its product category and all its parents).
- loyalty.reward (reward_type "discount" only): discount_mode percent -> percent,
  per_order -> fixed, per_point -> per_point (loyalty programs only); discount -> value;
  discount_applicability order/cheapest/specific as is; discount_product_ids ->
  product_ids, discount_product_category_id -> category_ids; discount_max_amount ->
  max_amount; required_points as is.

Not mapped (left to Odoo's own code): coupons, gift cards, eWallets, next-order coupons,
buy X get Y and discount codes (program types other than loyalty/promotion, promotions with a
code trigger, rules with a code); product rewards (reward_type "product"); product tags and
product domains on rules and rewards; minimum_amount_tax_mode (the engine's base is
qty x price_unit as the POS line carries it); reward_point_split; clear_wallet; pricelist
restrictions; limit_usage / max_usage; applies_on "future". Records that cannot be mapped are
skipped and listed by `_build_config(..., notes=...)`: a program with a rule the engine cannot
express (code, product tag or domain) is left whole to Odoo (its cards keep Odoo's own points);
a reward it cannot express is left out (its points cost is still taken, through the ledger).
"""

import logging
from decimal import Decimal

from odoo import api, models
from odoo.tools import float_repr

from .engine_numbers import float_decimal

_logger = logging.getLogger(__name__)

# The points precision of the engine config (its "points_precision"): what everything that
# rounds points reads, never a literal of its own.
POINTS_PRECISION = 2

REWARD_MODES = {"percent": "percent", "per_order": "fixed", "per_point": "per_point"}


class AbaLoyaltyEngineConfig(models.AbstractModel):
    _inherit = "aba.loyalty.engine"

    @api.model
    def _managed_programs(self, company=None):
        """The loyalty.program records the engine computes (see the module docstring)."""
        company = company or self.env.company
        programs = (
            self.env["loyalty.program"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("program_type", "in", ("loyalty", "promotion")),
                    ("company_id", "in", (company.id, False)),
                ]
            )
        )
        # A promotion for the next order (applies_on "future") gives a coupon, not a discount
        # on this order: Odoo's.
        return programs.filtered(
            lambda p: p.program_type == "loyalty"
            or (p.trigger == "auto" and p.applies_on != "future")
        )

    @api.model
    def _build_config(self, company=None, notes=None):
        company = company or self.env.company
        notes = notes if notes is not None else []
        tiers = self.env["aba.loyalty.tier"].sudo().search([("active", "=", True)])
        programs = []
        for program in self._managed_programs(company).sorted(lambda p: (p.sequence, p.id)):
            mapped = self._program_config(program, notes)
            if mapped is not None:
                programs.append(mapped)
        if notes:
            _logger.debug("loyalty engine config: not mapped: %s", "; ".join(notes))
        return {
            "currency": {
                "code": company.currency_id.name,
                "rounding": float_repr(
                    company.currency_id.rounding, company.currency_id.decimal_places
                ),
            },
            "points_precision": POINTS_PRECISION,
            "tiers": [
                {
                    "code": tier.code,
                    "rank": tier.rank,
                    "multiplier": float_decimal(tier.multiplier),
                    "min_spend": float_decimal(tier.min_spend),
                }
                for tier in tiers
            ],
            "membership": {"validity_days": self._membership_validity_days()},
            "programs": programs,
        }

    @api.model
    def _program_config(self, program, notes):
        kind = "loyalty" if program.program_type == "loyalty" else "promotion"
        rules = []
        active_rules = program.rule_ids.filtered("active")
        for rule in active_rules:
            if rule.mode != "auto":
                notes.append(f"loyalty.rule {rule.id}: code rules are not mapped")
                continue
            if rule.product_tag_id or (rule.product_domain or "[]").strip() != "[]":
                # The engine cannot express them: such a rule (and, when it is the only one,
                # its program) stays with Odoo rather than earn on the wrong products.
                notes.append(f"loyalty.rule {rule.id}: product tag/domain not mapped")
                continue
            amount = float_decimal(rule.reward_point_amount)
            if amount <= 0:
                if kind == "loyalty":
                    notes.append(f"loyalty.rule {rule.id}: reward_point_amount <= 0")
                    continue
                amount = Decimal(1)  # promotions do not earn: any positive amount
            rules.append(
                {
                    "id": rule.id,
                    "mode": rule.reward_point_mode,
                    "amount": amount,
                    "product_ids": rule.product_ids.ids,
                    "category_ids": rule.product_category_id.ids,
                    "min_qty": float_decimal(max(rule.minimum_qty, 0)),
                    "min_amount": float_decimal(max(rule.minimum_amount, 0.0)),
                }
            )
        if len(rules) != len(active_rules):
            notes.append(f"loyalty.program {program.id}: not every rule is mappable")
            return None
        rewards = []
        for reward in program.reward_ids:
            mapped = self._reward_config(reward, kind, notes)
            if mapped is not None:
                rewards.append(mapped)
        date_from, date_to = program.date_from, program.date_to
        if date_from and date_to and date_from > date_to:
            notes.append(f"loyalty.program {program.id}: date_from after date_to")
            return None
        return {
            "id": program.id,
            "name": program.name or str(program.id),
            "kind": kind,
            "sequence": program.sequence,
            "active": bool(program.active),
            "date_from": date_from or None,
            "date_to": date_to or None,
            "exclusive": bool(program.aba_exclusive) and kind == "promotion",
            "points_basis": program.aba_points_basis or "base",
            # Odoo lets a loyalty program's customer spend in an order the points that order
            # earns ("current" or "both"); "future" points only count from the next order.
            "spend_earned": kind == "loyalty" and program.applies_on in ("current", "both"),
            "rules": rules,
            "rewards": rewards,
        }

    @api.model
    def _reward_config(self, reward, kind, notes):
        if reward.reward_type != "discount" or not reward.active:
            notes.append(f"loyalty.reward {reward.id}: only discount rewards are mapped")
            return None
        if reward.discount_product_tag_id or (
            (reward.discount_product_domain or "[]").strip() != "[]"
        ):
            notes.append(f"loyalty.reward {reward.id}: product tag/domain not mapped")
            return None
        mode = REWARD_MODES.get(reward.discount_mode)
        value = float_decimal(reward.discount)
        if (
            mode is None
            or (mode == "per_point" and kind == "promotion")
            or value <= 0
            or (mode == "percent" and value > 100)
        ):
            notes.append(f"loyalty.reward {reward.id}: discount not mappable")
            return None
        required = float_decimal(reward.required_points)
        if required <= 0:
            if kind == "loyalty":
                notes.append(f"loyalty.reward {reward.id}: required_points <= 0")
                return None
            required = Decimal(1)
        return {
            "id": reward.id,
            "type": "discount",
            "mode": mode,
            "value": value,
            "applicability": reward.discount_applicability,
            "product_ids": reward.discount_product_ids.ids,
            "category_ids": reward.discount_product_category_id.ids,
            "max_amount": float_decimal(max(reward.discount_max_amount, 0.0)),
            "required_points": required,
        }
