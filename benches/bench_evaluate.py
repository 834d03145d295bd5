"""Benchmark of the native engine through its Python API (docs/design.md §5).

Realistic orders: 10 lines each, a config of 20 programs (1 loyalty program with tiers and
rewards, 19 promotions of every mode and applicability, some with rules, some out of date),
inputs mixing Decimal, float, int and str as Odoo hands them. Times `evaluate` one order at a
time (p50/p99 per order) and `evaluate_many` (orders/s) in the same run, and prints the targets.

    source scripts/env.sh && build_module && python benches/bench_evaluate.py [--orders N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

import aba_loyalty_core
from aba_loyalty_core import Engine
from aba_loyalty_testdata.workload import mixed_forms_config, mixed_forms_order

TARGET_P99_US = 50.0
TARGET_ORDERS_PER_S = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(20240501)
    engine = Engine(mixed_forms_config())
    orders = [mixed_forms_order(rng, n) for n in range(args.orders)]
    warm = [engine.evaluate(order) for order in orders[:1000]]  # warm-up and sanity check
    applied = statistics.fmean(len(r["discounts"]) for r in warm)

    def per_call(clock) -> list[int]:
        timings = []
        for order in orders:
            start = clock()
            engine.evaluate(order)
            timings.append(clock() - start)
        timings.sort()
        return timings

    def pct(timings: list[int], q: float) -> float:
        return timings[min(len(timings) - 1, int(len(timings) * q))] / 1000

    wall = per_call(time.perf_counter_ns)
    p50, p99, mean = pct(wall, 0.5), pct(wall, 0.99), statistics.fmean(wall) / 1000

    rates = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        engine.evaluate_many(orders)
        rates.append(len(orders) / (time.perf_counter() - start))
    best, median = max(rates), statistics.median(rates)
    load = os.getloadavg()[0]

    print(f"aba_loyalty_core {aba_loyalty_core.__version__}: {args.orders} orders "
          f"(10 lines, {len(mixed_forms_config()['programs'])} programs, "
          f"{applied:.1f} discounts applied per order on average)")
    print(f"{'measure':<34}{'value':>14}{'target':>16}")
    print(f"{'evaluate() p50 per order':<34}{p50:>11.1f} µs{'':>16}")
    print(f"{'evaluate() mean per order':<34}{mean:>11.1f} µs{'':>16}")
    print(f"{'evaluate() p99 per order':<34}{p99:>11.1f} µs{'< ' + str(TARGET_P99_US) + ' µs':>16}")
    print(f"{'evaluate_many() median orders/s':<34}{median:>14,.0f}"
          f"{'>= ' + format(TARGET_ORDERS_PER_S, ','):>16}")
    print(f"{'evaluate_many() best orders/s':<34}{best:>14,.0f}{'':>16}")
    print(f"p99 target {'met' if p99 < TARGET_P99_US else 'MISSED'}; "
          f"throughput target {'met' if median >= TARGET_ORDERS_PER_S else 'MISSED'}; "
          f"load average during the run {load:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
