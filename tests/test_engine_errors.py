"""Both engines (the `engine` fixture): bad configs and orders raise the documented class with
the bad field's path and the reason as data (`.path`, `.reason`), the message built from them."""

from __future__ import annotations

import pickle
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from aba_loyalty_core.errors import render_path
from aba_loyalty_testdata.documents import (
    aba_points,
    engine_config,
    line,
    order,
    percent,
    promo,
    reward,
    typical_config,
    typical_order,
    with_change,
)

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
def test_bad_configs_name_the_field(engine, path, value, message):
    cfg = with_change(typical_config(), path, value)
    if message is None:
        engine.Engine(cfg)
        return
    with pytest.raises(engine.ConfigError) as caught:
        engine.Engine(cfg)
    assert str(caught.value).startswith(engine.message(message)), str(caught.value)


def test_more_bad_configs(engine):
    with pytest.raises(engine.ConfigError, match=engine.message(r"^config: must be a mapping")):
        engine.Engine([])
    with pytest.raises(engine.ConfigError, match=engine.message(r"^programs: required")):
        engine.Engine(with_change(typical_config(), ("programs",), delete=True))
    two = typical_config(aba_points(), aba_points(name="again"))
    with pytest.raises(
        engine.ConfigError, match=engine.message(r"^programs\[1\]\.id: duplicate program id")
    ):
        engine.Engine(two)
    with pytest.raises(
        engine.ConfigError, match=engine.message(r"^programs\[0\]\.date_to: must not be before")
    ):
        engine.Engine(typical_config(aba_points(date_from="2024-05-02", date_to=date(2024, 5, 1))))
    with pytest.raises(
        engine.ConfigError, match=engine.message(r"^programs\[0\]\.rewards\[0\]\.mode: per_point")
    ):
        engine.Engine(typical_config(promo(1, 1, {"id": 1, "type": "discount", "mode": "per_point",
                                                  "value": 1, "applicability": "order"})))
    with pytest.raises(
        engine.ConfigError, match=engine.message(r"^programs\[0\]\.rewards\[0\]\.required_points")
    ):
        engine.Engine(typical_config(promo(1, 1, percent(1, 10, required_points=0))))
    engine.Engine(
        typical_config(promo(1, 1, percent(1, 10, required_points=1)))
    )  # Odoo's 1 is accepted
    with pytest.raises(engine.ConfigError, match=engine.message(r"^config: keys must be strings")):
        engine.Engine({1: "x"})
    # First error in documented field order wins: id before name before kind.
    with pytest.raises(engine.ConfigError, match=engine.message(r"^programs\[0\]\.id")):
        engine.Engine(typical_config({"id": "x", "name": 5, "kind": "?", "sequence": 1,
                                      "rules": [], "rewards": []}))


BAD_ORDERS = [
    (("uid",), "", "OrderError", "uid: must not be empty"),
    (("uid",), 5, "OrderError", "uid: must be a str, got int"),
    (("date_order",), "10/05/2024", "OrderError", "date_order: not an ISO-8601 datetime"),
    (("date_order",), date(2024, 5, 10), "OrderError", "date_order: must be a datetime"),
    (("partner_id",), 7.0, "OrderError", "partner_id: must be an int, got float"),
    (("card", "points"), "-1", "OrderError", "card.points: must be >= 0"),
    (("card", "owner"), 1, "OrderError", "card.owner: unknown key"),
    (("membership", "tier"), 5, "OrderError", "membership.tier: must be a str"),
    (("membership", "valid_until"), None, "OrderError", "membership.valid_until: must not be null"),
    (("lines",), None, "OrderError", "lines: must not be null"),
    (("lines", 0, "qty"), 0, "OrderError", "lines[0].qty: must be > 0 in a sale"),
    (("lines", 0, "qty"), False, "OrderError", "lines[0].qty: must be a decimal"),
    (("lines", 0, "qty"), "1,5", "OrderError", "lines[0].qty: not a decimal"),
    (("lines", 0, "price_unit"), -1, "OrderError", "lines[0].price_unit: must be >= 0"),
    (("lines", 0, "discount"), 100.5, "OrderError", "lines[0].discount: must be in [0, 100]"),
    (("lines", 0, "id"), "", "OrderError", "lines[0].id: must not be empty"),
    (("lines", 0, "id"), 1.5, "OrderError", "lines[0].id: must be an int or a non-empty str"),
    (("lines", 0, "category_ids"), "1", "OrderError", "lines[0].category_ids: must be a list"),
    (("lines", 0, "qtty"), 1, "OrderError", "lines[0].qtty: unknown key"),
    (("redeem",), [{"reward_id": 999, "points": 1}], "OrderError", "redeem[0].reward_id: not a"),
    (("redeem",), [{"reward_id": 101, "points": 0}], "OrderError", "redeem[0].points: must be > 0"),
    (("redeem",), [{"reward_id": 101, "points": 40}], "OrderError", "redeem[0].points: fewer"),
    (("redeem",), [{"reward_id": 101, "points": 60}], "OrderError", "redeem[0].points: must equal"),
    (("redeem",), [{"reward_id": 102, "points": D("1.005")}], "OrderError",
     "redeem[0].points: more decimal places"),
    (("redeem",), [{"reward_id": 102, "points": 5}, {"reward_id": 102, "points": 5}],
     "OrderError", "redeem[1].reward_id: listed twice"),
    (("redeem",), [{"reward_id": 102, "points": 101}], "InsufficientPointsError",
     "redeem: 101 points requested but the card holds 100"),
    (("refund_of",), 7, "OrderError", "refund_of: must be a str"),
    (("refund_of",), "pos-0", "OrderError", "lines[0].qty: must be < 0 in a refund"),
]


@pytest.mark.parametrize(("path", "value", "error", "message"), BAD_ORDERS)
def test_bad_orders_name_the_field(engine, path, value, error, message):
    evaluator = engine.Engine(typical_config())
    with pytest.raises(getattr(engine, error)) as caught:
        evaluator.evaluate(with_change(typical_order(), path, value))
    assert str(caught.value).startswith(engine.message(message)), str(caught.value)
    assert isinstance(caught.value, engine.LoyaltyError)
    # The path is data, and the message is built from it and the reason.
    exc = caught.value
    assert all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in exc.path)
    assert str(exc) == f"{render_path(exc.path) or 'order'}: {exc.reason}"
    assert message.startswith(render_path(exc.path) + ":")


def test_errors_carry_path_and_reason_as_data(engine):
    evaluator = engine.Engine(typical_config(promo(1, 1, percent(11, 10)), aba_points()))
    bad_qty = typical_order(lines=[{"id": 1, "product_id": 1, "qty": 0, "price_unit": 1}])
    with pytest.raises(engine.OrderError) as caught:
        evaluator.evaluate(bad_qty)
    assert caught.value.path == ("lines", 0, "qty")
    assert caught.value.reason == "must be > 0 in a sale"
    with pytest.raises(engine.OrderError) as caught:
        evaluator.evaluate_many([typical_order(), typical_order(), bad_qty])
    assert caught.value.path == (2, "lines", 0, "qty")
    assert str(caught.value) == "[2].lines[0].qty: must be > 0 in a sale"
    with pytest.raises(engine.OrderError) as caught:
        evaluator.evaluate_many([typical_order(), "not an order"])
    assert caught.value.path == (1,) and str(caught.value).startswith("[1]: ")
    with pytest.raises(engine.OrderError) as caught:
        evaluator.evaluate("not an order")
    assert caught.value.path == () and str(caught.value) == f"order: {caught.value.reason}"
    with pytest.raises(engine.ConfigError) as caught:
        engine.Engine({"currency": {"code": "IDR", "rounding": "0"}, "programs": []})
    assert caught.value.path == ("currency", "rounding")
    with pytest.raises(engine.ConfigError) as caught:
        engine.Engine([])
    assert caught.value.path == () and str(caught.value).startswith("config: ")
    with pytest.raises(engine.OrderError) as caught:
        evaluator.evaluate_membership(1, "x", "2024-01-01")
    assert caught.value.path == ("spend",)
    # Pickling keeps them (an error crossing a process boundary).
    again = pickle.loads(pickle.dumps(caught.value))
    assert (type(again), again.path, again.reason, str(again)) == (
        type(caught.value), caught.value.path, caught.value.reason, str(caught.value))


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (
            lambda c: c["programs"][0]["rewards"][0].update(value="100.01"),
            "programs[0].rewards[0].value",
        ),
        (lambda c: c["programs"][0].update(ruels=[]), "programs[0].ruels"),
        (lambda c: c["programs"].append(dict(c["programs"][0])), "programs[1].id"),
        (
            lambda c: c["programs"][0]["rewards"][0].update(mode="per_point"),
            "programs[0].rewards[0].mode",
        ),
        (
            lambda c: c["programs"][0].update(date_from="2025-02-01", date_to="2025-01-01"),
            "programs[0].date_to",
        ),
        (lambda c: c.update(points_precision=7), "points_precision"),
        (lambda c: c["currency"].update(rounding=True), "currency.rounding"),
        (
            lambda c: c.update(tiers=[{"code": "", "rank": 0, "multiplier": 1, "min_spend": 0}]),
            "tiers[0].code",
        ),
        (lambda c: c.update(membership={"validity_days": 0}), "membership.validity_days"),
    ],
)
def test_config_errors_name_the_field(engine, mutate, path):
    config = engine_config(promo(1, 1, reward(11, "percent", "10")))
    mutate(config)
    with pytest.raises(engine.ConfigError) as raised:
        engine.Engine(config)
    assert str(raised.value).startswith(f"{path}: ")
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, engine.LoyaltyError)


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
def test_order_errors_name_the_field(engine, bad, path):
    evaluator = engine.Engine(engine_config(promo(1, 1, reward(11, "percent", "10"))))
    with pytest.raises(engine.OrderError) as raised:
        evaluator.evaluate(order({**line(1, 1, 1, 10), **bad}))
    assert str(raised.value).startswith(f"{path}: ")
    with pytest.raises(engine.OrderError) as raised:
        evaluator.evaluate_many([order(line(1, 1, 1, 10)), order({**line(1, 1, 1, 10), **bad})])
    assert str(raised.value).startswith(f"[1].{path}: ")
