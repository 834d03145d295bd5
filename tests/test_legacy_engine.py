"""The legacy engine on the points of docs/spec.md that the worked examples do
not reach, each computed by hand (the parity tests then hold the native engine to the same)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from decimal import getcontext

import pytest
from aba_loyalty_lib.aba_legacy_engine import (
    ConfigError,
    Engine,
    InsufficientPointsError,
    LoyaltyError,
    OrderError,
)

WHEN = datetime(2025, 6, 10, 12, 0, tzinfo=timezone.utc)


def cfg(*programs, rounding="1", tiers=None, precision=2, **extra) -> dict:
    out = {"currency": {"code": "IDR", "rounding": rounding}, "points_precision": precision,
           "programs": list(programs), **extra}
    if tiers is not None:
        out["tiers"] = tiers
    return out


def promo(pid, seq, *rewards, rules=(), **extra) -> dict:
    return {"id": pid, "name": f"P{pid}", "kind": "promotion", "sequence": seq,
            "rules": list(rules), "rewards": list(rewards), **extra}


def loyalty(pid, seq, rules=(), rewards=(), **extra) -> dict:
    return {"id": pid, "name": f"L{pid}", "kind": "loyalty", "sequence": seq,
            "rules": list(rules), "rewards": list(rewards), **extra}


def reward(rid, mode, value, applicability="order", **extra) -> dict:
    return {"id": rid, "type": "discount", "mode": mode, "value": value,
            "applicability": applicability, **extra}


def line(lid, product, qty, price, **extra) -> dict:
    return {"id": lid, "product_id": product, "qty": qty, "price_unit": price, **extra}


def order(*lines, **extra) -> dict:
    return {"uid": "u1", "date_order": WHEN, "lines": list(lines), **extra}


GOLD = [{"code": "gold", "rank": 1, "multiplier": "2", "min_spend": "0"}]


def snapshot(partner=9, tier="gold", start=WHEN - timedelta(days=1),
             end=WHEN + timedelta(days=1)) -> dict:
    return {"partner_id": partner, "tier": tier, "evaluated_at": start, "valid_until": end}


# -- discounts -----------------------------------------------------------------------------------

def test_cheapest_takes_one_unit_of_the_lowest_price_first_on_ties():
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "50", "cheapest",
                                           category_ids=[7]))))
    result = engine.evaluate(order(line(1, 1, 3, 900, category_ids=[7]),
                                   line(2, 2, 2, 300, category_ids=[7]),
                                   line(3, 3, 1, 300, category_ids=[7]),
                                   line(4, 4, 1, 100)))
    assert result["discounts"] == [{"program_id": 1, "reward_id": 11, "amount": D(150),
                                    "lines": {2: D(150)}}]


def test_specific_covers_products_or_categories_and_caps_before_rounding():
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "10", "specific", product_ids=[1],
                                           category_ids=[5], max_amount="2500.4"))))
    result = engine.evaluate(order(line(1, 1, 1, 10000), line(2, 2, 1, 20000, category_ids=[5]),
                                   line(3, 3, 1, 50000)))
    (discount,) = result["discounts"]
    # 10 % of 30,000 = 3,000, capped at 2,500.4, rounded: 2,500; pro rata 833.33 -> 833
    # (remainder 1/3), 1666.67 -> 1666 (remainder 2/3): the step left goes to line 2, 1667.
    assert discount["amount"] == D(2500)
    assert discount["lines"] == {1: D(833), 2: D(1667)}


def test_largest_remainder_ties_go_to_the_line_listed_first():
    engine = Engine(cfg(promo(1, 1, reward(11, "fixed", "100"))))
    result = engine.evaluate(order(line(1, 1, 1, 100), line(2, 2, 1, 100), line(3, 3, 1, 100)))
    # 100 x 100 / 300: 33 each, remainder 100 each; the step left over goes to the first line.
    assert result["discounts"][0]["lines"] == {1: D(34), 2: D(33), 3: D(33)}


def test_largest_remainder_not_largest_base_and_never_negative():
    engine = Engine(cfg(promo(1, 1, reward(11, "fixed", "5"))))
    result = engine.evaluate(order(line(1, 1, 1, 10), line(2, 2, 1, 10), line(3, 3, 1, 10),
                                   line(4, 4, 1, 70)))
    # 5 x base / 100: 0.5, 0.5, 0.5, 3.5 -> 0, 0, 0, 3 with remainders 50, 50, 50, 50; the two
    # steps left go to lines 1 and 2. (v1: 1, 1, 1 and 5 - 3 = 2 to the largest line.)
    assert result["discounts"][0]["lines"] == {1: D(1), 2: D(1), 3: D(0), 4: D(3)}
    engine = Engine(cfg(promo(1, 1, reward(11, "fixed", "10"))))
    result = engine.evaluate(order(line(1, 1, 1, 14), line(2, 2, 1, 16), line(3, 3, 1, 70)))
    # 1.4, 1.6, 7 -> 1, 1, 7 with remainders 40, 60, 0: the step left goes to line 2.
    assert result["discounts"][0]["lines"] == {1: D(1), 2: D(2), 3: D(7)}


def test_largest_remainder_in_steps_of_the_rounding():
    engine = Engine(cfg(promo(1, 1, reward(11, "fixed", "0.10")), rounding="0.05"))
    result = engine.evaluate(order(line(1, 1, 1, 1), line(2, 2, 1, 1), line(3, 3, 1, 1)))
    # 2 steps of 0.05 over three equal lines: 0 steps each, equal remainders: lines 1 and 2.
    assert [str(share) for share in result["discounts"][0]["lines"].values()] == [
        "0.05", "0.05", "0.00"]


def test_zero_base_lines_take_a_fixed_discount_on_the_first_then_clamped():
    engine = Engine(cfg(promo(1, 1, reward(11, "fixed", "50"))))
    result = engine.evaluate(order(line("a", 1, 1, 0), line("b", 2, 1, 0)))
    assert result["discounts"] == [{"program_id": 1, "reward_id": 11, "amount": D(0),
                                    "lines": {"a": D(0), "b": D(0)}}]
    assert result["warnings"] == [{"code": "over_discount_clamped", "program_id": 1,
                                   "reward_id": 11, "amount": D(50)}]
    assert result["skipped"] == []


def test_rounding_to_a_step_of_five_cents_and_of_a_hundred():
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "10")), rounding="0.05"))
    result = engine.evaluate(order(line(1, 1, 1, "10.26")))  # base 10.25, 10 % = 1.025 -> 1.05
    assert result["lines"][0]["base"] == D("10.25")
    assert str(result["discounts"][0]["amount"]) == "1.05"
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "10")), rounding="100"))
    result = engine.evaluate(order(line(1, 1, 1, 12345)))  # base 12,300; 1,230 -> 1,200
    assert str(result["lines"][0]["base"]) == "12300"
    assert result["discounts"][0]["amount"] == D(1200)


def test_half_up_is_away_from_zero_for_negative_amounts():
    engine = Engine(cfg(loyalty(1, 1, rules=[{"id": 1, "mode": "money", "amount": "1"}])))
    result = engine.evaluate(order(line(1, 1, -1, "2.5"), refund_of="s",
                                   card={"id": 1, "program_id": 1, "points": 0}))
    assert result["lines"][0]["base"] == D(-3)
    assert result["points"]["earned"] == D("-3.00")


def test_manual_discount_then_clamp_across_rewards_one_warning_each():
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "60")),
                        promo(2, 2, reward(21, "fixed", "1000"), reward(22, "fixed", "10"))))
    result = engine.evaluate(order(line(1, 1, 1, 1000, discount=30), line(2, 2, 1, 1000)))
    # manual 300 on line 1; P1 600 + 600; P2/21 500 + 500 -> line 1 room 100, line 2 room 400.
    assert [d["amount"] for d in result["discounts"]] == [D(1200), D(500), D(0)]
    assert result["warnings"] == [
        {"code": "over_discount_clamped", "program_id": 2, "reward_id": 21, "amount": D(500)},
        {"code": "over_discount_clamped", "program_id": 2, "reward_id": 22, "amount": D(10)},
    ]
    assert result["totals"] == {"base": D(2000), "discount": D(2000), "total": D(0)}


# -- eligibility, exclusivity, skipped -----------------------------------------------------------

def test_skipped_reasons_in_visiting_order():
    engine = Engine(cfg(
        promo(5, 3, reward(51, "percent", "10")),
        promo(4, 1, reward(41, "percent", "10"), exclusive=True),
        promo(3, 1, reward(31, "percent", "10"), date_to=date(2025, 6, 9)),
        promo(2, 2, reward(21, "percent", "10"), active=False),
        promo(6, 2, reward(61, "percent", "10"),
              rules=[{"id": 1, "mode": "money", "amount": "1", "min_amount": "5000"}]),
        promo(7, 0, reward(71, "percent", "10", "specific", product_ids=[99])),
    ))
    result = engine.evaluate(order(line(1, 1, 1, 1000)))
    assert [d["program_id"] for d in result["discounts"]] == [4]
    assert result["skipped"] == [
        {"program_id": 7, "reason": "rules"},      # covers no line
        {"program_id": 3, "reason": "date"},
        {"program_id": 2, "reason": "date"},       # inactive
        {"program_id": 6, "reason": "exclusive"},  # exclusive before rules
        {"program_id": 5, "reason": "exclusive"},
    ]


def test_order_date_is_the_utc_date():
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "10"), date_from="2025-06-10")))
    local = datetime(2025, 6, 10, 6, 0, tzinfo=timezone(timedelta(hours=7)))  # 9 June UTC
    result = engine.evaluate(order(line(1, 1, 1, 100), date_order=local))
    assert result["skipped"] == [{"program_id": 1, "reason": "date"}]
    result = engine.evaluate(order(line(1, 1, 1, 100), date_order="2025-06-09T17:00:00-07:00"))
    assert result["discounts"] and not result["skipped"]


def test_exclusive_stops_redemption_not_earning():
    program = loyalty(10, 5, rules=[{"id": 1, "mode": "order", "amount": "3"}],
                      rewards=[reward(101, "fixed", "100", required_points="5")])
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "10"), exclusive=True), program))
    result = engine.evaluate(order(line(1, 1, 1, 1000), card={"id": 1, "program_id": 10,
                                                              "points": 10},
                                   redeem=[{"reward_id": 101, "points": 5}]))
    assert result["skipped"] == [{"program_id": 10, "reason": "exclusive"}]
    assert result["points"]["earned"] == D(3) and result["points"]["spent"] == D(0)


# -- redemption ----------------------------------------------------------------------------------

def points_config(**extra):
    return cfg(loyalty(10, 5, rules=[{"id": 1, "mode": "money", "amount": "0.01"}],
                       rewards=[reward(101, "per_point", "3", required_points="1",
                                       max_amount="10"),
                                reward(102, "percent", "10", required_points="20")]),
               promo(1, 9, reward(11, "fixed", "1")), **extra)


def test_per_point_spends_what_it_gave_rounded_up_in_listed_order():
    engine = Engine(points_config())
    result = engine.evaluate(order(line(1, 1, 1, 1000),
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
    ([{"reward_id": 101, "points": 1}], None, OrderError, "card"),
    ([{"reward_id": 101, "points": 1}], {"id": 1, "program_id": 1, "points": 9},
     OrderError, "card.program_id"),
    ([{"reward_id": 11, "points": 1}], {"id": 1, "program_id": 10, "points": 9},
     OrderError, "redeem[0].reward_id"),
    ([{"reward_id": 101, "points": 1}, {"reward_id": 101, "points": 2}],
     {"id": 1, "program_id": 10, "points": 9}, OrderError, "redeem[1].reward_id"),
    ([{"reward_id": 101, "points": "1.001"}], {"id": 1, "program_id": 10, "points": 9},
     OrderError, "redeem[0].points"),
    ([{"reward_id": 101, "points": "0.5"}], {"id": 1, "program_id": 10, "points": 9},
     OrderError, "redeem[0].points"),
    ([{"reward_id": 102, "points": 21}], {"id": 1, "program_id": 10, "points": 99},
     OrderError, "redeem[0].points"),
    ([{"reward_id": 102, "points": 20}, {"reward_id": 101, "points": "1.50"}],
     {"id": 1, "program_id": 10, "points": "21.49"}, InsufficientPointsError, "redeem"),
])
def test_redemption_is_validated_before_anything(redeem, card, error, path):
    engine = Engine(points_config())
    with pytest.raises(error) as raised:
        engine.evaluate(order(line(1, 1, 1, 1000), card=card, redeem=redeem))
    assert str(raised.value).split(": ")[0] == path


def test_redemption_of_a_program_out_of_dates_is_skipped_and_free():
    engine = Engine(cfg(loyalty(10, 5, rewards=[reward(101, "fixed", "5", required_points=1)],
                                date_to="2025-01-31")))
    result = engine.evaluate(order(line(1, 1, 1, 100), card={"id": 1, "program_id": 10,
                                                             "points": 1},
                                   redeem=[{"reward_id": 101, "points": 1}]))
    assert result["skipped"] == [{"program_id": 10, "reason": "date"}]
    assert result["points"] is None and result["discounts"] == []


def spend_earned_engine(basis="base", tiers=None):
    return Engine(cfg(loyalty(10, 5, rules=[{"id": 1, "mode": "money", "amount": "0.001"}],
                              rewards=[reward(101, "per_point", "100", required_points="1"),
                                       reward(102, "fixed", "500", required_points="30")],
                              spend_earned=True, points_basis=basis), tiers=tiers))


def spend(engine, points, card_points=0, **extra):
    return engine.evaluate(order(line(1, 1, 1, 50000),
                                 card={"id": 1, "program_id": 10, "points": card_points},
                                 redeem=[{"reward_id": 101, "points": points}], **extra))


def test_spend_earned_counts_the_card_and_what_the_order_earns():
    engine = spend_earned_engine()
    # Earned on base: 50,000 x 0.001 = 50, whatever is redeemed; card 10: 60 available.
    result = spend(engine, 60, card_points=10)
    assert result["points"]["spent"] == D(60) and result["points"]["earned"] == D(50)
    assert result["discounts"][0]["amount"] == D(6000)
    with pytest.raises(InsufficientPointsError, match=r"^redeem: "):
        spend(engine, "60.01", card_points=10)


def test_spend_earned_on_paid_basis_counts_earned_after_the_redemption():
    engine = spend_earned_engine("paid")
    # 45 points: 4,500 off, paid 45,500 -> earned 45.50 >= 45.
    result = spend(engine, 45)
    assert result["points"]["earned"] == D("45.50") and result["points"]["spent"] == D(45)
    # 46 points: 4,600 off, paid 45,400 -> earned 45.40 < 46 (it would fit on base: 50).
    with pytest.raises(InsufficientPointsError, match=r"^redeem: "):
        spend(engine, 46)
    assert spend(spend_earned_engine("base"), 46)["points"]["spent"] == D(46)


def test_spend_earned_while_pending_counts_only_the_card():
    engine = spend_earned_engine(tiers=GOLD)
    # No snapshot: pending, earned 0, so only the card's 5 points.
    result = spend(engine, 5, card_points=5, partner_id=9)
    assert result["status"] == "pending_membership" and result["points"]["spent"] == D(5)
    with pytest.raises(InsufficientPointsError):
        spend(engine, 6, card_points=5, partner_id=9)
    assert spend(engine, 6, card_points=5, partner_id=9,
                 membership=snapshot())["points"]["earned"] == D(100)  # gold x2


def test_spend_earned_keeps_the_other_checks_first():
    engine = spend_earned_engine()
    with pytest.raises(OrderError, match=r"^redeem\[0\]\.points: "):
        spend(engine, "0.5")  # below required_points: refused before anything is computed
    with pytest.raises(OrderError, match=r"^redeem\[1\]\.points: "):
        engine.evaluate(order(line(1, 1, 1, 50000), card={"id": 1, "program_id": 10, "points": 0},
                              redeem=[{"reward_id": 101, "points": 1},
                                      {"reward_id": 102, "points": 31}]))


def test_spend_earned_is_a_strict_bool_and_ignored_on_promotions():
    with pytest.raises(ConfigError, match=r"^programs\[0\]\.spend_earned: "):
        Engine(cfg(loyalty(10, 5, spend_earned="yes")))
    Engine(cfg(promo(1, 1, reward(11, "percent", "10"), spend_earned=True),
               loyalty(10, 5, spend_earned=None)))


# -- points and membership -----------------------------------------------------------------------

def earning_engine(**extra):
    return Engine(cfg(loyalty(10, 5, rules=[
        {"id": 1, "mode": "unit", "amount": "0.5", "category_ids": [3]},
        {"id": 2, "mode": "order", "amount": "2", "min_qty": "3"},
        {"id": 3, "mode": "money", "amount": "0.001", "min_amount": "1000"},
    ], points_basis="paid"), promo(1, 1, reward(11, "percent", "10")), tiers=GOLD,
        precision=1, **extra))


def test_points_per_rule_with_conditions_on_paid_basis_and_multiplier():
    result = earning_engine().evaluate(order(
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
def test_without_a_valid_snapshot_the_order_is_pending(membership):
    result = earning_engine().evaluate(order(
        line(1, 1, 2, 500, category_ids=[3]), partner_id=9,
        card={"id": 3, "program_id": 10, "points": 0}, membership=membership))
    assert result["status"] == "pending_membership"
    assert result["points"]["earned"] == D(0) and result["points"]["tier"] is None
    assert result["points"]["multiplier"] == D(1)
    assert result["discounts"]  # computed as usual


def test_snapshot_edges_are_inclusive_and_tiers_absent_ignore_membership():
    result = earning_engine().evaluate(order(
        line(1, 1, 2, 500, category_ids=[3]), partner_id=9,
        card={"id": 3, "program_id": 10, "points": 0}, membership=snapshot(start=WHEN, end=WHEN)))
    assert result["status"] == "ok" and result["points"]["tier"] == "gold"
    engine = Engine(cfg(loyalty(10, 5, rules=[{"id": 1, "mode": "order", "amount": "1"}])))
    result = engine.evaluate(order(line(1, 1, 1, 5), card={"id": 3, "program_id": 10,
                                                           "points": 0}))
    assert result["status"] == "ok" and result["points"]["multiplier"] == D(1)
    assert result["points"]["earned"] == D(1)


def test_refund_ignores_conditions_and_order_rules_and_rounds_toward_zero():
    result = earning_engine().evaluate(order(
        line(1, 1, -1, 500, category_ids=[3]), partner_id=9, refund_of="u0",
        card={"id": 3, "program_id": 10, "points": 0}, membership=snapshot()))
    # unit: -1 x 0.5 = -0.5; order rule: nothing; money (min_amount not checked):
    # -500 x 0.001 = -0.5; raw -1 x 2 = -2.0. No promotion in a refund.
    assert result["points"]["earned"] == D("-2.0")
    assert result["discounts"] == [] and result["skipped"] == []


def test_card_of_another_program_gets_no_points():
    result = earning_engine().evaluate(order(line(1, 1, 1, 5),
                                             card={"id": 3, "program_id": 1, "points": 0}))
    assert result["points"] is None and result["status"] == "ok"


def test_evaluate_membership_highest_rank_first_listed_on_ties():
    engine = Engine(cfg(tiers=[
        {"code": "a", "rank": 1, "multiplier": "1", "min_spend": "0"},
        {"code": "b", "rank": 5, "multiplier": "1", "min_spend": "100"},
        {"code": "c", "rank": 5, "multiplier": "1", "min_spend": "50"},
    ], membership={"validity_days": 10}))
    snap = engine.evaluate_membership(4, "150", "2025-01-01T10:00:00+02:00")
    assert snap == {"partner_id": 4, "tier": "b",
                    "evaluated_at": datetime(2025, 1, 1, 8, tzinfo=timezone.utc),
                    "valid_until": datetime(2025, 1, 11, 8, tzinfo=timezone.utc)}
    assert engine.evaluate_membership(4, 10, WHEN)["tier"] == "a"
    assert Engine(cfg()).evaluate_membership(4, 10, WHEN)["tier"] is None


# -- refunds give back spent points (docs/spec.md §4.12 v2) ------------------------------------------------

def returns_engine(**extra):
    return Engine(cfg(loyalty(10, 5, rules=[{"id": 1, "mode": "money", "amount": "0.001"}],
                              rewards=[reward(101, "per_point", "100", required_points="1"),
                                       reward(102, "fixed", "500", required_points="30"),
                                       reward(103, "per_point", "3", required_points="1",
                                              max_amount="10")]), **extra))


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


def two_line_sale(engine):
    sale = order(line(1, 1, 2, 10000), line(2, 2, 1, 30000), card=CARD,
                 redeem=[{"reward_id": 102, "points": 30}, {"reward_id": 101, "points": 25}])
    result = engine.evaluate(sale)
    # 101 (listed first in the program): 25 x 100 = 2,500 over 20,000 / 30,000 -> 1,000, 1,500;
    # 102: 500 -> 200, 300. Spent 25 + 30.
    assert result["points"]["redeemed"] == [{"reward_id": 101, "points": D(25)},
                                            {"reward_id": 102, "points": D(30)}]
    assert str(result["points"]["redeemed"][0]["points"]) == "25.00"
    assert result["points"]["spent"] == D(55) and result["points"]["returned"] == D(0)
    assert [(d["amount"], d["lines"]) for d in result["discounts"]] == [
        (D(2500), {1: D(1000), 2: D(1500)}), (D(500), {1: D(200), 2: D(300)})]
    return sale, result


def test_full_refund_returns_exactly_what_was_spent():
    engine = returns_engine()
    sale, result = two_line_sale(engine)
    back = engine.evaluate(refund((1, 2, 10000), (2, 1, 30000), original=original_of(sale, result)))
    assert str(back["points"]["returned"]) == "55.00"
    assert back["points"]["redeemed"] == [] and back["points"]["spent"] == D(0)
    assert back["points"]["earned"] == D(-50)  # 50,000 x 0.001, as before v2
    assert back["discounts"] == []


def test_partial_refunds_give_back_the_share_on_the_refunded_quantities():
    engine = returns_engine()
    sale, result = two_line_sale(engine)
    first = engine.evaluate(refund((1, 1, 10000), original=original_of(sale, result)))
    # Line 1, 1 of 2 sold: 101 part 1,000 x 1/2 = 500 -> 25 x 500 / 2,500 = 5; 102 part 200 x 1/2
    # = 100 -> 30 x 100 / 500 = 6.
    assert first["points"]["returned"] == D(11)
    second = engine.evaluate(refund((2, 1, 30000), (1, 1, 10000), original=original_of(
        sale, result, refunded={1: 1}, returned=first["points"]["returned"])))
    # Everything refunded now: back 25 + 30, less the 11 given back already.
    assert second["points"]["returned"] == D(44)


def test_two_partial_refunds_sum_exactly_to_what_was_spent():
    engine = returns_engine()
    sale = order(line(1, 1, 3, 10000), card=CARD, redeem=[{"reward_id": 101, "points": 7}])
    result = engine.evaluate(sale)
    assert result["discounts"][0]["lines"] == {1: D(700)}
    first = engine.evaluate(refund((1, 1, 10000), original=original_of(sale, result)))
    # part floor(700 x 1/3) = 233; back 7 x 233 / 700 = 2.33 (toward zero).
    assert str(first["points"]["returned"]) == "2.33"
    second = engine.evaluate(refund((1, 2, 10000), original=original_of(
        sale, result, refunded={1: 1}, returned=D("2.33"))))
    # c = 3 of 3: back 7; 7 - 2.33 = 4.67; 2.33 + 4.67 = 7.
    assert str(second["points"]["returned"]) == "4.67"
    # The other way round: 2 units, then 1.
    first = engine.evaluate(refund((1, 2, 10000), original=original_of(sale, result)))
    assert str(first["points"]["returned"]) == "4.66"  # floor(1,400 / 3) = 466 -> 4.66
    second = engine.evaluate(refund((1, 1, 10000), original=original_of(
        sale, result, refunded={1: 2}, returned=D("4.66"))))
    assert str(second["points"]["returned"]) == "2.34"


def test_per_point_redemption_gives_back_what_it_cost():
    engine = returns_engine()
    sale = order(line(1, 1, 2, 1000), card=CARD, redeem=[{"reward_id": 103, "points": "7.5"}])
    result = engine.evaluate(sale)
    # 7.5 x 3 = 22.5, capped at 10; it costs 10 / 3 -> 3.34 (up), not 7.5.
    assert result["points"]["redeemed"] == [{"reward_id": 103, "points": D("3.34")}]
    first = engine.evaluate(refund((1, 1, 1000), original=original_of(sale, result)))
    # part 10 x 1/2 = 5; 3.34 x 5 / 10 = 1.67.
    assert first["points"]["returned"] == D("1.67")
    second = engine.evaluate(refund((1, 1, 1000), original=original_of(
        sale, result, refunded={1: 1}, returned=D("1.67"))))
    assert second["points"]["returned"] == D("1.67")


def test_a_redemption_of_amount_zero_gives_back_only_with_the_last_refund():
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "100")),
                        loyalty(10, 5, rewards=[reward(102, "fixed", "500",
                                                       required_points="30")])))
    sale = order(line(1, 1, 2, 1000), card=CARD, redeem=[{"reward_id": 102, "points": 30}])
    result = engine.evaluate(sale)
    # The promotion took the whole base: the redemption is clamped to 0 and still costs 30.
    assert result["discounts"][1] == {"program_id": 10, "reward_id": 102, "amount": D(0),
                                      "lines": {1: D(0)}}
    assert result["points"]["redeemed"] == [{"reward_id": 102, "points": D(30)}]
    first = engine.evaluate(refund((1, 1, 1000), original=original_of(sale, result)))
    assert first["points"]["returned"] == D(0)
    second = engine.evaluate(refund((1, 1, 1000), original=original_of(
        sale, result, refunded={1: 1})))
    assert second["points"]["returned"] == D(30)


def test_returned_without_original_or_origin_and_with_rounding_steps():
    engine = returns_engine()
    sale, result = two_line_sale(engine)
    assert engine.evaluate(refund((1, 2, 10000)))["points"]["returned"] == D(0)
    # A refund line without origin counts for nothing.
    no_origin = refund((1, 2, 10000), original=original_of(sale, result))
    no_origin["lines"][0]["origin_line_id"] = None
    assert engine.evaluate(no_origin)["points"]["returned"] == D(0)
    # No card: points is null, the original is still validated.
    bare = refund((1, 2, 10000), original=original_of(sale, result), card=None)
    assert engine.evaluate(bare)["points"] is None
    bare["original"]["returned"] = 56
    with pytest.raises(OrderError, match=r"^original\.returned: "):
        engine.evaluate(bare)
    # Shares are floored to the rounding (0.05) before the points; points_precision 0.
    engine = Engine(cfg(loyalty(10, 5, rewards=[reward(101, "per_point", "0.35",
                                                       required_points="1")]),
                        rounding="0.05", precision=0))
    original = {"lines": [{"id": "a", "qty": 3}], "returned": 0,
                "redemptions": [{"reward_id": 101, "points": 7, "amount": "2.45",
                                 "lines": {"a": "2.45"}}]}
    # 2.45 x 1/3 = 0.8166.. -> 0.80; 7 x 0.80 / 2.45 = 2.28.. -> 2.
    result = engine.evaluate(refund(("a", 1, 1), original=original))
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
def test_refund_original_errors_in_the_documented_order(doc, path):
    with pytest.raises(OrderError) as raised:
        returns_engine().evaluate(doc)
    assert str(raised.value).split(": ")[0] == path


def test_refund_original_at_the_limits_is_accepted():
    # refunded_qty = qty, returned = Σ points, a refund line of an already refunded... exactly.
    doc = with_original(lambda d: d["original"].update(returned=10),
                        lines=((1, 2, 10), ("b", "0.5", 10)))
    result = returns_engine().evaluate(doc)
    # Everything refunded: back 10 in all, 10 already given back.
    assert result["points"]["returned"] == D(0)


# -- input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("mutate", "path"), [
    (lambda c: c["programs"][0]["rewards"][0].update(value="100.01"), "programs[0].rewards[0].value"),
    (lambda c: c["programs"][0].update(ruels=[]), "programs[0].ruels"),
    (lambda c: c["programs"].append(dict(c["programs"][0])), "programs[1].id"),
    (lambda c: c["programs"][0]["rewards"][0].update(mode="per_point"),
     "programs[0].rewards[0].mode"),
    (lambda c: c["programs"][0].update(date_from="2025-02-01", date_to="2025-01-01"),
     "programs[0].date_to"),
    (lambda c: c.update(points_precision=7), "points_precision"),
    (lambda c: c["currency"].update(rounding=True), "currency.rounding"),
    (lambda c: c.update(tiers=[{"code": "", "rank": 0, "multiplier": 1, "min_spend": 0}]),
     "tiers[0].code"),
    (lambda c: c.update(membership={"validity_days": 0}), "membership.validity_days"),
])
def test_config_errors_name_the_field(mutate, path):
    config = cfg(promo(1, 1, reward(11, "percent", "10")))
    mutate(config)
    with pytest.raises(ConfigError) as raised:
        Engine(config)
    assert str(raised.value).startswith(f"{path}: ")
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, LoyaltyError)


@pytest.mark.parametrize(("bad", "path"), [
    ({"qty": 0}, "lines[0].qty"),
    ({"qty": float("nan")}, "lines[0].qty"),
    ({"price_unit": "-1"}, "lines[0].price_unit"),
    ({"price_unit": "1e12"}, "lines[0].price_unit"),
    ({"price_unit": "0.00000000000000000000000000001"}, "lines[0].price_unit"),
    ({"discount": 100.5}, "lines[0].discount"),
    ({"product_id": True}, "lines[0].product_id"),
    ({"category_ids": [1, "2"]}, "lines[0].category_ids[1]"),
    ({"id": ""}, "lines[0].id"),
    ({"colour": "red"}, "lines[0].colour"),
])
def test_order_errors_name_the_field(bad, path):
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "10"))))
    with pytest.raises(OrderError) as raised:
        engine.evaluate(order({**line(1, 1, 1, 10), **bad}))
    assert str(raised.value).startswith(f"{path}: ")
    with pytest.raises(OrderError) as raised:
        engine.evaluate_many([order(line(1, 1, 1, 10)), order({**line(1, 1, 1, 10), **bad})])
    assert str(raised.value).startswith(f"[1].{path}: ")


def test_refund_needs_negative_quantities_and_no_redemption():
    engine = Engine(points_config())
    with pytest.raises(OrderError, match=r"^lines\[1\]\.qty: must be < 0 in a refund"):
        engine.evaluate(order(line(1, 1, -1, 10), line(2, 1, 1, 10), refund_of="s"))
    with pytest.raises(OrderError, match=r"^redeem: "):
        engine.evaluate(order(line(1, 1, -1, 10), refund_of="s",
                              redeem=[{"reward_id": 101, "points": 1}]))


def test_inputs_in_every_form_give_one_result_and_the_context_is_untouched():
    engine = Engine(cfg(promo(1, 1, reward(11, "percent", "12.5")), rounding="0.01"))
    forms = [(D("1.1"), D("19.99")), ("1.1", "19.99"), (1.1, 19.99), (" 1.10 ", "1_9.99")]
    results = [engine.evaluate(order(line(1, 1, qty, price))) for qty, price in forms]
    assert all(r == results[0] for r in results)
    assert results[0]["lines"][0]["base"] == D("21.99")  # 21.989 half-up
    context = getcontext()
    assert (context.prec, context.rounding) == (28, "ROUND_HALF_EVEN")
