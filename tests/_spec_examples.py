"""The worked examples of SPEC.md section 6 as (config, order) builders, shared by the legacy and
parity tests. Currency IDR, rounding 1, points_precision 2."""

from __future__ import annotations

from datetime import datetime, timezone

TIERS = [
    {"code": "basic", "rank": 0, "multiplier": "1", "min_spend": "0"},
    {"code": "gold", "rank": 2, "multiplier": "1.5", "min_spend": "5000000"},
]
DATE = "2025-03-10T09:30:00"
PARTNER = 42


def points_program(points_basis: str = "base") -> dict:
    return {
        "id": 10, "name": "ABA Points", "kind": "loyalty", "sequence": 10,
        "points_basis": points_basis,
        "rules": [{"id": 100, "mode": "money", "amount": "0.0001"}],
        "rewards": [],
    }


def promotion(program_id: int, sequence: int, reward: dict) -> dict:
    return {
        "id": program_id, "name": f"P{program_id}", "kind": "promotion", "sequence": sequence,
        "rules": [], "rewards": [reward],
    }


def percent_on_order(reward_id: int, value: str) -> dict:
    return {"id": reward_id, "type": "discount", "mode": "percent", "value": value,
            "applicability": "order"}


def config(programs: list) -> dict:
    return {
        "currency": {"code": "IDR", "rounding": "1"},
        "points_precision": 2,
        "tiers": TIERS,
        "membership": {"validity_days": 30},
        "programs": programs,
    }


def gold_snapshot() -> dict:
    return {
        "partner_id": PARTNER, "tier": "gold",
        "evaluated_at": datetime(2025, 3, 1, tzinfo=timezone.utc),
        "valid_until": datetime(2025, 3, 31, tzinfo=timezone.utc),
    }


def order(uid: str, lines: list, **extra) -> dict:
    return {"uid": uid, "date_order": DATE, "partner_id": PARTNER, "lines": lines, **extra}


def first_order_lines() -> list:
    return [
        {"id": 1, "product_id": 501, "category_ids": [7], "qty": 2, "price_unit": 45000,
         "discount": 10},
        {"id": 2, "product_id": 502, "category_ids": [8], "qty": 1, "price_unit": 30000},
    ]


def card() -> dict:
    return {"id": 900, "program_id": 10, "points": "0"}
