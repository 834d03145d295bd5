"""Worker processes for the ledger suites (imported by spawned children: module level only).

Each worker opens its own psycopg2 connection, posts moves through `aba_ledger` exactly as the
addon does (`with_retry` around a transaction calling `post_move`), and returns what happened to
every operation plus its retry counts, so the parent can check the database against it.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

import psycopg2
from aba_loyalty_lib import aba_ledger
from aba_loyalty_lib.aba_ledger import InsufficientBalanceError, post_move, with_retry
from aba_loyalty_lib.aba_ledger import moves as ledger_moves


class RetryCounter:
    """Counts the ledger's backoff sleeps: one per retry, at either level."""

    def __init__(self) -> None:
        self.transaction = 0   # whole-transaction retries (40001 under REPEATABLE READ)
        self.statement = 0     # savepoint retries (55P03 lock timeout, 40P01 deadlock)

    def tx_sleep(self, delay: float) -> None:
        self.transaction += 1
        time.sleep(delay)

    def install_statement_counter(self) -> None:
        """Count the savepoint-level retries of `post_move` (test instrumentation only: the
        original function runs, with a sleep that also counts)."""
        original = aba_ledger.retry.retry_in_savepoint

        def counted(cr, work, **kwargs):
            def sleep(delay: float) -> None:
                self.statement += 1
                time.sleep(delay)
            return original(cr, work, sleep=sleep, **kwargs)

        ledger_moves.retry_in_savepoint = counted


def _points(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _connect(dsn: str, isolation: str):
    conn = psycopg2.connect(dsn)
    conn.set_session(isolation_level=isolation)
    return conn


def _post(conn, counter: RetryCounter, *, attempts: int = 60, **kwargs):
    return with_retry(conn, lambda cur: post_move(cur, **kwargs), attempts=attempts,
                      base=0.002, cap=0.05, sleep=counter.tx_sleep)


def mixed_worker(args) -> dict:
    """Earn, redeem and refund at random on a few shared cards; sometimes re-send an earlier
    operation (offline POS re-sync). Returns every outcome and the retry counts."""
    dsn, worker, cards, operations, seed = args
    rng = random.Random(seed)
    counter = RetryCounter()
    counter.install_statement_counter()
    # Odoo runs REPEATABLE READ; half the workers use READ COMMITTED to mix both waiting modes.
    isolation = "REPEATABLE READ" if worker % 2 == 0 else "READ COMMITTED"
    # A short lock timeout on some workers provokes 55P03 and the savepoint retry path.
    lock_timeout = 20 if worker % 3 == 0 else 2000
    conn = _connect(dsn, isolation)
    outcomes, sent = [], []
    started = time.perf_counter()
    for n in range(operations):
        if sent and rng.random() < 0.1:
            op = dict(rng.choice(sent))
            op["resend"] = True
        else:
            kind = rng.choices(("earn", "redeem", "refund"), weights=(5, 4, 2))[0]
            if kind == "earn":
                points = _points(rng, 0, 40)
            elif kind == "redeem":
                points = -_points(rng, 1, 60)
            else:
                points = -_points(rng, 1, 30)
            op = {"order_uid": f"w{worker}-o{n}", "card_id": rng.choice(cards), "kind": kind,
                  "points": points, "resend": False}
            sent.append(op)
        try:
            result = _post(conn, counter, card_id=op["card_id"], kind=op["kind"],
                           points=op["points"], order_uid=op["order_uid"], engine="native",
                           lock_timeout_ms=lock_timeout, retry_attempts=30)
        except InsufficientBalanceError as exc:
            outcomes.append({**op, "accepted": False, "error": type(exc).__name__,
                             "message": str(exc)})
        except Exception as exc:  # noqa: BLE001 - any other error is a finding, reported
            outcomes.append({**op, "accepted": False, "error": type(exc).__name__,
                             "message": str(exc)})
        else:
            outcomes.append({**op, "accepted": True, "move_id": result.move_id,
                             "created": result.created, "applied": result.points,
                             "unrecovered": result.unrecovered,
                             "balance_after": result.balance_after})
    elapsed = time.perf_counter() - started
    conn.close()
    return {"worker": worker, "isolation": isolation, "outcomes": outcomes, "elapsed": elapsed,
            "tx_retries": counter.transaction, "statement_retries": counter.statement}


def race_worker(args) -> list:
    """Submit the same orders as every other race worker, each one at the same instant (a
    barrier per order): earn and redeem of one order on one card, as a POS re-sync would."""
    dsn, worker, orders, barrier, queue = args
    counter = RetryCounter()
    counter.install_statement_counter()
    conn = _connect(dsn, "REPEATABLE READ" if worker % 2 == 0 else "READ COMMITTED")
    results = []
    for order in orders:
        barrier.wait()
        for kind, points in (("earn", order["earn"]), ("redeem", order["redeem"])):
            try:
                res = _post(conn, counter, card_id=order["card_id"], kind=kind, points=points,
                            order_uid=order["uid"], engine="native")
                results.append((order["uid"], kind, res.move_id, res.created, None))
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails
                results.append((order["uid"], kind, None, None, f"{type(exc).__name__}: {exc}"))
    conn.close()
    queue.put({"worker": worker, "results": results, "tx_retries": counter.transaction,
               "statement_retries": counter.statement})
    return results
