from uuid import uuid4

from odoo import api, models


class LoyaltyCard(models.Model):
    """The cards of the loyalty programs the engine manages keep their points in the ledger: a
    new one gets an `opening` move, a write of `points` (the balance wizard, partner merge, a
    sale order's loyalty flow: the flows this addon does not compute) becomes an `adjust` move of
    the difference the caller meant, applied by one SQL increment under the card's row lock, and
    never below zero (clamped, the shortfall recorded).

    Every other card (coupons, gift cards, eWallets, next-order coupons, programs the engine
    cannot express) passes straight to Odoo: created, written and deleted exactly as stock."""

    _inherit = "loyalty.card"

    def _aba_managed(self):
        """The cards of this recordset whose program the engine manages."""
        if not self:
            return self
        engine = self.env["aba.loyalty.engine"]
        managed = set()
        for company in self.sudo().program_id.company_id | self.env.company:
            managed.update(engine._managed_loyalty_program_ids(company))
        return self.filtered(lambda card: card.sudo().program_id.id in managed)

    @api.model_create_multi
    def create(self, vals_list):
        cards = super().create(vals_list)
        moves = self.env["aba.loyalty.point.move"].sudo()
        for card in cards._aba_managed():
            moves._post(card, "opening", card.points or 0.0, key=f"opening:{card.id}")
        return cards

    def write(self, vals):
        if "points" not in vals:
            return super().write(vals)
        managed = self._aba_managed()
        others = self - managed
        res = super(LoyaltyCard, others).write(vals) if others else True
        if not managed:
            return res
        vals = dict(vals)
        new_points = vals.pop("points") or 0.0
        before = {card: card.points for card in managed}
        moves = self.env["aba.loyalty.point.move"].sudo()
        for card in managed:
            delta = new_points - (before[card] or 0.0)
            if delta:
                result = moves._post(
                    card, "adjust", delta, key=f"adjust:{card.id}:{uuid4().hex}", clamp=True
                )
                if result.shortfall:
                    self.env["aba.loyalty.exception"].sudo()._record(
                        card=card,
                        reason="adjust_below_zero",
                        requested=-delta,
                        covered=-float(result.points),
                        key=f"adjust-exception:{result.move_id}",
                    )
        res = super(LoyaltyCard, managed).write(vals) if vals else res
        if not self.env.context.get("loyalty_no_mail", False):
            changes = {card: {"old": before[card], "new": card.points} for card in managed}
            managed._send_points_reach_communication(changes)
        return res
