from uuid import uuid4

from odoo import api, models

from ..lib.aba_ledger import ensure_card_check


class LoyaltyCard(models.Model):
    """Every change of `points` goes through the ledger: a new card gets an `opening` move, a
    write of `points` (gift cards, eWallets, coupons, the balance wizard, partner merge: the
    flows this addon does not compute) becomes an `adjust` move of the difference the caller
    meant, applied by one SQL increment under the card's row lock."""

    _inherit = "loyalty.card"

    def init(self):
        # NOT VALID first: negative balances left by the old flow are repaired by the install
        # hook, which then validates the constraint.
        ensure_card_check(self.env.cr)

    @api.model_create_multi
    def create(self, vals_list):
        cards = super().create(vals_list)
        moves = self.env["aba.loyalty.point.move"].sudo()
        for card in cards:
            moves._post(card, "opening", card.points or 0.0, key=f"opening:{card.id}")
        return cards

    def write(self, vals):
        if "points" not in vals:
            return super().write(vals)
        vals = dict(vals)
        new_points = vals.pop("points") or 0.0
        before = {card: card.points for card in self}
        moves = self.env["aba.loyalty.point.move"].sudo()
        for card in self:
            delta = new_points - (before[card] or 0.0)
            if delta:
                moves._post(card, "adjust", delta, key=f"adjust:{card.id}:{uuid4().hex}")
        res = super().write(vals) if vals else True
        changes = {card: {"old": before[card], "new": card.points} for card in self}
        self._send_points_reach_communication(changes)
        return res
