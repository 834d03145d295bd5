"""The main job, end to end: an Odoo-shaped source, the ETL, and orders through both engines.

Run through scripts/demo.sh, which builds the module and starts a private PostgreSQL; it passes
the server's maintenance DSN. Prints what it does on stdout.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import aba_loyalty_core
import psycopg2
from aba_loyalty_core import _testing, etl
from aba_loyalty_lib import aba_legacy_engine
from aba_loyalty_lib.aba_engine_shim import EngineShim
from aba_loyalty_testdata.workload import build_config, build_order


def recreate_database(server_dsn: str, name: str) -> str:
    conn = psycopg2.connect(server_dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return server_dsn.rpartition("/")[0] + "/" + name


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def timed(call):
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def sync_and_validate(job: etl.Etl) -> dict:
    report, seconds = timed(job.sync)
    changed = {s["stream"]: s["rows_upserted"] + s["rows_deleted"]
               for s in report["streams"] if s["rows_upserted"] + s["rows_deleted"]}
    print(f"sync in {seconds:.2f} s, rows changed per stream: {changed}")
    report = job.validate()
    print(f"validation: {report['cards_compared']:,} cards compared, "
          f"{report['discrepancies_count']} discrepancies, consistency "
          f"{report['consistency_rate']:.4%}, alert: {report['alert']}")
    return report


def demo_etl(server_dsn: str, cards: int) -> None:
    source = recreate_database(server_dsn, "aba_demo_odoo")
    target = recreate_database(server_dsn, "aba_demo_engine")
    step(f"generating an Odoo 18 source database with {cards:,} loyalty cards")
    report, seconds = timed(lambda: _testing.generate(source, cards=cards))
    print(f"generated {report['rows_total']:,} rows in {seconds:.1f} s:")
    for table, count in sorted(report["rows"].items()):
        print(f"  {table:<24} {count:>10,}")

    job = etl.Etl(source, target)
    step("ETL full load (binary COPY out of Odoo, staging, upsert)")
    report, seconds = timed(job.full_load)
    total = sum(stream["rows_read"] for stream in report["streams"])
    for stream in report["streams"]:
        print(f"  {stream['stream']:<14} {stream['rows_read']:>10,} rows read, "
              f"{stream['rows_rejected']} rejected")
    print(f"full load: {total:,} rows in {seconds:.2f} s ({total / seconds:,.0f} rows/s)")

    step("Odoo-like POS activity (ledger moves, history, card balances), then a sync round")
    report = _testing.activity(source, moves=2000)
    print(f"{report['moves']:,} earnings on {report['cards_touched']:,} cards written in Odoo")
    sync_and_validate(job)

    step("the offline re-send bug: 25 cards whose balance Odoo doubled without a ledger move")
    report = _testing.activity(source, moves=0, drift=25)
    print(f"drifted cards: {sorted(report['drifted_cards'])[:5]} ...")
    validation = sync_and_validate(job)
    found = sorted({d["card_id"] for d in validation["discrepancies"]})
    print(f"validation names exactly the drifted cards: "
          f"{found == sorted(report['drifted_cards'])}")
    step("status")
    for stream in job.status()["streams"]:
        last = stream["last_run"] or {}
        print(f"  {stream['stream']:<14} {stream['group']:<13} rows {stream['rows_total']:>9,}"
              f"  last {last.get('kind')} {last.get('status')}, lag {last.get('lag_ms', 0):.0f} ms")


def demo_engines(orders_count: int) -> None:
    rng = random.Random(20250301)
    config = build_config(rng)
    orders = [build_order(rng, n) for n in range(orders_count)]
    native = aba_loyalty_core.Engine(config)
    legacy = aba_legacy_engine.Engine(config)
    step(f"evaluating {orders_count:,} generated orders (10 lines, 20 programs) on both paths")
    native_results, native_s = timed(lambda: native.evaluate_many(orders))
    legacy_results, legacy_s = timed(lambda: [legacy.evaluate(order) for order in orders])
    differ = sum({**a, "engine": ""} != {**b, "engine": ""}
                 for a, b in zip(native_results, legacy_results, strict=True))
    print(f"native evaluate_many: {orders_count / native_s:,.0f} orders/s; "
          f"legacy: {orders_count / legacy_s:,.0f} orders/s; ratio {legacy_s / native_s:.0f}x")
    print(f"results that differ between the paths: {differ}")
    sample = native_results[0]
    print(f"order {sample['uid']}: base {sample['totals']['base']}, discount "
          f"{sample['totals']['discount']}, total {sample['totals']['total']}, "
          f"{len(sample['discounts'])} discounts, points {sample['points']}")
    if differ:
        sys.exit("native and legacy results differ")

    step("the addon's shim: flag on, rollout 30 % (a stable hash of the order uid picks the path)")
    fallbacks: list[dict] = []
    shim = EngineShim(config, use_native=True, rollout_percentage=30,
                      on_fallback=fallbacks.append)
    engines = [shim.evaluate(order)["engine"] for order in orders]
    again = [shim.evaluate(order)["engine"] for order in orders]
    print(f"native {engines.count('native'):,}, legacy {engines.count('legacy'):,}; "
          f"same path on a retry: {engines == again}; fallbacks: {len(fallbacks)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-dsn", required=True, help="maintenance DSN of a PostgreSQL server")
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=5_000)
    args = parser.parse_args()
    print(f"aba_loyalty_core {aba_loyalty_core.__version__}")
    demo_etl(args.server_dsn, args.cards)
    demo_engines(args.orders)


if __name__ == "__main__":
    main()
