"""The till shows the engine's result: POS tours in headless Chromium (Odoo's tour runner).

The tours are in static/tests/tours/aba_till_tours.js; each test sets its programs up, runs
its tour, then checks what the server recorded.
"""

import importlib.util
import json
import logging

from odoo import Command
from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon
from odoo.tests import tagged

_logger = logging.getLogger(__name__)


class _Collect(logging.Handler):
    """Keeps the log messages that carry `marker` (the browser's console goes to the log)."""

    def __init__(self, marker):
        super().__init__(logging.INFO)
        self.marker = marker
        self.messages = []

    def emit(self, record):
        message = record.getMessage()
        if self.marker in message:
            self.messages.append(message)


@tagged("post_install", "-at_install")
class TestTillTours(TestPointOfSaleHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["loyalty.program"].search([]).write({"active": False})
        env["ir.config_parameter"].sudo().set_param("asd_aba_loyalty.use_rust_engine", "True")
        cls.item_110 = env["product.product"].create(
            {
                "name": "ABA Item 110",
                "available_in_pos": True,
                "list_price": 110.0,
                "taxes_id": False,
                "pos_categ_ids": [Command.link(cls.pos_desk_misc_test.id)],
            }
        )
        cls.tax_15 = env["account.tax"].create(
            {"name": "ABA Tax 15", "amount": 15.0, "amount_type": "percent"}
        )
        cls.item_90_taxed = env["product.product"].create(
            {
                "name": "ABA Item 90 taxed",
                "available_in_pos": True,
                "list_price": 90.0,
                "taxes_id": [Command.set(cls.tax_15.ids)],
                "pos_categ_ids": [Command.link(cls.pos_desk_misc_test.id)],
            }
        )
        cls.customer = env["res.partner"].create({"name": "ABA Till Customer"})

    def setUp(self):
        super().setUp()
        self.main_pos_config.write(
            {
                "tax_regime_selection": False,
                "use_pricelist": False,
                "rust_engine_rollout_percentage": 100,
            }
        )
        self.main_pos_config.with_user(self.pos_user).open_ui()

    # -- data ---------------------------------------------------------------------------------

    def _promotion(self, name, sequence, mode, value):
        return self.env["loyalty.program"].create(
            {
                "name": name,
                "program_type": "promotion",
                "trigger": "auto",
                "applies_on": "current",
                "sequence": sequence,
                "rule_ids": [Command.create({"reward_point_mode": "order", "reward_point_amount": 1})],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": value,
                            "discount_mode": mode,
                            "discount_applicability": "order",
                            "required_points": 1,
                            "description": name,
                        }
                    )
                ],
            }
        )

    def _loyalty(self, points_per_currency):
        program = self.env["loyalty.program"].create(
            {
                "name": "ABA Points",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": points_per_currency}
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 10,
                            "discount_mode": "per_order",
                            "discount_applicability": "order",
                            "required_points": 100,
                            "description": "ABA Redeem 10",
                        }
                    )
                ],
            }
        )
        card = self.env["loyalty.card"].create(
            {"program_id": program.id, "partner_id": self.customer.id, "points": 0}
        )
        return program, card

    def _paid_orders(self):
        return self.env["pos.order"].search(
            [("session_id", "=", self.main_pos_config.current_session_id.id),
             ("state", "in", ("paid", "done", "invoiced"))]
        )

    def _start(self, tour, **kwargs):
        self.start_pos_tour(tour, login="pos_user", **kwargs)

    # -- tours --------------------------------------------------------------------------------

    def test_two_promotions_not_compounded(self):
        """20 % and 10 % on a base of 110: 22 + 11 = 33 (docs/spec.md §6), not 22 + 8.80."""
        p1 = self._promotion("ABA P1 20%", 1, "percent", 20)
        p2 = self._promotion("ABA P2 10%", 2, "percent", 10)
        self._start("AbaTillTwoPromotions")
        order = self._paid_orders()
        self.assertEqual(len(order), 1)
        self.assertAlmostEqual(order.amount_total, 77.0)
        rewards = order.lines.filtered("is_reward_line")
        self.assertEqual(
            sorted((ln.reward_id.program_id.id, ln.price_subtotal) for ln in rewards),
            sorted([(p1.id, -22.0), (p2.id, -11.0)]),
        )
        self.assertFalse(order.aba_till_fallback)

    def test_over_discount_clamped(self):
        """20 % then a fixed 100 on 110: the fixed one is clamped to 88, the total is 0."""
        self._promotion("ABA P1 20%", 1, "percent", 20)
        self._promotion("ABA P3 fixed 100", 3, "per_order", 100)
        self._start("AbaTillClamp")

    def test_points_won_shown_then_posted(self):
        """The till shows 11 points won (on the base 110; Odoo's client: 8.80 on the paid 88),
        and the ledger posts the same 11."""
        self._promotion("ABA P1 20%", 1, "percent", 20)
        program, card = self._loyalty(0.1)
        self._start("AbaTillPointsWon")
        order = self._paid_orders()
        self.assertEqual(len(order), 1)
        moves = self.env["aba.loyalty.point.move"].search(
            [("pos_order_id", "=", order.id), ("card_id", "=", card.id)]
        )
        self.assertEqual(moves.mapped("kind"), ["earn"])
        self.assertAlmostEqual(moves.points, 11.0)
        self.assertAlmostEqual(card.points, 11.0)
        self.assertEqual(order.aba_loyalty_sale[str(card.id)]["won"], "11.00")
        self.assertEqual(card.program_id, program)

    def test_redemption_refused_in_the_till(self):
        """Odoo's client offers the reward (103.5 points counted with tax); the engine counts
        90 and refuses the 100 points: a message in the POS, the reward line taken off."""
        self._loyalty(1.0)
        self._start("AbaTillRedemptionRefused")

    def test_offline_fallback(self):
        """Offline, the till keeps Odoo's computation (one global discount: P1's 22), marks
        the order, and at sync the engine's 33 is recorded next to it."""
        self._promotion("ABA P1 20%", 1, "percent", 20)
        self._promotion("ABA P2 10%", 2, "percent", 10)
        self._start("AbaTillOffline")
        order = self._paid_orders()
        self.assertEqual(len(order), 1)
        self.assertTrue(order.aba_till_fallback)
        self.assertAlmostEqual(order.amount_total, 88.0)
        self.assertAlmostEqual(order.aba_engine_discount, 33.0)
        self.assertAlmostEqual(order.aba_pos_discount, 22.0)
        self.assertAlmostEqual(order.aba_discount_difference, -11.0)

    def test_rpc_latency_from_the_browser(self):
        """200 changes of the order, each evaluated by one RPC timed in the browser."""
        self._promotion("ABA P1 20%", 1, "percent", 20)
        self._promotion("ABA P2 10%", 2, "percent", 10)
        collect = _Collect("ABA_TILL_LATENCY")
        root = logging.getLogger()
        root.addHandler(collect)
        try:
            self._start("AbaTillLatency", timeout=600)
        finally:
            root.removeHandler(collect)
        self.assertEqual(len(collect.messages), 1, collect.messages)
        stats = json.loads(collect.messages[0].split("ABA_TILL_LATENCY ", 1)[1])
        self.assertEqual(stats["n"], 200)
        self.assertEqual(stats["failures"], 0)
        # Every answer came from the engine the order was routed to (the native one when the
        # wheel is installed; otherwise the shim's legacy fallback, recorded as such).
        engine = "native" if importlib.util.find_spec("aba_loyalty_core") else "legacy"
        self.assertEqual(stats["engines"], {engine: 200})
        _logger.info(
            "till RPC latency over %d order changes (%s engine): p50 %.1f ms, p99 %.1f ms, "
            "max %.1f ms", stats["n"], engine, stats["p50"], stats["p99"], stats["max"],
        )
