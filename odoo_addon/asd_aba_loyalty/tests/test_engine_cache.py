from unittest import mock

from odoo.tests import tagged

from ..models.aba_loyalty_engine import AbaLoyaltyEngine
from ..models.aba_loyalty_engine_config import AbaLoyaltyEngineConfig
from .common import AbaLoyaltyCase, FailingNativeModule


def counting_builds():
    """Counts the engine config builds (the real build still runs)."""
    return mock.patch.object(
        AbaLoyaltyEngineConfig, "_build_config", autospec=True,
        side_effect=AbaLoyaltyEngineConfig._build_config,
    )


@tagged("post_install", "-at_install")
class TestEngineCache(AbaLoyaltyCase):
    def setUp(self):
        super().setUp()
        self.env.registry.clear_cache()

    def earned(self):
        return [m.points for m in self.card_moves(kind="earn").sorted("id")]

    def confirm(self, order):
        order.confirm_coupon_programs(
            {self.card.id: {"points": 0, "program_id": self.program.id,
                            "coupon_id": self.card.id}}
        )

    def test_built_once_for_many_orders(self):
        with counting_builds() as build:
            for _n in range(3):
                order, _ = self.pay([(self.product_a, 1)])
                self.confirm(order)
        self.assertEqual(build.call_count, 1)
        self.assertEqual(self.earned(), [10, 10, 10])

    def test_program_change_is_seen_by_the_next_order(self):
        with counting_builds() as build:
            self.pay([(self.product_a, 1)])
            self.program.rule_ids.reward_point_amount = 0.2
            self.pay([(self.product_a, 1)])
            self.program.reward_ids.required_points = 2
            self.pay([(self.product_a, 1)])
            self.env["loyalty.rule"].create(
                {"program_id": self.program.id, "reward_point_mode": "order",
                 "reward_point_amount": 5}
            )
            self.pay([(self.product_a, 1)])
        self.assertEqual(build.call_count, 4)
        self.assertEqual(self.earned(), [10, 20, 20, 25])
        config = self.env["aba.loyalty.engine"]._engine_config()
        (program,) = [p for p in config["programs"] if p["id"] == self.program.id]
        self.assertEqual(program["rewards"][0]["required_points"], 2)
        self.program.rule_ids.filtered(lambda r: r.reward_point_mode == "order").unlink()
        self.pay([(self.product_a, 1)])
        self.assertEqual(self.earned()[-1], 20)

    def test_tier_and_setting_changes_are_seen_by_the_next_order(self):
        tiers = self.env["aba.loyalty.tier"]
        tiers.search([]).write({"active": False})
        gold = tiers.create(
            {"code": "gold", "name": "Gold", "rank": 2, "multiplier": 1.5, "min_spend": 0}
        )
        self.env["aba.loyalty.membership"].create(
            {"partner_id": self.partner.id, "tier_id": gold.id,
             "evaluated_at": self.days_ago(1), "valid_until": self.days_ago(-29)}
        )
        self.pay([(self.product_a, 1)])
        gold.multiplier = 2
        self.pay([(self.product_a, 1)])
        self.assertEqual(self.earned(), [15, 20])
        self.env["ir.config_parameter"].sudo().set_param(
            "asd_aba_loyalty.membership_validity_days", "7"
        )
        config = self.env["aba.loyalty.engine"]._engine_config()
        self.assertEqual(config["membership"]["validity_days"], 7)

    def test_cached_engine_records_fallbacks_in_the_callers_transaction(self):
        self.set_flag(True)
        with mock.patch.object(AbaLoyaltyEngine, "_native_module",
                               lambda self: FailingNativeModule), \
                self.assertLogs("odoo.addons.asd_aba_loyalty.aba_loyalty_lib.aba_engine_shim.shim",
                                "WARNING"):
            first, _ = self.pay([(self.product_a, 1)])
            second, _ = self.pay([(self.product_a, 1)])
        fallbacks = self.env["aba.loyalty.engine.fallback"].search([])
        self.assertEqual(fallbacks.pos_order_id, first | second)
        self.assertEqual(self.earned(), [10, 10])
