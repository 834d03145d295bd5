"""Source churn under follow mode: writer processes update, insert and delete in the Odoo-shaped
source (ledger moves through aba_ledger, partners, programs, history) while `Etl.follow` runs,
including transactions that stay open across several sync rounds (their rows carry the
transaction's start as write_date, as Odoo stamps it) and writes with old write_dates. At
quiescence the engine equals the source, row by row, and validation finds every card consistent.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import threading
import time
from datetime import datetime

import psycopg2.errors
import pytest
from etl_support import SourceWriter, compare, differences, lost_and_doubled, rows_compared
from reliability_report import record, scale

CARDS = scale(3_000, 50_000)
WRITERS = scale(4, 8)
DURATION = scale(8.0, 90.0)
INTERVAL = 0.2


def writer_process(dsn: str, seed: int, mode: str, duration: float, out) -> None:
    """`short`: many small committed batches, some with old write_dates. `long`: transactions
    that stay open across several sync rounds. `whole`: one transaction open for the whole
    churn, committed at its end."""
    writer = SourceWriter(dsn, seed=seed, tag=f"{mode}{seed}")
    rng = random.Random(seed)
    deadline = time.monotonic() + duration
    transactions = long_open = 0
    victims = (psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure)
    try:
        if mode == "whole":
            # Only inserts: nothing for the others to deadlock with for the whole run.
            with writer.conn.cursor() as cur:
                n = 0
                while time.monotonic() < deadline:
                    n += 1
                    cur.execute(
                        "INSERT INTO public.res_partner (name, active, autopost_bills, "
                        "create_date, write_date) VALUES (%s, true, 'ask', now() AT TIME ZONE "
                        "'UTC', now() AT TIME ZONE 'UTC')", (f"whole-{seed}-{n}",))
                    writer.counts["inserted"] += 1
                    time.sleep(0.1)
            writer.conn.commit()
            transactions, long_open = 1, 1
        # A long writer goes on past the deadline (up to a minute) until one of its multi-round
        # transactions committed: on a loaded machine every one of them can be a deadlock
        # victim within the run, and the test is about following them, not about the odds.
        def writing() -> bool:
            now = time.monotonic()
            return now < deadline or (mode == "long" and long_open == 0 and now < deadline + 60)

        while writing():
            if mode == "long":
                try:
                    with writer.conn.cursor() as cur:
                        writer.batch(cur, size=rng.randint(5, 30))
                        time.sleep(rng.uniform(4 * INTERVAL, 12 * INTERVAL))
                        writer.batch(cur, size=rng.randint(5, 30),
                                     old_write_date=rng.random() < 0.5)
                    writer.conn.commit()
                    long_open += 1
                except victims:
                    writer.conn.rollback()
                    writer.counts["rolled_back"] += 1
            else:
                writer.commit_batch(size=rng.randint(1, 25), old_write_date=rng.random() < 0.2)
                time.sleep(rng.uniform(0, 0.05))
            transactions += 1
        out.put({"mode": mode, "counts": writer.counts, "transactions": transactions,
                 "long_open": long_open, "last_commit": time.time()})
    except BaseException as exc:
        out.put({"mode": mode, "error": f"{type(exc).__name__}: {exc}", "last_commit": time.time()})
        raise
    finally:
        writer.close()


@pytest.mark.timeout(600)
def test_follow_keeps_up_with_churn_and_long_transactions(make_db):
    from aba_loyalty_core import _testing, etl

    source, target = make_db("churnsrc"), make_db("churntgt")
    _testing.generate(source, cards=CARDS)
    runner = etl.Etl(source, target)
    runner.full_load()

    synced_at: dict[str, float] = {}
    rounds, errors = [], []
    lock = threading.Lock()

    def on_round(report):
        taken = datetime.fromisoformat(report["snapshot_at"].replace("Z", "+00:00")).timestamp()
        with lock:
            rounds.append(report)
            for stream in report["streams"]:
                synced_at[stream["stream"]] = taken

    stop = threading.Event()
    follower = threading.Thread(target=runner.follow, daemon=True, kwargs={
        "interval": INTERVAL, "stop": stop, "on_round": on_round, "on_error": errors.append})
    follower.start()
    try:
        _churn_until_quiet(source, target, runner, stop, follower, lock, synced_at, rounds,
                           errors)
    finally:
        stop.set()
        follower.join(timeout=60)


def _churn_until_quiet(source, target, runner, stop, follower, lock, synced_at, rounds, errors):
    from aba_loyalty_core import etl


    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    # One writer with long transactions by default (two of them mostly deadlock each other).
    modes = ["whole", "long"] + ["short"] * (WRITERS - 2) + ["long"] * (WRITERS > 4)
    procs = [ctx.Process(target=writer_process, args=(source, 100 + i, mode, DURATION, out))
             for i, mode in enumerate(modes)]
    for p in procs:
        p.start()
    results = [out.get(timeout=DURATION + 120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert not [r for r in results if "error" in r], results
    last_commit = max(r["last_commit"] for r in results)

    # Quiescence: every stream synced from a snapshot taken after the last commit.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            if len(synced_at) == len(etl.STREAMS) and min(synced_at.values()) > last_commit:
                break
        time.sleep(0.05)
    stop.set()
    follower.join(timeout=60)
    assert not follower.is_alive()
    assert not errors, errors
    with lock:
        assert min(synced_at.values()) > last_commit, "follow did not catch up within 60 s"

    report = compare(source, target)
    lost, doubled = lost_and_doubled(report)
    assert (lost, doubled) == (0, 0) and not differences(report), differences(report)
    validation = runner.validate()
    assert validation["consistency_rate"] == 1.0, validation["discrepancies"][:5]

    writes = {k: sum(r["counts"][k] for r in results) for k in results[0]["counts"]}
    record("etl source churn", writers=len(modes), seconds=DURATION,
           sync_rounds=len(rounds), transactions=sum(r["transactions"] for r in results),
           long_open_transactions=sum(r["long_open"] for r in results),
           rows_written=sum(writes.values()) - writes["rolled_back"], deleted=writes["deleted"],
           deadlock_victims=writes["rolled_back"],
           rows_compared=rows_compared(report), rows_lost=lost, rows_doubled=doubled)
    assert writes["deleted"] > 0 and writes["moves"] > 0 and writes["inserted"] > 0, writes
    # The whole-run transaction and at least one multi-round one committed.
    assert sum(r["long_open"] for r in results) >= 2, results
