"""POS orders: the hooks pos_loyalty's client calls (`sync_from_ui`, `confirm_coupon_programs`,
the loyalty history) and the engine-managed cards an order touches (see pos_order.py)."""

from odoo import api, models

from .engine_numbers import to_decimal


class PosOrderSync(models.Model):
    _inherit = "pos.order"

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
        unposted = None
        for update in result.get("coupon_updates", []):
            if update["id"] in cards.ids:
                if unposted is None:  # looked up once for all the cards
                    unposted = self[:1]._aba_unposted_entries()
                # What the card holds once this order's moves are posted (they are, in test
                # mode; otherwise right after this transaction commits).
                update["points"] = float(
                    self[:1]._aba_expected_balance(cards.browse(update["id"]), unposted)
                )
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
                item["won"] = float(to_decimal(info.get("won")))
                item["spent"] = float(to_decimal(info.get("spent")))
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

