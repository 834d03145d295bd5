"""docs/spec.md section 6, every worked example, digit for digit, through both engines.

Each test takes the `engine` fixture (tests/conftest.py): it runs once on the native
aba_loyalty_core and once on the pure-Python legacy engine, with the same documents
(aba_loyalty_testdata.spec_examples) and the same assertions. Currency IDR, rounding 1, points_precision 2;
program 10 "ABA Points" (loyalty, 1 point per 10,000 IDR); tiers basic x1 and gold x1.5.
"""

from __future__ import annotations

import copy
from decimal import Decimal as D

import pytest
from aba_loyalty_testdata.spec_examples import (
    card,
    config,
    first_order_lines,
    gold_snapshot,
    line,
    order,
    percent_on_order,
    points_program,
    promotion,
    refund_config,
    refund_of_sale,
    refund_sale,
    reward,
    spend_earned_config,
    spend_earned_order,
)


def first_order(**extra) -> dict:
    return order("s1", first_order_lines(), card=card(), membership=gold_snapshot(), **extra)


# -- earning on base and on paid ------------------------------------------------------------------

@pytest.mark.parametrize(("basis", "earned"), [("base", "18.00"), ("paid", "16.65")])
def test_points_on_base_and_on_paid(engine, basis, earned):
    result = engine.Engine(config([points_program(basis)])).evaluate(first_order())
    assert result["engine"] == engine.name
    assert result["status"] == "ok"
    assert result["totals"] == {"base": D(120000), "discount": D(9000), "total": D(111000)}
    assert [item["base"] for item in result["lines"]] == [D(90000), D(30000)]
    assert result["lines"][0] == {"id": 1, "base": D(90000), "discount": D(9000),
                                  "total": D(81000)}
    assert result["points"] == {
        "program_id": 10, "card_id": 900, "earned": D(earned), "spent": D(0), "tier": "gold",
        "multiplier": D("1.5"), "returned": D(0), "redeemed": [],
    }
    assert str(result["points"]["earned"]) == earned
    assert str(result["points"]["returned"]) == "0.00"


# -- no compounding, the clamp, rounding and allocation -------------------------------------------

def test_promotions_do_not_compound(engine):
    result = engine.Engine(config([
        promotion(1, 1, percent_on_order(11, "20")),
        promotion(2, 2, percent_on_order(21, "10")),
    ])).evaluate(order("s2", [line("a", 1, 110000)]))
    assert [d["amount"] for d in result["discounts"]] == [D(22000), D(11000)]
    assert result["totals"]["discount"] == D(33000)
    assert result["totals"]["discount"] != D(30800)
    assert result["totals"]["total"] == D(77000)
    assert result["points"] is None
    assert result["warnings"] == [] and result["skipped"] == []


def test_over_discount_is_clamped_with_a_warning(engine):
    result = engine.Engine(config([
        promotion(1, 1, percent_on_order(11, "20")),
        promotion(3, 3, reward(31, "fixed", "100000")),
    ])).evaluate(order("s3", [line(1, 1, 110000)]))
    assert result["discounts"] == [
        {"program_id": 1, "reward_id": 11, "amount": D(22000), "lines": {1: D(22000)}},
        {"program_id": 3, "reward_id": 31, "amount": D(88000), "lines": {1: D(88000)}},
    ]
    assert result["warnings"] == [{"code": "over_discount_clamped", "program_id": 3,
                                   "reward_id": 31, "amount": D(12000)}]
    assert result["totals"]["total"] == D(0)
    assert result["lines"][0]["total"] == D(0)


def test_percent_rounded_then_allocated_pro_rata(engine):
    result = engine.Engine(config([promotion(1, 1, percent_on_order(11, "10"))])).evaluate(
        order("s4", [line(1, 1, 10001), line(2, 1, 20000)]))
    assert result["discounts"] == [{"program_id": 1, "reward_id": 11, "amount": D(3000),
                                    "lines": {1: D(1000), 2: D(2000)}}]
    assert [item["discount"] for item in result["lines"]] == [D(1000), D(2000)]


def test_fixed_two_over_four_lines_by_largest_remainder(engine):
    result = engine.Engine(config([promotion(4, 1, reward(41, "fixed", "2"))])).evaluate(
        order("s5", [line(i, 1, 10) for i in (1, 2, 3, 4)]))
    # 0.5 each -> 0, remainders equal: the 2 steps go to the first two lines (v1: 1, 1, 1, -1).
    assert result["discounts"] == [{"program_id": 4, "reward_id": 41, "amount": D(2),
                                    "lines": {1: D(1), 2: D(1), 3: D(0), 4: D(0)}}]
    assert [item["total"] for item in result["lines"]] == [D(9), D(9), D(10), D(10)]


# -- earning on a refund ----------------------------------------------------------------------------

@pytest.mark.parametrize("many", [False, True])
def test_refund_takes_back_points_toward_zero(engine, many):
    refund = order("r1", [dict(first_order_lines()[1], qty=-1)], card=card(),
                   membership=gold_snapshot(), refund_of="s1")
    evaluator = engine.Engine(config([points_program()]))
    result = evaluator.evaluate_many([refund])[0] if many else evaluator.evaluate(refund)
    assert result["points"]["earned"] == D("-4.50")
    assert str(result["points"]["earned"]) == "-4.50"
    assert result["points"]["spent"] == D(0)
    assert result["totals"] == {"base": D(-30000), "discount": D(0), "total": D(-30000)}
    assert result["discounts"] == [] and result["skipped"] == [] and result["warnings"] == []


def test_same_order_twice_gives_the_same_result(engine):
    evaluator = engine.Engine(config([points_program(),
                                      promotion(1, 1, percent_on_order(11, "20"))]))
    sale = first_order()
    snapshot = copy.deepcopy(sale)
    assert evaluator.evaluate(sale) == evaluator.evaluate(sale)
    assert sale == snapshot  # the input is not modified


# -- spending what the order earns (v2) -------------------------------------------------------------

def test_spend_earned_pays_a_redemption_with_this_orders_points(engine):
    result = engine.Engine(spend_earned_config(True)).evaluate(spend_earned_order())
    # No tiers: multiplier 1. Earned on base 50,000 x 0.001 = 50.00 = available (card 0);
    # 20 points x 100 = 2,000 off; spent 20.00.
    assert result["discounts"] == [{"program_id": 20, "reward_id": 201, "amount": D(2000),
                                    "lines": {1: D(2000)}}]
    assert result["points"] == {"program_id": 20, "card_id": 901, "earned": D("50.00"),
                                "spent": D("20.00"), "tier": None, "multiplier": D(1),
                                "returned": D(0),
                                "redeemed": [{"reward_id": 201, "points": D("20.00")}]}
    assert str(result["points"]["earned"]) == "50.00"
    assert str(result["points"]["spent"]) == "20.00"
    with pytest.raises(engine.InsufficientPointsError, match=r"^redeem: ") as err:
        engine.Engine(spend_earned_config(False)).evaluate(spend_earned_order())
    assert err.value.path == ("redeem",)


# -- refunds that give back spent points (section 4.12): examples A to E ----------------------------

SHARES_A = {1: D(10009), 2: D(2336)}
REDEMPTION_A = {"reward_id": 101, "points": D("123.45"), "amount": D(12345), "lines": SHARES_A}
SHARES_D = {1: D(4054), 2: D(946)}
REDEMPTION_D = {"reward_id": 102, "points": D(120), "amount": D(5000), "lines": SHARES_D}


def test_a_sale_with_a_per_point_redemption(engine):
    result = engine.Engine(refund_config()).evaluate(
        refund_sale([{"reward_id": 101, "points": "123.45"}]))
    assert result["discounts"] == [{"program_id": 10, "reward_id": 101, "amount": D(12345),
                                    "lines": SHARES_A}]
    assert result["warnings"] == []
    assert result["totals"] == {"base": D(37000), "discount": D(12345), "total": D(24655)}
    assert result["points"] == {"program_id": 10, "card_id": 7, "earned": D("3.70"),
                                "spent": D("123.45"), "tier": None, "multiplier": D(1),
                                "returned": D(0),
                                "redeemed": [{"reward_id": 101, "points": D("123.45")}]}
    assert str(result["points"]["returned"]) == "0.00"


def test_b_full_refund_gives_back_what_the_sale_spent(engine):
    refund = refund_of_sale([(1, -3), (2, -1)], [REDEMPTION_A], refunded=(0, 0), returned=0)
    result = engine.Engine(refund_config()).evaluate(refund)
    assert result["points"]["returned"] == D("123.45")
    assert str(result["points"]["returned"]) == "123.45"
    assert result["points"]["earned"] == D("-3.70")
    assert result["points"]["spent"] == D(0) and result["points"]["redeemed"] == []
    assert result["discounts"] == [] and result["skipped"] == [] and result["warnings"] == []
    assert result["totals"] == {"base": D(-37000), "discount": D(0), "total": D(-37000)}


def test_c_a_sale_refunded_in_two_parts(engine):
    evaluator = engine.Engine(refund_config())
    first = evaluator.evaluate(refund_of_sale([(1, -1)], [REDEMPTION_A], refunded=(0, 0),
                                              returned=0))
    assert (first["points"]["returned"], first["points"]["earned"]) == (D("33.36"), D("-1.00"))
    second = evaluator.evaluate(refund_of_sale([(1, -2), (2, -1)], [REDEMPTION_A],
                                               refunded=(1, 0), returned="33.36"))
    assert (second["points"]["returned"], second["points"]["earned"]) == (D("90.09"), D("-2.70"))
    assert first["points"]["returned"] + second["points"]["returned"] == D("123.45")
    assert first["points"]["earned"] + second["points"]["earned"] == D("-3.70")
    # Had the second refund carried qty -3 on line 1: 1 + 3 > 3.
    with pytest.raises(engine.OrderError, match=r"^lines\[0\]\.qty: refunds more than was sold$"
                       ) as err:
        evaluator.evaluate(refund_of_sale([(1, -3)], [REDEMPTION_A], refunded=(1, 0),
                                          returned="33.36"))
    assert err.value.path == ("lines", 0, "qty")


def test_d_a_fixed_redemption_refunded_in_three_parts(engine):
    evaluator = engine.Engine(refund_config())
    sale = evaluator.evaluate(refund_sale([{"reward_id": 102, "points": 120}]))
    assert sale["discounts"] == [{"program_id": 10, "reward_id": 102, "amount": D(5000),
                                  "lines": SHARES_D}]
    assert (sale["points"]["spent"], sale["points"]["earned"]) == (D("120.00"), D("3.70"))
    assert sale["points"]["redeemed"] == [{"reward_id": 102, "points": D(120)}]
    steps = [([(1, -1)], (0, 0), 0), ([(1, -1)], (1, 0), "32.42"),
             ([(1, -1), (2, -1)], (2, 0), "64.84")]
    returned = [evaluator.evaluate(refund_of_sale(lines, [REDEMPTION_D], refunded=refunded,
                                                  returned=before))["points"]["returned"]
                for lines, refunded, before in steps]
    assert returned == [D("32.42"), D("32.42"), D("55.16")]
    assert sum(returned) == D("120.00")


def test_e_edge_cases(engine):
    evaluator = engine.Engine(refund_config())
    # No original, or lines without origin_line_id: nothing given back.
    no_original = refund_of_sale([(1, -1)], None, refunded=(0, 0), returned=0)
    assert evaluator.evaluate(no_original)["points"]["returned"] == D(0)
    no_origin = refund_of_sale([(1, -1)], [REDEMPTION_A], refunded=(0, 0), returned=0)
    del no_origin["lines"][0]["origin_line_id"]
    assert str(evaluator.evaluate(no_origin)["points"]["returned"]) == "0.00"
    # A redemption clamped to 0: nothing on a partial refund, all of it once fully refunded.
    clamped = {"reward_id": 102, "points": D(120), "amount": D(0), "lines": {1: D(0), 2: D(0)}}
    partial = refund_of_sale([(1, -1)], [clamped], refunded=(0, 0), returned=0)
    assert evaluator.evaluate(partial)["points"]["returned"] == D(0)
    last = refund_of_sale([(1, -2), (2, -1)], [clamped], refunded=(1, 0), returned=0)
    assert evaluator.evaluate(last)["points"]["returned"] == D("120.00")
    # No card: points null, nothing returned; the original is still validated.
    without_card = refund_of_sale([(1, -1)], [REDEMPTION_A], refunded=(0, 0), returned=0)
    del without_card["card"]
    assert evaluator.evaluate(without_card)["points"] is None
    without_card["original"]["returned"] = "-1"
    with pytest.raises(engine.OrderError, match=r"^original\.returned: ") as err:
        evaluator.evaluate(without_card)
    assert err.value.path == ("original", "returned")
