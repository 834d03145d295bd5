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
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "odoo_addon" / "asd_aba_loyalty"
                       / "lib"))

import aba_legacy_engine
import aba_loyalty_core

PRODUCTS = 200
CATEGORIES = 20


def category_of(product: int) -> int:
    return product % CATEGORIES + 1


def build_config(rng: random.Random) -> dict:
    programs = [
        {"id": 1, "name": "ABA Points", "kind": "loyalty", "sequence": 50,
         "rules": [{"id": 1, "mode": "money", "amount": "0.0001"},
                   {"id": 2, "mode": "unit", "amount": "0.5", "category_ids": [3, 4]}],
         "rewards": [
             {"id": 1, "type": "discount", "mode": "per_point", "value": "100",
              "applicability": "order", "required_points": "1", "max_amount": "50000"},
             {"id": 2, "type": "discount", "mode": "percent", "value": "10",
              "applicability": "specific", "category_ids": [5], "required_points": "50"},
             {"id": 3, "type": "discount", "mode": "fixed", "value": "20000",
              "applicability": "order", "required_points": "100"}]},
        {"id": 2, "name": "Partner miles", "kind": "loyalty", "sequence": 60,
         "points_basis": "paid",
         "rules": [{"id": 3, "mode": "money", "amount": "0.00005", "min_amount": "100000"}],
         "rewards": [{"id": 4, "type": "discount", "mode": "fixed", "value": "5000",
                      "applicability": "order", "required_points": "10"}]},
    ]
    next_rule, next_reward = 10, 10
    for index in range(18):
        program_id = 10 + index
        # Most promotions are conditional: on a few categories, with a threshold.
        categories = rng.sample(range(1, CATEGORIES + 1), 2)
        rules = []
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            mode = rng.choice(["order", "money", "unit"])
            rule = {"id": next_rule, "mode": mode, "amount": "1", "category_ids": categories}
            next_rule += 1
            if mode == "money":
                rule["min_amount"] = str(rng.choice([50000, 150000, 400000]))
            elif mode == "unit":
                rule["min_qty"] = str(rng.choice([2, 3, 5]))
            rules.append(rule)
        rewards = []
        for _ in range(rng.randint(1, 2)):
            mode = rng.choice(["percent", "percent", "fixed"])
            reward = {"id": next_reward, "type": "discount", "mode": mode,
                      "value": str(rng.choice([5, 10, 15, 20])) if mode == "percent"
                      else str(rng.choice([5000, 10000, 25000])),
                      "applicability": rng.choice(["order", "specific", "specific", "cheapest"])}
            next_reward += 1
            if reward["applicability"] != "order":
                reward["category_ids"] = categories
                reward["product_ids"] = rng.sample(range(1, PRODUCTS + 1), 5)
            if rng.random() < 0.3:
                reward["max_amount"] = "30000"
            rewards.append(reward)
        program = {"id": program_id, "name": f"Promo {index}", "kind": "promotion",
                   "sequence": rng.randint(1, 40), "rules": rules, "rewards": rewards,
                   "exclusive": index == 17}
        if rng.random() < 0.3:
            program["date_from"], program["date_to"] = "2025-03-01", "2025-03-20"
        programs.append(program)
    return {
        "currency": {"code": "IDR", "rounding": "1"},
        "points_precision": 2,
        "tiers": [{"code": "basic", "rank": 0, "multiplier": "1", "min_spend": "0"},
                  {"code": "silver", "rank": 1, "multiplier": "1.25", "min_spend": "2000000"},
                  {"code": "gold", "rank": 2, "multiplier": "1.5", "min_spend": "5000000"}],
        "membership": {"validity_days": 30},
        "programs": programs,
    }


def build_order(rng: random.Random, number: int) -> dict:
    when = datetime(2025, 3, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 40000))
    lines = []
    for line_no in range(10):
        product = rng.randint(1, PRODUCTS)
        line = {"id": number * 100 + line_no, "product_id": product,
                "category_ids": [category_of(product)],
                "qty": str(rng.choice([1, 1, 1, 2, 3, "0.5"])),
                "price_unit": str(rng.choice([4500, 12000, 18500, 27000, 45000, 99000, 150000]))}
        if rng.random() < 0.1:
            line["discount"] = str(rng.choice([5, 10, 12.5]))
        lines.append(line)
    partner = rng.randint(1, 5000)
    order = {
        "uid": f"pos-0001-{number:06d}", "date_order": when, "partner_id": partner,
        "card": {"id": partner, "program_id": 1, "points": "500"},
        "membership": {"partner_id": partner, "tier": rng.choice(["basic", "silver", "gold"]),
                       "evaluated_at": when - timedelta(days=3),
                       "valid_until": when + timedelta(days=27)},
        "lines": lines,
    }
    if rng.random() < 0.2:
        order["redeem"] = [{"reward_id": 1, "points": str(rng.randint(5, 200))}]
    return order


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
                     for n, lg in zip(native_results, legacy_results))
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
