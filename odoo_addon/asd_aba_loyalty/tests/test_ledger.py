import psycopg2
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..lib.aba_ledger import CARD_CHECK
from .common import AbaLoyaltyCase


@tagged("post_install", "-at_install")
class TestLedger(AbaLoyaltyCase):
    def test_new_card_gets_an_opening_move(self):
        card = self.env["loyalty.card"].create({"program_id": self.program.id, "points": 12.5})
        opening = self.card_moves(card)
        self.assertEqual(opening.mapped("kind"), ["opening"])
        self.assertEqual(opening.points, 12.5)
        self.assertEqual(opening.idempotency_key, f"opening:{card.id}")
        self.assertConsistent()

    def test_post_is_idempotent_per_key(self):
        first = self.moves._post(self.card, "earn", 7, key="manual:1")
        again = self.moves._post(self.card, "earn", 7, key="manual:1")
        self.assertTrue(first.created)
        self.assertFalse(again.created)
        self.assertEqual(again.move_id, first.move_id)
        self.assertEqual(self.card.points, 7)
        self.assertEqual(len(self.card_moves(kind="earn")), 1)

    def test_redeem_beyond_balance_is_refused(self):
        self.moves._post(self.card, "earn", 5, key="manual:earn")
        with self.assertRaisesRegex(UserError, "Not enough loyalty points"):
            self.moves._post(self.card, "redeem", -6, key="manual:redeem")
        self.assertEqual(self.card.points, 5)
        self.assertFalse(self.card_moves(kind="redeem"))

    def test_refund_below_zero_stops_at_zero(self):
        self.moves._post(self.card, "earn", 10, key="manual:earn")
        self.moves._post(self.card, "redeem", -8, key="manual:redeem")
        result = self.moves._post(self.card, "refund", -10, key="manual:refund")
        self.assertEqual(self.card.points, 0)
        self.assertEqual(float(result.points), -2)
        self.assertEqual(float(result.unrecovered), 8)
        self.assertEqual(self.card_moves(kind="refund").unrecovered, 8)
        self.assertConsistent()

    def test_check_constraint_on_loyalty_card(self):
        self.env.flush_all()
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.CheckViolation) as caught,
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "UPDATE loyalty_card SET points = -1 WHERE id = %s", (self.card.id,)
            )
        self.assertIn(CARD_CHECK, str(caught.exception))

    def test_write_of_points_becomes_an_adjust_move(self):
        # Flows the engine does not compute (gift cards, the balance wizard) still go through
        # the ledger: the difference the caller meant, applied atomically.
        self.card.points = 20
        self.card.points = 15
        adjust = self.card_moves(kind="adjust").sorted("id")
        self.assertEqual(adjust.mapped("points"), [20, -5])
        self.assertEqual(self.card.points, 15)
        with self.assertRaisesRegex(UserError, "Not enough loyalty points"):
            self.card.points = -1
        self.assertConsistent()

    def test_moves_are_append_only(self):
        move = self.moves.browse(self.moves._post(self.card, "earn", 1, key="k").move_id)
        with self.assertRaises(UserError):
            move.write({"points": 100})
        with self.assertRaises(UserError):
            move.unlink()

    def test_consistency_check_and_report(self):
        self.moves._post(self.card, "earn", 3, key="k")
        self.assertConsistent()
        self.env.flush_all()
        self.env.cr.execute("UPDATE loyalty_card SET points = 99 WHERE id = %s", (self.card.id,))
        report = self.moves._check_consistency(self.card)
        self.assertEqual([d.card_id for d in report.discrepancies], [self.card.id])
        row = self.env["aba.loyalty.consistency"].search([("card_id", "=", self.card.id)])
        self.assertFalse(row.consistent)
        self.assertEqual(row.difference, 96)
        with mute_logger("odoo.addons.asd_aba_loyalty.models.aba_loyalty_consistency"):
            cron_report = self.env["aba.loyalty.consistency"]._cron_check_consistency()
        self.assertFalse(cron_report.consistent)
        self.assertTrue(
            self.env["ir.logging"].search([("name", "=", "asd_aba_loyalty.consistency")])
        )

    def test_install_left_ledger_equal_to_cache(self):
        # Cards from before the install (demo data) got their opening move in the hook.
        self.assertConsistent()
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM loyalty_card c WHERE NOT EXISTS (SELECT 1 FROM "
            "aba_loyalty_point_move m WHERE m.card_id = c.id AND m.kind = 'opening')"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
