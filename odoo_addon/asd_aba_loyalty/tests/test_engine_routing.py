import importlib.util
from unittest import mock

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..aba_loyalty_lib.aba_engine_shim import bucket
from ..models.aba_loyalty_engine import AbaLoyaltyEngine
from .common import (
    AbaLoyaltyCase,
    FailingNativeModule,
    OtherVersionNativeModule,
    SkewedNativeModule,
    uid_in_bucket,
)

SHIM_LOGGER = "odoo.addons.asd_aba_loyalty.aba_loyalty_lib.aba_engine_shim.shim"
HAS_NATIVE = importlib.util.find_spec("aba_loyalty_core") is not None


def native(module):
    return mock.patch.object(AbaLoyaltyEngine, "_native_module", lambda self: module)


@tagged("post_install", "-at_install")
class TestEngineRouting(AbaLoyaltyCase):
    def earn_engine(self, order):
        move = order.aba_point_move_ids.filtered(lambda m: m.kind == "earn")
        self.assertEqual(len(move), 1)
        return move.engine

    def test_flag_off_is_legacy_without_fallback(self):
        self.set_flag(False)
        with native(FailingNativeModule):
            order, _ = self.pay([(self.product_a, 1)])
        self.assertEqual(self.earn_engine(order), "legacy")
        self.assertEqual(order.aba_engine, "legacy")
        self.assertFalse(self.env["aba.loyalty.engine.fallback"].search([]))

    def test_failing_native_call_falls_back_and_is_logged(self):
        self.set_flag(True)
        self.config.rust_engine_rollout_percentage = 100
        with native(FailingNativeModule), mute_logger(SHIM_LOGGER):
            order, _ = self.pay([(self.product_a, 2)])
        self.assertEqual(self.earn_engine(order), "legacy")
        self.assertEqual(self.card.points, 20)
        fallback = self.env["aba.loyalty.engine.fallback"].search([("order_uid", "=", order.uuid)])
        self.assertEqual(len(fallback), 1)
        self.assertEqual(fallback.pos_order_id, order)
        self.assertEqual(fallback.stage, "call")
        self.assertEqual(fallback.error_type, "RuntimeError")
        self.assertIn("native engine exploded", fallback.error)
        self.assertTrue(fallback.create_date)

    def test_version_mismatch_falls_back_and_is_logged(self):
        self.set_flag(True)
        with native(OtherVersionNativeModule), mute_logger(SHIM_LOGGER):
            order, _ = self.pay([(self.product_a, 1)])
        self.assertEqual(self.earn_engine(order), "legacy")
        fallback = self.env["aba.loyalty.engine.fallback"].search([("order_uid", "=", order.uuid)])
        self.assertEqual(fallback.stage, "version")
        self.assertIn("9.9.0", fallback.error)

    def test_rollout_is_deterministic_by_uid(self):
        self.set_flag(True)
        self.config.rust_engine_rollout_percentage = 30
        inside = uid_in_bucket(0, 30, "in")
        outside = uid_in_bucket(30, 100, "out")
        shim = self.env["aba.loyalty.engine"]._shim(self.config)
        self.assertEqual(shim.path_for(inside), "native")
        self.assertEqual(shim.path_for(outside), "legacy")
        self.assertLess(bucket(inside), 30)
        with native(FailingNativeModule), mute_logger(SHIM_LOGGER):
            order_in, _ = self.pay([(self.product_a, 1)], uid=inside)
            order_out, _ = self.pay([(self.product_a, 1)], uid=outside)
        fallbacks = self.env["aba.loyalty.engine.fallback"].search([])
        # Only the order inside the rollout tried the (failing) native engine.
        self.assertEqual(fallbacks.mapped("order_uid"), [order_in.uuid])
        self.assertEqual(self.earn_engine(order_out), "legacy")

    def test_rollout_zero_keeps_legacy(self):
        self.set_flag(True)
        self.config.rust_engine_rollout_percentage = 0
        with native(FailingNativeModule):
            order, _ = self.pay([(self.product_a, 1)])
        self.assertEqual(self.earn_engine(order), "legacy")
        self.assertFalse(self.env["aba.loyalty.engine.fallback"].search([]))

    def test_shadow_mode_applies_legacy_and_records_differences(self):
        self.set_flag(True, shadow=True)
        with native(SkewedNativeModule):
            order, _ = self.pay([(self.product_a, 1)])
        self.assertEqual(self.card.points, 10)  # the legacy result was applied
        diff = self.env["aba.loyalty.engine.difference"].search([("order_uid", "=", order.uuid)])
        self.assertEqual(len(diff), 1)
        self.assertEqual(diff.pos_order_id, order)
        self.assertEqual(diff.differences[0]["path"], "points.earned")
        self.assertEqual(diff.differences[0]["native"], "11.00")

    def test_flag_on_earns_through_native_exactly_once(self):
        if not HAS_NATIVE:
            self.skipTest("aba_loyalty_core is not installed in this Python")
        self.set_flag(True)
        self.config.rust_engine_rollout_percentage = 100
        order, data = self.pay([(self.product_a, 1), (self.product_b, 2)])
        self.assertEqual(self.earn_engine(order), "native")
        self.assertEqual(self.card.points, 16)
        self.sync(data)
        order.confirm_coupon_programs(
            {self.card.id: {"points": 16, "program_id": self.program.id, "coupon_id": self.card.id}}
        )
        self.assertEqual(self.card.points, 16)
        self.assertEqual(len(self.card_moves(kind="earn")), 1)
        self.assertFalse(self.env["aba.loyalty.engine.fallback"].search([]))
