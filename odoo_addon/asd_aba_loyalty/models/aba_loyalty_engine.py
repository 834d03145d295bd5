"""The bridge between Odoo records and the loyalty engine (native or legacy, via the shim).

Mapping of Odoo's loyalty records to the engine configuration (docs/spec.md §2):

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

import contextvars
import logging
from decimal import Decimal

from odoo import api, fields, models, tools
from odoo.tools import float_repr

from ..aba_loyalty_lib.aba_engine_shim import EngineShim

_logger = logging.getLogger(__name__)

PARAM_USE_RUST = "asd_aba_loyalty.use_rust_engine"
PARAM_SHADOW = "asd_aba_loyalty.shadow_mode"
PARAM_VALIDITY = "asd_aba_loyalty.membership_validity_days"
POINTS_PRECISION = 2

REWARD_MODES = {"percent": "percent", "per_order": "fixed", "per_point": "per_point"}


# The model whose environment records the fallbacks and differences of the shim call running
# in this thread. Cached shims outlive transactions, so their callbacks cannot be bound to one.
_REPORT_TO = contextvars.ContextVar("aba_loyalty_report_to", default=None)


def _report_fallback(report):
    model = _REPORT_TO.get()
    if model is not None:
        model._record_fallback(report)


def _report_difference(report):
    model = _REPORT_TO.get()
    if model is not None:
        model._record_difference(report)


class _ReportingShim:
    """A cached EngineShim used in one environment: its reports are recorded there."""

    __slots__ = ("_model", "_shim")

    def __init__(self, shim, model):
        self._shim = shim
        self._model = model

    def _call(self, method, *args):
        token = _REPORT_TO.set(self._model)
        try:
            return method(*args)
        finally:
            _REPORT_TO.reset(token)

    def evaluate(self, order):
        return self._call(self._shim.evaluate, order)

    def evaluate_many(self, orders):
        return self._call(self._shim.evaluate_many, orders)

    def evaluate_membership(self, partner_id, spend, as_of):
        return self._call(self._shim.evaluate_membership, partner_id, spend, as_of)

    def path_for(self, uid):
        return self._shim.path_for(uid)


def _dec(value):
    """Odoo floats into the engine as decimals read through their shortest repr."""
    return Decimal(repr(float(value or 0.0)))


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

    # -- configuration ------------------------------------------------------------------------

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
        return programs.filtered(
            lambda p: p.program_type == "loyalty" or p.trigger == "auto"
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
                    "multiplier": _dec(tier.multiplier),
                    "min_spend": _dec(tier.min_spend),
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
            amount = _dec(rule.reward_point_amount)
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
                    "min_qty": _dec(max(rule.minimum_qty, 0)),
                    "min_amount": _dec(max(rule.minimum_amount, 0.0)),
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
        value = _dec(reward.discount)
        if (
            mode is None
            or (mode == "per_point" and kind == "promotion")
            or value <= 0
            or (mode == "percent" and value > 100)
        ):
            notes.append(f"loyalty.reward {reward.id}: discount not mappable")
            return None
        required = _dec(reward.required_points)
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
            "max_amount": _dec(max(reward.discount_max_amount, 0.0)),
            "required_points": required,
        }

    # -- cached engine --------------------------------------------------------------------------
    #
    # Building the config (ORM reads of every program, rule, reward and tier) and the engines
    # from it costs milliseconds; an order needs them up to three times. Both are kept in the
    # registry's ormcache (per database), keyed by company and by what they are built from
    # outside the loyalty records (currency, validity, flags, rollout), and dropped by
    # `registry.clear_cache()` whenever a loyalty.program/rule/reward or aba.loyalty.tier is
    # created, written or unlinked (`aba.loyalty.engine.source`) or a setting changes
    # (ir.config_parameter clears the cache itself); Odoo signals it to the other workers.

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
            on_fallback=_report_fallback,
            on_difference=_report_difference,
            native_module=native_module,
        )

    # -- shim ---------------------------------------------------------------------------------

    @api.model
    def _shim(self, pos_config=None, company=None):
        """The EngineShim of the settings (flag, shadow), the POS config's rollout percentage
        and the company's engine config, cached; its fallbacks and differences are recorded
        as records in this environment."""
        company = company or (pos_config and pos_config.company_id) or None
        rollout = 100 if pos_config is None else pos_config.rust_engine_rollout_percentage
        shim = self._cached_shim(
            self._config_key(company),
            int(rollout),
            self._use_native(),
            self._shadow_mode(),
            self._native_module(),
        )
        return _ReportingShim(shim, self)

    def _order_by_uid(self, uid):
        if not uid:
            return self.env["pos.order"]
        return self.env["pos.order"].sudo().search([("uuid", "=", uid)], limit=1)

    @api.model
    def _record_fallback(self, report):
        self.env["aba.loyalty.engine.fallback"].sudo().create(
            {
                "pos_order_id": self._order_by_uid(report.get("order_uid")).id,
                "order_uid": report.get("order_uid"),
                "stage": report.get("stage"),
                "error_type": report.get("error_type"),
                "error": report.get("error"),
                "engine": report.get("engine"),
            }
        )

    @api.model
    def _record_difference(self, report):
        diffs = [
            {key: str(value) for key, value in item.items()}
            for item in report.get("differences", [])
        ]
        self.env["aba.loyalty.engine.difference"].sudo().create(
            {
                "pos_order_id": self._order_by_uid(report.get("order_uid")).id,
                "order_uid": report.get("order_uid"),
                "difference_count": len(diffs),
                "differences": diffs,
                "differences_text": "\n".join(
                    f"{d['path']}: native {d['native']} / legacy {d['legacy']}" for d in diffs
                ),
            }
        )

    # -- orders -------------------------------------------------------------------------------

    @api.model
    def _line_categories(self, product):
        categ = product.categ_id
        if not categ:
            return []
        return [int(cid) for cid in (categ.parent_path or "").split("/") if cid]

    @api.model
    def _engine_line(self, line):
        """Whether the engine takes this POS line (not a reward line, a quantity, a unit price
        >= 0)."""
        return not line.is_reward_line and bool(line.qty) and line.price_unit >= 0

    @api.model
    def _line_price(self, line, tax_included=False):
        """The unit price the engine takes: the line's, without tax (default) or with its taxes
        (`aba_points_on_tax_included` on the card's program: Odoo's own point of sale earns on
        prices with tax)."""
        if not tax_included or not line.tax_ids_after_fiscal_position:
            return line.price_unit
        order = line.order_id
        taxes = line.tax_ids_after_fiscal_position.compute_all(
            line.price_unit, order.currency_id, 1, product=line.product_id,
            partner=order.partner_id,
        )
        return order.currency_id.round(taxes["total_included"])

    @api.model
    def _free_units(self, order, program):
        """[(product ids, units)] that the order's product rewards of `program` give for free
        ("Buy 4, take 1"): as in Odoo's point of sale, they earn no points. (The till's reward
        line carries the reward's discount product; the free units are of its reward
        products.)"""
        free = []
        for line in order.lines:
            reward = line.reward_id
            if (
                line.is_reward_line
                and reward.reward_type == "product"
                and reward.program_id == program
                and line.qty > 0
            ):
                products = set(reward.reward_product_ids.ids) or {line.product_id.id}
                free.append([products, _dec(line.qty)])
        return free

    @api.model
    def _order_lines(self, lines, tax_included=False, free=None):
        """Engine lines from POS lines (reward lines excluded: the engine computes discounts).
        Lines the engine cannot take (qty 0, negative unit price) are left out, and so are the
        units `free` ([(product ids, units)], see `_free_units`) names."""
        payload = []
        free = [[products, units] for products, units in free or []]
        for line in lines:
            if not self._engine_line(line):
                continue
            qty = _dec(line.qty)
            for item in free:
                if qty > 0 and item[1] > 0 and line.product_id.id in item[0]:
                    given = min(item[1], qty)
                    item[1] -= given
                    qty -= given
            if not qty:
                continue
            payload.append(
                {
                    "id": line.id,
                    "product_id": line.product_id.id,
                    "category_ids": self._line_categories(line.product_id),
                    "qty": qty,
                    "price_unit": _dec(self._line_price(line, tax_included)),
                    "discount": _dec(min(max(line.discount, 0.0), 100.0)),
                }
            )
        return payload

    @api.model
    def _snapshot(self, order):
        if not order.aba_membership_tier or not order.partner_id:
            return None
        return {
            "partner_id": order.partner_id.id,
            "tier": order.aba_membership_tier,
            "evaluated_at": order.aba_membership_evaluated_at,
            "valid_until": order.aba_membership_valid_until,
        }

    @api.model
    def _sale_payload(self, order, card, balance, redeem):
        return {
            "uid": order.uuid,
            "date_order": order.date_order,
            "partner_id": order.partner_id.id or None,
            "card": {"id": card.id, "program_id": card.program_id.id, "points": balance},
            "membership": self._snapshot(order),
            "lines": self._order_lines(
                order.lines.filtered(lambda ln: ln.qty > 0),
                card.program_id.aba_points_on_tax_included,
                self._free_units(order, card.program_id),
            ),
            "redeem": redeem,
            "refund_of": None,
        }

    @api.model
    def _refund_original(self, refund, original, card):
        """The sale being refunded, as the engine takes it to give back spent points (the
        `original` key of a refund; docs/spec.md "v2 rules"), or None when the sale spent
        nothing on `card`.

        `refunded_qty` and `returned` count the earlier refunds of this sale already planned
        for this card, so that a sequence of partial refunds never gives back more than the
        sale spent and the last one gives back the rest."""
        info = (original.aba_loyalty_sale or {}).get(str(card.id)) or {}
        redemptions = info.get("redemptions") or []
        if not redemptions:
            return None
        sale_lines = [ln for ln in original.lines if self._engine_line(ln) and ln.qty > 0]
        line_ids = {ln.id for ln in sale_lines}
        earlier = (original.lines.refund_orderline_ids.order_id - refund).filtered(
            lambda o: str(card.id) in (o.aba_loyalty_sale or {})
        )
        refunded = {}
        for line in sale_lines:
            qty = sum(-rl.qty for rl in line.refund_orderline_ids if rl.order_id in earlier)
            refunded[line.id] = min(max(_dec(qty), Decimal(0)), _dec(line.qty))
        returned = sum(
            (Decimal(o.aba_loyalty_sale[str(card.id)].get("returned") or 0) for o in earlier),
            Decimal(0),
        )
        items = [
            {
                "reward_id": item["reward_id"],
                "points": Decimal(item["points"]),
                "amount": Decimal(item["amount"]),
                "lines": {
                    int(k): Decimal(v) for k, v in item["lines"].items() if int(k) in line_ids
                },
            }
            for item in redemptions
            if Decimal(item["points"]) > 0
        ]
        if not items:
            return None
        total = sum((item["points"] for item in items), Decimal(0))
        return {
            "lines": [
                {"id": ln.id, "qty": _dec(ln.qty), "refunded_qty": refunded[ln.id]}
                for ln in sale_lines
            ],
            "redemptions": items,
            "returned": min(returned, total),
        }

    @api.model
    def _refund_payload(self, refund, original, card, balance, prior=None):
        """A refund evaluated with the ORIGINAL order's membership snapshot (docs/spec.md §4.11); with
        `prior` (see `_refund_original`), the points its refunded part spent come back."""
        lines = refund.lines.filtered(
            lambda ln: ln.qty < 0 and ln.refunded_orderline_id.order_id == original
        )
        payload_lines = self._order_lines(lines, card.program_id.aba_points_on_tax_included)
        if prior is not None:
            known = {item["id"] for item in prior["lines"]}
            origin = {ln.id: ln.refunded_orderline_id.id for ln in lines}
            for item in payload_lines:
                line_id = origin.get(item["id"])
                item["origin_line_id"] = line_id if line_id in known else None
        payload = {
            "uid": refund.uuid,
            # Evaluated as of the sale: the programs and the snapshot that gave the points.
            "date_order": original.date_order,
            "partner_id": original.partner_id.id or None,
            "card": {"id": card.id, "program_id": card.program_id.id, "points": balance},
            "membership": self._snapshot(original),
            "lines": payload_lines,
            "redeem": [],
            "refund_of": original.uuid,
        }
        if prior is not None:
            payload["original"] = prior
        return payload

    @api.model
    def _now(self):
        return fields.Datetime.now()
