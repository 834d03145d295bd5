"""POS orders: step 2, the posting of the plan (see pos_order.py): after the request's
transaction committed, in its own short transaction per order; and the repair cron."""

import logging
import random
import time

from odoo import api, models, modules
from odoo.sql_db import TestCursor
from odoo.tools import SQL

from ..aba_loyalty_lib.aba_ledger import MOVE_TABLE, RETRYABLE_SQLSTATES, sqlstate
from .engine_numbers import ZERO, to_decimal

_logger = logging.getLogger(__name__)

POSTING_ATTEMPTS = 4


def _post_in_own_transactions(dbname, uid, context, order_ids):
    """Post the planned moves of `order_ids`, each order in its own short READ COMMITTED
    transaction on a new cursor. Runs after the request's transaction committed; never raises
    (the order is committed already: a failure is logged and left to the repair cron)."""
    try:
        registry = modules.registry.Registry(dbname)
    except Exception:
        _logger.exception("asd_aba_loyalty: cannot open registry %s to post orders %s",
                          dbname, order_ids)
        return
    for order_id in order_ids:
        error = None
        for attempt in range(POSTING_ATTEMPTS):
            try:
                with registry.cursor() as cr:
                    if not isinstance(cr, TestCursor):
                        # The first statement of the transaction: the card rows are locked one
                        # move at a time and re-read after each wait, no snapshot to go stale.
                        # (A TestCursor is a savepoint in the test's transaction.)
                        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                    env = api.Environment(cr, uid, context)
                    env["pos.order"].browse(order_id).exists()._aba_post_planned()
                error = None
                break
            except Exception as exc:  # noqa: BLE001 (never an exception to the POS)
                error = exc
                if sqlstate(exc) not in RETRYABLE_SQLSTATES:
                    break
                time.sleep(min(1.0, 0.05 * (2**attempt)) * random.random())
        if error is not None:
            _logger.warning(
                "asd_aba_loyalty: posting of pos.order %s failed, left to the repair cron: %s",
                order_id, error, exc_info=error,
            )
            try:
                with registry.cursor() as cr:
                    cr.execute(
                        "UPDATE pos_order SET aba_posting_state = 'failed', "
                        "aba_posting_error = %s WHERE id = %s AND aba_posting_state = 'pending'",
                        (str(error)[:2000], order_id),
                    )
            except Exception:
                _logger.exception("asd_aba_loyalty: cannot mark pos.order %s failed", order_id)


class PosOrderPosting(models.Model):
    _inherit = "pos.order"

    def _aba_schedule_posting(self, vals=None):
        """Write `vals` (the plan just made) on this order, then post the plan after this
        transaction commits, in its own transaction (in test mode, at once on this cursor:
        Odoo's TestCursor runs no post-commit hook)."""
        self.ensure_one()
        vals = dict(vals or {})
        plan = vals["aba_loyalty_plan"] if "aba_loyalty_plan" in vals else None
        todo = bool(self._aba_unposted_entries(plan))
        if todo:
            vals.update({"aba_posting_state": "pending", "aba_posting_error": False})
        if vals:
            self.with_context(aba_snapshot=True).write(vals)
        if not todo:
            return
        if self._aba_post_synchronously():
            self._aba_post_planned()
            return
        self._aba_post_after_commit(self.ids)

    @api.model
    def _aba_post_synchronously(self):
        """True while Odoo runs tests: a test's transaction never commits (and Odoo's TestCursor
        runs no post-commit hook, HTTP tours included), so the posting runs at once on the
        current cursor there; the code that posts is the same."""
        return bool(modules.module.current_test) or self.env.registry.in_test_mode()

    @api.model
    def _aba_post_after_commit(self, order_ids):
        """Register `order_ids` for posting once the current transaction commits."""
        cr = self.env.cr
        pending = cr.postcommit.data.setdefault("asd_aba_loyalty.post_orders", [])
        if not pending:
            dbname, uid, context = cr.dbname, self.env.uid, dict(self.env.context)

            def post():
                _post_in_own_transactions(dbname, uid, context, list(dict.fromkeys(pending)))

            cr.postcommit.add(post)
        pending.extend(order_ids)

    def _aba_unposted_entries(self, plan=None):
        """The entries of `plan` (default: this order's) that have no ledger move yet."""
        plan = (self.aba_loyalty_plan if plan is None else plan) or []
        if not plan:
            return []
        # One indexed lookup of the keys (the moves are written by the ledger's SQL; a move
        # created through the ORM is flushed first).
        self.env["aba.loyalty.point.move"].flush_model(["idempotency_key"])
        self.env.cr.execute(
            SQL(
                "SELECT idempotency_key FROM %s WHERE idempotency_key = ANY(%s)",
                SQL.identifier(MOVE_TABLE),
                [entry["key"] for entry in plan],
            )
        )
        posted = {row[0] for row in self.env.cr.fetchall()}
        return [entry for entry in plan if entry["key"] not in posted]

    def _aba_post_planned(self):
        """Post every planned move of these orders that is not posted yet, in plan order, each
        under its card's lock, idempotent by key; what a card cannot cover is posted down to
        zero and recorded. Then the order is `posted`."""
        moves = self.env["aba.loyalty.point.move"].sudo()
        exceptions = self.env["aba.loyalty.exception"].sudo()
        for order in self.sudo():
            plan = order.aba_loyalty_plan or []
            # The plan's cards that still exist, in one query.
            cards = self.env["loyalty.card"].sudo().browse({e["card"] for e in plan}).exists()
            for entry in plan:
                card = cards.browse(entry["card"]) if entry["card"] in cards._ids else None
                if not card:
                    _logger.warning(
                        "asd_aba_loyalty: order %s: loyalty card %s deleted before its %s move "
                        "was posted", order.uuid, entry["card"], entry["kind"],
                    )
                    continue
                result = moves._post(
                    card, entry["kind"], to_decimal(entry["points"]), order=order, key=entry["key"],
                    engine=entry.get("engine"), clamp=bool(entry.get("clamp")),
                )
                if result.created and result.shortfall > 0:
                    exceptions._record(
                        card=card,
                        reason="insufficient_points",
                        requested=to_decimal(entry.get("requested") or -to_decimal(entry["points"])),
                        covered=-result.points,
                        key=entry["key"],
                        order=order,
                        move_id=result.move_id,
                    )
            order.with_context(aba_snapshot=True).write(
                {"aba_posting_state": "posted", "aba_posting_error": False}
            )

    def _aba_expected_balance(self, card, unposted=None):
        """The card's balance once this order's planned moves (`unposted`: those not posted yet,
        default: looked up) are posted."""
        balance = to_decimal(card.points)
        for entry in self._aba_unposted_entries() if unposted is None else unposted:
            if entry["card"] == card.id:
                balance = max(balance + to_decimal(entry["points"]), ZERO)
        return balance

    @api.model
    def _cron_repair_postings(self, batch=200, min_age_minutes=2):
        """Orders whose posting failed, or is still pending some minutes after their commit (a
        worker that died between commit and posting): post their plan again, each in its own
        transaction. The keys make every move exactly once. Also forgets old order claims."""
        self.env["aba.loyalty.order.claim"].sudo()._purge()
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT id FROM pos_order
             WHERE aba_posting_state = 'failed'
                OR (aba_posting_state = 'pending'
                    AND write_date < (now() AT TIME ZONE 'UTC') - make_interval(mins => %s))
             ORDER BY id
             LIMIT %s
            """,
            (min_age_minutes, batch),
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if not ids:
            return self.browse()
        orders = self.browse(ids)
        if self._aba_post_synchronously():
            orders._aba_post_planned()
        else:
            self._aba_post_after_commit(ids)
        _logger.info("asd_aba_loyalty: %d order posting(s) repaired", len(ids))
        return orders
