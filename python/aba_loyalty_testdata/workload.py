"""The realistic workload of the benchmarks (bench_native_vs_legacy) and the demo.

20 programs (2 loyalty programs, 18 promotions with product/category filters, thresholds, caps,
date windows, one exclusive) and orders of 10 lines over a 200-product catalogue, each with a
card and a membership snapshot, some with a redemption.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from .documents import IDR

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
        "currency": dict(IDR),
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
