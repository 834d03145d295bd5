"""SPEC.md section 6, every worked example through the Python API, with exact Decimals.

Currency IDR, rounding 1, points_precision 2; program 10 "ABA Points" (loyalty, 1 point per
10,000 IDR); tiers basic x1 and gold x1.5.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest
from aba_loyalty_core import Engine, InsufficientPointsError

ABA_POINTS = {
    "id": 10, "name": "ABA Points", "kind": "loyalty", "sequence": 10,
    "rules": [{"id": 100, "mode": "money", "amount": D("0.0001")}],
    "rewards": [],
}


def promotion(pid: int, sequence: int, reward: dict) -> dict:
    return {"id": pid, "name": f"P{pid}", "kind": "promotion", "sequence": sequence,
            "rules": [], "rewards": [reward]}


def reward(rid: int, mode: str, value: str) -> dict:
    return {"id": rid, "type": "discount", "mode": mode, "value": D(value),
            "applicability": "order"}


def config(*programs: dict) -> dict:
    return {
        "currency": {"code": "IDR", "rounding": "1"},
        "points_precision": 2,
        "tiers": [
            {"code": "basic", "rank": 0, "multiplier": "1", "min_spend": "0"},
            {"code": "gold", "rank": 2, "multiplier": "1.5", "min_spend": "5000000"},
        ],
        "membership": {"validity_days": 30},
        "programs": list(programs),
    }


def order(*lines: dict, **extra) -> dict:
    base = {
        "uid": "pos-0001",
        "date_order": datetime(2024, 5, 10, 10, 0),
        "partner_id": 7,
        "card": {"id": 500, "program_id": 10, "points": D(0)},
        "membership": {
            "partner_id": 7, "tier": "gold",
            "evaluated_at": datetime(2024, 5, 1, tzinfo=timezone.utc),
            "valid_until": datetime(2024, 5, 31, tzinfo=timezone.utc),
        },
        "lines": list(lines),
    }
    base.update(extra)
    return base


def line(lid: int, qty, price, discount=0) -> dict:
    return {"id": lid, "product_id": lid * 10, "category_ids": [1], "qty": qty,
            "price_unit": price, "discount": discount}


FIRST_ORDER_LINES = (line(1, 2, D(45000), D(10)), line(2, 1, D(30000)))


def test_points_on_base_with_gold_multiplier():
    result = Engine(config(ABA_POINTS)).evaluate(order(*FIRST_ORDER_LINES))
    assert result["totals"] == {"base": D(120000), "discount": D(9000),
                                "total": D(111000)}
    assert result["lines"][0] == {"id": 1, "base": D(90000), "discount": D(9000),
                                  "total": D(81000)}
    assert result["status"] == "ok"
    assert result["points"] == {"program_id": 10, "card_id": 500, "earned": D("18.00"),
                                "spent": D(0), "tier": "gold", "multiplier": D("1.5"),
                                "returned": D(0), "redeemed": []}
    assert str(result["points"]["earned"]) == "18.00"


def test_points_on_paid_amount():
    paid = dict(ABA_POINTS, points_basis="paid")
    result = Engine(config(paid)).evaluate(order(*FIRST_ORDER_LINES))
    assert result["points"]["earned"] == D("16.65")


def test_promotions_do_not_compound():
    engine = Engine(config(promotion(1, 1, reward(11, "percent", "20")),
                           promotion(2, 2, reward(21, "percent", "10"))))
    result = engine.evaluate(order(line(1, 1, D(110000))))
    assert [d["amount"] for d in result["discounts"]] == [D(22000), D(11000)]
    assert result["totals"]["discount"] == D(33000)
    assert result["totals"]["discount"] != D(30800)


def test_over_discount_is_clamped_with_a_warning():
    engine = Engine(config(promotion(1, 1, reward(11, "percent", "20")),
                           promotion(3, 3, reward(31, "fixed", "100000"))))
    result = engine.evaluate(order(line(1, 1, D(110000))))
    assert result["discounts"] == [
        {"program_id": 1, "reward_id": 11, "amount": D(22000), "lines": {1: D(22000)}},
        {"program_id": 3, "reward_id": 31, "amount": D(88000), "lines": {1: D(88000)}},
    ]
    assert result["warnings"] == [{"code": "over_discount_clamped", "program_id": 3,
                                   "reward_id": 31, "amount": D(12000)}]
    assert result["totals"]["total"] == D(0)


def test_percent_rounded_then_allocated_pro_rata():
    engine = Engine(config(promotion(1, 1, reward(11, "percent", "10"))))
    result = engine.evaluate(order(line(1, 1, D(10001)), line(2, 1, D(20000))))
    assert result["discounts"] == [{"program_id": 1, "reward_id": 11, "amount": D(3000),
                                    "lines": {1: D(1000), 2: D(2000)}}]


@pytest.mark.parametrize("many", [False, True])
def test_refund_takes_back_points_toward_zero(many):
    engine = Engine(config(ABA_POINTS))
    refund = order(line(2, -1, D(30000)), refund_of="pos-0001", uid="pos-0001-r")
    result = engine.evaluate_many([refund])[0] if many else engine.evaluate(refund)
    assert result["points"]["earned"] == D("-4.50")
    assert result["points"]["spent"] == D(0)
    assert result["discounts"] == [] and result["skipped"] == [] and result["warnings"] == []
    assert result["totals"]["total"] == D(-30000)


def test_same_order_twice_gives_the_same_result():
    engine = Engine(config(ABA_POINTS, promotion(1, 1, reward(11, "percent", "20"))))
    sale = order(*FIRST_ORDER_LINES)
    snapshot = copy.deepcopy(sale)
    assert engine.evaluate(sale) == engine.evaluate(sale)
    assert sale == snapshot  # the input is not modified


# -- v2 ------------------------------------------------------------------------------------------

def test_v2_fixed_two_over_four_lines_by_largest_remainder():
    engine = Engine(config(promotion(1, 1, reward(11, "fixed", "2"))))
    result = engine.evaluate(order(*(line(i, 1, D(10)) for i in (1, 2, 3, 4))))
    assert result["discounts"] == [{"program_id": 1, "reward_id": 11, "amount": D(2),
                                    "lines": {1: D(1), 2: D(1), 3: D(0), 4: D(0)}}]
    assert all(item["total"] >= 0 for item in result["lines"])


def spend_earned_config(spend_earned: bool) -> dict:
    program = dict(ABA_POINTS, spend_earned=spend_earned,
                   rules=[{"id": 100, "mode": "money", "amount": D("0.001")}],
                   rewards=[{"id": 101, "type": "discount", "mode": "per_point",
                             "value": D(100), "applicability": "order",
                             "required_points": D(1)}])
    return dict(config(program), tiers=[])


def test_v2_spend_earned_pays_a_redemption_with_this_orders_points():
    sale = order(line(1, 1, D(50000)), redeem=[{"reward_id": 101, "points": D(20)}])
    result = Engine(spend_earned_config(True)).evaluate(sale)
    assert result["discounts"][0]["amount"] == D(2000)
    assert result["points"] == {"program_id": 10, "card_id": 500, "earned": D("50.00"),
                                "spent": D("20.00"), "tier": None, "multiplier": D(1),
                                "returned": D(0),
                                "redeemed": [{"reward_id": 101, "points": D("20.00")}]}
    assert str(result["points"]["spent"]) == "20.00"
    with pytest.raises(InsufficientPointsError, match=r"^redeem: "):
        Engine(spend_earned_config(False)).evaluate(sale)
