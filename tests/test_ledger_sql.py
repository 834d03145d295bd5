"""The addon's ledger SQL (`aba_ledger`) against a real PostgreSQL with Odoo 18's own DDL."""

from __future__ import annotations

import multiprocessing as mp
import random
import threading
import time
from decimal import Decimal

import psycopg2
import pytest
from aba_loyalty_lib.aba_ledger import (
    BALANCE_CHECK,
    CARD_CHECK,
    InsufficientBalanceError,
    InvalidMoveError,
    RetryExhaustedError,
    backoff_delays,
    check_consistency,
    drop_card_check,
    ensure_card_check,
    ensure_move_table,
    idempotency_key,
    post_move,
    post_opening_moves,
    with_retry,
)


@pytest.fixture
def odoo_db(make_db, odoo_schema_sql):
    """A database holding Odoo's real loyalty/POS tables and the ledger table (no constraint on
    Odoo's own loyalty_card: the ledger keeps its cards non-negative)."""
    dsn = make_db("ledger")
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cur.execute(odoo_schema_sql)
        cur.execute("SET search_path TO public")
        ensure_move_table(cur)
    conn.commit()
    conn.close()
    return dsn


def _connect(dsn, isolation="REPEATABLE READ"):
    conn = psycopg2.connect(dsn)
    # Default: Odoo's own isolation level, where a writer that waited for the card lock gets a
    # serialization failure (40001) and must retry the whole transaction.
    conn.set_session(isolation_level=isolation)
    return conn


def _new_card(dsn, points=0.0, card_id=None) -> int:
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO loyalty_card (code, points, active) VALUES (%s, %s, true) RETURNING id",
            (f"C{random.getrandbits(48):x}", points),
        )
        card = cur.fetchone()[0]
        cur.execute("INSERT INTO aba_loyalty_point_move (card_id, kind, points, balance_after, "
                    "idempotency_key) VALUES (%s, 'opening', %s, %s, %s)",
                    (card, Decimal(repr(points)), Decimal(repr(points)), f"opening:{card}"))
    conn.close()
    return card


def _balance(dsn, card):
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT points FROM loyalty_card WHERE id = %s", (card,))
        value = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM aba_loyalty_point_move WHERE card_id = %s", (card,))
        moves = cur.fetchone()[0]
    conn.close()
    return Decimal(repr(value)), moves


def _post(dsn, isolation="REPEATABLE READ", attempts=8, **kwargs):
    conn = _connect(dsn, isolation)
    try:
        # A hot card under REPEATABLE READ fails every waiter once per commit: many attempts.
        return with_retry(conn, lambda cur: post_move(cur, **kwargs), attempts=attempts,
                          base=0.005, cap=0.2)
    finally:
        conn.close()


def test_earn_updates_cache_and_ledger(odoo_db):
    card = _new_card(odoo_db, 5.5)
    res = _post(odoo_db, card_id=card, kind="earn", points="18.00", order_uid="o-1")
    assert res.created and res.points == Decimal("18.00")
    assert res.balance_after == Decimal("23.5")
    assert _balance(odoo_db, card) == (Decimal("23.5"), 2)
    conn = psycopg2.connect(odoo_db)
    with conn.cursor() as cur:
        report = check_consistency(cur)
        cur.execute("SELECT idempotency_key, kind, points FROM aba_loyalty_point_move "
                    "WHERE id = %s", (res.move_id,))
        assert cur.fetchone() == (idempotency_key("o-1", card, "earn"), "earn", Decimal("18.00"))
    conn.close()
    assert report.consistent and report.cards == 1


def test_same_order_twice_changes_nothing(odoo_db):
    card = _new_card(odoo_db, 0.0)
    first = _post(odoo_db, card_id=card, kind="earn", points=12, order_uid="offline-7")
    again = _post(odoo_db, card_id=card, kind="earn", points=12, order_uid="offline-7")
    assert first.created and not again.created
    assert again.move_id == first.move_id and again.balance_after == Decimal(12)
    assert _balance(odoo_db, card) == (Decimal(12), 2)
    # Another kind for the same order is another effect (a redemption of the same order).
    spent = _post(odoo_db, card_id=card, kind="redeem", points=-10, order_uid="offline-7")
    assert spent.created and spent.balance_after == Decimal(2)


def test_same_order_concurrently_one_move(odoo_db):
    card = _new_card(odoo_db, 0.0)
    with mp.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_worker_same_order, [(odoo_db, card)] * 8)
    assert sum(results) == 1
    assert _balance(odoo_db, card) == (Decimal(7), 2)


def _worker_same_order(dsn, card):
    return int(_post(dsn, card_id=card, kind="earn", points=7, order_uid="dup").created)


def test_check_constraint_refuses_a_negative_balance_after(odoo_db):
    card = _new_card(odoo_db, 3.0)
    conn = psycopg2.connect(odoo_db)
    with pytest.raises(psycopg2.errors.CheckViolation) as exc, conn.cursor() as cur:
        cur.execute("INSERT INTO aba_loyalty_point_move (card_id, kind, points, balance_after, "
                    "idempotency_key) VALUES (%s, 'redeem', -5, -2, 'x')", (card,))
    assert BALANCE_CHECK in str(exc.value)
    conn.close()


def test_card_check_is_optional_and_removable(odoo_db):
    # v1 put CHECK (points >= 0) on Odoo's loyalty_card; the addon now only drops it.
    conn = psycopg2.connect(odoo_db)
    with conn, conn.cursor() as cur:
        assert ensure_card_check(cur)
        drop_card_check(cur)
        cur.execute("SELECT count(*) FROM pg_constraint WHERE conname = %s", (CARD_CHECK,))
        assert cur.fetchone()[0] == 0
    conn.close()


def test_clamped_redeem_goes_to_zero_and_records_the_shortfall(odoo_db):
    card = _new_card(odoo_db, 4.0)
    res = _post(odoo_db, card_id=card, kind="redeem", points="-10", order_uid="offline",
                clamp=True)
    assert (res.points, res.shortfall, res.balance_after) == (Decimal(-4), Decimal(6), 0)
    again = _post(odoo_db, card_id=card, kind="redeem", points="-10", order_uid="offline",
                  clamp=True)
    assert (again.created, again.move_id, again.shortfall) == (False, res.move_id, Decimal(6))
    conn = psycopg2.connect(odoo_db)
    with conn.cursor() as cur:
        cur.execute("SELECT card_code, shortfall FROM aba_loyalty_point_move WHERE id = %s",
                    (res.move_id,))
        code, shortfall = cur.fetchone()
        assert code.startswith("C") and shortfall == Decimal(6)
        assert check_consistency(cur).consistent
    conn.close()


def test_card_without_moves_is_opened_lazily(odoo_db):
    conn = psycopg2.connect(odoo_db)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO loyalty_card (code, points) VALUES ('lazy', 7), ('neg', -3) "
                    "RETURNING id")
        lazy, neg = (r[0] for r in cur.fetchall())
    conn.close()
    res = _post(odoo_db, card_id=lazy, kind="earn", points=2, order_uid="o1", open_missing=True)
    assert res.balance_after == 9
    res = _post(odoo_db, card_id=neg, kind="earn", points=2, order_uid="o2", open_missing=True)
    assert res.balance_after == 2
    conn = psycopg2.connect(odoo_db)
    with conn.cursor() as cur:
        cur.execute("SELECT card_id, kind, points, idempotency_key FROM aba_loyalty_point_move "
                    "ORDER BY id")
        assert cur.fetchall() == [
            (lazy, "opening", Decimal(7), f"opening:{lazy}"),
            (lazy, "earn", Decimal(2), f"earn:{lazy}:o1"),
            (neg, "opening", Decimal(-3), f"opening:{neg}"),
            (neg, "adjust", Decimal(3), f"repair-negative:{neg}"),
            (neg, "earn", Decimal(2), f"earn:{neg}:o2"),
        ]
        assert check_consistency(cur).consistent
    conn.close()


def test_a_deleted_card_keeps_its_moves(odoo_db):
    card = _new_card(odoo_db, 1.0)
    _post(odoo_db, card_id=card, kind="earn", points=2, order_uid="o")
    conn = psycopg2.connect(odoo_db)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM loyalty_card WHERE id = %s", (card,))
        cur.execute("SELECT count(*) FROM aba_loyalty_point_move WHERE card_id = %s", (card,))
        assert cur.fetchone()[0] == 2
        assert check_consistency(cur).cards == 0
    conn.close()


def test_redeem_beyond_balance_refused_nothing_written(odoo_db):
    card = _new_card(odoo_db, 10.0)
    with pytest.raises(InsufficientBalanceError) as exc:
        _post(odoo_db, card_id=card, kind="redeem", points="-10.01", order_uid="big")
    assert exc.value.card_id == card and exc.value.requested == Decimal("10.01")
    assert _balance(odoo_db, card) == (Decimal(10), 1)
    ok = _post(odoo_db, card_id=card, kind="redeem", points=-10, order_uid="exact")
    assert ok.balance_after == 0


def test_refund_below_zero_goes_to_zero_and_records_unrecovered(odoo_db):
    card = _new_card(odoo_db, 0.0)
    _post(odoo_db, card_id=card, kind="earn", points="18", order_uid="sale")
    _post(odoo_db, card_id=card, kind="redeem", points="-15", order_uid="next")
    res = _post(odoo_db, card_id=card, kind="refund", points="-18", order_uid="sale-refund")
    assert res.points == Decimal(-3) and res.unrecovered == Decimal(15)
    assert res.balance_after == 0
    assert _balance(odoo_db, card) == (Decimal(0), 4)
    conn = psycopg2.connect(odoo_db)
    with conn.cursor() as cur:
        assert check_consistency(cur).consistent
    conn.close()


def test_invalid_moves_rejected(odoo_db):
    card = _new_card(odoo_db, 1.0)
    with pytest.raises(InvalidMoveError, match="kind"):
        _post(odoo_db, card_id=card, kind="gift", points=1, order_uid="x")
    with pytest.raises(InvalidMoveError, match="points"):
        _post(odoo_db, card_id=card, kind="earn", points=-1, order_uid="x")
    with pytest.raises(InvalidMoveError, match="points"):
        _post(odoo_db, card_id=card, kind="earn", points=float("nan"), order_uid="x")
    with pytest.raises(InvalidMoveError, match="order_uid"):
        _post(odoo_db, card_id=card, kind="earn", points=1)


def test_opening_moves_and_negative_repair(odoo_db):
    conn = psycopg2.connect(odoo_db)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO loyalty_card (code, points) VALUES ('a', 12.5), ('b', NULL), "
                    "('c', -4) RETURNING id")
        a, b, c = (r[0] for r in cur.fetchall())
        result = post_opening_moves(cur)
        assert result == {"opened": 3, "repaired_negative": [c]}
        assert post_opening_moves(cur) == {"opened": 0, "repaired_negative": []}
        assert check_consistency(cur).consistent
        cur.execute("SELECT id, points FROM loyalty_card ORDER BY id")
        assert cur.fetchall() == [(a, 12.5), (b, 0.0), (c, 0.0)]
    conn.close()


def test_opening_moves_only_for_the_given_programs(odoo_db):
    conn = psycopg2.connect(odoo_db)
    with conn, conn.cursor() as cur:
        managed, other = 41, 42  # a loyalty program the engine manages; a gift card program
        cur.execute("INSERT INTO loyalty_card (code, points, program_id) VALUES ('m', -2, %s), "
                    "('g', -5, %s) RETURNING id", (managed, other))
        m, g = (r[0] for r in cur.fetchall())
        assert post_opening_moves(cur, program_ids=[managed]) == {
            "opened": 1, "repaired_negative": [m]}
        cur.execute("SELECT id, points FROM loyalty_card ORDER BY id")
        assert cur.fetchall() == [(m, 0.0), (g, -5.0)]  # Odoo's gift card left as it was
        report = check_consistency(cur)
        assert (report.cards, report.consistent) == (1, True)
    conn.close()


def test_consistency_check_finds_a_tampered_cache(odoo_db):
    card = _new_card(odoo_db, 2.0)
    other = _new_card(odoo_db, 1.0)
    conn = psycopg2.connect(odoo_db)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE loyalty_card SET points = 9 WHERE id = %s", (card,))
        report = check_consistency(cur)
        assert [(d.card_id, d.cache, d.ledger) for d in report.discrepancies] == [
            (card, Decimal(9), Decimal(2))]
        assert report.cards == 2 and report.rate == Decimal("0.5")
        assert check_consistency(cur, [other]).consistent
    conn.close()


def test_backoff_is_exponential_with_jitter():
    top = list(backoff_delays(6, 0.01, 0.1, rng=lambda: 1.0))
    assert top == [0.01, 0.02, 0.04, 0.08, 0.1]
    assert all(0 <= d <= t for d, t in zip(backoff_delays(6, 0.01, 0.1), top, strict=True))


def _worker_mixed(dsn, card, worker, ops, seed, isolation):
    """Earn or redeem on one card; returns the points this worker really moved."""
    rng = random.Random(seed)
    moved = Decimal(0)
    refused = 0
    for n in range(ops):
        uid = f"w{worker}-{n}"
        if rng.random() < 0.5:
            res = _post(dsn, isolation, 100, card_id=card, kind="earn",
                        points=Decimal(rng.randint(1, 500)) / 100, order_uid=uid)
        else:
            try:
                res = _post(dsn, isolation, 100, card_id=card, kind="redeem",
                            points=-Decimal(rng.randint(1, 800)) / 100, order_uid=uid)
            except InsufficientBalanceError:
                refused += 1
                continue
        assert res.created and res.balance_after >= 0
        moved += res.points
    return moved, refused


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "READ COMMITTED"])
def test_concurrent_workers_never_negative_nothing_lost(odoo_db, isolation):
    card = _new_card(odoo_db, 5.0)
    workers, ops = 6, 40
    with mp.get_context("spawn").Pool(workers) as pool:
        results = pool.starmap(
            _worker_mixed,
            [(odoo_db, card, w, ops, 1000 + w, isolation) for w in range(workers)])
    moved = sum((m for m, _ in results), Decimal(0))
    balance, moves = _balance(odoo_db, card)
    assert balance == Decimal(5) + moved
    assert moves == 1 + workers * ops - sum(r for _, r in results)
    conn = psycopg2.connect(odoo_db)
    with conn.cursor() as cur:
        assert check_consistency(cur).consistent
        cur.execute("SELECT min(balance_after) FROM aba_loyalty_point_move WHERE card_id = %s",
                    (card,))
        assert cur.fetchone()[0] >= 0
        # The moves chain: each balance_after is the previous one plus the move's points, in the
        # order the card lock serialized them (= id order: ids are drawn under the lock).
        cur.execute("SELECT points, balance_after FROM aba_loyalty_point_move WHERE card_id = %s "
                    "ORDER BY id", (card,))
        rows = cur.fetchall()
    conn.close()
    running = Decimal(0)
    for points, after in rows:
        running += points
        assert after == running


def _hold_card_lock(dsn, card, seconds, ready):
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM loyalty_card WHERE id = %s FOR UPDATE", (card,))
        ready.set()
        time.sleep(seconds)
    conn.rollback()
    conn.close()


def test_lock_timeout_is_retried_in_a_savepoint(odoo_db):
    card = _new_card(odoo_db, 1.0)
    ready = threading.Event()
    holder = threading.Thread(target=_hold_card_lock, args=(odoo_db, card, 0.3, ready))
    holder.start()
    ready.wait(5)
    conn = _connect(odoo_db, "READ COMMITTED")
    with conn.cursor() as cur:
        cur.execute("SELECT 1")  # the caller's transaction has started before the ledger runs
        res = post_move(cur, card_id=card, kind="earn", points=2, order_uid="waits",
                        lock_timeout_ms=100, retry_attempts=10)
        cur.execute("SHOW lock_timeout")
        assert cur.fetchone()[0] == "0"  # the caller's own setting is back
    conn.commit()
    conn.close()
    holder.join()
    assert res.created and res.balance_after == Decimal(3)


def test_lock_timeout_gives_up_after_the_attempts(odoo_db):
    card = _new_card(odoo_db, 1.0)
    ready = threading.Event()
    holder = threading.Thread(target=_hold_card_lock, args=(odoo_db, card, 1.5, ready))
    holder.start()
    ready.wait(5)
    conn = _connect(odoo_db, "READ COMMITTED")
    with pytest.raises(RetryExhaustedError), conn.cursor() as cur:
        post_move(cur, card_id=card, kind="earn", points=2, order_uid="gives-up",
                  lock_timeout_ms=50, retry_attempts=2)
    conn.rollback()
    conn.close()
    holder.join()
    assert _balance(odoo_db, card) == (Decimal(1), 1)
