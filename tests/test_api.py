"""The Python boundary of the native engine: types in and out, input forms, errors and their
paths, evaluate_many's contract (GIL released, error prefix), evaluate_membership."""

from __future__ import annotations

import copy
import pickle
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import aba_loyalty_core
import pytest
from aba_loyalty_core import (
    ConfigError,
    Engine,
    InsufficientPointsError,
    LoyaltyError,
    OrderError,
)
from aba_loyalty_core.errors import render_path

UTC = timezone.utc
WIB = timezone(timedelta(hours=7))


def loyalty(**extra) -> dict:
    program = {
        "id": 10, "name": "ABA Points", "kind": "loyalty", "sequence": 10,
        "rules": [{"id": 100, "mode": "money", "amount": "0.0001"}],
        "rewards": [
            {"id": 101, "type": "discount", "mode": "fixed", "value": "10000",
             "applicability": "order", "required_points": "50"},
            {"id": 102, "type": "discount", "mode": "per_point", "value": "100",
             "applicability": "order", "required_points": "1", "max_amount": "5000"},
            {"id": 103, "type": "discount", "mode": "percent", "value": "50",
             "applicability": "cheapest", "required_points": "20"},
        ],
    }
    program.update(extra)
    return program


def promo(pid: int, sequence: int, *rewards: dict, rules=(), **extra) -> dict:
    program = {"id": pid, "name": f"P{pid}", "kind": "promotion", "sequence": sequence,
               "rules": list(rules), "rewards": list(rewards)}
    program.update(extra)
    return program


def percent(rid: int, value, applicability="order", **extra) -> dict:
    reward = {"id": rid, "type": "discount", "mode": "percent", "value": value,
              "applicability": applicability}
    reward.update(extra)
    return reward


def config(*programs, tiers=True, **extra) -> dict:
    cfg = {
        "currency": {"code": "IDR", "rounding": "1"},
        "points_precision": 2,
        "tiers": [
            {"code": "basic", "rank": 0, "multiplier": "1", "min_spend": "0"},
            {"code": "gold", "rank": 2, "multiplier": "1.5", "min_spend": "5000000"},
            {"code": "gold-bis", "rank": 2, "multiplier": "2", "min_spend": "5000000"},
        ] if tiers else [],
        "membership": {"validity_days": 30},
        "programs": list(programs) or [loyalty()],
    }
    cfg.update(extra)
    return cfg


def line(lid=1, qty=1, price=D(100000), **extra) -> dict:
    item = {"id": lid, "product_id": 1, "category_ids": [1], "qty": qty, "price_unit": price}
    item.update(extra)
    return item


def order(*lines, **extra) -> dict:
    body = {
        "uid": "pos-1",
        "date_order": datetime(2024, 5, 10, 10, 0),
        "partner_id": 7,
        "card": {"id": 500, "program_id": 10, "points": D(100)},
        "membership": {"partner_id": 7, "tier": "gold",
                       "evaluated_at": datetime(2024, 5, 1), "valid_until": datetime(2024, 5, 31)},
        "lines": list(lines) or [line()],
    }
    body.update(extra)
    return body


# -- types in and out --------------------------------------------------------------------------

def test_module_surface():
    assert aba_loyalty_core.__version__ == "0.1.0"
    assert issubclass(ConfigError, LoyaltyError) and issubclass(ConfigError, ValueError)
    assert issubclass(OrderError, LoyaltyError) and issubclass(OrderError, ValueError)
    assert issubclass(InsufficientPointsError, LoyaltyError)
    assert "Engine" in repr(Engine(config()))


def test_result_shape_and_types():
    result = Engine(config()).evaluate(order(line(1), line("L-2", 2, 15000.5)))
    assert set(result) == {"uid", "status", "engine", "lines", "discounts", "points",
                           "warnings", "skipped", "totals"}
    assert result["engine"] == "native" and result["uid"] == "pos-1"
    assert [item["id"] for item in result["lines"]] == [1, "L-2"]
    for item in result["lines"]:
        assert all(type(item[k]) is D for k in ("base", "discount", "total"))
    assert result["lines"][1]["base"] == D(30001)
    points = result["points"]
    assert type(points["program_id"]) is int and type(points["card_id"]) is int
    assert type(points["earned"]) is D and type(points["multiplier"]) is D
    assert set(points) == {"program_id", "card_id", "earned", "spent", "tier", "multiplier",
                           "returned", "redeemed"}
    assert type(points["returned"]) is D and str(points["returned"]) == "0.00"
    assert points["redeemed"] == []
    assert all(type(v) is D for v in result["totals"].values())


@pytest.mark.parametrize("value", [D("12500.5"), 12500.5, "12500.5", "1.25005E+4"])
def test_decimal_inputs_in_every_form_agree(value):
    engine = Engine(config(tiers=False))
    reference = engine.evaluate(order(line(price=D("12500.5"), qty=2)))
    assert engine.evaluate(order(line(price=value, qty=2))) == reference
    assert reference["lines"][0]["base"] == D(25001)


def test_int_and_float_quantities():
    engine = Engine(config(tiers=False))
    assert engine.evaluate(order(line(qty=3))) == engine.evaluate(order(line(qty=3.0)))
    assert engine.evaluate(order(line(qty=D("0.1") * 3)))["lines"][0]["base"] == D(30000)
    # A float is read through its repr: 0.1 + 0.2 is 0.30000000000000004, not 0.3.
    cfg = config(tiers=False, currency={"code": "USD", "rounding": D("1E-20")})
    base = Engine(cfg).evaluate(order(line(qty=1, price=0.1 + 0.2)))["lines"][0]["base"]
    assert base == D("0.30000000000000004")


def test_cent_currency_keeps_two_places():
    cfg = config(promo(1, 1, percent(11, D("33.3333"))), tiers=False,
                 currency={"code": "EUR", "rounding": "0.01"})
    result = Engine(cfg).evaluate(order(line(qty=1, price=D("9.99")), card=None))
    assert str(result["lines"][0]["base"]) == "9.99"
    assert result["discounts"][0]["amount"] == D("3.33")
    assert str(result["totals"]["total"]) == "6.66"


def test_datetimes_naive_aware_and_strings():
    # 00:30 in Jakarta on the 1st is still April 30th in UTC: the promotion starting May 1st
    # does not apply yet.
    cfg = config(promo(1, 1, percent(11, 10), date_from=date(2024, 5, 1)), tiers=False)
    engine = Engine(cfg)
    local = engine.evaluate(order(date_order=datetime(2024, 5, 1, 0, 30, tzinfo=WIB)))
    assert local["skipped"] == [{"program_id": 1, "reason": "date"}]
    for moment in (datetime(2024, 5, 1, 0, 30), datetime(2024, 5, 1, 0, 30, tzinfo=UTC),
                   "2024-05-01T00:30:00", "2024-05-01 00:30", "2024-05-01T00:30:00Z",
                   "2024-05-01T07:30:00+07:00"):
        result = engine.evaluate(order(date_order=moment))
        assert result["discounts"][0]["amount"] == D(10000), moment
    assert Engine(config(promo(1, 1, percent(11, 10), date_to="2024-04-30"), tiers=False)) \
        .evaluate(order())["skipped"] == [{"program_id": 1, "reason": "date"}]


def test_inputs_are_not_modified_and_results_are_fresh():
    engine = Engine(config())
    sale = order(line(1), line(2, 2, 5000.0), redeem=[{"reward_id": 101, "points": 50}])
    snapshot = copy.deepcopy(sale)
    first, second = engine.evaluate(sale), engine.evaluate(sale)
    assert sale == snapshot and first == second and first is not second
    first["lines"].clear()
    assert engine.evaluate(sale) == second


# -- behaviour seen through Python -------------------------------------------------------------

def test_redemption_spends_points_and_discounts():
    engine = Engine(config())
    result = engine.evaluate(order(line(1, 1, 80000), line(2, 1, 20000),
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


def test_spend_earned_counts_this_orders_points_after_the_evaluation():
    earning = loyalty(spend_earned=True)
    engine = Engine(config(earning, tiers=False))
    # 100,000 earns 10 points; the card holds 45: 50 for the fixed reward fits (45 + 10 >= 50).
    sale = order(card={"id": 500, "program_id": 10, "points": 45},
                 redeem=[{"reward_id": 101, "points": 50}])
    result = engine.evaluate(sale)
    assert result["points"]["spent"] == D(50) and result["points"]["earned"] == D(10)
    with pytest.raises(InsufficientPointsError,
                       match=r"^redeem: 50 points requested but the card holds 39 "
                             r"and this order earns 10\.00$"):
        engine.evaluate(dict(sale, card={"id": 500, "program_id": 10, "points": 39}))
    with pytest.raises(InsufficientPointsError, match=r"^\[1\]\.redeem: "):
        engine.evaluate_many([sale, dict(sale, card={"id": 500, "program_id": 10, "points": 1})])
    # Without spend_earned the check is against the card alone.
    with pytest.raises(InsufficientPointsError, match=r"^redeem: 50 points requested but the "
                                                      r"card holds 45$"):
        Engine(config(loyalty(), tiers=False)).evaluate(sale)
    with pytest.raises(ConfigError, match=r"^programs\[0\]\.spend_earned: must be a bool"):
        Engine(config(loyalty(spend_earned="yes")))


# -- refunds give back spent points (docs/spec.md §4.12 v2) ---------------------------------------------

def sold_and_redeemed(engine: Engine) -> tuple[dict, dict]:
    """A sale of 3 x 10,001 (line "A") and 1 x 20,000 (line 7) redeeming reward 101 (fixed
    10,000 for 50 points), and the `original` a refund of it passes (from the sale's result)."""
    sale = order(line("A", 3, 10001), line(7, 1, 20000),
                 redeem=[{"reward_id": 101, "points": 50}])
    result = engine.evaluate(sale)
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
    return order(*lines, uid="pos-1-r", refund_of="pos-1", original=original)


def test_refunds_give_back_the_points_the_refunded_part_consumed():
    engine = Engine(config())
    sale, original = sold_and_redeemed(engine)
    assert sale["points"]["spent"] == D(50)
    # One unit of "A": floor(6,000 / 3) = 2,000 of 10,000 -> 10.00 points.
    first = engine.evaluate(refund_of(line(1, -1, 10001, origin_line_id="A"),
                                      original=original))
    assert first["points"]["returned"] == D(10) and str(first["points"]["returned"]) == "10.00"
    assert first["points"]["redeemed"] == [] and first["points"]["spent"] == 0
    # The rest, passing what the first refunded and gave back: 50 - 10.
    second_original = dict(original, returned=first["points"]["returned"],
                           lines=[{"id": "A", "qty": 3, "refunded_qty": 1}, {"id": 7, "qty": 1}])
    rest = refund_of(line(1, -2, 10001, origin_line_id="A"), line(2, -1, 20000, origin_line_id=7),
                     original=second_original)
    second = engine.evaluate(rest)
    assert second["points"]["returned"] == D(40)
    assert first["points"]["returned"] + second["points"]["returned"] == sale["points"]["spent"]
    assert engine.evaluate_many([rest])[0] == second
    # No original: nothing given back.
    assert engine.evaluate(refund_of(line(1, -1, 10001)))["points"]["returned"] == 0


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
def test_bad_refunds_name_the_field(path, value, message):
    engine = Engine(config())
    _, original = sold_and_redeemed(engine)
    refund = refund_of(line(1, -1, 10001, origin_line_id="A"), original=original)
    with pytest.raises(OrderError) as caught:
        engine.evaluate(with_change(refund, path, value))
    assert str(caught.value).startswith(message), str(caught.value)


def test_original_and_origin_only_in_a_refund():
    engine = Engine(config())
    with pytest.raises(OrderError, match=r"^original: only in a refund$"):
        engine.evaluate(order(original={"lines": []}))
    with pytest.raises(OrderError, match=r"^lines\[0\]\.origin_line_id: only in a refund$"):
        engine.evaluate(order(line(origin_line_id=1)))
    # None is the default in a sale too.
    assert engine.evaluate(order(line(origin_line_id=None), original=None))["points"]["returned"] \
        == 0


def test_pending_membership_without_a_valid_snapshot():
    engine = Engine(config())
    for snapshot in (None,
                     {"partner_id": 8, "tier": "gold", "evaluated_at": datetime(2024, 5, 1),
                      "valid_until": datetime(2024, 5, 31)},
                     {"partner_id": 7, "tier": "platinum", "evaluated_at": datetime(2024, 5, 1),
                      "valid_until": datetime(2024, 5, 31)},
                     {"partner_id": 7, "tier": None, "evaluated_at": datetime(2024, 5, 1),
                      "valid_until": datetime(2024, 5, 31)},
                     {"partner_id": 7, "tier": "gold", "evaluated_at": datetime(2024, 5, 11),
                      "valid_until": datetime(2024, 5, 31)}):
        result = engine.evaluate(order(membership=snapshot))
        assert result["status"] == "pending_membership"
        assert result["points"]["earned"] == 0 and result["points"]["tier"] is None
        assert result["points"]["multiplier"] == 1
    # Without tiers the snapshot is ignored.
    result = Engine(config(tiers=False)).evaluate(order(membership=None))
    assert result["status"] == "ok" and result["points"]["earned"] == D(10)


def test_no_card_or_foreign_card_gives_null_points():
    engine = Engine(config())
    assert engine.evaluate(order(card=None))["points"] is None
    foreign = {"id": 1, "program_id": 999, "points": 0}
    result = engine.evaluate(order(card=foreign))
    assert result["points"] is None and result["status"] == "ok"


def test_exclusive_promotion_stops_later_ones():
    cfg = config(promo(1, 1, percent(11, 10), exclusive=True), promo(2, 2, percent(21, 5)),
                 loyalty(), tiers=False)
    result = Engine(cfg).evaluate(order(redeem=[{"reward_id": 101, "points": 50}]))
    assert [d["program_id"] for d in result["discounts"]] == [1]
    assert result["skipped"] == [{"program_id": 2, "reason": "exclusive"},
                                 {"program_id": 10, "reason": "exclusive"}]
    assert result["points"]["spent"] == 0 and result["points"]["earned"] == D(10)


# -- evaluate_membership -----------------------------------------------------------------------

def test_evaluate_membership():
    engine = Engine(config())
    snap = engine.evaluate_membership(7, D(6000000), datetime(2024, 5, 1, 12, 0))
    # Highest rank wins; ties in rank go to the one listed first.
    assert snap == {"partner_id": 7, "tier": "gold",
                    "evaluated_at": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
                    "valid_until": datetime(2024, 5, 31, 12, 0, tzinfo=UTC)}
    assert snap["evaluated_at"].tzinfo is not None
    assert engine.evaluate_membership(7, 10, "2024-05-01T00:00:00+07:00")["evaluated_at"] \
        == datetime(2024, 4, 30, 17, 0, tzinfo=UTC)
    assert engine.evaluate_membership(7, -1, datetime(2024, 5, 1))["tier"] is None
    with pytest.raises(OrderError, match=r"^partner_id: "):
        engine.evaluate_membership("7", 1, datetime(2024, 5, 1))
    with pytest.raises(OrderError, match=r"^spend: "):
        engine.evaluate_membership(7, float("nan"), datetime(2024, 5, 1))
    with pytest.raises(OrderError, match=r"^as_of: "):
        engine.evaluate_membership(7, 1, date(2024, 5, 1))


# -- errors and their paths --------------------------------------------------------------------

def with_change(document: dict, path: tuple, value=None, *, delete=False) -> dict:
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


BAD_CONFIGS = [
    (("currency",), None, "currency: must not be null"),
    (("currency", "rounding"), "0", "currency.rounding: must be > 0"),
    (("currency", "rounding"), True, "currency.rounding: must be a decimal"),
    (("currency", "symbol"), "Rp", "currency.symbol: unknown key"),
    (("points_precision",), 7, "points_precision: must be an int in [0, 6]"),
    (("points_precision",), 2.0, "points_precision: must be an int"),
    (("tiers", 1, "code"), "basic", "tiers[1].code: duplicate tier code"),
    (("tiers", 0, "code"), "", "tiers[0].code: must not be empty"),
    (("tiers", 1, "multiplier"), 0, "tiers[1].multiplier: must be > 0"),
    (("tiers", 1, "min_spend"), "-1", "tiers[1].min_spend: must be >= 0"),
    (("tiers", 0, "rank"), "1", "tiers[0].rank: must be an int"),
    (("membership", "validity_days"), 0, "membership.validity_days: must be an int >= 1"),
    (("programs",), {}, "programs: must be a list"),
    (("programs", 0, "id"), True, "programs[0].id: must be an int, got bool"),
    (("programs", 0, "id"), "10", "programs[0].id: must be an int, got str"),
    (("programs", 0, "kind"), "coupon", "programs[0].kind: must be one of"),
    (("programs", 0, "ruels"), [], "programs[0].ruels: unknown key"),
    (("programs", 0, "date_from"), "2024-06-01", None),  # valid alone
    (("programs", 0, "date_to"), datetime(2024, 1, 1), "programs[0].date_to: must be a date"),
    (("programs", 0, "points_basis"), "net", "programs[0].points_basis: must be one of"),
    (("programs", 0, "rules", 0, "amount"), 0, "programs[0].rules[0].amount: must be > 0"),
    (("programs", 0, "rules", 0, "mode"), "item", "programs[0].rules[0].mode: must be one of"),
    (("programs", 0, "rules", 0, "product_ids"), [1, "2"],
     "programs[0].rules[0].product_ids[1]: must be an int"),
    (("programs", 0, "rules", 0, "min_qty"), "many", "programs[0].rules[0].min_qty: not a decimal"),
    (("programs", 0, "rewards", 0, "value"), float("inf"),
     "programs[0].rewards[0].value: must be finite"),
    (("programs", 0, "rewards", 0, "value"), D("NaN"),
     "programs[0].rewards[0].value: must be a number, not NaN"),
    (("programs", 0, "rewards", 0, "value"), 10**12,
     "programs[0].rewards[0].value: out of range"),
    (("programs", 0, "rewards", 0, "value"), D("1E-29"),
     "programs[0].rewards[0].value: more than 28 decimal places"),
    (("programs", 0, "rewards", 2, "value"), 101, "programs[0].rewards[2].value: a percent"),
    (("programs", 0, "rewards", 0, "type"), "product", "programs[0].rewards[0].type: must be one"),
    (("programs", 0, "rewards", 0, "required_points"), None,
     "programs[0].rewards[0].required_points: must not be null"),
    (("programs", 0, "rewards", 1, "id"), 101, "programs[0].rewards[1].id: duplicate reward id"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_CONFIGS)
def test_bad_configs_name_the_field(path, value, message):
    cfg = with_change(config(), path, value)
    if message is None:
        Engine(cfg)
        return
    with pytest.raises(ConfigError) as caught:
        Engine(cfg)
    assert str(caught.value).startswith(message), str(caught.value)


def test_more_bad_configs():
    with pytest.raises(ConfigError, match=r"^config: must be a mapping"):
        Engine([])
    with pytest.raises(ConfigError, match=r"^programs: required"):
        Engine(with_change(config(), ("programs",), delete=True))
    two = config(loyalty(), loyalty(name="again"))
    with pytest.raises(ConfigError, match=r"^programs\[1\]\.id: duplicate program id"):
        Engine(two)
    with pytest.raises(ConfigError, match=r"^programs\[0\]\.date_to: must not be before"):
        Engine(config(loyalty(date_from="2024-05-02", date_to=date(2024, 5, 1))))
    with pytest.raises(ConfigError, match=r"^programs\[0\]\.rewards\[0\]\.mode: per_point"):
        Engine(config(promo(1, 1, {"id": 1, "type": "discount", "mode": "per_point",
                                   "value": 1, "applicability": "order"})))
    with pytest.raises(ConfigError, match=r"^programs\[0\]\.rewards\[0\]\.required_points"):
        Engine(config(promo(1, 1, percent(1, 10, required_points=0))))
    Engine(config(promo(1, 1, percent(1, 10, required_points=1))))  # Odoo's 1 is accepted
    with pytest.raises(ConfigError, match=r"^config: keys must be strings"):
        Engine({1: "x"})
    # First error in documented field order wins: id before name before kind.
    with pytest.raises(ConfigError, match=r"^programs\[0\]\.id"):
        Engine(config({"id": "x", "name": 5, "kind": "?", "sequence": 1,
                       "rules": [], "rewards": []}))


BAD_ORDERS = [
    (("uid",), "", OrderError, "uid: must not be empty"),
    (("uid",), 5, OrderError, "uid: must be a str, got int"),
    (("date_order",), "10/05/2024", OrderError, "date_order: not an ISO-8601 datetime"),
    (("date_order",), date(2024, 5, 10), OrderError, "date_order: must be a datetime"),
    (("partner_id",), 7.0, OrderError, "partner_id: must be an int, got float"),
    (("card", "points"), "-1", OrderError, "card.points: must be >= 0"),
    (("card", "owner"), 1, OrderError, "card.owner: unknown key"),
    (("membership", "tier"), 5, OrderError, "membership.tier: must be a str"),
    (("membership", "valid_until"), None, OrderError, "membership.valid_until: must not be null"),
    (("lines",), None, OrderError, "lines: must not be null"),
    (("lines", 0, "qty"), 0, OrderError, "lines[0].qty: must be > 0 in a sale"),
    (("lines", 0, "qty"), False, OrderError, "lines[0].qty: must be a decimal"),
    (("lines", 0, "qty"), "1,5", OrderError, "lines[0].qty: not a decimal"),
    (("lines", 0, "price_unit"), -1, OrderError, "lines[0].price_unit: must be >= 0"),
    (("lines", 0, "discount"), 100.5, OrderError, "lines[0].discount: must be in [0, 100]"),
    (("lines", 0, "id"), "", OrderError, "lines[0].id: must not be empty"),
    (("lines", 0, "id"), 1.5, OrderError, "lines[0].id: must be an int or a non-empty str"),
    (("lines", 0, "category_ids"), "1", OrderError, "lines[0].category_ids: must be a list"),
    (("lines", 0, "qtty"), 1, OrderError, "lines[0].qtty: unknown key"),
    (("redeem",), [{"reward_id": 999, "points": 1}], OrderError, "redeem[0].reward_id: not a"),
    (("redeem",), [{"reward_id": 101, "points": 0}], OrderError, "redeem[0].points: must be > 0"),
    (("redeem",), [{"reward_id": 101, "points": 40}], OrderError, "redeem[0].points: fewer"),
    (("redeem",), [{"reward_id": 101, "points": 60}], OrderError, "redeem[0].points: must equal"),
    (("redeem",), [{"reward_id": 102, "points": D("1.005")}], OrderError,
     "redeem[0].points: more decimal places"),
    (("redeem",), [{"reward_id": 102, "points": 5}, {"reward_id": 102, "points": 5}],
     OrderError, "redeem[1].reward_id: listed twice"),
    (("redeem",), [{"reward_id": 102, "points": 101}], InsufficientPointsError,
     "redeem: 101 points requested but the card holds 100"),
    (("refund_of",), 7, OrderError, "refund_of: must be a str"),
    (("refund_of",), "pos-0", OrderError, "lines[0].qty: must be < 0 in a refund"),
]


@pytest.mark.parametrize(("path", "value", "error", "message"), BAD_ORDERS)
def test_bad_orders_name_the_field(path, value, error, message):
    engine = Engine(config())
    with pytest.raises(error) as caught:
        engine.evaluate(with_change(order(), path, value))
    assert str(caught.value).startswith(message), str(caught.value)
    assert isinstance(caught.value, LoyaltyError)
    # The path is data, and the message is built from it and the reason.
    exc = caught.value
    assert all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in exc.path)
    assert str(exc) == f"{render_path(exc.path) or 'order'}: {exc.reason}"
    assert message.startswith(render_path(exc.path) + ":")


def test_errors_carry_path_and_reason_as_data():
    engine = Engine(config(promo(1, 1, percent(11, 10)), loyalty()))
    bad_qty = order(lines=[{"id": 1, "product_id": 1, "qty": 0, "price_unit": 1}])
    with pytest.raises(OrderError) as caught:
        engine.evaluate(bad_qty)
    assert caught.value.path == ("lines", 0, "qty")
    assert caught.value.reason == "must be > 0 in a sale"
    with pytest.raises(OrderError) as caught:
        engine.evaluate_many([order(), order(), bad_qty])
    assert caught.value.path == (2, "lines", 0, "qty")
    assert str(caught.value) == "[2].lines[0].qty: must be > 0 in a sale"
    with pytest.raises(OrderError) as caught:
        engine.evaluate_many([order(), "not an order"])
    assert caught.value.path == (1,) and str(caught.value).startswith("[1]: ")
    with pytest.raises(OrderError) as caught:
        engine.evaluate("not an order")
    assert caught.value.path == () and str(caught.value) == f"order: {caught.value.reason}"
    with pytest.raises(ConfigError) as caught:
        Engine({"currency": {"code": "IDR", "rounding": "0"}, "programs": []})
    assert caught.value.path == ("currency", "rounding")
    with pytest.raises(ConfigError) as caught:
        Engine([])
    assert caught.value.path == () and str(caught.value).startswith("config: ")
    with pytest.raises(OrderError) as caught:
        engine.evaluate_membership(1, "x", "2024-01-01")
    assert caught.value.path == ("spend",)
    # Pickling keeps them (an error crossing a process boundary).
    again = pickle.loads(pickle.dumps(caught.value))
    assert (type(again), again.path, again.reason, str(again)) == (
        type(caught.value), caught.value.path, caught.value.reason, str(caught.value))


def test_redemption_checks_card_and_refunds():
    engine = Engine(config(promo(1, 1, percent(11, 10)), loyalty()))
    redeem = [{"reward_id": 101, "points": 50}]
    with pytest.raises(OrderError, match=r"^card: "):
        engine.evaluate(order(card=None, redeem=redeem))
    with pytest.raises(OrderError, match=r"^card\.program_id: "):
        engine.evaluate(order(card={"id": 1, "program_id": 1, "points": 100}, redeem=redeem))
    with pytest.raises(OrderError, match=r"^redeem: must be empty in a refund"):
        engine.evaluate(order(line(qty=-1), refund_of="pos-0", redeem=redeem))
    with pytest.raises(OrderError, match=r"^order: must be a mapping"):
        engine.evaluate([])


# -- evaluate_many -----------------------------------------------------------------------------

def test_evaluate_many_matches_evaluate():
    engine = Engine(config(promo(1, 1, percent(11, 10))))
    orders = [order(line(1, n % 3 + 1, 1000 * n + 0.5), uid=f"pos-{n}") for n in range(1, 600)]
    assert engine.evaluate_many(orders) == [engine.evaluate(o) for o in orders]
    assert engine.evaluate_many([]) == []
    assert engine.evaluate_many(tuple(orders[:2])) == engine.evaluate_many(orders[:2])


def test_evaluate_many_prefixes_the_failing_index():
    engine = Engine(config())
    orders = [order(uid=f"pos-{n}") for n in range(5)]
    orders[3] = with_change(orders[3], ("lines", 0, "qty"), -2)
    with pytest.raises(OrderError, match=r"^\[3\]\.lines\[0\]\.qty: must be > 0 in a sale"):
        engine.evaluate_many(orders)
    # An evaluation error (redemption) before a decoding error is reported first.
    orders[1] = order(redeem=[{"reward_id": 101, "points": 50}],
                      card={"id": 1, "program_id": 10, "points": 10})
    with pytest.raises(InsufficientPointsError, match=r"^\[1\]\.redeem: "):
        engine.evaluate_many(orders)
    orders[0] = "not an order"
    with pytest.raises(OrderError, match=r"^\[0\]: must be a mapping"):
        engine.evaluate_many(orders)
    with pytest.raises(OrderError, match=r"^orders: must be a list"):
        engine.evaluate_many({"uid": "x"})


def test_evaluate_many_releases_the_gil():
    engine = Engine(config(*(promo(20 + n, n, percent(200 + n, 1 + n % 5)) for n in range(19)),
                           loyalty()))
    orders = [order(*(line(i, 1 + i % 3, 1000 * (i + n)) for i in range(10)), uid=f"u{n}")
              for n in range(3000)]
    ticks: list[float] = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        time.sleep(0.01)
        windows = []
        for _ in range(3):
            start = time.perf_counter()
            engine.evaluate_many(orders)
            windows.append((start, time.perf_counter()))
    finally:
        stop.set()
        thread.join()
    inside = [t for t in ticks for (a, b) in windows if a < t < b]
    # A thread switch at the call's edges could account for a tick or two; a released GIL
    # gives hundreds.
    assert len(inside) >= 20, f"only {len(inside)} ticks while evaluate_many computed"


def test_results_are_exact_whatever_the_callers_decimal_context():
    import decimal

    cfg = config(tiers=False, currency={"code": "EUR", "rounding": "0.01"})
    sale = order(line(qty=3, price="123456789.335"), card=None)
    expected = Engine(cfg).evaluate(sale)
    assert str(expected["lines"][0]["base"]) == "370370368.01"
    with decimal.localcontext() as context:
        context.prec = 5
        context.traps[decimal.Inexact] = True
        assert Engine(cfg).evaluate(sale) == expected
        assert str(Engine(cfg).evaluate(sale)["lines"][0]["base"]) == "370370368.01"


def test_datetime_inputs_keep_microseconds_offsets_and_subclasses():
    engine = Engine(config())

    class Moment(datetime):
        pass

    zones = [None, UTC, WIB, timezone(timedelta(hours=-3, minutes=-30)),
             timezone(timedelta(hours=5, minutes=30, seconds=15))]
    for zone in zones:
        for kind in (datetime, Moment):
            as_of = kind(2024, 2, 29, 23, 59, 58, 123456, tzinfo=zone)
            expected = as_of.replace(tzinfo=UTC) if zone is None else as_of.astimezone(UTC)
            snapshot = engine.evaluate_membership(7, 0, as_of)
            assert snapshot["evaluated_at"] == expected, (zone, kind)
            assert snapshot["evaluated_at"].microsecond == 123456
            assert snapshot["valid_until"] == expected + timedelta(days=30)


def test_evaluate_many_restores_the_garbage_collector_state():
    import gc

    engine = Engine(config())
    orders = [order(uid=f"u{n}") for n in range(50)]
    assert gc.isenabled()
    engine.evaluate_many(orders)
    assert gc.isenabled()
    gc.disable()
    try:
        engine.evaluate_many(orders)
        assert not gc.isenabled()
        with pytest.raises(OrderError):
            engine.evaluate_many([*orders, {"uid": ""}])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_evaluate_many_errors_in_large_batches_keep_list_order():
    engine = Engine(config(promo(1, 1, percent(11, 10)), loyalty()))
    orders = [order(line(1, 1 + n % 3, 1000 + n), uid=f"u{n}") for n in range(700)]
    assert engine.evaluate_many(orders) == [engine.evaluate(o) for o in orders]
    orders[650] = with_change(orders[650], ("lines", 0, "qty"), 0)
    with pytest.raises(OrderError, match=r"^\[650\]\.lines\[0\]\.qty: "):
        engine.evaluate_many(orders)
    orders[130] = order(redeem=[{"reward_id": 101, "points": 50}],
                        card={"id": 1, "program_id": 10, "points": 1})
    with pytest.raises(InsufficientPointsError, match=r"^\[130\]\.redeem: "):
        engine.evaluate_many(orders)
