"""Both engines (the `engine` fixture): the result's shape and types, every accepted form of
decimals and datetimes, inputs left unmodified, results independent of the caller's decimal
context."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from decimal import getcontext

import pytest
from aba_loyalty_testdata.documents import (
    engine_config,
    line,
    order,
    percent,
    promo,
    reward,
    typical_config,
    typical_line,
    typical_order,
)

UTC = timezone.utc
WIB = timezone(timedelta(hours=7))


def test_result_shape_and_types(engine):
    result = engine.Engine(typical_config()).evaluate(
        typical_order(typical_line(1), typical_line("L-2", 2, 15000.5))
    )
    assert set(result) == {"uid", "status", "engine", "lines", "discounts", "points",
                           "warnings", "skipped", "totals"}
    assert result["engine"] == engine.name and result["uid"] == "pos-1"
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
def test_decimal_inputs_in_every_form_agree(engine, value):
    evaluator = engine.Engine(typical_config(tiers=False))
    reference = evaluator.evaluate(typical_order(typical_line(price=D("12500.5"), qty=2)))
    assert evaluator.evaluate(typical_order(typical_line(price=value, qty=2))) == reference
    assert reference["lines"][0]["base"] == D(25001)


def test_int_and_float_quantities(engine):
    evaluator = engine.Engine(typical_config(tiers=False))
    assert evaluator.evaluate(typical_order(typical_line(qty=3))) == evaluator.evaluate(
        typical_order(typical_line(qty=3.0))
    )
    assert evaluator.evaluate(typical_order(typical_line(qty=D("0.1") * 3)))["lines"][0][
        "base"
    ] == D(30000)
    # A float is read through its repr: 0.1 + 0.2 is 0.30000000000000004, not 0.3.
    cfg = typical_config(tiers=False, currency={"code": "USD", "rounding": D("1E-20")})
    base = engine.Engine(cfg).evaluate(typical_order(typical_line(qty=1, price=0.1 + 0.2)))[
        "lines"
    ][0]["base"]
    assert base == D("0.30000000000000004")


def test_cent_currency_keeps_two_places(engine):
    cfg = typical_config(promo(1, 1, percent(11, D("33.3333"))), tiers=False,
                         currency={"code": "EUR", "rounding": "0.01"})
    result = engine.Engine(cfg).evaluate(
        typical_order(typical_line(qty=1, price=D("9.99")), card=None)
    )
    assert str(result["lines"][0]["base"]) == "9.99"
    assert result["discounts"][0]["amount"] == D("3.33")
    assert str(result["totals"]["total"]) == "6.66"


def test_datetimes_naive_aware_and_strings(engine):
    # 00:30 in Jakarta on the 1st is still April 30th in UTC: the promotion starting May 1st
    # does not apply yet.
    cfg = typical_config(promo(1, 1, percent(11, 10), date_from=date(2024, 5, 1)), tiers=False)
    evaluator = engine.Engine(cfg)
    local = evaluator.evaluate(typical_order(date_order=datetime(2024, 5, 1, 0, 30, tzinfo=WIB)))
    assert local["skipped"] == [{"program_id": 1, "reason": "date"}]
    for moment in (datetime(2024, 5, 1, 0, 30), datetime(2024, 5, 1, 0, 30, tzinfo=UTC),
                   "2024-05-01T00:30:00", "2024-05-01 00:30", "2024-05-01T00:30:00Z",
                   "2024-05-01T07:30:00+07:00"):
        result = evaluator.evaluate(typical_order(date_order=moment))
        assert result["discounts"][0]["amount"] == D(10000), moment
    assert engine.Engine(
        typical_config(promo(1, 1, percent(11, 10), date_to="2024-04-30"), tiers=False)
    ).evaluate(typical_order())["skipped"] == [{"program_id": 1, "reason": "date"}]


def test_inputs_are_not_modified_and_results_are_fresh(engine):
    evaluator = engine.Engine(typical_config())
    sale = typical_order(
        typical_line(1), typical_line(2, 2, 5000.0), redeem=[{"reward_id": 101, "points": 50}]
    )
    snapshot = copy.deepcopy(sale)
    first, second = evaluator.evaluate(sale), evaluator.evaluate(sale)
    assert sale == snapshot and first == second and first is not second
    first["lines"].clear()
    assert evaluator.evaluate(sale) == second


def test_results_are_exact_whatever_the_callers_decimal_context(engine):
    import decimal

    cfg = typical_config(tiers=False, currency={"code": "EUR", "rounding": "0.01"})
    sale = typical_order(typical_line(qty=3, price="123456789.335"), card=None)
    expected = engine.Engine(cfg).evaluate(sale)
    assert str(expected["lines"][0]["base"]) == "370370368.01"
    with decimal.localcontext() as context:
        context.prec = 5
        context.traps[decimal.Inexact] = True
        assert engine.Engine(cfg).evaluate(sale) == expected
        assert str(engine.Engine(cfg).evaluate(sale)["lines"][0]["base"]) == "370370368.01"


def test_datetime_inputs_keep_microseconds_offsets_and_subclasses(engine):
    evaluator = engine.Engine(typical_config())

    class Moment(datetime):
        pass

    zones = [None, UTC, WIB, timezone(timedelta(hours=-3, minutes=-30)),
             timezone(timedelta(hours=5, minutes=30, seconds=15))]
    for zone in zones:
        for kind in (datetime, Moment):
            as_of = kind(2024, 2, 29, 23, 59, 58, 123456, tzinfo=zone)
            expected = as_of.replace(tzinfo=UTC) if zone is None else as_of.astimezone(UTC)
            snapshot = evaluator.evaluate_membership(7, 0, as_of)
            assert snapshot["evaluated_at"] == expected, (zone, kind)
            assert snapshot["evaluated_at"].microsecond == 123456
            assert snapshot["valid_until"] == expected + timedelta(days=30)


def test_inputs_in_every_form_give_one_result_and_the_context_is_untouched(engine):
    evaluator = engine.Engine(
        engine_config(promo(1, 1, reward(11, "percent", "12.5")), rounding="0.01")
    )
    forms = [(D("1.1"), D("19.99")), ("1.1", "19.99"), (1.1, 19.99), (" 1.10 ", "1_9.99")]
    results = [evaluator.evaluate(order(line(1, 1, qty, price))) for qty, price in forms]
    assert all(r == results[0] for r in results)
    assert results[0]["lines"][0]["base"] == D("21.99")  # 21.989 half-up
    context = getcontext()
    assert (context.prec, context.rounding) == (28, "ROUND_HALF_EVEN")


def test_order_date_is_the_utc_date(engine):
    evaluator = engine.Engine(
        engine_config(promo(1, 1, reward(11, "percent", "10"), date_from="2025-06-10"))
    )
    local = datetime(2025, 6, 10, 6, 0, tzinfo=timezone(timedelta(hours=7)))  # 9 June UTC
    result = evaluator.evaluate(order(line(1, 1, 1, 100), date_order=local))
    assert result["skipped"] == [{"program_id": 1, "reason": "date"}]
    result = evaluator.evaluate(order(line(1, 1, 1, 100), date_order="2025-06-09T17:00:00-07:00"))
    assert result["discounts"] and not result["skipped"]
