"""POS orders: step 1, the plan (see pos_order.py): the engine's result as ledger moves stored
on the order, for a sale and for a refund; and the re-evaluation of orders left pending a
membership."""

import logging
from decimal import ROUND_DOWN, Decimal

from odoo import api, models

from ..aba_loyalty_lib.aba_ledger import idempotency_key
from ..aba_loyalty_lib.aba_legacy_engine import LoyaltyError
from .engine_numbers import ZERO, to_decimal

_logger = logging.getLogger(__name__)

POSTED_STATES = ("paid", "done", "invoiced")


class PosOrderPlan(models.Model):
    _inherit = "pos.order"

    def _aba_apply_loyalty(self, extra_cards=None):
        """Plan this order's points (sale and/or refund part) through the engine, then post
        them (see the module docstring)."""
        self.ensure_one()
        if self.state not in POSTED_STATES:
            return  # points are earned by a paid order only
        # What the plan changes on the order, written once at the end (each write of a
        # pos.order goes through mail tracking and the ORM's checks: one, not one per step).
        vals = {}
        if self.lines.refunded_orderline_id:
            self._aba_plan_refund(vals)
        if self.lines.filtered(lambda ln: ln.qty > 0):
            config = self.env["aba.loyalty.engine"]._engine_config(self.company_id)
            for card in self._aba_cards(extra_cards):
                if not self._aba_sale_planned(card, vals):
                    self._aba_plan_sale(card, config, vals)
        self._aba_schedule_posting(vals)

    def _aba_planned(self, vals, fname):
        """The order's `fname` as the plan being made (`vals`) leaves it."""
        return vals[fname] if fname in vals else self[fname]

    def _aba_sale_planned(self, card, vals):
        info = (self._aba_planned(vals, "aba_loyalty_sale") or {}).get(str(card.id))
        # A pending order has no earn yet: it stays open for its re-evaluation.
        return bool(info) and info.get("status") == "ok"

    def _aba_add_to_plan(self, vals, moves, sale_info=None):
        """Append moves to the plan (a key already planned is kept as it is) and merge the
        per-card result, into `vals`."""
        plan = list(self._aba_planned(vals, "aba_loyalty_plan") or [])
        keys = {entry["key"] for entry in plan}
        for move in moves:
            if move["key"] not in keys:
                plan.append(move)
                keys.add(move["key"])
        vals["aba_loyalty_plan"] = plan
        if sale_info:
            vals["aba_loyalty_sale"] = dict(
                self._aba_planned(vals, "aba_loyalty_sale") or {}, **sale_info
            )

    def _aba_redeem_requests(self, card, config):
        """(engine `redeem` items, {reward_id: points} of the rewards the engine does not map)
        from the order's reward lines on `card`."""
        mapped = {
            reward["id"]: reward
            for program in config["programs"]
            if program["id"] == card.program_id.id
            for reward in program["rewards"]
        }
        per_reward = {}
        for line in self.lines.filtered(lambda ln: ln.is_reward_line and ln.coupon_id == card):
            per_reward.setdefault(line.reward_id.id, ZERO)
            per_reward[line.reward_id.id] += to_decimal(line.points_cost or 0.0)
        redeem, unmapped = [], {}
        # Points carry the config's precision (Odoo's points_cost is a float).
        step = Decimal(1).scaleb(-config["points_precision"])
        for reward_id, points in per_reward.items():
            points = points.quantize(step, rounding=ROUND_DOWN)
            reward = mapped.get(reward_id)
            fixed_cost = reward and reward["mode"] in ("percent", "fixed")
            if points <= 0:
                continue
            if reward is None or (fixed_cost and points != reward["required_points"]):
                # Product rewards ("Buy 4, take 1") and the like: Odoo computes them, the
                # ledger takes their points cost from the same available points.
                unmapped[reward_id] = points
            else:
                redeem.append({"reward_id": reward_id, "points": points})
        return redeem, unmapped

    def _aba_evaluate(self, shim, payload):
        """The engine's result, or None (logged) when the engine refuses the order: a paid
        order is never refused at sync."""
        try:
            return shim.evaluate(payload)
        except LoyaltyError as exc:
            _logger.warning(
                "asd_aba_loyalty: the loyalty engine refused order %s (%s): %s",
                self.uuid, self.display_name, exc,
            )
            return None

    def _aba_plan_sale(self, card, config, vals):
        program = next((p for p in config["programs"] if p["id"] == card.program_id.id), {})
        redeem, unmapped = self._aba_redeem_requests(card, config)
        requested = sum((r["points"] for r in redeem), ZERO)
        # The engine checks the balance only to refuse; a paid order is not refused, so it sees
        # at least what the order asks. What the card really covers is decided when posting,
        # under the card's lock (posted down to zero, the shortfall recorded).
        balance = max(to_decimal(card.points), requested)
        shim = self.env["aba.loyalty.engine"]._shim(
            self.config_id, company=self.company_id, orders=self
        )
        result = self._aba_evaluate(shim, self._aba_sale_payload(card, balance, redeem))
        if result is None and redeem:
            # The redemptions themselves are what the engine refuses: take their points as
            # Odoo's (like an unmapped reward) and evaluate the earning alone.
            for item in redeem:
                unmapped[item["reward_id"]] = unmapped.get(item["reward_id"], ZERO) + item["points"]
            redeem = []
            result = self._aba_evaluate(shim, self._aba_sale_payload(card, balance, []))
        points = (result or {}).get("points")
        status = result["status"] if result and points else "ok"
        engine = result["engine"] if result else None
        earned = points["earned"] if points and status == "ok" else ZERO
        spent = (points["spent"] if points else ZERO) + sum(unmapped.values(), ZERO)
        redemptions = self._aba_redemptions(result, unmapped)
        earn = {"card": card.id, "kind": "earn", "points": str(earned), "engine": engine,
                "key": idempotency_key(self.uuid, card.id, "earn")}
        spend = {"card": card.id, "kind": "redeem", "points": str(-spent), "engine": engine,
                 "key": idempotency_key(self.uuid, card.id, "redeem"), "clamp": True,
                 "requested": str(spent)}
        # The order of the moves is the rule: with spend_earned (Odoo's applies_on current or
        # both) this order's points may pay its rewards; without, only what the card held.
        ordered = [earn, spend] if program.get("spend_earned") else [spend, earn]
        moves = [m for m in ordered if to_decimal(m["points"]) != 0]
        info = {
            "status": status,
            "won": str(earned),
            "spent": str(spent),
            "redemptions": redemptions,
        }
        self._aba_add_to_plan(vals, moves, {str(card.id): info})
        if result:
            vals.update(self._aba_result_vals(result, status))

    @api.model
    def _aba_redemptions(self, result, unmapped):
        """The redemptions of a sale as a later refund passes them back to the engine
        (`original.redemptions`): per applied reward, its points, its discount and the discount
        per line; a reward the engine does not map has no discount (amount 0)."""
        redemptions = []
        if result and result.get("points"):
            discounts = {d["reward_id"]: d for d in result["discounts"]}
            for item in result["points"].get("redeemed", []):
                discount = discounts.get(item["reward_id"], {})
                redemptions.append(
                    {
                        "reward_id": item["reward_id"],
                        "points": str(item["points"]),
                        "amount": str(discount.get("amount", ZERO)),
                        "lines": {
                            str(k): str(v) for k, v in discount.get("lines", {}).items()
                        },
                    }
                )
        for reward_id, points in unmapped.items():
            redemptions.append(
                {"reward_id": reward_id, "points": str(points), "amount": "0", "lines": {}}
            )
        return redemptions

    def _aba_result_vals(self, result, status):
        """The order's fields that record the engine's result."""
        program_discount = sum(
            (d["amount"] for d in result["discounts"]), ZERO
        )
        # The till's discount lines of the rewards the engine computes (not product rewards,
        # nor the programs left to Odoo: discount codes, gift cards, eWallets).
        config = self.env["aba.loyalty.engine"]._engine_config(self.company_id)
        engine_rewards = {r["id"] for p in config["programs"] for r in p["rewards"]}
        pos_discount = -sum(
            ln.qty * ln.price_unit
            for ln in self.lines
            if ln.is_reward_line and ln.reward_id.id in engine_rewards
        )
        rounding = self.currency_id.rounding or 0.01
        return {
            "aba_loyalty_status": status,
            "aba_engine": result["engine"],
            "aba_engine_discount": float(program_discount),
            "aba_pos_discount": pos_discount,
            "aba_discount_mismatch": pos_discount > float(program_discount) + rounding,
        }

    def _aba_refund_cards(self, original):
        """The cards of the sale's points: from its stored result, else (an order from before
        the addon's 18.0.2) from its ledger moves."""
        ids = [int(k) for k in (original.aba_loyalty_sale or {})]
        if not ids:
            moves = self.env["aba.loyalty.point.move"].sudo().search(
                [("pos_order_id", "=", original.id), ("kind", "in", ("earn", "redeem"))]
            )
            ids = sorted(set(moves.mapped("card_id")))
        return ids

    def _aba_plan_refund(self, vals):
        """Reverse the points earned by the refunded orders, with their snapshots, and give back
        the points the refunded part of each sale spent (`return` before `refund`), into
        `vals`."""
        engine_model = self.env["aba.loyalty.engine"]
        for original in self.lines.refunded_orderline_id.order_id:
            for card_id in self._aba_refund_cards(original):
                if str(card_id) in (self._aba_planned(vals, "aba_loyalty_sale") or {}):
                    continue
                card = self.env["loyalty.card"].sudo().browse(card_id).exists()
                if not card:
                    _logger.warning(
                        "asd_aba_loyalty: refund %s of %s: loyalty card %s no longer exists",
                        self.uuid, original.uuid, card_id,
                    )
                    continue
                shim = engine_model._shim(self.config_id, company=self.company_id, orders=self)
                prior = self._aba_refund_original(original, card)
                payload = self._aba_refund_payload(original, card, to_decimal(card.points), prior)
                if not payload["lines"]:
                    continue
                result = self._aba_evaluate(shim, payload)
                if result is None and prior is not None:
                    # An engine without `original` (or a sale it cannot read back): the points
                    # earned are still reversed.
                    payload.pop("original", None)
                    for line in payload["lines"]:
                        line.pop("origin_line_id", None)
                    result = self._aba_evaluate(shim, payload)
                if result is None:
                    continue
                points = result["points"] or {}
                returned = to_decimal(points.get("returned"))
                earned = to_decimal(points.get("earned"))
                moves = []
                if returned > 0:
                    moves.append({"card": card.id, "kind": "return", "points": str(returned),
                                  "engine": result["engine"],
                                  "key": f"return:{card.id}:{self.uuid}"})
                if earned < 0:
                    moves.append({"card": card.id, "kind": "refund", "points": str(earned),
                                  "engine": result["engine"],
                                  "key": idempotency_key(self.uuid, card.id, "refund")})
                info = {"status": "ok", "refund_of": original.uuid, "returned": str(returned),
                        "won": str(earned), "spent": str(-returned)}
                self._aba_add_to_plan(vals, moves, {str(card.id): info})
                vals.update({"aba_loyalty_status": "ok", "aba_engine": result["engine"]})

    @api.model
    def _cron_reevaluate_pending(self, batch=200):
        """Orders left `pending_membership`: once a membership covers their date, take the
        snapshot and earn their points (exactly once: the earn key). Only orders that now have
        such a membership are picked, so old unresolvable ones never starve the batch."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT o.id FROM pos_order o
             WHERE o.aba_loyalty_status = 'pending_membership'
               AND EXISTS (SELECT 1 FROM aba_loyalty_membership m
                            WHERE m.partner_id = o.partner_id
                              AND m.evaluated_at <= o.date_order
                              AND m.valid_until >= o.date_order)
             ORDER BY o.id
             LIMIT %s
            """,
            (batch,),
        )
        orders = self.browse([row[0] for row in self.env.cr.fetchall()])
        done = self.browse()
        for order in orders:
            try:
                with self.env.cr.savepoint():
                    order._aba_take_snapshot()
                    order._aba_apply_loyalty()
            except Exception as exc:  # noqa: BLE001 (one order must not block others)
                _logger.warning("asd_aba_loyalty: pending order %s not re-evaluated: %s",
                                order.uuid, exc)
                continue
            done |= order
        _logger.info("asd_aba_loyalty: %d pending order(s) re-evaluated", len(done))
        return done
