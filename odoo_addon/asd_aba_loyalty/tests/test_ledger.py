import psycopg2
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..aba_loyalty_lib.aba_ledger import BALANCE_CHECK, CARD_CHECK, CARD_FK
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

    def test_check_constraint_on_the_ledger_not_on_loyalty_card(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT conname FROM pg_constraint WHERE conname IN %s",
            ((CARD_CHECK, CARD_FK, BALANCE_CHECK),),
        )
        # Odoo's loyalty_card is stock: no CHECK on it, no foreign key into it.
        self.assertEqual([r[0] for r in self.env.cr.fetchall()], [BALANCE_CHECK])
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.CheckViolation) as caught,
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "INSERT INTO aba_loyalty_point_move (card_id, kind, points, balance_after, "
                "idempotency_key) VALUES (%s, 'redeem', -1, -1, 'x')", (self.card.id,)
            )
        self.assertIn(BALANCE_CHECK, str(caught.exception))

    def test_write_of_points_becomes_an_adjust_move(self):
        # Flows the engine does not compute (the balance wizard, a sale order's loyalty) still
        # go through the ledger: the difference the caller meant, applied atomically.
        self.card.points = 20
        self.card.points = 15
        adjust = self.card_moves(kind="adjust").sorted("id")
        self.assertEqual(adjust.mapped("points"), [20, -5])
        self.assertEqual(self.card.points, 15)
        # Below zero: never refused, never negative; down to zero, the rest recorded.
        with mute_logger("odoo.addons.asd_aba_loyalty.models.aba_loyalty_exception"):
            self.card.points = -1
        self.assertEqual(self.card.points, 0)
        last = self.card_moves(kind="adjust").sorted("id")[-1]
        self.assertEqual((last.points, last.shortfall), (-15, 1))
        exception = self.env["aba.loyalty.exception"].search([("card_id", "=", self.card.id)])
        self.assertEqual(
            (exception.reason, exception.requested, exception.covered, exception.shortfall),
            ("adjust_below_zero", 16, 15, 1),
        )
        self.assertConsistent()

    def test_clamped_post_goes_to_zero_with_a_shortfall(self):
        self.moves._post(self.card, "earn", 5, key="manual:earn")
        result = self.moves._post(self.card, "redeem", -8, key="manual:redeem", clamp=True)
        self.assertEqual((float(result.points), float(result.shortfall)), (-5, 3))
        move = self.card_moves(kind="redeem")
        self.assertEqual((move.points, move.shortfall, move.balance_after), (-5, 3, 0))
        self.assertEqual(move.card_code, self.card.code)
        self.assertEqual(move.loyalty_card_id, self.card)
        self.assertEqual(self.card.points, 0)
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
        # Cards of the managed programs from before the install (demo data) got their opening
        # move in the hook; the others (coupons, gift cards, eWallets) got nothing.
        self.assertConsistent()
        self.env.flush_all()
        managed = self.env["aba.loyalty.engine"]._all_managed_loyalty_program_ids()
        self.env.cr.execute(
            "SELECT c.program_id = ANY(%s), count(*) FROM loyalty_card c WHERE NOT EXISTS "
            "(SELECT 1 FROM aba_loyalty_point_move m WHERE m.card_id = c.id AND "
            "m.kind = 'opening') GROUP BY 1",
            (managed,),
        )
        self.assertNotIn(True, dict(self.env.cr.fetchall()))
