"""Both engines (the `engine` fixture): redemptions (what they spend, in which order, how they
are validated) and spend_earned (an order's earned points paying its own redemptions)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from aba_loyalty_testdata.documents import (
    GOLD,
    aba_points,
    engine_config,
    line,
    loyalty,
    order,
    percent,
    promo,
    reward,
    snapshot,
    typical_config,
    typical_line,
    typical_order,
)


def test_redemption_spends_points_and_discounts(engine):
    evaluator = engine.Engine(typical_config())
    result = evaluator.evaluate(typical_order(typical_line(1, 1, 80000), typical_line(2, 1, 20000),
                                              card={"id": 500, "program_id": 10, "points": 130},
                                              redeem=[{"reward_id": 102, "points": D(80)},
                                                      {"reward_id": 101, "points": 50}]))
    # Program order, not redeem order: the fixed reward (101) first, then per_point capped at
    # 5000, which costs 5000 / 100 = 50 points of the 80 requested.
    assert [(d["reward_id"], d["amount"]) for d in result["discounts"]] == [
        (101, D(10000)), (102, D(5000))]
    assert result["points"]["spent"] == D(100)
    # What each applied redemption spent, in application order, adding up to spent.
    assert result["points"]["redeemed"] == [{"reward_id": 101, "points": D(50)},
                                            {"reward_id": 102, "points": D(50)}]
    assert [str(r["points"]) for r in result["points"]["redeemed"]] == ["50.00", "50.00"]
    assert all(type(r["reward_id"]) is int for r in result["points"]["redeemed"])


def test_spend_earned_counts_this_orders_points_after_the_evaluation(engine):
    earning = aba_points(spend_earned=True)
    evaluator = engine.Engine(typical_config(earning, tiers=False))
    # 100,000 earns 10 points; the card holds 45: 50 for the fixed reward fits (45 + 10 >= 50).
    sale = typical_order(card={"id": 500, "program_id": 10, "points": 45},
                         redeem=[{"reward_id": 101, "points": 50}])
    result = evaluator.evaluate(sale)
    assert result["points"]["spent"] == D(50) and result["points"]["earned"] == D(10)
    with pytest.raises(engine.InsufficientPointsError,
                       match=engine.message(r"^redeem: 50 points requested but the card "
                                            r"holds 39 and this order earns 10\.00$")):
        evaluator.evaluate(dict(sale, card={"id": 500, "program_id": 10, "points": 39}))
    with pytest.raises(engine.InsufficientPointsError, match=r"^\[1\]\.redeem: "):
        evaluator.evaluate_many([sale, dict(sale, card={"id": 500, "program_id": 10, "points": 1})])
    # Without spend_earned the check is against the card alone.
    with pytest.raises(engine.InsufficientPointsError, match=engine.message(
            r"^redeem: 50 points requested but the card holds 45$")):
        engine.Engine(typical_config(aba_points(), tiers=False)).evaluate(sale)
    with pytest.raises(engine.ConfigError, match=r"^programs\[0\]\.spend_earned: must be a bool"):
        engine.Engine(typical_config(aba_points(spend_earned="yes")))


def test_redemption_checks_card_and_refunds(engine):
    evaluator = engine.Engine(typical_config(promo(1, 1, percent(11, 10)), aba_points()))
    redeem = [{"reward_id": 101, "points": 50}]
    with pytest.raises(engine.OrderError, match=r"^card: "):
        evaluator.evaluate(typical_order(card=None, redeem=redeem))
    with pytest.raises(engine.OrderError, match=r"^card\.program_id: "):
        evaluator.evaluate(
            typical_order(card={"id": 1, "program_id": 1, "points": 100}, redeem=redeem)
        )
    with pytest.raises(engine.OrderError, match=r"^redeem: must be empty in a refund"):
        evaluator.evaluate(typical_order(typical_line(qty=-1), refund_of="pos-0", redeem=redeem))
    with pytest.raises(engine.OrderError, match=engine.message(r"^order: must be a mapping")):
        evaluator.evaluate([])


def points_config(**extra):
    return engine_config(loyalty(10, 5, rules=[{"id": 1, "mode": "money", "amount": "0.01"}],
                                 rewards=[reward(101, "per_point", "3", required_points="1",
                                                 max_amount="10"),
                                          reward(102, "percent", "10", required_points="20")]),
                         promo(1, 9, reward(11, "fixed", "1")), **extra)


def test_per_point_spends_what_it_gave_rounded_up_in_listed_order(engine):
    evaluator = engine.Engine(points_config())
    result = evaluator.evaluate(order(line(1, 1, 1, 1000),
                                      card={"id": 4, "program_id": 10, "points": 100},
                                      redeem=[{"reward_id": 102, "points": 20},
                                              {"reward_id": 101, "points": "7.5"}]))
    # Listed order: 101 first (7.5 x 3 = 22.5, capped 10), then 102 (10 % of 1000 = 100).
    assert [d["reward_id"] for d in result["discounts"]] == [101, 102, 11]
    # 101 spends 10 / 3 = 3.333.. -> 3.34 (up); 102 spends its 20.
    assert result["points"]["spent"] == D("23.34")
    # Earning on base: 1000 x 0.01 = 10.
    assert result["points"]["earned"] == D("10.00")


@pytest.mark.parametrize(("redeem", "card", "error", "path"), [
    ([{"reward_id": 101, "points": 1}], None, "OrderError", "card"),
    ([{"reward_id": 101, "points": 1}], {"id": 1, "program_id": 1, "points": 9},
     "OrderError", "card.program_id"),
    ([{"reward_id": 11, "points": 1}], {"id": 1, "program_id": 10, "points": 9},
     "OrderError", "redeem[0].reward_id"),
    ([{"reward_id": 101, "points": 1}, {"reward_id": 101, "points": 2}],
     {"id": 1, "program_id": 10, "points": 9}, "OrderError", "redeem[1].reward_id"),
    ([{"reward_id": 101, "points": "1.001"}], {"id": 1, "program_id": 10, "points": 9},
     "OrderError", "redeem[0].points"),
    ([{"reward_id": 101, "points": "0.5"}], {"id": 1, "program_id": 10, "points": 9},
     "OrderError", "redeem[0].points"),
    ([{"reward_id": 102, "points": 21}], {"id": 1, "program_id": 10, "points": 99},
     "OrderError", "redeem[0].points"),
    ([{"reward_id": 102, "points": 20}, {"reward_id": 101, "points": "1.50"}],
     {"id": 1, "program_id": 10, "points": "21.49"}, "InsufficientPointsError", "redeem"),
])
def test_redemption_is_validated_before_anything(engine, redeem, card, error, path):
    evaluator = engine.Engine(points_config())
    with pytest.raises(getattr(engine, error)) as raised:
        evaluator.evaluate(order(line(1, 1, 1, 1000), card=card, redeem=redeem))
    assert str(raised.value).split(": ")[0] == path


def test_redemption_of_a_program_out_of_dates_is_skipped_and_free(engine):
    evaluator = engine.Engine(
        engine_config(
            loyalty(
                10, 5, rewards=[reward(101, "fixed", "5", required_points=1)], date_to="2025-01-31"
            )
        )
    )
    result = evaluator.evaluate(order(line(1, 1, 1, 100), card={"id": 1, "program_id": 10,
                                                                "points": 1},
                                      redeem=[{"reward_id": 101, "points": 1}]))
    assert result["skipped"] == [{"program_id": 10, "reason": "date"}]
    assert result["points"] is None and result["discounts"] == []


def spend_earned_engine(engine, basis="base", tiers=None):
    program = loyalty(10, 5, rules=[{"id": 1, "mode": "money", "amount": "0.001"}],
                      rewards=[reward(101, "per_point", "100", required_points="1"),
                               reward(102, "fixed", "500", required_points="30")],
                      spend_earned=True, points_basis=basis)
    return engine.Engine(engine_config(program, tiers=tiers))


def spend(evaluator, points, card_points=0, **extra):
    return evaluator.evaluate(order(line(1, 1, 1, 50000),
                                    card={"id": 1, "program_id": 10, "points": card_points},
                                    redeem=[{"reward_id": 101, "points": points}], **extra))


def test_spend_earned_counts_the_card_and_what_the_order_earns(engine):
    evaluator = spend_earned_engine(engine)
    # Earned on base: 50,000 x 0.001 = 50, whatever is redeemed; card 10: 60 available.
    result = spend(evaluator, 60, card_points=10)
    assert result["points"]["spent"] == D(60) and result["points"]["earned"] == D(50)
    assert result["discounts"][0]["amount"] == D(6000)
    with pytest.raises(engine.InsufficientPointsError, match=r"^redeem: "):
        spend(evaluator, "60.01", card_points=10)


def test_spend_earned_on_paid_basis_counts_earned_after_the_redemption(engine):
    evaluator = spend_earned_engine(engine, "paid")
    # 45 points: 4,500 off, paid 45,500 -> earned 45.50 >= 45.
    result = spend(evaluator, 45)
    assert result["points"]["earned"] == D("45.50") and result["points"]["spent"] == D(45)
    # 46 points: 4,600 off, paid 45,400 -> earned 45.40 < 46 (it would fit on base: 50).
    with pytest.raises(engine.InsufficientPointsError, match=r"^redeem: "):
        spend(evaluator, 46)
    assert spend(spend_earned_engine(engine, "base"), 46)["points"]["spent"] == D(46)


def test_spend_earned_while_pending_counts_only_the_card(engine):
    evaluator = spend_earned_engine(engine, tiers=GOLD)
    # No snapshot: pending, earned 0, so only the card's 5 points.
    result = spend(evaluator, 5, card_points=5, partner_id=9)
    assert result["status"] == "pending_membership" and result["points"]["spent"] == D(5)
    with pytest.raises(engine.InsufficientPointsError):
        spend(evaluator, 6, card_points=5, partner_id=9)
    assert spend(evaluator, 6, card_points=5, partner_id=9,
                 membership=snapshot())["points"]["earned"] == D(100)  # gold x2


def test_spend_earned_keeps_the_other_checks_first(engine):
    evaluator = spend_earned_engine(engine)
    with pytest.raises(engine.OrderError, match=r"^redeem\[0\]\.points: "):
        spend(evaluator, "0.5")  # below required_points: refused before anything is computed
    with pytest.raises(engine.OrderError, match=r"^redeem\[1\]\.points: "):
        evaluator.evaluate(
            order(
                line(1, 1, 1, 50000),
                card={"id": 1, "program_id": 10, "points": 0},
                redeem=[{"reward_id": 101, "points": 1}, {"reward_id": 102, "points": 31}],
            )
        )


def test_spend_earned_is_a_strict_bool_and_ignored_on_promotions(engine):
    with pytest.raises(engine.ConfigError, match=r"^programs\[0\]\.spend_earned: "):
        engine.Engine(engine_config(loyalty(10, 5, spend_earned="yes")))
    engine.Engine(engine_config(promo(1, 1, reward(11, "percent", "10"), spend_earned=True),
                                loyalty(10, 5, spend_earned=None)))


def test_refund_needs_negative_quantities_and_no_redemption(engine):
    evaluator = engine.Engine(points_config())
    with pytest.raises(engine.OrderError, match=r"^lines\[1\]\.qty: must be < 0 in a refund"):
        evaluator.evaluate(order(line(1, 1, -1, 10), line(2, 1, 1, 10), refund_of="s"))
    with pytest.raises(engine.OrderError, match=r"^redeem: "):
        evaluator.evaluate(order(line(1, 1, -1, 10), refund_of="s",
                                 redeem=[{"reward_id": 101, "points": 1}]))
