"""ETL benchmark: full load end to end next to a raw COPY pipe of the same tables, in one run.

    python benches/bench_etl.py                     # 1M cards, 4M ledger moves (docs/design.md targets)
    python benches/bench_etl.py --cards 100000      # quicker
    ABA_BENCH_DSN=postgresql://user@host:port/postgres python benches/bench_etl.py

Without ABA_BENCH_DSN a throw-away PostgreSQL is started with scripts/pg.sh (in .pg/bench).
The source is generated once per size and kept (database aba_bench_src_<cards>) so a re-run
measures the load only; --fresh regenerates it.

Measured, in this order:
1. raw pipe: for every table the ETL reads, `psql -c "COPY (SELECT <the ETL's columns>) TO STDOUT
   (FORMAT binary)" | psql -c "COPY raw FROM STDIN (FORMAT binary)"` into an unindexed table of
   the source's column types: the cost of moving the bytes, nothing else;
2. the ETL: `python -m aba_loyalty_core.etl full-load` in a child process (interpreter start,
   schema migration, checks, conversions, index builds, ledger balances: everything), with its
   peak RSS (getrusage of the child);
3. validation of every card (Odoo's balance against the engine's), in process.
Targets (docs/design.md §5): >= 250,000 rows/s, >= 0.5x the raw pipe, validation < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from aba_loyalty_core import _testing, etl
from bench_pg import admin, kept_db, server, with_db

# The columns the ETL reads from each source table (crates/aba-loyalty-etl/src/streams.rs).
STREAM_COLUMNS = {
    "res_partner": "id, name, email, phone, company_id, active, create_date, write_date",
    "loyalty_program": "id, name, program_type, applies_on, trigger, sequence, active, date_from, "
                       "date_to, currency_id, company_id, pos_ok, create_date, write_date",
    "loyalty_rule": "id, program_id, mode, reward_point_mode, reward_point_amount, reward_point_split, "
                    "minimum_qty, minimum_amount, minimum_amount_tax_mode, active, create_date, write_date",
    "loyalty_reward": "id, program_id, reward_type, discount_mode, discount, discount_applicability, "
                      "discount_max_amount, required_points, description, active, create_date, write_date",
    "loyalty_card": "id, program_id, partner_id, code, active, expiration_date, points, create_date, "
                    "write_date",
    "aba_loyalty_point_move": "id, card_id, partner_id, program_id, order_uid, pos_order_id, kind, points, "
                              "balance_after, unrecovered, idempotency_key, engine, create_date, write_date",
    "loyalty_history": "id, card_id, order_id, order_model, description, issued, used, create_date, "
                       "write_date",
    "aba_loyalty_tier": "id, code, name, rank, multiplier, min_spend, active, create_date, write_date",
    "aba_loyalty_membership": "id, partner_id, tier_id, spend, evaluated_at, valid_until, create_date, "
                              "write_date",
    "pos_order": "id, name, uuid, partner_id, date_order, state, amount_total, aba_membership_tier, "
                 "aba_membership_evaluated_at, aba_membership_valid_until, aba_loyalty_status, "
                 "create_date, write_date",
}


def source_db(dsn: str, cards: int, fresh: bool) -> tuple[str, float | None]:
    return kept_db(dsn, f"aba_bench_src_{cards}", fresh,
                   lambda source: admin(source, "SELECT count(*) FROM loyalty_card")[0][0] == cards,
                   lambda source: _testing.generate(source, cards=cards))


def fresh_db(dsn: str, name: str) -> str:
    admin(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(dsn, f'CREATE DATABASE "{name}"')
    return with_db(dsn, name)


def raw_pipe(source: str, target: str) -> tuple[int, float]:
    """COPY TO STDOUT | COPY FROM STDIN of every table, into unindexed tables of the same types."""
    rows = 0
    elapsed = 0.0
    for table, cols in STREAM_COLUMNS.items():
        types = dict(admin(source, f"""
            SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = 'public.{table}'::regclass AND attnum > 0 AND NOT attisdropped"""))
        names = [c.strip() for c in cols.split(",")]
        admin(target, f"CREATE TABLE raw_{table} ({', '.join(f'{n} {types[n]}' for n in names)})")
        started = time.perf_counter()
        out = subprocess.Popen(["psql", "-qX", source, "-c",
                                f"COPY (SELECT {cols} FROM public.{table}) TO STDOUT (FORMAT binary)"],
                               stdout=subprocess.PIPE)
        inp = subprocess.run(["psql", "-qX", target, "-c", f"COPY raw_{table} FROM STDIN (FORMAT binary)"],
                             stdin=out.stdout, check=True, capture_output=True)
        out.stdout.close()
        if out.wait() != 0 or inp.returncode != 0:
            raise RuntimeError(f"raw pipe of {table} failed")
        elapsed += time.perf_counter() - started
        (n,) = admin(target, f"SELECT count(*) FROM raw_{table}")[0]
        rows += n
    return rows, elapsed


def etl_full_load(source: str, target: str) -> tuple[dict, float, int]:
    env = dict(os.environ, ABA_SOURCE_DSN=source, ABA_TARGET_DSN=target)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "aba_loyalty_core.etl", "-q", "full-load"],
                            env=env, stdout=subprocess.PIPE, text=True)
    stdout = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("the ETL full load failed")
    return json.loads(stdout), elapsed, usage.ru_maxrss  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the source")
    args = parser.parse_args()

    dsn = server()
    source, generated_s = source_db(dsn, args.cards, args.fresh)
    counts = {t: admin(source, f"SELECT count(*) FROM public.{t}")[0][0] for t in STREAM_COLUMNS}
    print(f"source: {sum(counts.values()):,} rows ({counts['loyalty_card']:,} cards, "
          f"{counts['aba_loyalty_point_move']:,} ledger moves)"
          + (f", generated in {generated_s:.1f} s" if generated_s else ", reused"), file=sys.stderr)

    raw_rows, raw_s = raw_pipe(source, fresh_db(dsn, "aba_bench_raw"))
    report, etl_s, rss_kib = etl_full_load(source, fresh_db(dsn, "aba_bench_tgt"))
    assert report["rows_read"] == raw_rows, (report["rows_read"], raw_rows)

    started = time.perf_counter()
    validation = etl.validate(source, with_db(dsn, "aba_bench_tgt"))
    validate_s = time.perf_counter() - started
    assert validation["consistency_rate"] == 1.0

    figures = {
        "cards": counts["loyalty_card"],
        "ledger_moves": counts["aba_loyalty_point_move"],
        "rows": raw_rows,
        "raw_pipe_s": round(raw_s, 2),
        "raw_pipe_rows_per_s": round(raw_rows / raw_s),
        "etl_full_load_s": round(etl_s, 2),
        "etl_rows_per_s": round(raw_rows / etl_s),
        "etl_vs_raw_pipe": round(raw_s / etl_s, 3),
        "etl_peak_rss_mib": round(rss_kib / 1024, 1),
        "validation_cards": validation["cards_compared"],
        "validation_s": round(validate_s, 3),
        "validation_native_ms": round(validation["duration_ms"], 1),
        "streams_s": {s["stream"]: round(s["duration_ms"] / 1000, 2) for s in report["streams"]},
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    width = 34
    print(f"{'rows moved':<{width}} {raw_rows:>14,}")
    print(f"{'raw COPY pipe':<{width}} {raw_s:>12.2f} s  {figures['raw_pipe_rows_per_s']:>10,} rows/s")
    print(f"{'ETL full load (end to end)':<{width}} {etl_s:>12.2f} s  {figures['etl_rows_per_s']:>10,} rows/s"
          f"  (target >= 250,000)")
    print(f"{'ETL / raw pipe':<{width}} {figures['etl_vs_raw_pipe']:>12.3f} x  (target >= 0.5)")
    print(f"{'ETL peak RSS':<{width}} {figures['etl_peak_rss_mib']:>12.1f} MiB")
    print(f"{'validation of every card':<{width}} {validate_s:>12.3f} s  "
          f"({validation['cards_compared']:,} cards, target < 5 s)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
