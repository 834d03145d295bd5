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
