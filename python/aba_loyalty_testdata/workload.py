"""The realistic workloads of the benchmarks and the demo.

`build_config` / `build_order` (bench_native_vs_legacy, the demo): 20 programs (2 loyalty
programs, 18 promotions with product/category filters, thresholds, caps, date windows, one
exclusive) and orders of 10 lines over a 200-product catalogue, each with a card and a membership
snapshot, some with a redemption. `mixed_forms_config` / `mixed_forms_order` (bench_evaluate):
20 programs of every mode and applicability, inputs mixing Decimal, float, int and str.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

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


# -- bench_evaluate's workload: inputs in the forms Odoo hands them ---------------------------------

CATALOGUE = range(1000, 1200)  # 200 products in 10 categories (product % 10)


def mixed_forms_config() -> dict:
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
        "currency": dict(IDR),
        "points_precision": 2,
        "tiers": [
            {"code": "basic", "rank": 0, "multiplier": "1", "min_spend": "0"},
            {"code": "silver", "rank": 1, "multiplier": "1.25", "min_spend": "1000000"},
            {"code": "gold", "rank": 2, "multiplier": "1.5", "min_spend": "5000000"},
        ],
        "membership": {"validity_days": 30},
        "programs": programs,
    }


def mixed_forms_order(rng: random.Random, n: int) -> dict:
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
