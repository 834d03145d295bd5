"""Both engines (the `engine` fixture): points earned per rule and basis, the tier multiplier,
pending memberships, cards of other programs, evaluate_membership."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from aba_loyalty_testdata.documents import (
    GOLD,
    WHEN,
    engine_config,
    line,
    loyalty,
    order,
    promo,
    reward,
    snapshot,
    typical_config,
    typical_order,
)

UTC = timezone.utc


def test_pending_membership_without_a_valid_snapshot(engine):
    evaluator = engine.Engine(typical_config())
    for given in (None,
                  {"partner_id": 8, "tier": "gold", "evaluated_at": datetime(2024, 5, 1),
                   "valid_until": datetime(2024, 5, 31)},
                  {"partner_id": 7, "tier": "platinum", "evaluated_at": datetime(2024, 5, 1),
                   "valid_until": datetime(2024, 5, 31)},
                  {"partner_id": 7, "tier": None, "evaluated_at": datetime(2024, 5, 1),
                   "valid_until": datetime(2024, 5, 31)},
                  {"partner_id": 7, "tier": "gold", "evaluated_at": datetime(2024, 5, 11),
                   "valid_until": datetime(2024, 5, 31)}):
        result = evaluator.evaluate(typical_order(membership=given))
        assert result["status"] == "pending_membership"
        assert result["points"]["earned"] == 0 and result["points"]["tier"] is None
        assert result["points"]["multiplier"] == 1
    # Without tiers the snapshot is ignored.
    result = engine.Engine(typical_config(tiers=False)).evaluate(typical_order(membership=None))
    assert result["status"] == "ok" and result["points"]["earned"] == D(10)


def test_no_card_or_foreign_card_gives_null_points(engine):
    evaluator = engine.Engine(typical_config())
    assert evaluator.evaluate(typical_order(card=None))["points"] is None
    foreign = {"id": 1, "program_id": 999, "points": 0}
    result = evaluator.evaluate(typical_order(card=foreign))
    assert result["points"] is None and result["status"] == "ok"


def test_evaluate_membership(engine):
    evaluator = engine.Engine(typical_config())
    snap = evaluator.evaluate_membership(7, D(6000000), datetime(2024, 5, 1, 12, 0))
    # Highest rank wins; ties in rank go to the one listed first.
    assert snap == {"partner_id": 7, "tier": "gold",
                    "evaluated_at": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
                    "valid_until": datetime(2024, 5, 31, 12, 0, tzinfo=UTC)}
    assert snap["evaluated_at"].tzinfo is not None
    assert evaluator.evaluate_membership(7, 10, "2024-05-01T00:00:00+07:00")["evaluated_at"] \
        == datetime(2024, 4, 30, 17, 0, tzinfo=UTC)
    assert evaluator.evaluate_membership(7, -1, datetime(2024, 5, 1))["tier"] is None
    with pytest.raises(engine.OrderError, match=r"^partner_id: "):
        evaluator.evaluate_membership("7", 1, datetime(2024, 5, 1))
    with pytest.raises(engine.OrderError, match=r"^spend: "):
        evaluator.evaluate_membership(7, float("nan"), datetime(2024, 5, 1))
    with pytest.raises(engine.OrderError, match=r"^as_of: "):
        evaluator.evaluate_membership(7, 1, date(2024, 5, 1))


def earning_engine(engine, **extra):
    return engine.Engine(engine_config(loyalty(10, 5, rules=[
        {"id": 1, "mode": "unit", "amount": "0.5", "category_ids": [3]},
        {"id": 2, "mode": "order", "amount": "2", "min_qty": "3"},
        {"id": 3, "mode": "money", "amount": "0.001", "min_amount": "1000"},
    ], points_basis="paid"), promo(1, 1, reward(11, "percent", "10")), tiers=GOLD,
                                       precision=1, **extra))


def test_points_per_rule_with_conditions_on_paid_basis_and_multiplier(engine):
    result = earning_engine(engine).evaluate(order(
        line(1, 1, 2, 500, category_ids=[3]), line(2, 2, "0.5", 700),
        partner_id=9, card={"id": 3, "program_id": 10, "points": 0}, membership=snapshot()))
    # unit: 2 x 0.5 = 1; order: qty 2.5 < 3 -> no; money: base 1350 >= 1000, paid 1350 - 135
    # = 1215 x 0.001 = 1.215; raw 2.215 x 2 = 4.43 -> 4.4 (down, 1 place).
    assert result["points"] == {"program_id": 10, "card_id": 3, "earned": D("4.4"),
                                "spent": D(0), "tier": "gold", "multiplier": D(2),
                                "returned": D(0), "redeemed": []}
    assert list(result["points"])[-2:] == ["returned", "redeemed"]
    assert str(result["points"]["returned"]) == "0.0"  # points_precision 1
    assert result["status"] == "ok"


@pytest.mark.parametrize("membership", [
    None, snapshot(partner=8), snapshot(tier="platinum"), snapshot(tier=None),
    snapshot(end=WHEN - timedelta(microseconds=1)), snapshot(start=WHEN + timedelta(seconds=1)),
])
def test_without_a_valid_snapshot_the_order_is_pending(engine, membership):
    result = earning_engine(engine).evaluate(order(
        line(1, 1, 2, 500, category_ids=[3]), partner_id=9,
        card={"id": 3, "program_id": 10, "points": 0}, membership=membership))
    assert result["status"] == "pending_membership"
    assert result["points"]["earned"] == D(0) and result["points"]["tier"] is None
    assert result["points"]["multiplier"] == D(1)
    assert result["discounts"]  # computed as usual


def test_snapshot_edges_are_inclusive_and_tiers_absent_ignore_membership(engine):
    result = earning_engine(engine).evaluate(order(
        line(1, 1, 2, 500, category_ids=[3]), partner_id=9,
        card={"id": 3, "program_id": 10, "points": 0}, membership=snapshot(start=WHEN, end=WHEN)))
    assert result["status"] == "ok" and result["points"]["tier"] == "gold"
    evaluator = engine.Engine(
        engine_config(loyalty(10, 5, rules=[{"id": 1, "mode": "order", "amount": "1"}]))
    )
    result = evaluator.evaluate(order(line(1, 1, 1, 5), card={"id": 3, "program_id": 10,
                                                              "points": 0}))
    assert result["status"] == "ok" and result["points"]["multiplier"] == D(1)
    assert result["points"]["earned"] == D(1)


def test_refund_ignores_conditions_and_order_rules_and_rounds_toward_zero(engine):
    result = earning_engine(engine).evaluate(order(
        line(1, 1, -1, 500, category_ids=[3]), partner_id=9, refund_of="u0",
        card={"id": 3, "program_id": 10, "points": 0}, membership=snapshot()))
    # unit: -1 x 0.5 = -0.5; order rule: nothing; money (min_amount not checked):
    # -500 x 0.001 = -0.5; raw -1 x 2 = -2.0. No promotion in a refund.
    assert result["points"]["earned"] == D("-2.0")
    assert result["discounts"] == [] and result["skipped"] == []


def test_card_of_another_program_gets_no_points(engine):
    result = earning_engine(engine).evaluate(order(line(1, 1, 1, 5),
                                                   card={"id": 3, "program_id": 1, "points": 0}))
    assert result["points"] is None and result["status"] == "ok"


def test_evaluate_membership_highest_rank_first_listed_on_ties(engine):
    evaluator = engine.Engine(engine_config(tiers=[
        {"code": "a", "rank": 1, "multiplier": "1", "min_spend": "0"},
        {"code": "b", "rank": 5, "multiplier": "1", "min_spend": "100"},
        {"code": "c", "rank": 5, "multiplier": "1", "min_spend": "50"},
    ], membership={"validity_days": 10}))
    snap = evaluator.evaluate_membership(4, "150", "2025-01-01T10:00:00+02:00")
    assert snap == {"partner_id": 4, "tier": "b",
                    "evaluated_at": datetime(2025, 1, 1, 8, tzinfo=timezone.utc),
                    "valid_until": datetime(2025, 1, 11, 8, tzinfo=timezone.utc)}
    assert evaluator.evaluate_membership(4, 10, WHEN)["tier"] == "a"
    assert engine.Engine(engine_config()).evaluate_membership(4, 10, WHEN)["tier"] is None
