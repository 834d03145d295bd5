"""POS orders: membership snapshot at creation, points through the engine and the ledger.

Where it hooks (Odoo 18):
- `create` / `write` (partner or date changed before any points were posted): the membership
  snapshot valid at `date_order`, for online and offline orders alike (an offline order arrives
  with its own date_order).
- `_process_saved_order` (the end of `sync_from_ui` for a non-draft order): the order's points
  are computed by the engine for the partner's existing engine-managed cards, and a refund's
  reversal for the refunded sale's cards.
- `confirm_coupon_programs` (pos_loyalty's RPC after the sync): Odoo's client-computed points
  are zeroed for the programs the engine manages (no more `coupon.points += x`), Odoo creates
  the new cards, then the same computation runs for every card involved.

Two steps, so that a paid order is never refused and the hot card row is held only briefly:
1. **Plan**, in the request's transaction: the engine's result becomes a list of ledger moves
   stored on the order (`aba_loyalty_plan`: card, kind, points, idempotency key), plus what a
   later refund and the loyalty history need (`aba_loyalty_sale`). Nothing here writes (or
   locks) a loyalty card row.
2. **Post**, in its own short READ COMMITTED transaction opened after the request's transaction
   committed (`cr.postcommit`): each planned move through the ledger SQL (card row locked for
   one move, idempotent by key), a redemption the card cannot cover posted down to zero with
   its shortfall recorded (`aba.loyalty.exception`, logged). Lock timeouts and deadlocks are
   retried; any other failure is logged and the order stays `pending`/`failed` for the repair
   cron, which posts the same plan again (the keys make it exactly once). In test mode
   (Odoo's TestCursor runs no post-commit hook) the same posting runs at once on the current
   cursor.
"""

import logging
import random
import time
from decimal import ROUND_DOWN, Decimal

from odoo import api, fields, models, modules
from odoo.sql_db import TestCursor

from ..aba_loyalty_lib.aba_ledger import RETRYABLE_SQLSTATES, idempotency_key, sqlstate
from ..aba_loyalty_lib.aba_legacy_engine import LoyaltyError

_logger = logging.getLogger(__name__)

POSTED_STATES = ("paid", "done", "invoiced")
POSTING_ATTEMPTS = 4
ZERO = Decimal(0)


def _dec(value):
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _post_in_own_transactions(dbname, uid, context, order_ids):
    """Post the planned moves of `order_ids`, each order in its own short READ COMMITTED
    transaction on a new cursor. Runs after the request's transaction committed; never raises
    (the order is committed already: a failure is logged and left to the repair cron)."""
    try:
        registry = modules.registry.Registry(dbname)
    except Exception:
        _logger.exception("asd_aba_loyalty: cannot open registry %s to post orders %s",
                          dbname, order_ids)
        return
    for order_id in order_ids:
        error = None
        for attempt in range(POSTING_ATTEMPTS):
            try:
                with registry.cursor() as cr:
                    if not isinstance(cr, TestCursor):
                        # The first statement of the transaction: the card rows are locked one
                        # move at a time and re-read after each wait, no snapshot to go stale.
                        # (A TestCursor is a savepoint in the test's transaction.)
                        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                    env = api.Environment(cr, uid, context)
                    env["pos.order"].browse(order_id).exists()._aba_post_planned()
                error = None
                break
            except Exception as exc:  # noqa: BLE001 (never an exception to the POS)
                error = exc
                if sqlstate(exc) not in RETRYABLE_SQLSTATES:
                    break
                time.sleep(min(1.0, 0.05 * (2**attempt)) * random.random())
        if error is not None:
            _logger.warning(
                "asd_aba_loyalty: posting of pos.order %s failed, left to the repair cron: %s",
                order_id, error, exc_info=error,
            )
            try:
                with registry.cursor() as cr:
                    cr.execute(
                        "UPDATE pos_order SET aba_posting_state = 'failed', "
                        "aba_posting_error = %s WHERE id = %s AND aba_posting_state = 'pending'",
                        (str(error)[:2000], order_id),
                    )
            except Exception:
                _logger.exception("asd_aba_loyalty: cannot mark pos.order %s failed", order_id)


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
    aba_exception_ids = fields.One2many(
        "aba.loyalty.exception", "pos_order_id", "Loyalty Exceptions", readonly=True
    )
    aba_loyalty_plan = fields.Json(
        "Loyalty Moves Planned",
        readonly=True,
        copy=False,
        help="The ledger moves the engine's result asks for, in posting order.",
    )
    aba_loyalty_sale = fields.Json(
        "Loyalty Result",
        readonly=True,
        copy=False,
        help="Per card: points won and spent, and the redemptions with their discount lines "
        "(what a refund gives back).",
    )
    aba_posting_state = fields.Selection(
        [("pending", "Pending"), ("posted", "Posted"), ("failed", "Failed")],
        "Ledger Posting",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    aba_posting_error = fields.Text("Ledger Posting Error", readonly=True, copy=False)

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

    @api.model
    def sync_from_ui(self, orders):
        # The same order sent twice at once is one order (see aba.loyalty.order.claim).
        self.env["aba.loyalty.order.claim"].sudo()._claim(
            [order.get("uuid") for order in orders]
        )
        return super().sync_from_ui(orders)

    def _process_saved_order(self, draft):
        order_id = super()._process_saved_order(draft)
        if not draft:
            self._aba_apply_loyalty()
        return order_id

    def confirm_coupon_programs(self, coupon_data):
        managed_ids = self._aba_managed_loyalty_programs().ids
        coupon_data = {int(k): dict(v) for k, v in coupon_data.items()}
        for vals in coupon_data.values():
            if vals.get("program_id") in managed_ids:
                # The ledger, not the client's arithmetic, moves these cards' points (and the
                # request's transaction does not write their rows).
                vals["points"] = 0
        result = super().confirm_coupon_programs(coupon_data)
        card_ids = [
            update["id"]
            for update in result.get("coupon_updates", [])
            if update["program_id"] in managed_ids
        ]
        card_ids += [k for k, v in coupon_data.items() if k > 0 and v.get("program_id") in managed_ids]
        cards = self.env["loyalty.card"].sudo().browse(sorted(set(card_ids))).exists()
        for order in self:
            order._aba_apply_loyalty(cards)
        for update in result.get("coupon_updates", []):
            if update["id"] in cards.ids:
                # What the card holds once this order's moves are posted (they are, in test
                # mode; otherwise right after this transaction commits).
                update["points"] = float(self[:1]._aba_expected_balance(cards.browse(update["id"])))
        return result

    def add_loyalty_history_lines(self, coupon_data, coupon_updates):
        """pos_loyalty records the client's won/spent numbers; for engine-managed cards the
        history shows the engine's result stored on the order."""
        managed = self._aba_managed_loyalty_programs()
        id_mapping = {int(item["old_id"]): int(item["id"]) for item in coupon_updates}
        coupon_data = [dict(item) for item in coupon_data]
        for item in coupon_data:
            card = self.env["loyalty.card"].sudo().browse(
                id_mapping.get(int(item["card_id"]), 0)
            ).exists()
            if card and card.program_id in managed:
                info = (self.aba_loyalty_sale or {}).get(str(card.id), {})
                item["won"] = float(_dec(info.get("won")))
                item["spent"] = float(_dec(info.get("spent")))
        return super().add_loyalty_history_lines(coupon_data, coupon_updates)

    # -- engine-managed cards -----------------------------------------------------------------

    def _aba_managed_loyalty_programs(self):
        # Exactly the loyalty programs of the engine's config: a program the engine does not
        # compute keeps Odoo's own points.
        ids = self.env["aba.loyalty.engine"]._managed_loyalty_program_ids(
            self.company_id[:1] or None
        )
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

    # -- plan ---------------------------------------------------------------------------------

    def _aba_apply_loyalty(self, extra_cards=None):
        """Plan this order's points (sale and/or refund part) through the engine, then post
        them (see the module docstring)."""
        self.ensure_one()
        if self.state not in POSTED_STATES:
            return  # points are earned by a paid order only
        if self.lines.refunded_orderline_id:
            self._aba_plan_refund()
        if self.lines.filtered(lambda ln: ln.qty > 0):
            config = self.env["aba.loyalty.engine"]._engine_config(self.company_id)
            for card in self._aba_cards(extra_cards):
                if not self._aba_sale_planned(card):
                    self._aba_plan_sale(card, config)
        self._aba_schedule_posting()

    def _aba_sale_planned(self, card):
        info = (self.aba_loyalty_sale or {}).get(str(card.id))
        # A pending order has no earn yet: it stays open for its re-evaluation.
        return bool(info) and info.get("status") == "ok"

    def _aba_add_to_plan(self, moves, sale_info=None):
        """Append moves to the plan (a key already planned is kept as it is) and merge the
        per-card result."""
        plan = list(self.aba_loyalty_plan or [])
        keys = {entry["key"] for entry in plan}
        for move in moves:
            if move["key"] not in keys:
                plan.append(move)
                keys.add(move["key"])
        vals = {"aba_loyalty_plan": plan}
        if sale_info:
            vals["aba_loyalty_sale"] = dict(self.aba_loyalty_sale or {}, **sale_info)
        self.with_context(aba_snapshot=True).write(vals)

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
            per_reward[line.reward_id.id] += _dec(line.points_cost or 0.0)
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

    def _aba_plan_sale(self, card, config):
        engine_model = self.env["aba.loyalty.engine"]
        program = next((p for p in config["programs"] if p["id"] == card.program_id.id), {})
        redeem, unmapped = self._aba_redeem_requests(card, config)
        requested = sum((r["points"] for r in redeem), ZERO)
        # The engine checks the balance only to refuse; a paid order is not refused, so it sees
        # at least what the order asks. What the card really covers is decided when posting,
        # under the card's lock (posted down to zero, the shortfall recorded).
        balance = max(_dec(card.points), requested)
        shim = engine_model._shim(self.config_id, company=self.company_id)
        result = self._aba_evaluate(
            shim, engine_model._sale_payload(self, card, balance, redeem)
        )
        if result is None and redeem:
            # The redemptions themselves are what the engine refuses: take their points as
            # Odoo's (like an unmapped reward) and evaluate the earning alone.
            for item in redeem:
                unmapped[item["reward_id"]] = unmapped.get(item["reward_id"], ZERO) + item["points"]
            redeem = []
            result = self._aba_evaluate(shim, engine_model._sale_payload(self, card, balance, []))
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
        moves = [m for m in ordered if _dec(m["points"]) != 0]
        info = {
            "status": status,
            "won": str(earned),
            "spent": str(spent),
            "redemptions": redemptions,
        }
        self._aba_add_to_plan(moves, {str(card.id): info})
        if result:
            self._aba_record_result(result, status)

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

    def _aba_record_result(self, result, status):
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
        self.with_context(aba_snapshot=True).write(
            {
                "aba_loyalty_status": status,
                "aba_engine": result["engine"],
                "aba_engine_discount": float(program_discount),
                "aba_pos_discount": pos_discount,
                "aba_discount_mismatch": pos_discount > float(program_discount) + rounding,
            }
        )

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

    def _aba_plan_refund(self):
        """Reverse the points earned by the refunded orders, with their snapshots, and give back
        the points the refunded part of each sale spent (`return` before `refund`)."""
        engine_model = self.env["aba.loyalty.engine"]
        for original in self.lines.refunded_orderline_id.order_id:
            for card_id in self._aba_refund_cards(original):
                if str(card_id) in (self.aba_loyalty_sale or {}):
                    continue
                card = self.env["loyalty.card"].sudo().browse(card_id).exists()
                if not card:
                    _logger.warning(
                        "asd_aba_loyalty: refund %s of %s: loyalty card %s no longer exists",
                        self.uuid, original.uuid, card_id,
                    )
                    continue
                shim = engine_model._shim(self.config_id, company=self.company_id)
                prior = engine_model._refund_original(self, original, card)
                payload = engine_model._refund_payload(self, original, card, _dec(card.points),
                                                       prior)
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
                returned = _dec(points.get("returned"))
                earned = _dec(points.get("earned"))
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
                self._aba_add_to_plan(moves, {str(card.id): info})
                self.with_context(aba_snapshot=True).write(
                    {"aba_loyalty_status": "ok", "aba_engine": result["engine"]}
                )

    # -- post ---------------------------------------------------------------------------------

    def _aba_schedule_posting(self):
        """Post the plan after this transaction commits, in its own transaction (in test mode,
        at once on this cursor: Odoo's TestCursor runs no post-commit hook)."""
        todo = self.filtered(lambda o: o._aba_unposted_entries())
        if not todo:
            return
        todo.with_context(aba_snapshot=True).write(
            {"aba_posting_state": "pending", "aba_posting_error": False}
        )
        if self._aba_post_synchronously():
            todo._aba_post_planned()
            return
        self._aba_post_after_commit(todo.ids)

    @api.model
    def _aba_post_synchronously(self):
        """True while Odoo runs tests: a test's transaction never commits (and Odoo's TestCursor
        runs no post-commit hook, HTTP tours included), so the posting runs at once on the
        current cursor there; the code that posts is the same."""
        return bool(modules.module.current_test) or self.env.registry.in_test_mode()

    @api.model
    def _aba_post_after_commit(self, order_ids):
        """Register `order_ids` for posting once the current transaction commits."""
        cr = self.env.cr
        pending = cr.postcommit.data.setdefault("asd_aba_loyalty.post_orders", [])
        if not pending:
            dbname, uid, context = cr.dbname, self.env.uid, dict(self.env.context)

            def post():
                _post_in_own_transactions(dbname, uid, context, list(dict.fromkeys(pending)))

            cr.postcommit.add(post)
        pending.extend(order_ids)

    def _aba_unposted_entries(self):
        plan = self.aba_loyalty_plan or []
        if not plan:
            return []
        moves = self.env["aba.loyalty.point.move"].sudo().search(
            [("idempotency_key", "in", [entry["key"] for entry in plan])]
        )
        posted = set(moves.mapped("idempotency_key"))
        return [entry for entry in plan if entry["key"] not in posted]

    def _aba_post_planned(self):
        """Post every planned move of these orders that is not posted yet, in plan order, each
        under its card's lock, idempotent by key; what a card cannot cover is posted down to
        zero and recorded. Then the order is `posted`."""
        moves = self.env["aba.loyalty.point.move"].sudo()
        exceptions = self.env["aba.loyalty.exception"].sudo()
        for order in self.sudo():
            for entry in order.aba_loyalty_plan or []:
                card = self.env["loyalty.card"].sudo().browse(entry["card"]).exists()
                if not card:
                    _logger.warning(
                        "asd_aba_loyalty: order %s: loyalty card %s deleted before its %s move "
                        "was posted", order.uuid, entry["card"], entry["kind"],
                    )
                    continue
                result = moves._post(
                    card, entry["kind"], _dec(entry["points"]), order=order, key=entry["key"],
                    engine=entry.get("engine"), clamp=bool(entry.get("clamp")),
                )
                if result.created and result.shortfall > 0:
                    exceptions._record(
                        card=card,
                        reason="insufficient_points",
                        requested=_dec(entry.get("requested") or -_dec(entry["points"])),
                        covered=-result.points,
                        key=entry["key"],
                        order=order,
                        move_id=result.move_id,
                    )
            order.with_context(aba_snapshot=True).write(
                {"aba_posting_state": "posted", "aba_posting_error": False}
            )

    def _aba_expected_balance(self, card):
        """The card's balance once this order's planned moves are posted."""
        balance = _dec(card.points)
        for entry in self._aba_unposted_entries():
            if entry["card"] == card.id:
                balance = max(balance + _dec(entry["points"]), ZERO)
        return balance

    @api.model
    def _cron_repair_postings(self, batch=200, min_age_minutes=2):
        """Orders whose posting failed, or is still pending some minutes after their commit (a
        worker that died between commit and posting): post their plan again, each in its own
        transaction. The keys make every move exactly once. Also forgets old order claims."""
        self.env["aba.loyalty.order.claim"].sudo()._purge()
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT id FROM pos_order
             WHERE aba_posting_state = 'failed'
                OR (aba_posting_state = 'pending'
                    AND write_date < (now() AT TIME ZONE 'UTC') - make_interval(mins => %s))
             ORDER BY id
             LIMIT %s
            """,
            (min_age_minutes, batch),
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if not ids:
            return self.browse()
        orders = self.browse(ids)
        if self._aba_post_synchronously():
            orders._aba_post_planned()
        else:
            self._aba_post_after_commit(ids)
        _logger.info("asd_aba_loyalty: %d order posting(s) repaired", len(ids))
        return orders

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
            except Exception as exc:  # noqa: BLE001 (one order must not block others)
                _logger.warning("asd_aba_loyalty: pending order %s not re-evaluated: %s",
                                order.uuid, exc)
                continue
            done |= order
        _logger.info("asd_aba_loyalty: %d pending order(s) re-evaluated", len(done))
        return done
