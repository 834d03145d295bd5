"""`pos.order.aba_till_evaluate`, the RPC the till calls while the cashier builds the order."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import AbaLoyaltyCase, uid_in_bucket


@tagged("post_install", "-at_install")
class TestTillRpc(AbaLoyaltyCase):
    def request(self, uid="till-1", qty=2, redeem_points=0.0, partner=True):
        order = {
            "uuid": uid,
            "partner_id": self.partner.id if partner else False,
            "lines": [
                {"uuid": "line-a", "product_id": self.product_a.id, "qty": qty,
                 "price_unit": 100.0, "discount": 0, "tax_ids": []},
            ],
            "reward_lines": [],
            "card": {"id": self.card.id, "program_id": self.program.id} if partner else None,
        }
        if redeem_points:
            order["reward_lines"].append(
                {"reward_id": self.reward.id, "coupon_id": self.card.id,
                 "product_id": self.reward.discount_line_product_id.id, "qty": 1,
                 "points_cost": redeem_points}
            )
        return order

    def evaluate(self, order):
        return self.env["pos.order"].aba_till_evaluate(self.config.id, order)

    def test_flag_off_the_till_is_odoos(self):
        self.set_flag(False)
        self.assertFalse(self.config.aba_till_engine)
        self.assertEqual(self.evaluate(self.request()), {"path": "off"})

    def test_rollout_routes_the_till_too(self):
        self.set_flag(True)
        self.config.rust_engine_rollout_percentage = 0
        self.assertFalse(self.config.aba_till_engine)
        self.assertEqual(self.evaluate(self.request())["path"], "legacy")
        self.config.rust_engine_rollout_percentage = 50
        self.assertTrue(self.config.aba_till_engine)
        self.assertEqual(self.evaluate(self.request(uid_in_bucket(50, 100)))["path"], "legacy")
        self.assertEqual(self.evaluate(self.request(uid_in_bucket(0, 50)))["path"], "native")

    def test_points_won_and_balance_after(self):
        self.set_flag(True)
        self.card.points = 7
        result = self.evaluate(self.request(qty=2))
        self.assertEqual(result["path"], "native")
        self.assertEqual(result["discounts"], [])
        self.assertEqual(result["points"]["program_id"], self.program.id)
        self.assertEqual(result["points"]["earned"], 20.0)  # 0.1 point per unit of 200
        self.assertEqual(result["points"]["spent"], 0.0)
        self.assertEqual(result["points"]["balance"], 7.0)
        self.assertEqual(result["points"]["balance_after"], 27.0)
        self.assertEqual(result["totals"], {"base": 200.0, "discount": 0.0, "total": 200.0})
        self.assertIn(self.reward.id, result["managed_reward_ids"])
        self.assertFalse(self.env["pos.order"].search([("uuid", "=", "till-1")]))

    def test_redemption_the_engine_allows(self):
        self.set_flag(True)
        self.card.points = 10
        result = self.evaluate(self.request(qty=2, redeem_points=25))
        # 10 on the card + 20 this order earns (applies_on both): 25 points pay 25.
        self.assertEqual(result["points"]["spent"], 25.0)
        self.assertEqual(result["points"]["redeemed"], [{"reward_id": self.reward.id,
                                                          "points": 25.0}])
        [discount] = result["discounts"]
        self.assertEqual(discount["reward_id"], self.reward.id)
        self.assertEqual(discount["amount"], 25.0)
        self.assertEqual(discount["lines"], {"line-a": 25.0})
        self.assertEqual(result["points"]["balance_after"], 5.0)

    def test_redemption_beyond_the_points_is_refused_with_a_message(self):
        self.set_flag(True)
        result = self.evaluate(self.request(qty=2, redeem_points=50))
        self.assertEqual(result["path"], "native")
        self.assertNotIn("points", result)
        self.assertIn("Not enough loyalty points", result["refused"])
        self.assertIn("50", result["refused"])

    def test_order_without_partner_gets_promotions_only(self):
        self.set_flag(True)
        result = self.evaluate(self.request(partner=False))
        self.assertIsNone(result["points"])
        self.assertEqual(result["totals"]["total"], 200.0)

    def combo_request(self):
        """A combo as the POS holds it: its own line at 0 and its items, naming it."""
        combo = self.create_product("Office combo", self.categ_basic, 0.0)
        order = self.request()
        order["lines"] = [
            {"uuid": "combo", "product_id": combo.id, "qty": 1, "price_unit": 0.0,
             "discount": 0, "tax_ids": []},
            {"uuid": "item-1", "product_id": self.product_a.id, "qty": 1, "price_unit": 60.0,
             "discount": 0, "tax_ids": [], "combo_parent_uuid": "combo"},
            {"uuid": "item-2", "product_id": self.product_b.id, "qty": 1, "price_unit": 40.0,
             "discount": 50, "tax_ids": [], "combo_parent_uuid": "combo"},
        ]
        return order

    def test_a_combo_is_one_line_at_its_total(self):
        """As Odoo's point of sale treats a combo for rewards: one line of the combo product
        at the combo's total (60 + 40 at 50 % off = 80); the discount goes to that line."""
        self.set_flag(True)
        self.card.points = 30
        order = self.combo_request()
        order["reward_lines"].append(
            {"reward_id": self.reward.id, "coupon_id": self.card.id,
             "product_id": self.reward.discount_line_product_id.id, "qty": 1,
             "points_cost": 25}
        )
        result = self.evaluate(order)
        self.assertEqual(result["totals"]["base"], 80.0)
        self.assertEqual(result["points"]["earned"], 8.0)  # 0.1 point per unit of 80
        [discount] = result["discounts"]
        self.assertEqual(discount["lines"], {"combo": 25.0})

    def test_bad_input_names_the_field(self):
        self.set_flag(True)
        with self.assertRaisesRegex(ValidationError, "order.uuid"):
            self.evaluate(dict(self.request(), uuid=""))
        bad = self.request()
        del bad["lines"][0]["uuid"]
        with self.assertRaisesRegex(ValidationError, r"order.lines\[0\].uuid"):
            self.evaluate(bad)
        with self.assertRaisesRegex(ValidationError, "config_id"):
            self.env["pos.order"].aba_till_evaluate(0, self.request())
        orphan = self.combo_request()
        orphan["lines"][1]["combo_parent_uuid"] = "no-such-line"
        with self.assertRaisesRegex(ValidationError, r"order.lines\[1\].combo_parent_uuid"):
            self.evaluate(orphan)
