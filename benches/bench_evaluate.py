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
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import aba_loyalty_core
from aba_loyalty_core import Engine

TARGET_P99_US = 50.0
TARGET_ORDERS_PER_S = 100_000


CATALOGUE = range(1000, 1200)  # 200 products in 10 categories (product % 10)


def build_config() -> dict:
    """20 programs as a chain runs them: one loyalty program (points per money and per unit,
    a fixed and a per-point reward), 19 promotions on product groups, categories, order
    thresholds and the cheapest item; some out of date, one exclusive."""
    programs = [{
        "id": 1, "name": "ABA Points", "kind": "loyalty", "sequence": 50,
        "points_basis": "base",
        "rules": [
            {"id": 1, "mode": "money", "amount": Decimal("0.0001")},
            {"id": 2, "mode": "unit", "amount": Decimal("0.5"), "category_ids": [3]},
        ],
        "rewards": [
            {"id": 1, "type": "discount", "mode": "fixed", "value": Decimal(20000),
             "applicability": "order", "required_points": Decimal(100)},
            {"id": 2, "type": "discount", "mode": "per_point", "value": Decimal(100),
             "applicability": "order", "required_points": Decimal(1),
             "max_amount": Decimal(50000)},
        ],
    }]
    shapes = [("percent", "specific"), ("fixed", "specific"), ("percent", "cheapest"),
              ("percent", "order"), ("fixed", "order")]
    for n in range(19):
        pid = 100 + n
        mode, applicability = shapes[n % len(shapes)]
        value = Decimal(5 + n % 4 * 5) if mode == "percent" else Decimal(5000 + 1000 * n)
        rules = []
        if applicability == "order":
            # Whole-order rewards need a basket above a threshold.
            rules.append({"id": 1000 + n, "mode": "money", "amount": Decimal(1),
                          "min_amount": Decimal(400000 + 50000 * n)})
        if n % 4 == 1:
            rules.append({"id": 2000 + n, "mode": "unit", "amount": Decimal(1),
                          "category_ids": [n % 10], "min_qty": Decimal(2)})
        group = [1000 + (n * 37 + k * 11) % 200 for k in range(6)]
        program = {
            "id": pid, "name": f"Promo {n}", "kind": "promotion", "sequence": n,
            "exclusive": n == 17,
            "rules": rules,
            "rewards": [{
                "id": 3000 + n, "type": "discount", "mode": mode, "value": value,
                "applicability": applicability,
                "product_ids": group if applicability != "order" else [],
                "category_ids": [n % 10] if applicability == "cheapest" else [],
                "max_amount": Decimal(25000) if n % 5 == 2 else Decimal(0),
                "required_points": 1,
            }],
        }
        if n % 6 == 5:
            program["date_to"] = "2024-01-31"  # expired: skipped with reason "date"
        programs.append(program)
    return {
        "currency": {"code": "IDR", "rounding": "1"},
        "points_precision": 2,
        "tiers": [
            {"code": "basic", "rank": 0, "multiplier": "1", "min_spend": "0"},
            {"code": "silver", "rank": 1, "multiplier": "1.25", "min_spend": "1000000"},
            {"code": "gold", "rank": 2, "multiplier": "1.5", "min_spend": "5000000"},
        ],
        "membership": {"validity_days": 30},
        "programs": programs,
    }


def build_order(rng: random.Random, n: int) -> dict:
    """A 10-line sale with a loyalty card and a membership snapshot; every 4th redeems."""
    date_order = datetime(2024, 5, 1, 8, 0) + timedelta(minutes=rng.randrange(60 * 24 * 20))
    lines = []
    for i in range(10):
        product = rng.choice(CATALOGUE)
        price = 5000 + (product * 7919) % 120 * 1000
        lines.append({
            "id": i + 1,
            "product_id": product,
            "category_ids": [product % 10],
            "qty": rng.choice([1, 1, 1, 2, 3, Decimal("1.5")]),
            # Odoo hands floats; half the prices come as float, half as Decimal.
            "price_unit": float(price) if i % 2 else Decimal(price),
            "discount": rng.choice([0, 0, 0, 0, 5.0, Decimal(10)]),
        })
    order = {
        "uid": f"pos-{n:08d}",
        "date_order": date_order,
        "partner_id": 7,
        "card": {"id": 500, "program_id": 1, "points": Decimal("250.5")},
        "membership": {
            "partner_id": 7, "tier": rng.choice(["basic", "silver", "gold"]),
            "evaluated_at": datetime(2024, 5, 1, tzinfo=timezone.utc),
            "valid_until": datetime(2024, 6, 1, tzinfo=timezone.utc),
        },
        "lines": lines,
    }
    if n % 4 == 0:
        order["redeem"] = [{"reward_id": 2, "points": Decimal(120)}]
    return order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(20240501)
    engine = Engine(build_config())
    orders = [build_order(rng, n) for n in range(args.orders)]
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
          f"(10 lines, {len(build_config()['programs'])} programs, "
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
