"""Both engines (the `engine` fixture): evaluate_many gives what evaluate gives, in list order,
and prefixes an error with the failing order's index."""

from __future__ import annotations

import pytest
from aba_loyalty_testdata.documents import (
    aba_points,
    percent,
    promo,
    typical_config,
    typical_line,
    typical_order,
    with_change,
)


def test_evaluate_many_matches_evaluate(engine):
    evaluator = engine.Engine(typical_config(promo(1, 1, percent(11, 10))))
    orders = [
        typical_order(typical_line(1, n % 3 + 1, 1000 * n + 0.5), uid=f"pos-{n}")
        for n in range(1, 600)
    ]
    assert evaluator.evaluate_many(orders) == [evaluator.evaluate(o) for o in orders]
    assert evaluator.evaluate_many([]) == []
    assert evaluator.evaluate_many(tuple(orders[:2])) == evaluator.evaluate_many(orders[:2])


def test_evaluate_many_prefixes_the_failing_index(engine):
    evaluator = engine.Engine(typical_config())
    orders = [typical_order(uid=f"pos-{n}") for n in range(5)]
    orders[3] = with_change(orders[3], ("lines", 0, "qty"), -2)
    with pytest.raises(engine.OrderError, match=r"^\[3\]\.lines\[0\]\.qty: must be > 0 in a sale"):
        evaluator.evaluate_many(orders)
    # An evaluation error (redemption) before a decoding error is reported first.
    orders[1] = typical_order(redeem=[{"reward_id": 101, "points": 50}],
                              card={"id": 1, "program_id": 10, "points": 10})
    with pytest.raises(engine.InsufficientPointsError, match=r"^\[1\]\.redeem: "):
        evaluator.evaluate_many(orders)
    orders[0] = "not an order"
    with pytest.raises(engine.OrderError, match=engine.message(r"^\[0\]: must be a mapping")):
        evaluator.evaluate_many(orders)
    with pytest.raises(engine.OrderError, match=r"^orders: must be a list"):
        evaluator.evaluate_many({"uid": "x"})


def test_evaluate_many_errors_in_large_batches_keep_list_order(engine):
    evaluator = engine.Engine(typical_config(promo(1, 1, percent(11, 10)), aba_points()))
    orders = [typical_order(typical_line(1, 1 + n % 3, 1000 + n), uid=f"u{n}") for n in range(700)]
    assert evaluator.evaluate_many(orders) == [evaluator.evaluate(o) for o in orders]
    orders[650] = with_change(orders[650], ("lines", 0, "qty"), 0)
    with pytest.raises(engine.OrderError, match=r"^\[650\]\.lines\[0\]\.qty: "):
        evaluator.evaluate_many(orders)
    orders[130] = typical_order(redeem=[{"reward_id": 101, "points": 50}],
                                card={"id": 1, "program_id": 10, "points": 1})
    with pytest.raises(engine.InsufficientPointsError, match=r"^\[130\]\.redeem: "):
        evaluator.evaluate_many(orders)
