"""POS orders: membership snapshot at creation, points through the engine and the ledger.

Where it hooks (Odoo 18):
- `create` / `write` (partner or date changed before any points were posted): the membership
  snapshot valid at `date_order`, for online and offline orders alike (an offline order arrives
  with its own date_order).
- `_process_saved_order` (the end of `sync_from_ui` for a non-draft order): the order's points
  are earned/spent on the partner's existing cards, and a refund reverses the points of the
  refunded lines. A re-sent order finds its ledger keys taken and changes nothing.
- `confirm_coupon_programs` (pos_loyalty's RPC after the sync): Odoo's client-computed points
  are zeroed for the programs the engine manages (no more `coupon.points += x`), Odoo creates
  the new cards, then the same `_aba_apply_loyalty` posts the points for every card involved.
"""

import logging
from decimal import ROUND_DOWN, Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.aba_ledger import idempotency_key
from ..lib.aba_legacy_engine import InsufficientPointsError, LoyaltyError

_logger = logging.getLogger(__name__)


class PosOrder(models.Model):
    _inherit = "pos.order"

    aba_membership_tier = fields.Char(
        "Membership Tier", readonly=True, copy=False, help="Tier code of the snapshot."
    )
    aba_membership_evaluated_at = fields.Datetime(
        "Membership Evaluated At", readonly=True, copy=False
    )
    aba_membership_valid_until = fields.Datetime(
        "Membership Valid Until", readonly=True, copy=False
    )
    aba_loyalty_status = fields.Selection(
        [("ok", "OK"), ("pending_membership", "Pending membership")],
        "Loyalty Status",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    aba_engine = fields.Char("Loyalty Engine", readonly=True, copy=False)
    aba_engine_discount = fields.Float(
        "Engine Discount",
        readonly=True,
        copy=False,
        help="Program discounts of this order as the engine computes them from base prices.",
    )
    aba_pos_discount = fields.Float(
        "POS Reward Discount",
        readonly=True,
        copy=False,
        help="Discount of the reward lines the point of sale sent.",
    )
    aba_discount_mismatch = fields.Boolean(
        "Discount Mismatch",
        readonly=True,
        copy=False,
        help="The point of sale granted more discount than the engine allows.",
    )
    aba_point_move_ids = fields.One2many(
        "aba.loyalty.point.move", "pos_order_id", "Loyalty Ledger Moves", readonly=True
    )

    # -- membership snapshot ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._aba_take_snapshot()
        return orders

    def write(self, vals):
        res = super().write(vals)
        if ("partner_id" in vals or "date_order" in vals) and not self.env.context.get(
            "aba_snapshot"
        ):
            self.filtered(lambda o: not o.aba_loyalty_status)._aba_take_snapshot()
        return res

    def _aba_take_snapshot(self):
        """Store the partner's membership valid at the order's date_order (or clear it)."""
        memberships = self.env["aba.loyalty.membership"].sudo()
        for order in self:
            membership = memberships._valid_at(order.partner_id, order.date_order)
            order.with_context(aba_snapshot=True).write(
                {
                    "aba_membership_tier": membership.tier_id.code or False,
                    "aba_membership_evaluated_at": membership.evaluated_at or False,
                    "aba_membership_valid_until": membership.valid_until or False,
                }
            )

    # -- POS hooks ----------------------------------------------------------------------------

    def _process_saved_order(self, draft):
        order_id = super()._process_saved_order(draft)
        if not draft:
            self._aba_apply_loyalty()
        return order_id

    def confirm_coupon_programs(self, coupon_data):
        managed = self._aba_managed_loyalty_programs()
        coupon_data = {int(k): dict(v) for k, v in coupon_data.items()}
        for vals in coupon_data.values():
            if vals.get("program_id") in managed.ids:
                # The ledger, not the client's arithmetic, moves these cards' points.
                vals["points"] = 0
        result = super().confirm_coupon_programs(coupon_data)
        card_ids = [
            update["id"]
            for update in result.get("coupon_updates", [])
            if update["program_id"] in managed.ids
        ]
        card_ids += [k for k, v in coupon_data.items() if k > 0 and v.get("program_id") in managed.ids]
        cards = self.env["loyalty.card"].sudo().browse(sorted(set(card_ids))).exists()
        for order in self:
            order._aba_apply_loyalty(cards)
        for update in result.get("coupon_updates", []):
            if update["id"] in cards.ids:
                update["points"] = cards.browse(update["id"]).points
        return result

    def add_loyalty_history_lines(self, coupon_data, coupon_updates):
        """pos_loyalty records the client's won/spent numbers; for engine-managed cards the
        history shows what the ledger really posted for this order."""
        managed = self._aba_managed_loyalty_programs()
        id_mapping = {int(item["old_id"]): int(item["id"]) for item in coupon_updates}
        coupon_data = [dict(item) for item in coupon_data]
        for item in coupon_data:
            card = self.env["loyalty.card"].sudo().browse(
                id_mapping.get(int(item["card_id"]), 0)
            ).exists()
            if card and card.program_id in managed:
                moves = self.aba_point_move_ids.filtered(lambda m, c=card: m.card_id == c)
                item["won"] = sum(moves.filtered(lambda m: m.kind == "earn").mapped("points"))
                item["spent"] = -sum(
                    moves.filtered(lambda m: m.kind == "redeem").mapped("points")
                )
        return super().add_loyalty_history_lines(coupon_data, coupon_updates)

    # -- points -------------------------------------------------------------------------------

    def _aba_managed_loyalty_programs(self):
        # Exactly the loyalty programs of the engine's config: a program the engine does not
        # compute keeps Odoo's own points.
        config = self.env["aba.loyalty.engine"]._engine_config(self.company_id[:1] or None)
        ids = [p["id"] for p in config["programs"] if p["kind"] == "loyalty"]
        return self.env["loyalty.program"].sudo().browse(ids)

    def _aba_cards(self, extra_cards=None):
        """The engine-managed loyalty cards this order touches: the cards of its reward lines,
        the partner's cards, and the ones `confirm_coupon_programs` created."""
        self.ensure_one()
        programs = self._aba_managed_loyalty_programs()
        cards = self.lines.coupon_id.sudo()
        if self.partner_id:
            cards |= (
                self.env["loyalty.card"]
                .sudo()
                .search(
                    [("partner_id", "=", self.partner_id.id), ("program_id", "in", programs.ids)],
                    order="id",
                )
            )
        if extra_cards:
            cards |= extra_cards
        cards = cards.filtered(lambda c: c.program_id in programs)
        # One card per program (Odoo's own rule, see _check_existing_loyalty_cards).
        per_program = {}
        for card in cards.sorted("id"):
            per_program.setdefault(card.program_id.id, card)
        return self.env["loyalty.card"].sudo().browse(c.id for c in per_program.values())

    def _aba_apply_loyalty(self, extra_cards=None):
        """Post this order's points (sale and/or refund part) through engine and ledger."""
        self.ensure_one()
        if self.state not in ("paid", "done", "invoiced"):
            return  # points are earned by a paid order only
        if self.lines.refunded_orderline_id:
            self._aba_apply_refund()
        if not self.lines.filtered(lambda ln: ln.qty > 0):
            return
        config = self.env["aba.loyalty.engine"]._engine_config(self.company_id)
        for card in self._aba_cards(extra_cards):
            if not self._aba_sale_done(card):
                self._aba_apply_sale(card, config)

    def _aba_sale_done(self, card):
        keys = [idempotency_key(self.uuid, card.id, kind) for kind in ("earn", "redeem")]
        moves = self.env["aba.loyalty.point.move"].sudo().search(
            [("idempotency_key", "in", keys)]
        )
        # A pending order has no earn move yet: it stays open for its re-evaluation.
        return bool(moves.filtered(lambda m: m.kind == "earn")) or (
            bool(moves) and self.aba_loyalty_status == "ok"
        )

    def _aba_lock_balance(self, card):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT COALESCE(points, 0)::numeric FROM loyalty_card WHERE id = %s FOR UPDATE",
            (card.id,),
        )
        return Decimal(self.env.cr.fetchone()[0])

    def _aba_redeem_requests(self, card, config):
        """(engine `redeem` items, points of unmapped rewards) from the order's reward lines."""
        mapped = {
            reward["id"]: reward
            for program in config["programs"]
            if program["id"] == card.program_id.id
            for reward in program["rewards"]
        }
        per_reward = {}
        for line in self.lines.filtered(lambda ln: ln.is_reward_line and ln.coupon_id == card):
            per_reward.setdefault(line.reward_id.id, Decimal(0))
            per_reward[line.reward_id.id] += Decimal(repr(line.points_cost or 0.0))
        redeem, unmapped = [], Decimal(0)
        for reward_id, points in per_reward.items():
            points = points.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            reward = mapped.get(reward_id)
            fixed_cost = reward and reward["mode"] in ("percent", "fixed")
            if points <= 0:
                continue
            if reward is None or (fixed_cost and points != reward["required_points"]):
                unmapped += points
            else:
                redeem.append({"reward_id": reward_id, "points": points})
        return redeem, unmapped

    def _aba_evaluate(self, shim, payload):
        try:
            return shim.evaluate(payload)
        except InsufficientPointsError as exc:
            raise UserError(
                self.env._("Not enough loyalty points for order %(order)s: %(error)s",
                  order=self.display_name, error=exc)
            ) from exc
        except LoyaltyError as exc:
            raise UserError(
                self.env._("The loyalty engine refused order %(order)s: %(error)s",
                  order=self.display_name, error=exc)
            ) from exc

    def _aba_apply_sale(self, card, config):
        moves = self.env["aba.loyalty.point.move"].sudo()
        engine_model = self.env["aba.loyalty.engine"]
        balance = self._aba_lock_balance(card)
        # Re-evaluating (a pending order): its redemption is already posted, so the engine must
        # see the balance from before it.
        posted = moves.search(
            [("idempotency_key", "=", idempotency_key(self.uuid, card.id, "redeem"))]
        )
        balance -= Decimal(repr(posted.points)) if posted else Decimal(0)
        redeem, unmapped = self._aba_redeem_requests(card, config)
        if unmapped > balance:
            raise UserError(
                self.env._("Not enough loyalty points on card %(card)s.", card=card.display_name)
            )
        shim = engine_model._shim(self.config_id, company=self.company_id)
        payload = engine_model._sale_payload(self, card, balance - unmapped, redeem)
        result = self._aba_evaluate(shim, payload)
        points = result["points"]
        spent = unmapped + (points["spent"] if points else Decimal(0))
        if spent > 0:
            moves._post(card, "redeem", -spent, order=self, engine=result["engine"])
        status = result["status"]
        if points and status == "ok" and points["earned"] > 0:
            moves._post(card, "earn", points["earned"], order=self, engine=result["engine"])
        self._aba_record_result(result, status if points else "ok")

    def _aba_record_result(self, result, status):
        program_discount = sum(
            (d["amount"] for d in result["discounts"]), Decimal(0)
        )
        pos_discount = -sum(
            ln.qty * ln.price_unit for ln in self.lines if ln.is_reward_line
        )
        rounding = self.currency_id.rounding or 0.01
        self.with_context(aba_snapshot=True).write(
            {
                "aba_loyalty_status": status,
                "aba_engine": result["engine"],
                "aba_engine_discount": float(program_discount),
                "aba_pos_discount": pos_discount,
                "aba_discount_mismatch": pos_discount > float(program_discount) + rounding,
            }
        )

    def _aba_apply_refund(self):
        """Reverse the points earned by the refunded orders, with their snapshots."""
        moves = self.env["aba.loyalty.point.move"].sudo()
        engine_model = self.env["aba.loyalty.engine"]
        for original in self.lines.refunded_orderline_id.order_id:
            earned = moves.search([("pos_order_id", "=", original.id), ("kind", "=", "earn")])
            for card in earned.card_id:
                key = idempotency_key(self.uuid, card.id, "refund")
                if moves.search_count([("idempotency_key", "=", key)]):
                    continue
                balance = self._aba_lock_balance(card)
                shim = engine_model._shim(self.config_id, company=self.company_id)
                payload = engine_model._refund_payload(self, original, card, balance)
                if not payload["lines"]:
                    continue
                result = self._aba_evaluate(shim, payload)
                points = result["points"]
                if points and points["earned"] < 0:
                    moves._post(card, "refund", points["earned"], order=self,
                                engine=result["engine"])
                self.with_context(aba_snapshot=True).write(
                    {"aba_loyalty_status": "ok", "aba_engine": result["engine"]}
                )

    # -- pending re-evaluation ----------------------------------------------------------------

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
            except UserError as exc:
                # One order the engine refuses must not block the others.
                _logger.warning("asd_aba_loyalty: pending order %s not re-evaluated: %s",
                                order.uuid, exc)
                continue
            done |= order
        _logger.info("asd_aba_loyalty: %d pending order(s) re-evaluated", len(done))
        return done
