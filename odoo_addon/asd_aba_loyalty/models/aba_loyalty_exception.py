import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

POINTS_DIGITS = (16, 6)


class AbaLoyaltyException(models.Model):
    """What a paid order (or a balance change) asked of a card that the card could not cover.

    A paid POS order is a sale that already happened: it is never refused at sync. What the card
    cannot cover (an offline till, another till that spent the points first, a product reward
    whose cost the till did not check) is posted down to zero, the rest recorded here and on the
    ledger move (`shortfall`), and logged. A manager reviews these records."""

    _name = "aba.loyalty.exception"
    _description = "Loyalty Points Exception"
    _order = "id desc"
    _rec_name = "key"

    pos_order_id = fields.Many2one("pos.order", "Order", readonly=True, index="btree_not_null")
    order_uid = fields.Char(readonly=True)
    card_id = fields.Integer("Card ID", readonly=True, index=True)
    card_code = fields.Char(readonly=True)
    loyalty_card_id = fields.Many2one(
        "loyalty.card", "Card", readonly=True, ondelete="set null", index="btree_not_null"
    )
    partner_id = fields.Many2one("res.partner", readonly=True)
    program_id = fields.Many2one("loyalty.program", readonly=True)
    move_id = fields.Many2one("aba.loyalty.point.move", "Ledger Move", readonly=True)
    reason = fields.Selection(
        [
            ("insufficient_points", "Points spent beyond the balance"),
            ("adjust_below_zero", "Balance change below zero"),
        ],
        required=True,
        readonly=True,
    )
    requested = fields.Float(digits=POINTS_DIGITS, readonly=True, help="Points asked for.")
    covered = fields.Float(digits=POINTS_DIGITS, readonly=True, help="Points the card gave.")
    shortfall = fields.Float(
        digits=POINTS_DIGITS, readonly=True, help="Points asked for that the card did not have."
    )
    state = fields.Selection(
        [("new", "New"), ("reviewed", "Reviewed")], default="new", required=True, index=True
    )
    note = fields.Text()
    key = fields.Char(required=True, readonly=True)

    _sql_constraints = [
        ("key_unique", "UNIQUE(key)", "This loyalty exception is already recorded."),
    ]

    @api.model
    def _record(self, card, reason, requested, covered, key, order=None, move_id=None):
        """Record (once per key) and log what `card` could not cover."""
        existing = self.search([("key", "=", key)], limit=1)
        if existing:
            return existing
        shortfall = float(requested) - float(covered)
        _logger.warning(
            "asd_aba_loyalty: %s on card %s (%s): %s point(s) asked, %s covered, shortfall %s%s",
            reason, card.id, card.code, requested, covered, shortfall,
            f", order {order.uuid} ({order.name})" if order else "",
        )
        return self.create(
            {
                "pos_order_id": order.id if order else False,
                "order_uid": order.uuid if order else False,
                "card_id": card.id,
                "card_code": card.code,
                "loyalty_card_id": card.id,
                "partner_id": (order.partner_id.id if order else False) or card.partner_id.id,
                "program_id": card.program_id.id,
                "move_id": move_id,
                "reason": reason,
                "requested": float(requested),
                "covered": float(covered),
                "shortfall": shortfall,
                "key": key,
            }
        )

    def action_mark_reviewed(self):
        self.write({"state": "reviewed"})

    def action_reset_new(self):
        self.write({"state": "new"})
