"""POS orders: membership snapshot at creation, points through the engine and the ledger.

This file: the fields and the membership snapshot; the POS hooks in pos_order_sync.py, the
engine documents in pos_order_payload.py, the plan in pos_order_plan.py, the posting in
pos_order_posting.py.

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

from odoo import api, fields, models


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
            vals = {
                "aba_membership_tier": membership.tier_id.code or False,
                "aba_membership_evaluated_at": membership.evaluated_at or False,
                "aba_membership_valid_until": membership.valid_until or False,
            }
            # A new order of a customer without membership has nothing to write (a write of
            # a pos.order costs its mail tracking and the ORM's checks).
            if any(order[fname] != value for fname, value in vals.items()):
                order.with_context(aba_snapshot=True).write(vals)
