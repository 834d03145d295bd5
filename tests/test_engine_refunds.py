"""Both engines (the `engine` fixture): refunds giving back the points the refunded part of the
sale spent (docs/spec.md §4.12), and the validation of a refund's `original`."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from aba_loyalty_testdata.documents import (
    engine_config,
    line,
    loyalty,
    order,
    promo,
    reward,
    typical_config,
    typical_line,
    typical_order,
    with_change,
)


def sold_and_redeemed(evaluator) -> tuple[dict, dict]:
    """A sale of 3 x 10,001 (line "A") and 1 x 20,000 (line 7) redeeming reward 101 (fixed
    10,000 for 50 points), and the `original` a refund of it passes (from the sale's result)."""
    sale = typical_order(typical_line("A", 3, 10001), typical_line(7, 1, 20000),
                         redeem=[{"reward_id": 101, "points": 50}])
    result = evaluator.evaluate(sale)
    discount = result["discounts"][0]
    assert discount["lines"] == {"A": D(6000), 7: D(4000)}
    original = {
        "lines": [{"id": item["id"], "qty": item["qty"]} for item in sale["lines"]],
        "redemptions": [{"reward_id": spent["reward_id"], "points": spent["points"],
                         "amount": discount["amount"], "lines": discount["lines"]}
                        for spent in result["points"]["redeemed"]],
    }
    return result, original


def refund_of(*lines, original=None) -> dict:
    return typical_order(*lines, uid="pos-1-r", refund_of="pos-1", original=original)


def test_refunds_give_back_the_points_the_refunded_part_consumed(engine):
    evaluator = engine.Engine(typical_config())
    sale, original = sold_and_redeemed(evaluator)
    assert sale["points"]["spent"] == D(50)
    # One unit of "A": floor(6,000 / 3) = 2,000 of 10,000 -> 10.00 points.
    first = evaluator.evaluate(refund_of(typical_line(1, -1, 10001, origin_line_id="A"),
                                         original=original))
    assert first["points"]["returned"] == D(10) and str(first["points"]["returned"]) == "10.00"
    assert first["points"]["redeemed"] == [] and first["points"]["spent"] == 0
    # The rest, passing what the first refunded and gave back: 50 - 10.
    second_original = dict(original, returned=first["points"]["returned"],
                           lines=[{"id": "A", "qty": 3, "refunded_qty": 1}, {"id": 7, "qty": 1}])
    rest = refund_of(
        typical_line(1, -2, 10001, origin_line_id="A"),
        typical_line(2, -1, 20000, origin_line_id=7),
        original=second_original,
    )
    second = evaluator.evaluate(rest)
    assert second["points"]["returned"] == D(40)
    assert first["points"]["returned"] + second["points"]["returned"] == sale["points"]["spent"]
    assert evaluator.evaluate_many([rest])[0] == second
    # No original: nothing given back.
    assert evaluator.evaluate(refund_of(typical_line(1, -1, 10001)))["points"]["returned"] == 0


BAD_REFUNDS = [
    (("original", "extra"), 1, "original.extra: unknown key"),
    (("original", "lines", 1, "id"), "A", "original.lines[1].id: duplicate line id"),
    (("original", "lines", 0, "qty"), 0, "original.lines[0].qty: must be > 0"),
    (("original", "lines", 0, "refunded_qty"), 4, "original.lines[0].refunded_qty: "),
    (("original", "lines", 0, "refunded_qty"), -1, "original.lines[0].refunded_qty: "),
    (("original", "redemptions", 0, "lines", "B"), 1,
     "original.redemptions[0].lines: 'B' is not an original.lines id"),
    (("original", "redemptions", 0, "lines", "A"), -1, "original.redemptions[0].lines: "),
    (("original", "redemptions", 0, "amount"), -1, "original.redemptions[0].amount: "),
    (("original", "returned"), D("50.01"), "original.returned: "),
    (("lines", 0, "origin_line_id"), "Z", "lines[0].origin_line_id: not an original.lines id"),
    (("lines", 0, "origin_line_id"), 1.5, "lines[0].origin_line_id: must be an int or"),
    (("lines", 0, "qty"), -4, "lines[0].qty: refunds more than was sold"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_REFUNDS)
def test_bad_refunds_name_the_field(engine, path, value, message):
    evaluator = engine.Engine(typical_config())
    _, original = sold_and_redeemed(evaluator)
    refund = refund_of(typical_line(1, -1, 10001, origin_line_id="A"), original=original)
    with pytest.raises(engine.OrderError) as caught:
        evaluator.evaluate(with_change(refund, path, value))
    assert str(caught.value).startswith(engine.message(message)), str(caught.value)


def test_original_and_origin_only_in_a_refund(engine):
    evaluator = engine.Engine(typical_config())
    with pytest.raises(engine.OrderError, match=r"^original: only in a refund$"):
        evaluator.evaluate(typical_order(original={"lines": []}))
    with pytest.raises(engine.OrderError, match=r"^lines\[0\]\.origin_line_id: only in a refund$"):
        evaluator.evaluate(typical_order(typical_line(origin_line_id=1)))
    # None is the default in a sale too.
    assert (
        evaluator.evaluate(typical_order(typical_line(origin_line_id=None), original=None))[
            "points"
        ]["returned"]
        == 0
    )


def returns_engine(engine, **extra):
    program = loyalty(10, 5, rules=[{"id": 1, "mode": "money", "amount": "0.001"}],
                      rewards=[reward(101, "per_point", "100", required_points="1"),
                               reward(102, "fixed", "500", required_points="30"),
                               reward(103, "per_point", "3", required_points="1",
                                      max_amount="10")])
    return engine.Engine(engine_config(program, **extra))


CARD = {"id": 1, "program_id": 10, "points": 100}


def original_of(sale: dict, result: dict, refunded=None, returned=0) -> dict:
    """What the caller passes: the sale's lines, and per redemption its points (points.redeemed)
    with the amount and shares of its discounts entry."""
    refunded = refunded or {}
    by_reward = {d["reward_id"]: d for d in result["discounts"] if d["program_id"] == 10}
    return {
        "lines": [{"id": ln["id"], "qty": ln["qty"], "refunded_qty": refunded.get(ln["id"], 0)}
                  for ln in sale["lines"]],
        "redemptions": [{"reward_id": r["reward_id"], "points": r["points"],
                         "amount": by_reward[r["reward_id"]]["amount"],
                         "lines": by_reward[r["reward_id"]]["lines"]}
                        for r in result["points"]["redeemed"]],
        "returned": returned,
    }


def refund(*lines, original=None, card=CARD) -> dict:
    """Refund lines as (origin line id, qty refunded, price_unit)."""
    return order(*[line(f"r{i}", 1, -D(qty), price, origin_line_id=origin)
                   for i, (origin, qty, price) in enumerate(lines)],
                 refund_of="u1", card=card, original=original)


def two_line_sale(evaluator):
    sale = order(line(1, 1, 2, 10000), line(2, 2, 1, 30000), card=CARD,
                 redeem=[{"reward_id": 102, "points": 30}, {"reward_id": 101, "points": 25}])
    result = evaluator.evaluate(sale)
    # 101 (listed first in the program): 25 x 100 = 2,500 over 20,000 / 30,000 -> 1,000, 1,500;
    # 102: 500 -> 200, 300. Spent 25 + 30.
    assert result["points"]["redeemed"] == [{"reward_id": 101, "points": D(25)},
                                            {"reward_id": 102, "points": D(30)}]
    assert str(result["points"]["redeemed"][0]["points"]) == "25.00"
    assert result["points"]["spent"] == D(55) and result["points"]["returned"] == D(0)
    assert [(d["amount"], d["lines"]) for d in result["discounts"]] == [
        (D(2500), {1: D(1000), 2: D(1500)}), (D(500), {1: D(200), 2: D(300)})]
    return sale, result


def test_full_refund_returns_exactly_what_was_spent(engine):
    evaluator = returns_engine(engine)
    sale, result = two_line_sale(evaluator)
    back = evaluator.evaluate(
        refund((1, 2, 10000), (2, 1, 30000), original=original_of(sale, result))
    )
    assert str(back["points"]["returned"]) == "55.00"
    assert back["points"]["redeemed"] == [] and back["points"]["spent"] == D(0)
    assert back["points"]["earned"] == D(-50)  # 50,000 x 0.001, as before v2
    assert back["discounts"] == []


def test_partial_refunds_give_back_the_share_on_the_refunded_quantities(engine):
    evaluator = returns_engine(engine)
    sale, result = two_line_sale(evaluator)
    first = evaluator.evaluate(refund((1, 1, 10000), original=original_of(sale, result)))
    # Line 1, 1 of 2 sold: 101 part 1,000 x 1/2 = 500 -> 25 x 500 / 2,500 = 5; 102 part 200 x 1/2
    # = 100 -> 30 x 100 / 500 = 6.
    assert first["points"]["returned"] == D(11)
    second = evaluator.evaluate(refund((2, 1, 30000), (1, 1, 10000), original=original_of(
        sale, result, refunded={1: 1}, returned=first["points"]["returned"])))
    # Everything refunded now: back 25 + 30, less the 11 given back already.
    assert second["points"]["returned"] == D(44)


def test_two_partial_refunds_sum_exactly_to_what_was_spent(engine):
    evaluator = returns_engine(engine)
    sale = order(line(1, 1, 3, 10000), card=CARD, redeem=[{"reward_id": 101, "points": 7}])
    result = evaluator.evaluate(sale)
    assert result["discounts"][0]["lines"] == {1: D(700)}
    first = evaluator.evaluate(refund((1, 1, 10000), original=original_of(sale, result)))
    # part floor(700 x 1/3) = 233; back 7 x 233 / 700 = 2.33 (toward zero).
    assert str(first["points"]["returned"]) == "2.33"
    second = evaluator.evaluate(refund((1, 2, 10000), original=original_of(
        sale, result, refunded={1: 1}, returned=D("2.33"))))
    # c = 3 of 3: back 7; 7 - 2.33 = 4.67; 2.33 + 4.67 = 7.
    assert str(second["points"]["returned"]) == "4.67"
    # The other way round: 2 units, then 1.
    first = evaluator.evaluate(refund((1, 2, 10000), original=original_of(sale, result)))
    assert str(first["points"]["returned"]) == "4.66"  # floor(1,400 / 3) = 466 -> 4.66
    second = evaluator.evaluate(refund((1, 1, 10000), original=original_of(
        sale, result, refunded={1: 2}, returned=D("4.66"))))
    assert str(second["points"]["returned"]) == "2.34"


def test_per_point_redemption_gives_back_what_it_cost(engine):
    evaluator = returns_engine(engine)
    sale = order(line(1, 1, 2, 1000), card=CARD, redeem=[{"reward_id": 103, "points": "7.5"}])
    result = evaluator.evaluate(sale)
    # 7.5 x 3 = 22.5, capped at 10; it costs 10 / 3 -> 3.34 (up), not 7.5.
    assert result["points"]["redeemed"] == [{"reward_id": 103, "points": D("3.34")}]
    first = evaluator.evaluate(refund((1, 1, 1000), original=original_of(sale, result)))
    # part 10 x 1/2 = 5; 3.34 x 5 / 10 = 1.67.
    assert first["points"]["returned"] == D("1.67")
    second = evaluator.evaluate(refund((1, 1, 1000), original=original_of(
        sale, result, refunded={1: 1}, returned=D("1.67"))))
    assert second["points"]["returned"] == D("1.67")


def test_a_redemption_of_amount_zero_gives_back_only_with_the_last_refund(engine):
    evaluator = engine.Engine(engine_config(promo(1, 1, reward(11, "percent", "100")),
                                            loyalty(10, 5, rewards=[reward(102, "fixed", "500",
                                                                           required_points="30")])))
    sale = order(line(1, 1, 2, 1000), card=CARD, redeem=[{"reward_id": 102, "points": 30}])
    result = evaluator.evaluate(sale)
    # The promotion took the whole base: the redemption is clamped to 0 and still costs 30.
    assert result["discounts"][1] == {"program_id": 10, "reward_id": 102, "amount": D(0),
                                      "lines": {1: D(0)}}
    assert result["points"]["redeemed"] == [{"reward_id": 102, "points": D(30)}]
    first = evaluator.evaluate(refund((1, 1, 1000), original=original_of(sale, result)))
    assert first["points"]["returned"] == D(0)
    second = evaluator.evaluate(refund((1, 1, 1000), original=original_of(
        sale, result, refunded={1: 1})))
    assert second["points"]["returned"] == D(30)


def test_returned_without_original_or_origin_and_with_rounding_steps(engine):
    evaluator = returns_engine(engine)
    sale, result = two_line_sale(evaluator)
    assert evaluator.evaluate(refund((1, 2, 10000)))["points"]["returned"] == D(0)
    # A refund line without origin counts for nothing.
    no_origin = refund((1, 2, 10000), original=original_of(sale, result))
    no_origin["lines"][0]["origin_line_id"] = None
    assert evaluator.evaluate(no_origin)["points"]["returned"] == D(0)
    # No card: points is null, the original is still validated.
    bare = refund((1, 2, 10000), original=original_of(sale, result), card=None)
    assert evaluator.evaluate(bare)["points"] is None
    bare["original"]["returned"] = 56
    with pytest.raises(engine.OrderError, match=r"^original\.returned: "):
        evaluator.evaluate(bare)
    # Shares are floored to the rounding (0.05) before the points; points_precision 0.
    evaluator = engine.Engine(engine_config(loyalty(10, 5, rewards=[reward(101, "per_point", "0.35",
                                                                           required_points="1")]),
                                            rounding="0.05", precision=0))
    original = {"lines": [{"id": "a", "qty": 3}], "returned": 0,
                "redemptions": [{"reward_id": 101, "points": 7, "amount": "2.45",
                                 "lines": {"a": "2.45"}}]}
    # 2.45 x 1/3 = 0.8166.. -> 0.80; 7 x 0.80 / 2.45 = 2.28.. -> 2.
    result = evaluator.evaluate(refund(("a", 1, 1), original=original))
    assert str(result["points"]["returned"]) == "2"


def original_doc(**extra) -> dict:
    return {"lines": [{"id": 1, "qty": 2}, {"id": "b", "qty": 1, "refunded_qty": "0.5"}],
            "redemptions": [{"reward_id": 101, "points": 10, "amount": 100,
                             "lines": {1: 40, "b": 60}}], **extra}


def with_original(change, lines=((1, 1, 10), ("b", "0.5", 10))) -> dict:
    doc = refund(*lines, original=original_doc())
    change(doc)
    return doc


@pytest.mark.parametrize(("doc", "path"), [
    # In a sale.
    (order(line(1, 1, 1, 10), original=original_doc()), "original"),
    (order(line(1, 1, 1, 10), line(2, 1, 1, 10, origin_line_id=1)), "lines[1].origin_line_id"),
    # Unknown keys, then each field in documented order.
    (with_original(lambda d: d["original"].update(colour=1)), "original.colour"),
    (with_original(lambda d: d["original"]["lines"][1].update(colour=1)),
     "original.lines[1].colour"),
    (with_original(lambda d: d["original"]["redemptions"][0].update(colour=1)),
     "original.redemptions[0].colour"),
    (with_original(lambda d: d["original"].update(lines=None)), "original.lines"),
    (with_original(lambda d: d["original"]["lines"][1].update(id=1)), "original.lines[1].id"),
    (with_original(lambda d: d["original"]["lines"][0].update(qty=0)), "original.lines[0].qty"),
    (with_original(lambda d: d["original"]["lines"][1].update(refunded_qty=-1)),
     "original.lines[1].refunded_qty"),
    (with_original(lambda d: d["original"]["lines"][1].update(refunded_qty="1.5")),
     "original.lines[1].refunded_qty"),
    (with_original(lambda d: d["original"]["redemptions"][0].update(points=0)),
     "original.redemptions[0].points"),
    (with_original(lambda d: d["original"]["redemptions"][0].update(amount=-1)),
     "original.redemptions[0].amount"),
    (with_original(lambda d: d["original"]["redemptions"][0]["lines"].update({"1": 5})),
     "original.redemptions[0].lines"),
    (with_original(lambda d: d["original"]["redemptions"][0].update(lines={True: 40, "b": 60})),
     "original.redemptions[0].lines"),
    (with_original(lambda d: d["original"]["redemptions"][0]["lines"].update(b=-1)),
     "original.redemptions[0].lines"),
    (with_original(lambda d: d["original"].update(returned="10.01")), "original.returned"),
    (with_original(lambda d: d["lines"][1].update(origin_line_id=2)), "lines[1].origin_line_id"),
    (with_original(lambda d: d["lines"][0].update(origin_line_id=[1])),
     "lines[0].origin_line_id"),
    # Running refunded quantity of "b" (1 sold): 0.5 before, + 0.25, + 0.5 = 1.25 > 1 on the
    # third line (the fourth, 2.5 of 2, comes later).
    (with_original(lambda d: None, lines=((1, 2, 10), ("b", "0.25", 10), ("b", "0.5", 10),
                                          (1, "0.5", 10))), "lines[2].qty"),
    # Earlier checks win: a sign error before the original, the original before the origins.
    (with_original(lambda d: (d["lines"][1].update(qty=1), d["original"].update(colour=1))),
     "lines[1].qty"),
    (with_original(lambda d: (d["lines"][0].update(origin_line_id=7),
                              d["original"].update(returned=11))), "original.returned"),
    # An origin's type is read with its line (field order), before the later lines' fields.
    (with_original(lambda d: (d["lines"][0].update(origin_line_id=True),
                              d["lines"][1].update(qty=0))), "lines[0].origin_line_id"),
    (order(line(1, 1, 1, 10, origin_line_id=5), line(2, 1, 1, 10, origin_line_id="")),
     "lines[1].origin_line_id"),
])
def test_refund_original_errors_in_the_documented_order(engine, doc, path):
    with pytest.raises(engine.OrderError) as raised:
        returns_engine(engine).evaluate(doc)
    assert str(raised.value).split(": ")[0] == path


def test_refund_original_at_the_limits_is_accepted(engine):
    # refunded_qty = qty, returned = Σ points, a refund line of an already refunded... exactly.
    doc = with_original(lambda d: d["original"].update(returned=10),
                        lines=((1, 2, 10), ("b", "0.5", 10)))
    result = returns_engine(engine).evaluate(doc)
    # Everything refunded: back 10 in all, 10 already given back.
    assert result["points"]["returned"] == D(0)
