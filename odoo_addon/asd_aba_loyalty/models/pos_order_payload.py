"""The engine's order documents (docs/spec.md §3) built from a POS order: a sale on one card,
and a refund with the sale it refunds (pos.order)."""

from decimal import Decimal

from odoo import api, models

from .engine_numbers import float_decimal

# A combo's unit price (its items' total over its quantity): far below any currency's rounding.
COMBO_PRICE_STEP = Decimal("0.00000001")


class PosOrderPayload(models.Model):
    _inherit = "pos.order"

    @api.model
    def _aba_line_categories(self, product):
        categ = product.categ_id
        if not categ:
            return []
        return [int(cid) for cid in (categ.parent_path or "").split("/") if cid]

    @api.model
    def _aba_engine_line(self, line):
        """Whether the engine takes this POS line (not a reward line, a quantity, a unit price
        >= 0)."""
        return not line.is_reward_line and bool(line.qty) and line.price_unit >= 0

    @api.model
    def _aba_line_price(self, line, tax_included=False):
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

    def _aba_free_units(self, program):
        """[(product ids, units)] that this order's product rewards of `program` give for free
        ("Buy 4, take 1"): as in Odoo's point of sale, they earn no points. (The till's reward
        line carries the reward's discount product; the free units are of its reward
        products.)"""
        self.ensure_one()
        free = []
        for line in self.lines:
            reward = line.reward_id
            if (
                line.is_reward_line
                and reward.reward_type == "product"
                and reward.program_id == program
                and line.qty > 0
            ):
                products = set(reward.reward_product_ids.ids) or {line.product_id.id}
                free.append([products, float_decimal(line.qty)])
        return free

    @api.model
    def _aba_combo_item(self, line, lines):
        """Whether `line` is an item of a combo whose own line is among `lines`: the engine
        sees the combo as one line (see `_aba_order_lines`)."""
        return bool(line.combo_parent_id) and line.combo_parent_id in lines

    @api.model
    def _aba_order_lines(self, lines, tax_included=False, free=None):
        """Engine lines from POS lines (reward lines excluded: the engine computes discounts).
        Lines the engine cannot take (qty 0, negative unit price) are left out, and so are the
        units `free` ([(product ids, units)], see `_aba_free_units`) names.

        A combo is one line, of the combo product, at the combo's total price (its own line's,
        at 0 in Odoo 18, plus its items' after their discounts), as Odoo's point of sale
        treats it for rewards (the cheapest line, a discount on the combo product): its items
        are not lines of their own."""
        payload = []
        free = [[products, units] for products, units in free or []]
        items = {}
        for line in lines:
            if self._aba_combo_item(line, lines) and self._aba_engine_line(line):
                price = float_decimal(self._aba_line_price(line, tax_included))
                share = (Decimal(100) - float_decimal(min(max(line.discount, 0.0), 100.0))) / 100
                total = items.get(line.combo_parent_id, Decimal(0))
                items[line.combo_parent_id] = total + price * float_decimal(line.qty) * share
        for line in lines:
            if not self._aba_engine_line(line) or self._aba_combo_item(line, lines):
                continue
            qty = float_decimal(line.qty)
            for item in free:
                if qty > 0 and item[1] > 0 and line.product_id.id in item[0]:
                    given = min(item[1], qty)
                    item[1] -= given
                    qty -= given
            if not qty:
                continue
            price_unit = float_decimal(self._aba_line_price(line, tax_included))
            if line in items:
                per_unit = items[line] / float_decimal(line.qty)
                price_unit = (price_unit + per_unit).quantize(COMBO_PRICE_STEP).normalize()
            payload.append(
                {
                    "id": line.id,
                    "product_id": line.product_id.id,
                    "category_ids": self._aba_line_categories(line.product_id),
                    "qty": qty,
                    "price_unit": price_unit,
                    "discount": float_decimal(min(max(line.discount, 0.0), 100.0)),
                }
            )
        return payload

    def _aba_snapshot_payload(self):
        """This order's membership snapshot as the engine takes it (None without one)."""
        self.ensure_one()
        if not self.aba_membership_tier or not self.partner_id:
            return None
        return {
            "partner_id": self.partner_id.id,
            "tier": self.aba_membership_tier,
            "evaluated_at": self.aba_membership_evaluated_at,
            "valid_until": self.aba_membership_valid_until,
        }

    def _aba_sale_payload(self, card, balance, redeem):
        """This order as a sale on `card` holding `balance` points, asking the `redeem` items."""
        self.ensure_one()
        return {
            "uid": self.uuid,
            "date_order": self.date_order,
            "partner_id": self.partner_id.id or None,
            "card": {"id": card.id, "program_id": card.program_id.id, "points": balance},
            "membership": self._aba_snapshot_payload(),
            "lines": self._aba_order_lines(
                self.lines.filtered(lambda ln: ln.qty > 0),
                card.program_id.aba_points_on_tax_included,
                self._aba_free_units(card.program_id),
            ),
            "redeem": redeem,
            "refund_of": None,
        }

    def _aba_refund_original(self, original, card):
        """The sale `original` this refund refunds, as the engine takes it to give back spent
        points (the `original` key of a refund; docs/spec.md "v2 rules"), or None when the sale
        spent nothing on `card`.

        `refunded_qty` and `returned` count the earlier refunds of this sale already planned
        for this card, so that a sequence of partial refunds never gives back more than the
        sale spent and the last one gives back the rest."""
        self.ensure_one()
        info = (original.aba_loyalty_sale or {}).get(str(card.id)) or {}
        redemptions = info.get("redemptions") or []
        if not redemptions:
            return None
        sale_lines = [
            ln
            for ln in original.lines
            if self._aba_engine_line(ln)
            and ln.qty > 0
            and not self._aba_combo_item(ln, original.lines)
        ]
        line_ids = {ln.id for ln in sale_lines}
        earlier = (original.lines.refund_orderline_ids.order_id - self).filtered(
            lambda o: str(card.id) in (o.aba_loyalty_sale or {})
        )
        refunded = {}
        for line in sale_lines:
            qty = sum(-rl.qty for rl in line.refund_orderline_ids if rl.order_id in earlier)
            refunded[line.id] = min(max(float_decimal(qty), Decimal(0)), float_decimal(line.qty))
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
                {"id": ln.id, "qty": float_decimal(ln.qty), "refunded_qty": refunded[ln.id]}
                for ln in sale_lines
            ],
            "redemptions": items,
            "returned": min(returned, total),
        }

    def _aba_refund_payload(self, original, card, balance, prior=None):
        """This refund of `original`, evaluated with the ORIGINAL order's membership snapshot
        (docs/spec.md §4.11); with `prior` (see `_aba_refund_original`), the points its
        refunded part spent come back."""
        self.ensure_one()
        lines = self.lines.filtered(
            lambda ln: ln.qty < 0 and ln.refunded_orderline_id.order_id == original
        )
        payload_lines = self._aba_order_lines(lines, card.program_id.aba_points_on_tax_included)
        if prior is not None:
            known = {item["id"] for item in prior["lines"]}
            origin = {ln.id: ln.refunded_orderline_id.id for ln in lines}
            for item in payload_lines:
                line_id = origin.get(item["id"])
                item["origin_line_id"] = line_id if line_id in known else None
        payload = {
            "uid": self.uuid,
            # Evaluated as of the sale: the programs and the snapshot that gave the points.
            "date_order": original.date_order,
            "partner_id": original.partner_id.id or None,
            "card": {"id": card.id, "program_id": card.program_id.id, "points": balance},
            "membership": original._aba_snapshot_payload(),
            "lines": payload_lines,
            "redeem": [],
            "refund_of": original.uuid,
        }
        if prior is not None:
            payload["original"] = prior
        return payload
