from odoo.tests import tagged

from .common import AbaLoyaltyCase


@tagged("post_install", "-at_install")
class TestMembership(AbaLoyaltyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tiers = cls.env["aba.loyalty.tier"]
        tiers.search([]).write({"active": False})
        cls.basic = tiers.create(
            {"code": "basic", "name": "Basic", "rank": 0, "multiplier": 1, "min_spend": 0}
        )
        cls.gold = tiers.create(
            {"code": "gold", "name": "Gold", "rank": 2, "multiplier": 1.5, "min_spend": 500}
        )

    def membership(self, tier, start, end):
        return self.env["aba.loyalty.membership"].create(
            {"partner_id": self.partner.id, "tier_id": tier.id, "evaluated_at": start,
             "valid_until": end}
        )

    def test_snapshot_taken_at_creation_and_used_for_points(self):
        self.membership(self.gold, self.days_ago(5), self.days_ago(-25))
        order, _ = self.pay([(self.product_a, 1)])
        self.assertEqual(order.aba_membership_tier, "gold")
        self.assertEqual(self.card_moves(kind="earn").points, 15)  # 10 x 1.5

    def test_offline_order_uses_membership_valid_at_its_date(self):
        # Gold until yesterday, basic since: an offline order from 3 days ago is gold.
        self.membership(self.gold, self.days_ago(30), self.days_ago(1))
        self.membership(self.basic, self.days_ago(1), self.days_ago(-29))
        offline, _ = self.pay([(self.product_a, 1)], date_order=self.days_ago(3))
        online, _ = self.pay([(self.product_a, 1)])
        self.assertEqual(offline.aba_membership_tier, "gold")
        self.assertEqual(online.aba_membership_tier, "basic")
        earned = {m.pos_order_id: m.points for m in self.card_moves(kind="earn")}
        self.assertEqual(earned, {offline: 15, online: 10})

    def test_pending_membership_reevaluated_by_cron_exactly_once(self):
        order, _ = self.pay([(self.product_a, 2)])
        self.assertEqual(order.aba_loyalty_status, "pending_membership")
        self.assertFalse(order.aba_membership_tier)
        self.assertFalse(self.card_moves(kind="earn"))
        pending = self.env["pos.order"]._cron_reevaluate_pending()
        self.assertFalse(pending)  # still no membership covering the order
        self.membership(self.gold, self.days_ago(1), self.days_ago(-29))
        done = self.env["pos.order"]._cron_reevaluate_pending()
        self.assertEqual(done, order)
        self.assertEqual(order.aba_loyalty_status, "ok")
        self.assertEqual(order.aba_membership_tier, "gold")
        self.assertEqual(self.card_moves(kind="earn").points, 30)
        self.env["pos.order"]._cron_reevaluate_pending()
        self.assertEqual(self.card.points, 30)

    def test_refund_uses_the_original_snapshot(self):
        self.membership(self.gold, self.days_ago(2), self.days_ago(-1))
        order, _ = self.pay([(self.product_a, 1), (self.product_b, 1)])  # 13 x 1.5 = 19.5
        self.env["aba.loyalty.membership"].search([]).unlink()
        self.membership(self.basic, self.days_ago(0), self.days_ago(-30))
        self.sync(self.refund_data(order, [0, 1]))
        self.assertEqual(self.card_moves(kind="refund").points, -4.5)  # 3 x 1.5, gold
        self.assertEqual(self.card.points, 15)

    def test_evaluate_partner_picks_tier_from_spend(self):
        membership = self.env["aba.loyalty.membership"]._evaluate_partner(
            self.partner, spend=600.0
        )
        self.assertEqual(membership.tier_id, self.gold)
        self.assertEqual((membership.valid_until - membership.evaluated_at).days, 30)
        self.assertEqual(
            self.env["aba.loyalty.membership"]._evaluate_partner(self.partner, spend=10).tier_id,
            self.basic,
        )
