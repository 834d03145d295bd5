"""Both engines (the `engine` fixture): discounts of docs/spec.md that the worked examples do not
reach, each computed by hand: cheapest and specific items, allocation by largest remainder,
roundings, clamping, eligibility, exclusivity and the skipped list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from aba_loyalty_testdata.documents import (
    aba_points,
    engine_config,
    line,
    loyalty,
    order,
    percent,
    promo,
    reward,
    typical_config,
    typical_order,
)


def test_cheapest_takes_one_unit_of_the_lowest_price_first_on_ties(engine):
    evaluator = engine.Engine(engine_config(promo(1, 1, reward(11, "percent", "50", "cheapest",
                                                               category_ids=[7]))))
    result = evaluator.evaluate(order(line(1, 1, 3, 900, category_ids=[7]),
                                      line(2, 2, 2, 300, category_ids=[7]),
                                      line(3, 3, 1, 300, category_ids=[7]),
                                      line(4, 4, 1, 100)))
    assert result["discounts"] == [{"program_id": 1, "reward_id": 11, "amount": D(150),
                                    "lines": {2: D(150)}}]


def test_specific_covers_products_or_categories_and_caps_before_rounding(engine):
    evaluator = engine.Engine(engine_config(promo(1, 1, reward(
        11, "percent", "10", "specific", product_ids=[1], category_ids=[5], max_amount="2500.4"))))
    result = evaluator.evaluate(order(line(1, 1, 1, 10000), line(2, 2, 1, 20000, category_ids=[5]),
                                      line(3, 3, 1, 50000)))
    (discount,) = result["discounts"]
    # 10 % of 30,000 = 3,000, capped at 2,500.4, rounded: 2,500; pro rata 833.33 -> 833
    # (remainder 1/3), 1666.67 -> 1666 (remainder 2/3): the step left goes to line 2, 1667.
    assert discount["amount"] == D(2500)
    assert discount["lines"] == {1: D(833), 2: D(1667)}


def test_largest_remainder_ties_go_to_the_line_listed_first(engine):
    evaluator = engine.Engine(engine_config(promo(1, 1, reward(11, "fixed", "100"))))
    result = evaluator.evaluate(order(line(1, 1, 1, 100), line(2, 2, 1, 100), line(3, 3, 1, 100)))
    # 100 x 100 / 300: 33 each, remainder 100 each; the step left over goes to the first line.
    assert result["discounts"][0]["lines"] == {1: D(34), 2: D(33), 3: D(33)}


def test_largest_remainder_not_largest_base_and_never_negative(engine):
    evaluator = engine.Engine(engine_config(promo(1, 1, reward(11, "fixed", "5"))))
    result = evaluator.evaluate(order(line(1, 1, 1, 10), line(2, 2, 1, 10), line(3, 3, 1, 10),
                                      line(4, 4, 1, 70)))
    # 5 x base / 100: 0.5, 0.5, 0.5, 3.5 -> 0, 0, 0, 3 with remainders 50, 50, 50, 50; the two
    # steps left go to lines 1 and 2. (v1: 1, 1, 1 and 5 - 3 = 2 to the largest line.)
    assert result["discounts"][0]["lines"] == {1: D(1), 2: D(1), 3: D(0), 4: D(3)}
    evaluator = engine.Engine(engine_config(promo(1, 1, reward(11, "fixed", "10"))))
    result = evaluator.evaluate(order(line(1, 1, 1, 14), line(2, 2, 1, 16), line(3, 3, 1, 70)))
    # 1.4, 1.6, 7 -> 1, 1, 7 with remainders 40, 60, 0: the step left goes to line 2.
    assert result["discounts"][0]["lines"] == {1: D(1), 2: D(2), 3: D(7)}


def test_largest_remainder_in_steps_of_the_rounding(engine):
    evaluator = engine.Engine(
        engine_config(promo(1, 1, reward(11, "fixed", "0.10")), rounding="0.05")
    )
    result = evaluator.evaluate(order(line(1, 1, 1, 1), line(2, 2, 1, 1), line(3, 3, 1, 1)))
    # 2 steps of 0.05 over three equal lines: 0 steps each, equal remainders: lines 1 and 2.
    assert [str(share) for share in result["discounts"][0]["lines"].values()] == [
        "0.05", "0.05", "0.00"]


def test_zero_base_lines_take_a_fixed_discount_on_the_first_then_clamped(engine):
    evaluator = engine.Engine(engine_config(promo(1, 1, reward(11, "fixed", "50"))))
    result = evaluator.evaluate(order(line("a", 1, 1, 0), line("b", 2, 1, 0)))
    assert result["discounts"] == [{"program_id": 1, "reward_id": 11, "amount": D(0),
                                    "lines": {"a": D(0), "b": D(0)}}]
    assert result["warnings"] == [{"code": "over_discount_clamped", "program_id": 1,
                                   "reward_id": 11, "amount": D(50)}]
    assert result["skipped"] == []


def test_rounding_to_a_step_of_five_cents_and_of_a_hundred(engine):
    evaluator = engine.Engine(
        engine_config(promo(1, 1, reward(11, "percent", "10")), rounding="0.05")
    )
    result = evaluator.evaluate(order(line(1, 1, 1, "10.26")))  # base 10.25, 10 % = 1.025 -> 1.05
    assert result["lines"][0]["base"] == D("10.25")
    assert str(result["discounts"][0]["amount"]) == "1.05"
    evaluator = engine.Engine(
        engine_config(promo(1, 1, reward(11, "percent", "10")), rounding="100")
    )
    result = evaluator.evaluate(order(line(1, 1, 1, 12345)))  # base 12,300; 1,230 -> 1,200
    assert str(result["lines"][0]["base"]) == "12300"
    assert result["discounts"][0]["amount"] == D(1200)


def test_half_up_is_away_from_zero_for_negative_amounts(engine):
    evaluator = engine.Engine(
        engine_config(loyalty(1, 1, rules=[{"id": 1, "mode": "money", "amount": "1"}]))
    )
    result = evaluator.evaluate(order(line(1, 1, -1, "2.5"), refund_of="s",
                                      card={"id": 1, "program_id": 1, "points": 0}))
    assert result["lines"][0]["base"] == D(-3)
    assert result["points"]["earned"] == D("-3.00")


def test_manual_discount_then_clamp_across_rewards_one_warning_each(engine):
    evaluator = engine.Engine(
        engine_config(
            promo(1, 1, reward(11, "percent", "60")),
            promo(2, 2, reward(21, "fixed", "1000"), reward(22, "fixed", "10")),
        )
    )
    result = evaluator.evaluate(order(line(1, 1, 1, 1000, discount=30), line(2, 2, 1, 1000)))
    # manual 300 on line 1; P1 600 + 600; P2/21 500 + 500 -> line 1 room 100, line 2 room 400.
    assert [d["amount"] for d in result["discounts"]] == [D(1200), D(500), D(0)]
    assert result["warnings"] == [
        {"code": "over_discount_clamped", "program_id": 2, "reward_id": 21, "amount": D(500)},
        {"code": "over_discount_clamped", "program_id": 2, "reward_id": 22, "amount": D(10)},
    ]
    assert result["totals"] == {"base": D(2000), "discount": D(2000), "total": D(0)}


def test_skipped_reasons_in_visiting_order(engine):
    evaluator = engine.Engine(engine_config(
        promo(5, 3, reward(51, "percent", "10")),
        promo(4, 1, reward(41, "percent", "10"), exclusive=True),
        promo(3, 1, reward(31, "percent", "10"), date_to=date(2025, 6, 9)),
        promo(2, 2, reward(21, "percent", "10"), active=False),
        promo(6, 2, reward(61, "percent", "10"),
              rules=[{"id": 1, "mode": "money", "amount": "1", "min_amount": "5000"}]),
        promo(7, 0, reward(71, "percent", "10", "specific", product_ids=[99])),
    ))
    result = evaluator.evaluate(order(line(1, 1, 1, 1000)))
    assert [d["program_id"] for d in result["discounts"]] == [4]
    assert result["skipped"] == [
        {"program_id": 7, "reason": "rules"},      # covers no line
        {"program_id": 3, "reason": "date"},
        {"program_id": 2, "reason": "date"},       # inactive
        {"program_id": 6, "reason": "exclusive"},  # exclusive before rules
        {"program_id": 5, "reason": "exclusive"},
    ]


def test_exclusive_stops_redemption_not_earning(engine):
    program = loyalty(10, 5, rules=[{"id": 1, "mode": "order", "amount": "3"}],
                      rewards=[reward(101, "fixed", "100", required_points="5")])
    evaluator = engine.Engine(
        engine_config(promo(1, 1, reward(11, "percent", "10"), exclusive=True), program)
    )
    result = evaluator.evaluate(order(line(1, 1, 1, 1000), card={"id": 1, "program_id": 10,
                                                                 "points": 10},
                                      redeem=[{"reward_id": 101, "points": 5}]))
    assert result["skipped"] == [{"program_id": 10, "reason": "exclusive"}]
    assert result["points"]["earned"] == D(3) and result["points"]["spent"] == D(0)


def test_exclusive_promotion_stops_later_ones(engine):
    cfg = typical_config(promo(1, 1, percent(11, 10), exclusive=True), promo(2, 2, percent(21, 5)),
                         aba_points(), tiers=False)
    result = engine.Engine(cfg).evaluate(typical_order(redeem=[{"reward_id": 101, "points": 50}]))
    assert [d["program_id"] for d in result["discounts"]] == [1]
    assert result["skipped"] == [{"program_id": 2, "reason": "exclusive"},
                                 {"program_id": 10, "reason": "exclusive"}]
    assert result["points"]["spent"] == 0 and result["points"]["earned"] == D(10)
