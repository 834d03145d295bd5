from odoo.tests import tagged

from .common import AbaLoyaltyCase


@tagged("post_install", "-at_install")
class TestDiscounts(AbaLoyaltyCase):
    """Promotions through the engine: one pass by priority, every discount from base prices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.promo_20 = cls._promotion("Twenty", 1, 20)
        cls.promo_10 = cls._promotion("Ten", 2, 10)

    @classmethod
    def _promotion(cls, name, sequence, percent):
        return cls.env["loyalty.program"].create(
            {
                "name": name,
                "program_type": "promotion",
                "trigger": "auto",
                "applies_on": "current",
                "sequence": sequence,
                "pos_ok": True,
                "pos_config_ids": [(6, 0, cls.config.ids)],
                "rule_ids": [(0, 0, {"minimum_qty": 0, "minimum_amount": 0})],
                "reward_ids": [
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount_mode": "percent",
                            "discount": percent,
                            "discount_applicability": "order",
                        },
                    )
                ],
            }
        )

    def promo_line(self, program, amount):
        reward = program.reward_ids
        return (
            0,
            0,
            {
                "product_id": reward.discount_line_product_id.id,
                "price_unit": -amount,
                "qty": 1,
                "price_subtotal": -amount,
                "price_subtotal_incl": -amount,
                "is_reward_line": True,
                "reward_id": reward.id,
                "reward_identifier_code": f"p{program.id}",
                "tax_ids": [(6, 0, [])],
            },
        )

    def pay_with_promotions(self, amounts):
        data = self.order_data([(self.product_a, 1)])
        for program, amount in zip((self.promo_20, self.promo_10), amounts, strict=True):
            data["lines"].append(self.promo_line(program, amount))
        data["amount_total"] -= sum(amounts)
        data["amount_paid"] = data["amount_total"]
        data["payment_ids"][0][2]["amount"] = data["amount_total"]
        return self.sync(data)

    def test_config_maps_promotions_in_priority_order(self):
        config = self.env["aba.loyalty.engine"]._build_config(self.env.company)
        promotions = [p for p in config["programs"] if p["kind"] == "promotion" and p["active"]]
        self.assertEqual([p["id"] for p in promotions], [self.promo_20.id, self.promo_10.id])
        self.assertEqual(promotions[0]["rewards"][0]["mode"], "percent")

    def test_no_compounding_and_points_on_base(self):
        # 20 % + 10 % of a base of 100 is 30 (a compounding engine gives 28).
        order = self.pay_with_promotions([20, 8])
        self.assertEqual(order.aba_engine_discount, 30)
        self.assertEqual(order.aba_pos_discount, 28)
        self.assertFalse(order.aba_discount_mismatch)
        self.assertEqual(self.card_moves(kind="earn").points, 10)  # points basis: base prices

    def test_point_of_sale_granting_more_is_flagged(self):
        order = self.pay_with_promotions([25, 10])
        self.assertEqual(order.aba_engine_discount, 30)
        self.assertTrue(order.aba_discount_mismatch)
