"""The till asks the engine: evaluation of the draft order the cashier is building (RPC).

The POS (static/src/till/) calls `aba_till_evaluate` with the draft order's lines, its
reward lines, the partner and the loyalty card, debounced as the cashier changes the order.
The order is mapped to the engine's input by the same code as a paid order at sync (a draft
`pos.order` built in memory with `new()`, then its `_aba_sale_payload` and
`_aba_redeem_requests`), evaluated through the shim of the POS config, and the
result goes back as plain JSON numbers: the discount of each applied program reward with its
allocation per line (keyed by the POS line's uuid), the points won and spent, the balance
after. A redemption the engine refuses comes back as a message (`refused`), not as an error.

Only an order on the native path (flag on, its rollout bucket native) is evaluated; otherwise
the answer says which path the order takes and the till keeps Odoo's own computation.

An order the till could not evaluate (offline, RPC failure or timeout) arrives with
`aba_till_fallback` set; at sync the engine evaluates it (never refusing it) and the
difference between the till's reward lines and the engine's discount is stored.
"""

from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from ..aba_loyalty_lib.aba_engine_shim import EngineShim
from ..aba_loyalty_lib.aba_legacy_engine import InsufficientPointsError, LoyaltyError
from .engine_reports import ReportingShim, report_difference, report_fallback

ZERO = Decimal(0)


def _num(value):
    """A Decimal of the engine's result as the number the POS shows."""
    return float(value or ZERO)


class PosOrderTill(models.Model):
    _inherit = "pos.order"

    aba_till_fallback = fields.Boolean(
        "Till Used Odoo's Computation",
        readonly=True,
        copy=False,
        help="The till could not reach the loyalty engine (offline, error or timeout) and "
        "computed this order's rewards with Odoo's own point of sale code; the engine "
        "evaluated it at sync.",
    )
    aba_discount_difference = fields.Float(
        "Discount Difference (Till - Engine)",
        compute="_compute_aba_discount_difference",
        store=True,
        help="The reward discount the till granted minus the engine's program discount.",
    )

    @api.depends("aba_pos_discount", "aba_engine_discount")
    def _compute_aba_discount_difference(self):
        for order in self:
            order.aba_discount_difference = order.aba_pos_discount - order.aba_engine_discount

    # -- RPC ----------------------------------------------------------------------------------

    @api.model
    def aba_till_evaluate(self, config_id, order):
        """The engine's result for the draft `order` of the POS `config_id` (see the module
        docstring). `order`: {"uuid", "partner_id", "lines": [{"uuid", "product_id", "qty",
        "price_unit", "discount", "tax_ids", "combo_parent_uuid"}], "reward_lines":
        [{"reward_id", "coupon_id", "qty", "points_cost", "product_id"}],
        "card": {"id", "program_id"} | null}."""
        config = self.env["pos.config"].browse(int(config_id or 0)).exists()
        if not config:
            raise ValidationError(
                self.env._("config_id: no point of sale %(value)r", value=config_id)
            )
        if not isinstance(order, dict) or not order.get("uuid"):
            raise ValidationError(self.env._("order.uuid: required"))
        engine = self.env["aba.loyalty.engine"]
        if not engine._use_native():
            return {"path": "off"}
        shim, engine_config = self._aba_till_shim(config)
        if shim.path_for(order["uuid"]) != "native":
            return {"path": "legacy"}
        draft = self._aba_till_draft(config, order)
        card, card_payload = self._aba_till_card(draft, order.get("card"), engine_config)
        redeem, unmapped = [], {}
        if card:
            redeem, unmapped = draft._aba_redeem_requests(card, engine_config)
        payload = draft._aba_sale_payload(card, Decimal(0), redeem)
        payload["card"] = card_payload
        # The units the till's product rewards give for free, of every program (not only the
        # card's): the engine's discounts and points do not count them.
        rewarded = draft.lines.filtered("is_reward_line").reward_id.program_id
        free = [item for program in rewarded for item in draft._aba_free_units(program)]
        if free:
            payload["lines"] = draft._aba_order_lines(
                draft.lines.filtered(lambda ln: ln.qty > 0),
                card.program_id.aba_points_on_tax_included,
                free,
            )
        uuids = {line.id: line.uuid for line in draft.lines}
        for line in payload["lines"]:
            line["id"] = uuids[line["id"]]
        managed = self._aba_till_managed(engine_config)
        try:
            result = shim.evaluate(payload)
        except LoyaltyError as exc:
            return dict(managed, path="native", refused=self._aba_till_refusal(exc))
        return dict(managed, path="native", **self._aba_till_result(result, card_payload, unmapped))

    @api.model
    def _aba_till_shim(self, config):
        """(shim, engine config) for the till of `config`: the engine config of its company
        restricted to the programs this point of sale offers (pos_loyalty's
        `_get_program_ids`: `pos_ok`, and its `pos_config_ids` empty or naming it); the cached
        shim when that is all of them."""
        engine = self.env["aba.loyalty.engine"]
        company_config = engine._engine_config(config.company_id)
        offered = set(config._get_program_ids().ids)
        programs = [p for p in company_config["programs"] if p["id"] in offered]
        if len(programs) == len(company_config["programs"]):
            return engine._shim(config, company=config.company_id), company_config
        till_config = dict(company_config, programs=programs)
        shim = EngineShim(
            till_config,
            use_native=engine._use_native(),
            rollout_percentage=int(config.rust_engine_rollout_percentage),
            shadow=engine._shadow_mode(),
            on_fallback=report_fallback,
            on_difference=report_difference,
            native_module=engine._native_module(),
        )
        # The draft is not a record yet: a report of this call is linked to no order.
        return ReportingShim(shim, self.env), till_config

    @api.model
    def _aba_till_draft(self, config, order):
        """The POS draft as an in-memory pos.order (nothing is written)."""
        partner = self.env["res.partner"].browse(int(order.get("partner_id") or 0)).exists()
        now = fields.Datetime.now()
        membership = self.env["aba.loyalty.membership"].sudo()._valid_at(partner, now)
        lines = []
        for i, line in enumerate(order.get("lines") or []):
            if not line.get("uuid"):
                raise ValidationError(self.env._("order.lines[%(index)s].uuid: required", index=i))
            lines.append(
                Command.create(
                    {
                        "uuid": line["uuid"],
                        "product_id": int(line["product_id"]),
                        "qty": float(line.get("qty") or 0.0),
                        "price_unit": float(line.get("price_unit") or 0.0),
                        "discount": float(line.get("discount") or 0.0),
                        "tax_ids": [Command.set([int(t) for t in line.get("tax_ids") or []])],
                    }
                )
            )
        for line in order.get("reward_lines") or []:
            lines.append(
                Command.create(
                    {
                        "is_reward_line": True,
                        "reward_id": int(line["reward_id"]),
                        "coupon_id": max(int(line.get("coupon_id") or 0), 0) or False,
                        "product_id": int(line["product_id"]),
                        "qty": float(line.get("qty") or 0.0),
                        "points_cost": float(line.get("points_cost") or 0.0),
                    }
                )
            )
        draft = self.new(
            {
                "uuid": order["uuid"],
                "config_id": config.id,
                "company_id": config.company_id.id,
                "partner_id": partner.id or False,
                "date_order": now,
                "fiscal_position_id": int(order.get("fiscal_position_id") or 0) or False,
                "aba_membership_tier": membership.tier_id.code or False,
                "aba_membership_evaluated_at": membership.evaluated_at or False,
                "aba_membership_valid_until": membership.valid_until or False,
                "lines": lines,
            }
        )
        # A combo's items name their combo's line (the engine sees the combo as one line).
        by_uuid = {line.uuid: line for line in draft.lines if not line.is_reward_line}
        for i, line in enumerate(order.get("lines") or []):
            parent_uuid = line.get("combo_parent_uuid")
            if not parent_uuid:
                continue
            if parent_uuid not in by_uuid or parent_uuid == line["uuid"]:
                raise ValidationError(
                    self.env._(
                        "order.lines[%(index)s].combo_parent_uuid: no other line %(uuid)r",
                        index=i,
                        uuid=parent_uuid,
                    )
                )
            by_uuid[line["uuid"]].combo_parent_id = by_uuid[parent_uuid]
        return draft

    @api.model
    def _aba_till_card(self, draft, wanted, engine_config):
        """(loyalty.card of the engine-managed program the till names, or of the partner;
        the engine's `card`). A card the till has not created yet (id <= 0) starts at 0."""
        loyalty_ids = {p["id"] for p in engine_config["programs"] if p["kind"] == "loyalty"}
        cards = self.env["loyalty.card"].sudo()
        wanted = wanted or {}
        card_id = int(wanted.get("id") or 0)
        program_id = int(wanted.get("program_id") or 0)
        if card_id > 0:
            card = cards.browse(card_id).exists()
            if card and card.program_id.id in loyalty_ids:
                return card, {"id": card.id, "program_id": card.program_id.id,
                              "points": Decimal(repr(card.points))}
        elif program_id in loyalty_ids:
            # A card the order will create: the engine takes an id; the till's is negative.
            return cards, {"id": abs(card_id), "program_id": program_id, "points": ZERO}
        card = draft._aba_cards()[:1]
        if card:
            return card, {"id": card.id, "program_id": card.program_id.id,
                          "points": Decimal(repr(card.points))}
        return cards, None

    @api.model
    def _aba_till_managed(self, engine_config):
        return {
            "managed_program_ids": [p["id"] for p in engine_config["programs"]],
            "managed_reward_ids": [
                r["id"] for p in engine_config["programs"] for r in p["rewards"]
            ],
        }

    @api.model
    def _aba_till_refusal(self, exc):
        reason = getattr(exc, "reason", "") or str(exc)
        if isinstance(exc, InsufficientPointsError):
            return f"Not enough loyalty points for this reward: {reason}."
        return f"The loyalty engine refuses this order: {exc}"

    @api.model
    def _aba_till_result(self, result, card_payload, unmapped):
        points = result.get("points")
        till_points = None
        if points and card_payload:
            ok = result["status"] == "ok"
            earned = points["earned"] if ok else ZERO
            spent = points["spent"] + sum(unmapped.values(), ZERO)
            balance = card_payload["points"]
            till_points = {
                "program_id": points["program_id"],
                "earned": _num(earned),
                "spent": _num(spent),
                "balance": _num(balance),
                "balance_after": _num(balance + earned - spent),
                "redeemed": [
                    {"reward_id": item["reward_id"], "points": _num(item["points"])}
                    for item in points.get("redeemed", [])
                ],
            }
        return {
            "engine": result["engine"],
            "status": result["status"],
            "discounts": [
                {
                    "program_id": d["program_id"],
                    "reward_id": d["reward_id"],
                    "amount": _num(d["amount"]),
                    "lines": {str(k): _num(v) for k, v in d["lines"].items()},
                }
                for d in result["discounts"]
            ],
            "points": till_points,
            "warnings": [
                {k: (v if isinstance(v, (int, str)) else str(v)) for k, v in w.items()}
                for w in result.get("warnings", [])
            ],
            "totals": {k: _num(v) for k, v in result["totals"].items()},
        }

    # -- sync of an order the till computed with Odoo's code ----------------------------------

    def _process_saved_order(self, draft):
        order_id = super()._process_saved_order(draft)
        if not draft and self.aba_till_fallback and not self.aba_engine:
            # No card evaluated it (no partner card): the engine still evaluates its
            # promotions, so that the difference with what the till granted is recorded.
            self._aba_till_evaluate_paid()
        return order_id

    def _aba_till_evaluate_paid(self):
        self.ensure_one()
        engine = self.env["aba.loyalty.engine"]
        shim = engine._shim(self.config_id, company=self.company_id, orders=self)
        payload = self._aba_sale_payload(self.env["loyalty.card"], ZERO, [])
        payload["card"] = None
        result = self._aba_evaluate(shim, payload)
        if result is not None:
            self.write(self._aba_result_vals(result, result["status"]))
