import importlib.util

from odoo.tests import tagged

from .common import AbaLoyaltyCase

HAS_NATIVE = importlib.util.find_spec("aba_loyalty_core") is not None


@tagged("post_install", "-at_install")
class TestPosFlow(AbaLoyaltyCase):
    def test_paid_order_earns_once_through_legacy_with_flag_off(self):
        self.set_flag(False)
        order, _data = self.pay([(self.product_a, 1), (self.product_b, 2)])
        earn = self.card_moves(kind="earn")
        self.assertEqual(len(earn), 1)
        self.assertEqual(earn.points, 16)  # (100 + 2 x 30) x 0.1
        self.assertEqual(earn.engine, "legacy")
        self.assertEqual(earn.pos_order_id, order)
        self.assertEqual(earn.idempotency_key, f"earn:{self.card.id}:{order.uuid}")
        self.assertEqual(self.card.points, 16)
        self.assertEqual(order.aba_loyalty_status, "ok")
        self.assertConsistent()

    def test_same_order_resent_changes_nothing(self):
        order, data = self.pay([(self.product_a, 1)])
        self.assertEqual(self.card.points, 10)
        # Offline re-send and a retried confirmation RPC with the client's own numbers.
        self.sync(dict(data))
        self.assertEqual(self.env["pos.order"].search_count([("uuid", "=", order.uuid)]), 1)
        # The uuid's claim: what makes two concurrent sends of it one order.
        claims = self.env["aba.loyalty.order.claim"].sudo().search([("uuid", "=", order.uuid)])
        self.assertEqual(len(claims), 1)
        coupon_data = {
            str(self.card.id): {
                "points": 10, "program_id": self.program.id, "coupon_id": self.card.id,
            }
        }
        for _attempt in range(2):
            result = order.confirm_coupon_programs(coupon_data)
            self.assertEqual(result["coupon_updates"][0]["points"], 10)
        self.assertEqual(self.card.points, 10)
        self.assertEqual(len(self.card_moves(kind="earn")), 1)
        self.assertConsistent()

    def test_order_synced_as_draft_then_paid_then_resent_posts_once(self):
        # The point of sale's own sequence: a draft sync, the paid sync, an offline re-send of
        # the paid order; then its refund, sent twice.
        if HAS_NATIVE:
            self.set_flag(True)
        data = self.order_data([(self.product_a, 1), (self.product_b, 1)])  # 13 points
        order = self.sync(dict(data, state="draft", payment_ids=[], amount_paid=0))
        self.assertEqual(order.state, "draft")
        self.assertFalse(self.card_moves(kind="earn"))
        # The paid sync names the server's order; its lines are on the server already.
        self.sync(dict(data, id=order.id, lines=[]))
        self.assertEqual(order.state, "paid")
        for _attempt in range(2):
            self.env["pos.order"].sync_from_ui([dict(data)])
        earn = self.card_moves(kind="earn")
        self.assertEqual((len(earn), earn.points, earn.pos_order_id), (1, 13, order))
        self.assertEqual(earn.engine, "native" if HAS_NATIVE else "legacy")
        self.assertEqual(self.card.points, 13)
        refund_data = self.refund_data(order, [0, 1])  # the 30 line back
        refund = self.sync(dict(refund_data))
        self.env["pos.order"].sync_from_ui([dict(refund_data)])
        move = self.card_moves(kind="refund")
        self.assertEqual((len(move), move.points, move.pos_order_id), (1, -3, refund))
        self.assertEqual(self.card.points, 10)
        self.assertEqual(
            self.env["pos.order"].search_count([("uuid", "in", (order.uuid, refund.uuid))]), 2
        )
        self.assertConsistent()

    def test_history_lines_show_ledger_numbers(self):
        order, _ = self.pay([(self.product_a, 1)])
        updates = order.confirm_coupon_programs(
            {self.card.id: {"points": 500, "program_id": self.program.id,
                            "coupon_id": self.card.id}}
        )["coupon_updates"]
        order.add_loyalty_history_lines(
            [{"card_id": self.card.id, "won": 500, "spent": 0}],
            [{"id": u["id"], "old_id": u["old_id"]} for u in updates],
        )
        history = self.env["loyalty.history"].search(
            [("card_id", "=", self.card.id), ("order_id", "=", order.id)]
        )
        self.assertEqual((history.issued, history.used), (10, 0))

    def test_client_points_are_ignored_and_new_card_earns_via_ledger(self):
        newcomer = self.env["res.partner"].create({"name": "Newcomer"})
        order, _ = self.pay([(self.product_a, 3)], partner=newcomer)
        result = order.confirm_coupon_programs(
            {-1: {"points": 1000, "program_id": self.program.id, "coupon_id": -1,
                  "partner_id": newcomer.id, "barcode": False}}
        )
        card = self.env["loyalty.card"].search([("partner_id", "=", newcomer.id)])
        self.assertEqual(len(card), 1)
        self.assertEqual(card.points, 30)
        self.assertEqual(result["coupon_updates"][0]["points"], 30)
        self.assertEqual(self.card_moves(card).mapped("kind"), ["earn", "opening"])

    def test_redemption_spends_through_the_ledger(self):
        self.pay([(self.product_a, 2)])  # 20 points
        order, _ = self.pay([(self.product_a, 1)], reward_points=15)
        redeem = self.card_moves(kind="redeem")
        self.assertEqual(redeem.points, -15)
        self.assertEqual(redeem.pos_order_id, order)
        # 20 - 15 spent + 10 earned on base prices
        self.assertEqual(self.card.points, 15)
        self.assertEqual(order.aba_engine_discount, 15)
        self.assertFalse(order.aba_discount_mismatch)
        self.assertConsistent()

    def test_redemption_beyond_balance_is_posted_down_to_zero(self):
        self.pay([(self.product_b, 1)])  # 3 points
        self.program.applies_on = "future"  # this order's points cannot pay its reward
        data = self.order_data([(self.product_a, 1)], reward_points=5)
        with self.assertLogs("odoo.addons.asd_aba_loyalty.models.aba_loyalty_exception",
                             "WARNING") as logs:
            order = self.sync(data)  # a paid order is never refused
        self.assertEqual(order.state, "paid")
        self.assertIn("shortfall 2", logs.output[0])
        redeem = self.card_moves(kind="redeem")
        self.assertEqual((redeem.points, redeem.shortfall), (-3, 2))
        self.assertEqual(self.card.points, 10)  # 3 - 3 covered, then + 10 earned
        exception = order.aba_exception_ids
        self.assertEqual(
            (exception.reason, exception.requested, exception.covered, exception.shortfall,
             exception.state, exception.partner_id, exception.card_code),
            ("insufficient_points", 5, 3, 2, "new", self.partner, self.card.code),
        )
        exception.action_mark_reviewed()
        self.assertEqual(exception.state, "reviewed")
        self.assertEqual(order.aba_posting_state, "posted")
        self.assertConsistent()

    def test_refund_reverses_the_points_of_the_refunded_lines(self):
        order, _ = self.pay([(self.product_a, 1), (self.product_b, 1)])  # 13 points
        refund = self.sync(self.refund_data(order, [0, 1]))  # the 30 line back
        move = self.card_moves(kind="refund")
        self.assertEqual(move.points, -3)
        self.assertEqual(move.pos_order_id, refund)
        self.assertEqual(self.card.points, 10)
        # Re-sent refund: nothing more.
        refund.confirm_coupon_programs({})
        refund._aba_apply_loyalty()
        self.assertEqual(len(self.card_moves(kind="refund")), 1)
        self.assertConsistent()

    def test_refund_that_would_go_negative_stops_at_zero(self):
        order, _ = self.pay([(self.product_a, 2)])  # 20 points
        self.pay([(self.product_b, 1)], reward_points=18)  # spends 18, earns 3 -> 5
        self.assertEqual(self.card.points, 5)
        self.sync(self.refund_data(order, [2]))
        move = self.card_moves(kind="refund")
        self.assertEqual(move.points, -5)
        self.assertEqual(move.unrecovered, 15)
        self.assertEqual(self.card.points, 0)
        self.assertConsistent()

    def test_program_the_engine_cannot_express_keeps_odoo_points_via_ledger(self):
        tagged_program = self.env["loyalty.program"].create(
            {
                "name": "Domain points",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "pos_ok": True,
                "pos_config_ids": [(6, 0, self.config.ids)],
                "rule_ids": [
                    (0, 0, {"reward_point_mode": "order", "reward_point_amount": 1,
                            "product_domain": "[('name', '=', 'Shirt')]"})
                ],
            }
        )
        config = self.env["aba.loyalty.engine"]._build_config(self.env.company)
        self.assertNotIn(tagged_program.id, [p["id"] for p in config["programs"]])
        other_card = self.env["loyalty.card"].create(
            {"program_id": tagged_program.id, "partner_id": self.partner.id, "points": 0}
        )
        order, _ = self.pay([(self.product_a, 1)])
        order.confirm_coupon_programs(
            {other_card.id: {"points": 7, "program_id": tagged_program.id,
                             "coupon_id": other_card.id}}
        )
        self.assertEqual(other_card.points, 7)  # Odoo's own computation, kept
        self.assertFalse(self.card_moves(other_card))  # and Odoo's own card: no ledger
        self.assertEqual(self.card.points, 10)  # the engine's program, from the ledger
        self.assertConsistent()

    def test_draft_order_earns_nothing(self):
        data = self.order_data([(self.product_a, 1)])
        data["state"] = "draft"
        order = self.sync(data)
        self.assertEqual(order.state, "draft")
        order.confirm_coupon_programs(
            {self.card.id: {"points": 10, "program_id": self.program.id,
                            "coupon_id": self.card.id}}
        )
        self.assertFalse(self.card_moves(kind="earn"))
        self.assertEqual(self.card.points, 0)
