"""Audit benchmark (issue 13): a generated Odoo 18 POS history replayed through the engine.

    python benches/bench_audit.py                          # 100k and 1M orders x 10 lines
    python benches/bench_audit.py --orders 100000          # one size
    python benches/bench_audit.py --repeat 5               # runs per size (default 3)
    ABA_BENCH_DSN=postgresql://user@host:port/postgres python benches/bench_audit.py

Without ABA_BENCH_DSN a throw-away PostgreSQL is started with scripts/pg.sh (in .pg/bench).
Per size, the source (Odoo 18's real DDL, `_testing.generate_pos`: ``--orders`` paid orders of
``--lines`` lines, one card per 10 orders, ``orders / 10,000`` injected errors of every finding
kind, at least 2) is generated once and kept (database aba_bench_audit_<orders>_<lines>);
``--fresh`` regenerates it. Measured: ``python -m aba_loyalty_core.etl audit`` in a child process,
end to end (interpreter start, schema migration, the read of every order and line, the replay,
the report stored), ``--repeat`` times per size: orders audited per second at the median time
(target >= 100,000/s) with the fastest and slowest run (this machine's speed drifts by 10-20 %
from minute to minute), the children's peak RSS (flat across sizes), and the findings against the
injections recorded in the source (``aba_loyalty_injected_error``): found, missed, invented, all
counted, the same in every run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
    parser.add_argument("--repeat", type=int, default=3, help="audits per size; the median is reported")
    args = parser.parse_args()
    dsn = server()
    print(f"{'orders':>9} {'lines':>9} {'audited':>9} {'median s':>8} {'orders/s':>9} {'min-max s':>11} "
          f"{'peak MiB':>8} {'injected':>8} {'found':>6} {'missed':>6} {'invented':>8}")
    for orders in (int(o) for o in args.orders.split(",")):
        source, generated_s = source_db(dsn, orders, args.lines, args.fresh)
        if generated_s is not None:
            print(f"# generated {orders} orders x {args.lines} lines in {generated_s:.0f} s", file=sys.stderr)
        target = with_db(dsn, "aba_bench_audit_target")
        admin(dsn, 'DROP DATABASE IF EXISTS "aba_bench_audit_target" WITH (FORCE)')
        admin(dsn, 'CREATE DATABASE "aba_bench_audit_target"')
        (lines,) = admin(source, "SELECT count(*) FROM pos_order_line")[0]
        injected = {(k, c, o) for k, c, o in admin(source, "SELECT kind, card_id, order_id FROM aba_loyalty_injected_error")}
        runs = [run_audit(source, target) for _ in range(max(args.repeat, 1))]
        found_sets = []
        for report, _, _ in runs:
            assert not report["findings_truncated"]
            found_sets.append({(f["kind"], f["card_id"], f["order_id"]) for f in report["findings"]})
        assert all(f == found_sets[0] for f in found_sets), "the runs found different findings"
        report, found = runs[0][0], found_sets[0]
        times = sorted(elapsed for _, elapsed, _ in runs)
        median = statistics.median(times)
        rss_kib = max(rss for _, _, rss in runs)
        print(f"{report['orders_paid']:>9} {lines:>9} {report['orders_audited']:>9} {median:>8.2f} "
              f"{report['orders_audited'] / median:>9.0f} {f'{times[0]:.2f}-{times[-1]:.2f}':>11} "
              f"{rss_kib / 1024:>8.0f} {len(injected):>8} "
              f"{len(found & injected):>6} {len(injected - found):>6} {len(found - injected):>8}", flush=True)
        for report, elapsed, _ in runs:
            print(f"# run: {elapsed:.2f} s end to end; the report's own clock {report['duration_ms'] / 1e3:.2f} s "
                  f"({report['orders_per_second']:.0f} orders/s), of which evaluating and comparing "
                  f"{report['replay_ms'] / 1e3:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
