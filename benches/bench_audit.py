"""Audit benchmark (issue 13): a generated Odoo 18 POS history replayed through the engine.

    python benches/bench_audit.py                          # 100k and 1M orders x 10 lines
    python benches/bench_audit.py --orders 100000          # one size
    ABA_BENCH_DSN=postgresql://user@host:port/postgres python benches/bench_audit.py

Without ABA_BENCH_DSN a throw-away PostgreSQL is started with scripts/pg.sh (in .pg/bench).
Per size, the source (Odoo 18's real DDL, `_testing.generate_pos`: ``--orders`` paid orders of
``--lines`` lines, one card per 10 orders, ``orders / 10,000`` injected errors of every finding
kind, at least 2) is generated once and kept (database aba_bench_audit_<orders>_<lines>);
``--fresh`` regenerates it. Measured: ``python -m aba_loyalty_core.etl audit`` in a child process,
end to end (interpreter start, schema migration, the read of every order and line, the replay,
the report stored): orders audited per second (target >= 100,000/s), the child's peak RSS (flat
across sizes), and the findings against the injections recorded in the source
(``aba_loyalty_injected_error``): found, missed, invented, all counted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from aba_loyalty_core import _testing
from bench_pg import admin, kept_db, server, with_db


def source_db(dsn: str, orders: int, lines: int, fresh: bool) -> tuple[str, float | None]:
    def complete(source: str) -> bool:
        admin(source, "SELECT 1 FROM aba_loyalty_injected_error LIMIT 1")
        return True

    return kept_db(dsn, f"aba_bench_audit_{orders}_{lines}", fresh, complete,
                   lambda source: _testing.generate_pos(source, orders=orders, lines=lines,
                                                        cards=max(orders // 10, 1),
                                                        errors_per_kind=max(orders // 10_000, 2)))


def run_audit(source: str, target: str) -> tuple[dict, float, int]:
    env = dict(os.environ, ABA_SOURCE_DSN=source, ABA_TARGET_DSN=target)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "aba_loyalty_core.etl", "-q", "audit",
                             "--threshold", str(2**62), "--max-findings", str(10**7), "--max-cards", "0"],
                            env=env, stdout=subprocess.PIPE, text=True)
    stdout = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"audit failed with status {status}")
    return json.loads(stdout), elapsed, usage.ru_maxrss  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    dsn = server()
    print(f"{'orders':>9} {'lines':>9} {'audited':>9} {'s':>7} {'orders/s':>9} {'peak MiB':>8} "
          f"{'injected':>8} {'found':>6} {'missed':>6} {'invented':>8}")
    for orders in (int(o) for o in args.orders.split(",")):
        source, generated_s = source_db(dsn, orders, args.lines, args.fresh)
        if generated_s is not None:
            print(f"# generated {orders} orders x {args.lines} lines in {generated_s:.0f} s", file=sys.stderr)
        target = with_db(dsn, "aba_bench_audit_target")
        admin(dsn, 'DROP DATABASE IF EXISTS "aba_bench_audit_target" WITH (FORCE)')
        admin(dsn, 'CREATE DATABASE "aba_bench_audit_target"')
        (lines,) = admin(source, "SELECT count(*) FROM pos_order_line")[0]
        injected = {(k, c, o) for k, c, o in admin(source, "SELECT kind, card_id, order_id FROM aba_loyalty_injected_error")}
        report, elapsed, rss_kib = run_audit(source, target)
        assert not report["findings_truncated"]
        found = {(f["kind"], f["card_id"], f["order_id"]) for f in report["findings"]}
        print(f"{report['orders_paid']:>9} {lines:>9} {report['orders_audited']:>9} {elapsed:>7.1f} "
              f"{report['orders_audited'] / elapsed:>9.0f} {rss_kib / 1024:>8.0f} {len(injected):>8} "
              f"{len(found & injected):>6} {len(injected - found):>6} {len(found - injected):>8}", flush=True)
        print(f"# the report's own clock: {report['duration_ms'] / 1e3:.1f} s ({report['orders_per_second']:.0f} "
              f"orders/s), of which evaluating and comparing {report['replay_ms'] / 1e3:.2f} s "
              f"({report['orders_audited'] / max(report['replay_ms'] / 1e3, 1e-9):.0f} orders/s)", file=sys.stderr)


if __name__ == "__main__":
    main()
