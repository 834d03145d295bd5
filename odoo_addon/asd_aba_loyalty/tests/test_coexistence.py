from odoo.tests import tagged

from .common import AbaLoyaltyCase


@tagged("post_install", "-at_install")
class TestCoexistence(AbaLoyaltyCase):
    """Odoo creates, writes and deletes its own cards exactly as stock; only the cards of the
    programs the engine manages carry ledger moves."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gift_program = cls.env["loyalty.program"].create(
            {"name": "Gift Cards", "program_type": "gift_card", "applies_on": "future", "pos_ok": False,
             "trigger": "auto"}
        )
        cls.ewallet_program = cls.env["loyalty.program"].create(
            {"name": "eWallet", "program_type": "ewallet", "applies_on": "future", "pos_ok": False,
             "trigger": "auto"}
        )

    def test_only_managed_programs(self):
        managed = self.env["aba.loyalty.engine"]._managed_loyalty_program_ids()
        self.assertIn(self.program.id, managed)
        self.assertNotIn(self.gift_program.id, managed)
        self.assertNotIn(self.ewallet_program.id, managed)

    def test_unmanaged_cards_pass_straight_to_odoo(self):
        gift = self.env["loyalty.card"].create({"program_id": self.gift_program.id, "points": 50})
        wallet = self.env["loyalty.card"].create(
            {"program_id": self.ewallet_program.id, "points": 0, "partner_id": self.partner.id}
        )
        gift.points = 20
        # Stock Odoo may take an eWallet below zero (a refund of a top-up): left as it is.
        wallet.points = -5
        self.env.flush_all()
        self.assertEqual((gift.points, wallet.points), (20, -5))
        self.assertFalse(self.moves.search([("card_id", "in", (gift | wallet).ids)]))
        self.assertFalse(self.env["aba.loyalty.exception"].search([]))
        # Deleted as stock (sale_loyalty deletes coupons and gift cards it created).
        (gift | wallet).sudo().unlink()
        self.assertFalse((gift | wallet).exists())
        self.assertConsistent()

    def test_a_deleted_managed_card_keeps_its_history(self):
        card = self.env["loyalty.card"].create(
            {"program_id": self.program.id, "points": 4, "code": "KEEP-ME"}
        )
        card.points = 9
        card_id = card.id
        card.sudo().unlink()  # no foreign key blocks Odoo
        moves = self.moves.search([("card_id", "=", card_id)])
        self.assertEqual(sorted(moves.mapped("kind")), ["adjust", "opening"])
        self.assertEqual(set(moves.mapped("card_code")), {"KEEP-ME"})
        self.assertFalse(moves.loyalty_card_id)
        self.assertConsistent()  # a deleted card is no longer compared

    def test_card_without_opening_is_opened_lazily(self):
        # A card that predates the ledger (or a program the engine took over later): opened
        # with its balance the first time something is posted on it.
        card = self.env["loyalty.card"].create({"program_id": self.program.id, "points": 0})
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM aba_loyalty_point_move WHERE card_id = %s", (card.id,))
        self.env.cr.execute("UPDATE loyalty_card SET points = 6 WHERE id = %s", (card.id,))
        card.invalidate_recordset(["points"])
        self.moves._post(card, "earn", 2, key="lazy:earn")
        self.assertEqual(
            self.moves.search([("card_id", "=", card.id)], order="id").mapped("kind"),
            ["opening", "earn"],
        )
        self.assertEqual(card.points, 8)
        self.assertConsistent()


@tagged("post_install", "-at_install")
class TestSpendEarned(AbaLoyaltyCase):
    """Odoo's loyalty programs (applies_on current/both) let an order spend the points it earns;
    the engine is told so (`spend_earned`), and the rewards it does not map (product rewards)
    are checked by the ledger against the same available points."""

    def new_card_order(self, reward_points=0.0, product_reward=None, partner=None):
        """A new customer's first order, as the point of sale sends it: the reward line has no
        card yet (its card is created by confirm_coupon_programs)."""
        partner = partner or self.env["res.partner"].create({"name": "First Timer"})
        data = self.order_data([(self.product_a, 1)], partner=partner)
        if reward_points or product_reward:
            line = self.reward_line(reward_points or 0.0)
            vals = line[2]
            vals.pop("coupon_id")
            if product_reward:
                vals.update(product_id=self.product_b.id, reward_id=product_reward.id,
                            price_unit=-30, price_subtotal=-30, price_subtotal_incl=-30,
                            points_cost=product_reward.required_points)
            data["lines"].append(line)
            data["amount_total"] += vals["price_subtotal_incl"]
            data["amount_paid"] = data["amount_total"]
            data["payment_ids"][0][2]["amount"] = data["amount_total"]
        order = self.sync(data)
        order.confirm_coupon_programs(
            {-1: {"points": 1, "program_id": self.program.id, "coupon_id": -1,
                  "partner_id": partner.id, "barcode": False, "line_codes": ["r1"]}}
        )
        card = self.env["loyalty.card"].search([("partner_id", "=", partner.id)])
        return order, card

    def test_config_maps_applies_on(self):
        config = self.env["aba.loyalty.engine"]._build_config(self.env.company)
        program = next(p for p in config["programs"] if p["id"] == self.program.id)
        self.assertTrue(program["spend_earned"])  # applies_on "both"
        self.program.applies_on = "future"
        config = self.env["aba.loyalty.engine"]._build_config(self.env.company)
        program = next(p for p in config["programs"] if p["id"] == self.program.id)
        self.assertFalse(program["spend_earned"])

    def test_a_promotion_for_the_next_order_is_left_to_odoo(self):
        """applies_on "future" gives a coupon for the next order: not a discount the engine
        applies to this one (Odoo's own pos_loyalty tests have one: a global 10 %)."""
        promo = self.env["loyalty.program"].create({
            "name": "Next order 10 %",
            "program_type": "promotion",
            "trigger": "auto",
            "applies_on": "future",
            "rule_ids": [(0, 0, {})],
            "reward_ids": [(0, 0, {"reward_type": "discount", "discount": 10,
                                   "discount_mode": "percent",
                                   "discount_applicability": "order"})],
        })
        engine = self.env["aba.loyalty.engine"]
        self.assertNotIn(promo, engine._managed_programs(self.env.company))
        promo.applies_on = "current"
        self.assertIn(promo, engine._managed_programs(self.env.company))

    def test_new_card_spends_points_earned_in_the_same_order(self):
        order, card = self.new_card_order(reward_points=4)
        self.assertEqual(order.state, "paid")
        # 10 earned on the base price, 4 spent from them.
        self.assertEqual(self.card_moves(card).mapped("kind"), ["redeem", "earn", "opening"])
        self.assertEqual(card.points, 6)
        self.assertFalse(order.aba_exception_ids)
        self.assertConsistent()

    def test_product_reward_cost_is_checked_against_the_same_points(self):
        free_socks = self.env["loyalty.reward"].create(
            {"program_id": self.program.id, "reward_type": "product",
             "reward_product_id": self.product_b.id, "reward_product_qty": 1,
             "required_points": 4}
        )
        order, card = self.new_card_order(product_reward=free_socks)
        self.assertEqual(card.points, 6)  # 10 earned, the free product's 4 points spent
        self.assertFalse(order.aba_exception_ids)
        # Without this order's points (applies_on future): nothing to spend from, recorded.
        self.program.applies_on = "future"
        with self.assertLogs("odoo.addons.asd_aba_loyalty.models.aba_loyalty_exception",
                             "WARNING"):
            order, card = self.new_card_order(product_reward=free_socks)
        self.assertEqual(order.state, "paid")
        self.assertEqual(card.points, 10)
        self.assertEqual(order.aba_exception_ids.shortfall, 4)
        self.assertConsistent()

    def test_free_product_units_earn_no_points(self):
        # As Odoo's point of sale: the units a product reward of the card's program gives away
        # are not earned on (only the paid Shirt: 10 points, not 13).
        free_socks = self.env["loyalty.reward"].create(
            {"program_id": self.program.id, "reward_type": "product",
             "reward_product_id": self.product_b.id, "reward_product_qty": 1,
             "required_points": 4}
        )
        self.pay([(self.product_a, 1)])  # 10 points
        data = self.order_data([(self.product_a, 1), (self.product_b, 1)])
        # As the till sends it: the reward's discount product, the free quantity.
        data["lines"].append((0, 0, {
            "product_id": free_socks.discount_line_product_id.id, "price_unit": -30, "qty": 1,
            "price_subtotal": -30, "price_subtotal_incl": -30, "is_reward_line": True,
            "reward_id": free_socks.id, "coupon_id": self.card.id, "points_cost": 4,
            "reward_identifier_code": "socks", "tax_ids": [(6, 0, [])],
        }))
        data["amount_total"] -= 30
        data["amount_paid"] = data["amount_total"]
        data["payment_ids"][0][2]["amount"] = data["amount_total"]
        self.sync(data)
        self.assertEqual(sorted(self.card_moves(kind="earn").mapped("points")), [10, 10])
        self.assertEqual(self.card.points, 16)  # 10 + 10 earned - 4 spent
        self.assertConsistent()

    def test_history_lines_show_the_engine_result(self):
        partner = self.env["res.partner"].create({"name": "Historian"})
        order, card = self.new_card_order(reward_points=4, partner=partner)
        order.add_loyalty_history_lines(
            [{"card_id": -1, "won": 999, "spent": 999}],
            [{"id": card.id, "old_id": -1}],
        )
        history = self.env["loyalty.history"].search([("order_id", "=", order.id),
                                                       ("card_id", "=", card.id)])
        self.assertEqual((history.issued, history.used), (10, 4))


@tagged("post_install", "-at_install")
class TestRefundGivesBackSpentPoints(AbaLoyaltyCase):
    def spend_sale(self):
        self.pay([(self.product_a, 2)])  # 20 points
        order, _ = self.pay([(self.product_a, 2)], reward_points=15)  # 15 spent, 20 earned
        self.assertEqual(self.card.points, 25)
        return order

    def test_full_refund_gives_back_what_the_sale_spent(self):
        order = self.spend_sale()
        self.assertEqual(
            order.aba_loyalty_sale[str(self.card.id)]["redemptions"][0]["points"], "15.00"
        )
        data = self.refund_data(order, [2])
        refund = self.sync(dict(data))
        self.sync(dict(data))  # re-sent: nothing more
        moves = self.moves.search([("pos_order_id", "=", refund.id)], order="id")
        self.assertEqual([(m.kind, m.points) for m in moves], [("return", 15), ("refund", -20)])
        self.assertEqual(moves[0].idempotency_key, f"return:{self.card.id}:{refund.uuid}")
        self.assertEqual(self.card.points, 20)
        self.assertConsistent()

    def test_partial_refunds_never_give_back_more_than_was_spent(self):
        order = self.spend_sale()
        first = self.sync(self.refund_data(order, [1]))
        self.assertEqual(self.card.points, 22.5)  # 25 + 7.5 back - 10 earned
        second = self.sync(self.refund_data(order, [1]))
        returned = self.moves.search([("kind", "=", "return")])
        self.assertEqual(sum(returned.mapped("points")), 15)
        self.assertEqual(returned.pos_order_id, first | second)
        self.assertEqual(self.card.points, 20)
        self.assertConsistent()


def no_sync(_self):
    return False


@tagged("post_install", "-at_install")
class TestPostingAfterCommit(AbaLoyaltyCase):
    """In production the posting runs after the request's transaction commits, in its own
    transaction; the tests run it at once. Here the post-commit path itself runs."""

    def test_posting_runs_from_the_post_commit_hook(self):
        from unittest.mock import patch

        registry = self.env.registry
        self.env.cr.postcommit.clear()
        with patch.object(type(self.env["pos.order"]), "_aba_post_synchronously", no_sync):
            order, _ = self.pay([(self.product_a, 1)])
        self.assertEqual(order.aba_posting_state, "pending")
        self.assertFalse(self.card_moves(kind="earn"))  # nothing before the commit
        self.assertEqual(
            self.env.cr.postcommit.data["asd_aba_loyalty.post_orders"], [order.id]
        )
        self.env.flush_all()
        # The hook opens its own cursor: in test mode, one that shares this transaction.
        registry.enter_test_mode(self.env.cr)
        try:
            self.env.cr.postcommit.run()
        finally:
            registry.leave_test_mode()
        self.env.invalidate_all()
        self.assertEqual(self.card_moves(kind="earn").points, 10)
        self.assertEqual(order.aba_posting_state, "posted")
        self.assertEqual(self.card.points, 10)
        self.assertConsistent()

    def test_repair_cron_posts_a_failed_order(self):
        from unittest.mock import patch

        with patch.object(type(self.env["pos.order"]), "_aba_post_synchronously", no_sync):
            order, _ = self.pay([(self.product_a, 1)])
        self.env.cr.postcommit.clear()  # as if the worker died after the commit
        order.write({"aba_posting_state": "failed", "aba_posting_error": "boom"})
        self.assertFalse(self.card_moves(kind="earn"))
        repaired = self.env["pos.order"]._cron_repair_postings()
        self.assertIn(order, repaired)
        self.assertEqual(order.aba_posting_state, "posted")
        self.assertEqual(self.card.points, 10)
        self.env["pos.order"]._cron_repair_postings()  # again: nothing doubles
        self.assertEqual(len(self.card_moves(kind="earn")), 1)
        self.assertConsistent()

    def test_confirm_returns_the_balance_the_posting_will_produce(self):
        from unittest.mock import patch

        with patch.object(type(self.env["pos.order"]), "_aba_post_synchronously", no_sync):
            order, _ = self.pay([(self.product_a, 1)])
            result = order.confirm_coupon_programs(
                {self.card.id: {"points": 500, "program_id": self.program.id,
                                "coupon_id": self.card.id}}
            )
        self.env.cr.postcommit.clear()
        self.assertEqual(self.card.points, 0)  # not posted yet
        self.assertEqual(result["coupon_updates"][0]["points"], 10)
