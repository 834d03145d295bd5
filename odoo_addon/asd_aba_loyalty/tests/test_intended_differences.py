"""Behaviours that differ from stock Odoo on purpose (README, "Intended differences from stock
Odoo"; tests/intended_differences.txt lists the Odoo tests they make fail). Each is pinned here."""

from odoo.tests import tagged

from .common import AbaLoyaltyCase


@tagged("post_install", "-at_install")
class TestIntendedDifferences(AbaLoyaltyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.code_promo = cls.env["loyalty.program"].create(
            {
                "name": "Ten percent with a code",
                "program_type": "promotion",
                "trigger": "with_code",
                "applies_on": "current",
                "pos_ok": True,
                "pos_config_ids": [(6, 0, cls.config.ids)],
                "rule_ids": [(0, 0, {"mode": "with_code", "code": "ABA10"})],
                "reward_ids": [
                    (0, 0, {"reward_type": "discount", "discount_mode": "percent",
                            "discount": 10, "discount_applicability": "order"})
                ],
            }
        )

    def test_points_are_earned_on_base_prices_before_a_discount_code(self):
        # Odoo's point of sale earns on what is paid after the code's discount (9 points); the
        # engine earns on base prices, before any discount (docs/spec.md §4.3, 4.10).
        data = self.order_data([(self.product_a, 1)])
        reward = self.code_promo.reward_ids
        data["lines"].append((0, 0, {
            "product_id": reward.discount_line_product_id.id, "price_unit": -10, "qty": 1,
            "price_subtotal": -10, "price_subtotal_incl": -10, "is_reward_line": True,
            "reward_id": reward.id, "reward_identifier_code": "code10", "tax_ids": [(6, 0, [])],
        }))
        data["amount_total"] -= 10
        data["amount_paid"] = data["amount_total"]
        data["payment_ids"][0][2]["amount"] = data["amount_total"]
        self.sync(data)
        self.assertEqual(self.card_moves(kind="earn").points, 10)

    def test_points_on_prices_without_tax_unless_the_program_says_so(self):
        taxed = self.create_product("Taxed", self.categ_basic, 100.0,
                                    tax_ids=self.taxes["tax7"].ids)
        order, _ = self.pay([(taxed, 1)])
        self.assertEqual(order.amount_total, 107)
        # Default: the line's unit price without tax (Odoo's point of sale: 10.7).
        self.assertEqual(self.card_moves(kind="earn").points, 10)
        self.program.aba_points_on_tax_included = True
        self.pay([(taxed, 1)])
        self.assertEqual(sorted(self.card_moves(kind="earn").mapped("points")), [10, 10.7])
        self.assertConsistent()

    def test_points_are_rounded_down(self):
        # 3.35 x 0.1 = 0.335: the engine rounds points down to 2 decimals (0.33); Odoo's point
        # of sale rounds half-up (0.34).
        cheap = self.create_product("Cheap", self.categ_basic, 3.35)
        self.pay([(cheap, 1)])
        self.assertEqual(self.card_moves(kind="earn").points, 0.33)

    def test_cheapest_line_is_the_lowest_price_before_tax(self):
        # "Discount on the cheapest product": the engine takes the line with the lowest
        # price_unit, which the addon passes without tax (docs/spec.md §4.4); Odoo's point of
        # sale compares unit prices with tax. 4.80 + 7 % tax (5.14) against 5.10 untaxed:
        # Odoo discounts the 5.10 line (4.59), the engine the 4.80 one (4.32 before tax).
        self.set_flag(True)
        cheapest = self.env["loyalty.program"].create(
            {
                "name": "90 % on the cheapest product",
                "program_type": "promotion",
                "trigger": "auto",
                "applies_on": "current",
                "pos_ok": True,
                "pos_config_ids": [(6, 0, self.config.ids)],
                "rule_ids": [(0, 0, {})],
                "reward_ids": [
                    (0, 0, {"reward_type": "discount", "discount_mode": "percent",
                            "discount": 90, "discount_applicability": "cheapest"})
                ],
            }
        )
        taxed = self.create_product("Taxed 4.80", self.categ_basic, 4.80,
                                    tax_ids=self.taxes["tax7"].ids)
        untaxed = self.create_product("Untaxed 5.10", self.categ_basic, 5.10, tax_ids=[])
        order = {
            "uuid": "cheapest-1",
            "partner_id": False,
            "lines": [
                {"uuid": "taxed", "product_id": taxed.id, "qty": 4, "price_unit": 4.80,
                 "discount": 0, "tax_ids": self.taxes["tax7"].ids},
                {"uuid": "untaxed", "product_id": untaxed.id, "qty": 9, "price_unit": 5.10,
                 "discount": 0, "tax_ids": []},
            ],
            "reward_lines": [],
            "card": None,
        }
        result = self.env["pos.order"].aba_till_evaluate(self.config.id, order)
        self.assertEqual(result["path"], "native")
        [discount] = [d for d in result["discounts"] if d["program_id"] == cheapest.id]
        self.assertEqual(discount["amount"], 4.32)
        self.assertEqual(discount["lines"], {"taxed": 4.32})
