"""SPEC.md section 6, through the legacy engine (digit for digit, with the result's shape)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from _spec_examples import (
    card,
    config,
    first_order_lines,
    gold_snapshot,
    order,
    percent_on_order,
    points_program,
    promotion,
)
from aba_legacy_engine import Engine, InsufficientPointsError


@pytest.mark.parametrize(("basis", "earned"), [("base", "18.00"), ("paid", "16.65")])
def test_points_on_base_and_paid(basis, earned):
    engine = Engine(config([points_program(basis)]))
    result = engine.evaluate(order("s1", first_order_lines(), card=card(),
                                   membership=gold_snapshot()))
    assert result["engine"] == "legacy"
    assert result["status"] == "ok"
    assert result["totals"] == {"base": Decimal(120000), "discount": Decimal(9000),
                                "total": Decimal(111000)}
    assert [line["base"] for line in result["lines"]] == [Decimal(90000), Decimal(30000)]
    assert result["points"] == {
        "program_id": 10, "card_id": 900, "earned": Decimal(earned), "spent": Decimal(0),
        "tier": "gold", "multiplier": Decimal("1.5"), "returned": Decimal(0), "redeemed": [],
    }
    assert str(result["points"]["returned"]) == "0.00"
    assert str(result["points"]["earned"]) == earned


def test_discounts_do_not_compound():
    engine = Engine(config([
        promotion(1, 1, percent_on_order(11, "20")),
        promotion(2, 2, percent_on_order(21, "10")),
    ]))
    lines = [{"id": "a", "product_id": 1, "qty": 1, "price_unit": 110000}]
    result = engine.evaluate(order("s2", lines))
    assert [d["amount"] for d in result["discounts"]] == [Decimal(22000), Decimal(11000)]
    assert result["totals"]["discount"] == Decimal(33000)
    assert result["totals"]["total"] == Decimal(77000)
    assert result["points"] is None
    assert result["warnings"] == [] and result["skipped"] == []


def test_fixed_reward_clamped_to_base():
    fixed = {"id": 31, "type": "discount", "mode": "fixed", "value": "100000",
             "applicability": "order"}
    engine = Engine(config([promotion(1, 1, percent_on_order(11, "20")), promotion(3, 3, fixed)]))
    lines = [{"id": 1, "product_id": 1, "qty": 1, "price_unit": 110000}]
    result = engine.evaluate(order("s3", lines))
    assert result["discounts"] == [
        {"program_id": 1, "reward_id": 11, "amount": Decimal(22000), "lines": {1: Decimal(22000)}},
        {"program_id": 3, "reward_id": 31, "amount": Decimal(88000), "lines": {1: Decimal(88000)}},
    ]
    assert result["warnings"] == [{"code": "over_discount_clamped", "program_id": 3,
                                   "reward_id": 31, "amount": Decimal(12000)}]
    assert result["totals"]["total"] == Decimal(0)
    assert result["lines"][0]["total"] == Decimal(0)


def test_rounding_and_allocation():
    engine = Engine(config([promotion(1, 1, percent_on_order(11, "10"))]))
    lines = [{"id": 1, "product_id": 1, "qty": 1, "price_unit": 10001},
             {"id": 2, "product_id": 2, "qty": 1, "price_unit": 20000}]
    result = engine.evaluate(order("s4", lines))
    (discount,) = result["discounts"]
    assert discount["amount"] == Decimal(3000)
    assert discount["lines"] == {1: Decimal(1000), 2: Decimal(2000)}
    assert [line["discount"] for line in result["lines"]] == [Decimal(1000), Decimal(2000)]


def test_largest_remainder_allocation_v2():
    fixed = {"id": 41, "type": "discount", "mode": "fixed", "value": "2", "applicability": "order"}
    engine = Engine(config([promotion(4, 1, fixed)]))
    lines = [{"id": i, "product_id": i, "qty": 1, "price_unit": 10} for i in range(1, 5)]
    result = engine.evaluate(order("s5", lines))
    # 0.5 each -> 0, remainders equal: the 2 steps go to the first two lines (v1: 1, 1, 1, -1).
    assert result["discounts"][0]["lines"] == {1: Decimal(1), 2: Decimal(1), 3: Decimal(0),
                                               4: Decimal(0)}
    assert [line["total"] for line in result["lines"]] == [Decimal(9), Decimal(9), Decimal(10),
                                                          Decimal(10)]


def test_refund_takes_back_rounded_toward_zero():
    engine = Engine(config([points_program()]))
    lines = [{"id": 2, "product_id": 502, "category_ids": [8], "qty": -1, "price_unit": 30000}]
    result = engine.evaluate(order("r1", lines, card=card(), membership=gold_snapshot(),
                                   refund_of="s1"))
    assert result["points"]["earned"] == Decimal("-4.50")
    assert str(result["points"]["earned"]) == "-4.50"
    assert result["totals"] == {"base": Decimal(-30000), "discount": Decimal(0),
                                "total": Decimal(-30000)}
    assert result["discounts"] == [] and result["skipped"] == [] and result["warnings"] == []


def spend_earned_config(spend_earned: bool) -> dict:
    program = {
        "id": 20, "name": "Spend as you earn", "kind": "loyalty", "sequence": 1,
        "spend_earned": spend_earned,
        "rules": [{"id": 200, "mode": "money", "amount": "0.001"}],
        "rewards": [{"id": 201, "type": "discount", "mode": "per_point", "value": "100",
                     "applicability": "order", "required_points": "1"}],
    }
    return {"currency": {"code": "IDR", "rounding": "1"}, "points_precision": 2,
            "programs": [program]}


def spend_earned_order() -> dict:
    return order("s6", [{"id": 1, "product_id": 1, "qty": 1, "price_unit": 50000}],
                 card={"id": 901, "program_id": 20, "points": "0"},
                 redeem=[{"reward_id": 201, "points": 20}])


def test_spend_earned_v2():
    result = Engine(spend_earned_config(True)).evaluate(spend_earned_order())
    # No tiers: multiplier 1. Earned on base 50,000 x 0.001 = 50.00 = available (card 0);
    # 20 points x 100 = 2,000 off; spent 20.00.
    assert result["discounts"] == [{"program_id": 20, "reward_id": 201,
                                    "amount": Decimal(2000), "lines": {1: Decimal(2000)}}]
    assert str(result["points"]["earned"]) == "50.00"
    assert str(result["points"]["spent"]) == "20.00"
    with pytest.raises(InsufficientPointsError, match=r"^redeem: "):
        Engine(spend_earned_config(False)).evaluate(spend_earned_order())
