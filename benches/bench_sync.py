"""Sync round cost benchmark: one incremental round with 0 and with 1,000 changes, on sources of
about 1M and 10M rows, by the ranged method (the default) and by the first version's scan method,
side by side in one run.

    python benches/bench_sync.py                          # 100k and 1M cards (1.08M and 10.8M rows)
    python benches/bench_sync.py --cards 100000           # the 1M-row source only (quick)
    ABA_BENCH_DSN=postgresql://user@host:port/postgres python benches/bench_sync.py

Without ABA_BENCH_DSN a throw-away PostgreSQL is started with scripts/pg.sh (in .pg/bench), as
benches/bench_etl.py does; the sources (databases aba_bench_src_<cards>) are shared with it:
generated once per size and kept. Each round is the CLI (`python -m aba_loyalty_core.etl sync
--method ...`) in a child process: its time is the round's own (`duration_ms` of the report:
connections, checks, every stream), and when the child has exited its source backend has
flushed its statistics, so the source rows it read are the difference of the source's
`pg_stat_user_tables` before and after: rows read by sequential and TID range scans
(`seq_tup_read`) plus rows fetched through indexes (`idx_tup_fetch`); index entries read
(`pg_stat_user_indexes.idx_tup_read`) are printed apart. A change round follows `_testing.activity(
moves=1000)` (one transaction stamped like Odoo's: up to 1,000 ledger moves on managed cards,
their history lines and their cards' balances). Rounds sync every stream, as a plain `sync` does.
`upserted` is what the round brought over; `cards` the card rows among it: without a write_date
index, the ranged round leaves most updated cards to its sweep (later rounds);
--write-date-indexes also measures it with the optional indexes an operator may add.

Target (docs/design.md §5): 1,000 changes on the 10M-row source in < 1 s, flat from 1M to 10M.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import psycopg2
from aba_loyalty_core import _testing, etl
from bench_pg import admin, server, with_db

METHODS = ("scan", "ranged")
# What an operator may add on Odoo's database so that updates of these large tables arrive on the
# next ranged round (--write-date-indexes); dropped again after the measurement.
WRITE_DATE_TABLES = ("loyalty_card", "res_partner", "pos_order", "aba_loyalty_membership")


def source_db(dsn: str, cards: int) -> str:
    name = f"aba_bench_src_{cards}"
    source = with_db(dsn, name)
    if admin(dsn, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        try:
            if admin(source, "SELECT count(*) FROM loyalty_card")[0][0] == cards:
                return source
        except psycopg2.Error:
            pass
    admin(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(dsn, f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    _testing.generate(source, cards=cards)
    print(f"generated {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return source


def cli(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "aba_loyalty_core.etl", "-q", *args],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout) if out.stdout.strip() else {}


def reads(source: str) -> tuple[int, int, int]:
    """(seq_tup_read, idx_tup_fetch, index entries read) summed over the source's tables."""
    row = admin(source, """
        SELECT (SELECT sum(seq_tup_read) FROM pg_stat_user_tables),
               (SELECT sum(coalesce(idx_tup_fetch, 0)) FROM pg_stat_user_tables),
               (SELECT sum(idx_tup_read) FROM pg_stat_user_indexes)""")[0]
    return int(row[0]), int(row[1]), int(row[2])


def settled_reads(source: str) -> tuple[int, int, int]:
    """The counters once the last exited backend's statistics are in (they flush at its exit)."""
    last = reads(source)
    for _ in range(20):
        time.sleep(0.3)
        now = reads(source)
        if now == last:
            return now
        last = now
    return last


def one_round(source: str, target: str, method: str) -> dict:
    before = settled_reads(source)
    report = cli("sync", "--source", source, "--target", target, "--method", method.split("+")[0])
    after = settled_reads(source)
    seq, fetch, entries = (a - b for a, b in zip(after, before, strict=True))
    return {
        "s": report["duration_ms"] / 1000,
        "rows_read": seq + fetch,
        "seq_tup_read": seq,
        "idx_tup_fetch": fetch,
        "index_entries": entries,
        "upserted": report["rows_upserted"],
        "cards_upserted": sum(s["rows_upserted"] for s in report["streams"] if s["stream"] == "cards"),
        "per_stream_ms": {s["stream"]: round(s["duration_ms"]) for s in report["streams"]},
    }


def bench_size(dsn: str, cards: int, repeats: int, changes: int, write_date_indexes: bool) -> dict:
    source = source_db(dsn, cards)
    rows = sum(admin(source, f"SELECT count(*) FROM public.{etl.STREAMS[s]['table']}")[0][0]
               for s in etl.STREAMS)
    target_name = f"aba_bench_sync_tgt_{cards}"
    target = with_db(dsn, target_name)
    admin(dsn, f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
    admin(dsn, f'CREATE DATABASE "{target_name}"')
    started = time.perf_counter()
    cli("full-load", "--source", source, "--target", target)
    print(f"{cards:,} cards: {rows:,} source rows; full load {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    for method in METHODS:  # both methods past their first round after the load
        one_round(source, target, method)

    methods = METHODS + (("ranged+wd_index",) if write_date_indexes else ())
    results: dict[str, dict[int, list[dict]]] = {m: {0: [], changes: []} for m in methods}
    for n in range(repeats):
        for method in METHODS:
            _testing.activity(source, moves=changes, seed=float(f"0.{cards}{n}{len(method)}"))
            results[method][changes].append(one_round(source, target, method))
            results[method][0].append(one_round(source, target, method))
    if write_date_indexes:
        for table in WRITE_DATE_TABLES:
            admin(source, f"CREATE INDEX IF NOT EXISTS bench_{table}_wd ON public.{table} (write_date, id)")
        try:
            one_round(source, target, "ranged")  # the index is in the catalog from this round on
            for n in range(repeats):
                _testing.activity(source, moves=changes, seed=float(f"0.{cards}{n}9"))
                results[methods[-1]][changes].append(one_round(source, target, "ranged"))
                results[methods[-1]][0].append(one_round(source, target, "ranged"))
        finally:
            for table in WRITE_DATE_TABLES:
                admin(source, f"DROP INDEX IF EXISTS public.bench_{table}_wd")
    validation = etl.validate(source, target)
    assert validation["consistency_rate"] == 1.0, validation["discrepancies"][:3]
    return {"cards": cards, "rows": rows, "results": results}


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", default="100000,1000000",
                        help="comma-separated source sizes in cards (rows: about 10.8 x cards)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per cell (median shown)")
    parser.add_argument("--changes", type=int, default=1000, help="ledger moves per change round")
    parser.add_argument("--write-date-indexes", action="store_true",
                        help=f"also measure ranged rounds with (write_date, id) indexes on {', '.join(WRITE_DATE_TABLES)}")
    args = parser.parse_args()

    dsn = server()
    sizes = [bench_size(dsn, int(c), args.repeats, args.changes, args.write_date_indexes)
             for c in args.cards.split(",")]

    print(f"{'source rows':>12} {'method':>15} {'changes':>8} {'round s':>9} {'rows read':>12} "
          f"{'% of source':>11} {'seq+tid':>11} {'idx fetch':>10} {'idx entries':>12} {'upserted':>9} "
          f"{'cards':>6}")
    summary = []
    for size in sizes:
        for changes in sorted(size["results"]["scan"]):
            for method in size["results"]:
                cell = size["results"][method][changes]
                fig = {
                    "source_rows": size["rows"], "method": method, "changes": changes,
                    "round_s": round(median([c["s"] for c in cell]), 3),
                    "rows_read": int(median([c["rows_read"] for c in cell])),
                    "seq_tup_read": int(median([c["seq_tup_read"] for c in cell])),
                    "idx_tup_fetch": int(median([c["idx_tup_fetch"] for c in cell])),
                    "index_entries": int(median([c["index_entries"] for c in cell])),
                    "round_s_all": [round(c["s"], 3) for c in cell],
                    "upserted": int(median([c["upserted"] for c in cell])),
                    "cards_upserted": int(median([c["cards_upserted"] for c in cell])),
                }
                summary.append(fig)
                print(f"{size['rows']:>12,} {method:>15} {changes:>8,} {fig['round_s']:>9.3f} "
                      f"{fig['rows_read']:>12,} {100 * fig['rows_read'] / size['rows']:>10.2f}% "
                      f"{fig['seq_tup_read']:>11,} {fig['idx_tup_fetch']:>10,} {fig['index_entries']:>12,} "
                      f"{fig['upserted']:>9,} {fig['cards_upserted']:>6,}")
    print(json.dumps({"cells": summary, "load_avg_1m": round(os.getloadavg()[0], 2),
                      "cpus": os.cpu_count()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
