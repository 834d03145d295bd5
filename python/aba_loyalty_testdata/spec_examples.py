"""The worked examples of docs/spec.md §6 as (config, order) builders, shared by the behaviour
and parity tests. Currency IDR, rounding 1, points_precision 2."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from .documents import IDR, TIERS, aba_points, engine_config
from .documents import promo as _promo
from .documents import reward as _reward

DATE = "2025-03-10T09:30:00"
PARTNER = 42


def points_program(points_basis: str = "base") -> dict:
    """ABA Points (1 point per 10,000) without rewards."""
    return aba_points(points_basis=points_basis, rewards=[])


def promotion(program_id: int, sequence: int, reward: dict) -> dict:
    return _promo(program_id, sequence, reward)


def percent_on_order(reward_id: int, value: str) -> dict:
    return _reward(reward_id, "percent", value)


def config(programs: list) -> dict:
    return {
        "currency": dict(IDR),
        "points_precision": 2,
        "tiers": copy.deepcopy(TIERS),
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


def line(line_id, qty, price_unit, **extra) -> dict:
    return {"id": line_id, "product_id": line_id if isinstance(line_id, int) else 1, "qty": qty,
            "price_unit": price_unit, **extra}


def reward(reward_id: int, mode: str, value: str) -> dict:
    return _reward(reward_id, mode, value)


# -- spending what the order earns (v2) -----------------------------------------------------------

def spend_earned_config(spend_earned: bool) -> dict:
    program = {
        "id": 20, "name": "Spend as you earn", "kind": "loyalty", "sequence": 1,
        "spend_earned": spend_earned,
        "rules": [{"id": 200, "mode": "money", "amount": "0.001"}],
        "rewards": [_reward(201, "per_point", "100", required_points="1")],
    }
    return engine_config(program)


def spend_earned_order() -> dict:
    return order("s6", [line(1, 1, 50000)], card={"id": 901, "program_id": 20, "points": "0"},
                 redeem=[{"reward_id": 201, "points": 20}])


# -- refunds that give back spent points (docs/spec.md §4.12, examples A-E) --------------------------------

#: The sale's lines: 3 x 10,000 and 1 x 7,000 (sum of base 37,000).
REFUND_SALE_LINES = {1: (3, 10000), 2: (1, 7000)}


def refund_config() -> dict:
    return engine_config(aba_points(rewards=[
        _reward(101, "per_point", "100", required_points="1"),
        _reward(102, "fixed", "5000", required_points="120"),
    ]))


def refund_card() -> dict:
    return {"id": 7, "program_id": 10, "points": "500"}


def refund_sale(redeem: list) -> dict:
    lines = [line(i, qty, price) for i, (qty, price) in REFUND_SALE_LINES.items()]
    return order("sale-A", lines, card=refund_card(), redeem=redeem)


def refund_of_sale(lines: list, redemptions: list | None, *, refunded: tuple, returned) -> dict:
    """A refund of the sale: `lines` as (sale line id, negative qty), each with the sale's price
    and its origin_line_id; `original` from the sale's lines, the quantities `refunded` so far,
    the sale's `redemptions` (None: no `original` at all) and what was `returned` so far."""
    refund = order(f"refund-{len(lines)}-{refunded}", [
        line(origin, qty, REFUND_SALE_LINES[origin][1], origin_line_id=origin)
        for origin, qty in lines], card=refund_card(), refund_of="sale-A")
    if redemptions is not None:
        refund["original"] = {
            "lines": [{"id": i, "qty": qty, "refunded_qty": done}
                      for (i, (qty, _price)), done in zip(REFUND_SALE_LINES.items(), refunded,
                                                          strict=True)],
            "redemptions": redemptions,
            "returned": returned,
        }
    return refund
