"""Native vs legacy on the same orders, in one process run.

Realistic orders: 10 lines each over a 200-product catalogue, against a config of 20 programs
(2 loyalty, 18 promotions with product/category filters, thresholds, caps, date windows), with
a card, a membership snapshot and, on some orders, a redemption. Prints orders/s of each path
and the ratios; checks first that both paths give equal results on every order.

    source scripts/env.sh && build_module
    python benches/bench_native_vs_legacy.py [--orders 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import aba_loyalty_core
from aba_loyalty_lib import aba_legacy_engine
from aba_loyalty_testdata.workload import build_config, build_order


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def best_of(repeat: int, runs: dict) -> dict:
    """Best wall time of each run; the runs are interleaved so that a change of machine load
    during the benchmark affects every path alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20250301)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    config = build_config(rng)
    orders = [build_order(rng, n) for n in range(args.orders)]
    native = aba_loyalty_core.Engine(config)
    legacy = aba_legacy_engine.Engine(config)

    # The comparison is only meaningful if both compute the same thing.
    native_results = native.evaluate_many(orders)
    legacy_results = legacy.evaluate_many(orders)
    mismatches = sum({**n, "engine": "-"} != {**lg, "engine": "-"}
                     for n, lg in zip(native_results, legacy_results, strict=True))
    if mismatches:
        sys.exit(f"{mismatches} orders differ between native and legacy: not benchmarking")
    discounts = sum(len(r["discounts"]) for r in legacy_results)

    best = best_of(args.repeat, {
        "legacy": lambda: [legacy.evaluate(o) for o in orders],
        "native_one": lambda: [native.evaluate(o) for o in orders],
        "native_many": lambda: native.evaluate_many(orders),
    })
    legacy_rate = rate(len(orders), best["legacy"])
    native_one_rate = rate(len(orders), best["native_one"])
    native_many_rate = rate(len(orders), best["native_many"])
    print(f"orders: {len(orders)} x 10 lines, 20 programs, "
          f"{discounts / len(orders):.1f} discounts applied per order, results identical; "
          f"best of {args.repeat}")
    print(f"legacy  evaluate()      {legacy_rate:12,.0f} orders/s  "
          f"({1e6 / legacy_rate:8.1f} us/order)")
    print(f"native  evaluate()      {native_one_rate:12,.0f} orders/s  "
          f"({1e6 / native_one_rate:8.1f} us/order)")
    print(f"native  evaluate_many() {native_many_rate:12,.0f} orders/s  "
          f"({1e6 / native_many_rate:8.1f} us/order)")
    print(f"ratio native/legacy: evaluate() {native_one_rate / legacy_rate:.1f}x, "
          f"evaluate_many() {native_many_rate / legacy_rate:.1f}x  (target >= 20x)")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (figures shrink under load; "
          f"the ratio much less)")


if __name__ == "__main__":
    main()
