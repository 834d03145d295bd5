"""Differential tests: the native engine (aba_loyalty_core) and the legacy Python engine give equal
results on generated configs and orders, and raise the same exception class naming the same field
on the same bad input.

Example counts are sized for CI (about two minutes on 2 cores: 1,200 generated configs with up
to 8 orders each, 600 sales with one or two refunds carrying their `original`, 720 corrupted
orders, 600 corrupted configs, 240 membership requests).
ABA_PARITY_EXAMPLES=<n> sets the main test's count to n and the others in proportion, e.g.
ABA_PARITY_EXAMPLES=20000 for a long run.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from _native_engine import native_module
from _parity_strategies import (
    DAY0,
    config_and_orders,
    configs,
    corrupted,
    datetime_form,
    number,
    orders,
    read_decimal,
    sale_and_refunds,
)
from aba_loyalty_core.errors import LoyaltyError, render_path
from aba_loyalty_lib import aba_legacy_engine
from aba_loyalty_testdata.spec_examples import (
    card,
    config,
    first_order_lines,
    gold_snapshot,
    order,
    percent_on_order,
    points_program,
    promotion,
    spend_earned_config,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MAIN = int(os.environ.get("ABA_PARITY_EXAMPLES", "1200"))


def examples(share: float) -> settings:
    return settings(
        max_examples=max(10, int(MAIN * share)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much],
    )


@pytest.fixture(scope="module")
def native():
    return native_module()


def outcome(call):
    """("ok", result with engine blanked) or ("error", class name, rendered path, `.path`).

    Both are compared: the message's path text and the structured `.path` (keys and int
    indexes) the error carries."""
    try:
        result = call()
    except Exception as exc:  # noqa: BLE001 - any exception is an outcome to compare
        message = str(exc)
        path = message.split(": ", 1)[0] if ": " in message else message
        structured = getattr(exc, "path", "no .path attribute")
        if isinstance(exc, (aba_legacy_engine.LoyaltyError, LoyaltyError)):
            assert message == f"{render_path(exc.path) or exc.document}: {exc.reason}", message
        return ("error", type(exc).__name__, path, structured)
    return ("ok", blank_engine(result))


def blank_engine(result):
    if isinstance(result, list):
        return [blank_engine(item) for item in result]
    if isinstance(result, dict) and "engine" in result:
        return {**result, "engine": "-"}
    return result


def strict_differences(left, right, path="") -> list[str]:
    """Where the two differ in value, type, key order or Decimal digits (scale included)."""
    if type(left) is not type(right):
        return [f"{path}: {left!r} != {right!r}"]
    if isinstance(left, dict):
        if list(left) != list(right):
            return [f"{path}: keys {list(left)} != {list(right)}"]
        return [d for key in left
                for d in strict_differences(left[key], right[key], f"{path}.{key}")]
    if isinstance(left, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} items != {len(right)}"]
        return [d for i, (a, b) in enumerate(zip(left, right, strict=True))
                for d in strict_differences(a, b, f"{path}[{i}]")]
    if (isinstance(left, Decimal) and str(left) != str(right)) or left != right:
        return [f"{path}: {left!r} != {right!r}"]
    return []


def assert_same(native_outcome, legacy_outcome, what):
    if native_outcome[0] == legacy_outcome[0] == "ok":
        found = strict_differences(native_outcome[1], legacy_outcome[1])
        assert not found, f"{what}: native != legacy (native first): {found[:8]}"
    else:
        assert native_outcome == legacy_outcome, f"{what}: native != legacy"


def engines(native, config):
    """Both engines, or both construction errors (which must be the same)."""
    native_built = outcome(lambda: native.Engine(config))
    legacy_built = outcome(lambda: aba_legacy_engine.Engine(config))
    if native_built[0] == "error" or legacy_built[0] == "error":
        assert native_built[:3] == legacy_built[:3], "Engine(config)"
        return None
    return native_built[1], legacy_built[1]


def check_orders(native, config, batch):
    built = engines(native, config)
    if built is None:
        return
    native_engine, legacy_engine = built
    for item in batch:
        first = outcome(lambda item=item: native_engine.evaluate(item))
        assert_same(first, outcome(lambda item=item: legacy_engine.evaluate(item)), "evaluate")
        assert outcome(lambda item=item: native_engine.evaluate(item)) == first, "repeatable"
    assert_same(outcome(lambda: native_engine.evaluate_many(batch)),
                outcome(lambda: legacy_engine.evaluate_many(batch)), "evaluate_many")


@examples(1.0)
@given(case=config_and_orders())
def test_generated_orders_agree(native, case):
    config, batch = case
    check_orders(native, config, batch)


@examples(0.5)
@given(case=sale_and_refunds())
def test_refunds_giving_back_points_agree(native, case):
    """A sale, then one or two refunds carrying `original` built from the sale's result (SPEC
    4.12 v2): equal results, and what the refunds give back never exceeds what the sale spent,
    exactly that once the sale is fully refunded."""
    config, batch = case
    check_orders(native, config, batch)
    engine = native.Engine(config)
    try:
        sale, *refunds = [engine.evaluate(item) for item in batch]
    except native.LoyaltyError:
        return
    if sale["points"] is None or not refunds:
        return
    spent = sum((r["points"] for r in sale["points"]["redeemed"]), Decimal(0))
    assert sale["points"]["spent"] == spent
    returned = sum((r["points"]["returned"] for r in refunds), Decimal(0))
    assert returned <= spent
    taken = {}
    for refund in batch[1:]:
        for line in refund["lines"]:
            if line.get("origin_line_id") is not None:
                taken[line["origin_line_id"]] = (taken.get(line["origin_line_id"], Decimal(0))
                                                 - read_decimal(line["qty"]))
    if all(taken.get(line["id"]) == read_decimal(line["qty"]) for line in batch[0]["lines"]):
        assert returned == spent


@st.composite
def config_and_bad_order(draw):
    config = draw(configs())
    good = [draw(orders(config, uid=f"g{i}")) for i in range(draw(st.integers(0, 2)))]
    bad = draw(corrupted(draw(orders(config, uid="bad"))))
    if draw(st.integers(0, 3)) == 0:
        bad = draw(corrupted(bad))  # two faults: the same one must win in both engines
    position = draw(st.integers(0, len(good)))
    return config, [*good[:position], bad, *good[position:]]


@examples(0.6)
@given(case=config_and_bad_order())
def test_corrupted_orders_agree(native, case):
    config, batch = case
    check_orders(native, config, batch)


@examples(0.5)
@given(config=configs().flatmap(corrupted))
def test_corrupted_configs_agree(native, config):
    assert_same(outcome(lambda: native.Engine(config) and "built"),
                outcome(lambda: aba_legacy_engine.Engine(config) and "built"), "Engine(config)")


@st.composite
def spends(draw):
    return number(draw, "0", "9000000", 2, ("0", "1000000", "5000000"))


@st.composite
def moments(draw):
    as_of = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(
        seconds=draw(st.integers(0, 10**8)))
    return datetime_form(draw, as_of)


def membership_requests():
    return st.tuples(
        st.one_of(st.integers(1, 10**6), st.sampled_from([True, "7", None, 2**70])),
        st.one_of(spends(), st.sampled_from([Decimal("NaN"), "x", -1, 10**13])),
        st.one_of(moments(), st.sampled_from(["2025-02-30T00:00:00", DAY0, 5])),
    )


@examples(0.2)
@given(config=configs(), request=membership_requests())
def test_membership_agrees(native, config, request):
    built = engines(native, config)
    if built is None:
        return
    native_engine, legacy_engine = built
    assert_same(outcome(lambda: native_engine.evaluate_membership(*request)),
                outcome(lambda: legacy_engine.evaluate_membership(*request)),
                "evaluate_membership")


# -- docs/spec.md §6 through both paths ----------------------------------------------------------

def spec_cases():
    fixed = {"id": 31, "type": "discount", "mode": "fixed", "value": "100000",
             "applicability": "order"}
    single = [{"id": 1, "product_id": 1, "qty": 1, "price_unit": 110000}]
    return [
        (config([points_program("base")]),
         order("s1", first_order_lines(), card=card(), membership=gold_snapshot())),
        (config([points_program("paid")]),
         order("s1", first_order_lines(), card=card(), membership=gold_snapshot())),
        (config([promotion(1, 1, percent_on_order(11, "20")),
                 promotion(2, 2, percent_on_order(21, "10"))]), order("s2", single)),
        (config([promotion(1, 1, percent_on_order(11, "20")), promotion(3, 3, fixed)]),
         order("s3", single)),
        (config([promotion(1, 1, percent_on_order(11, "10"))]),
         order("s4", [{"id": 1, "product_id": 1, "qty": 1, "price_unit": 10001},
                      {"id": 2, "product_id": 2, "qty": 1, "price_unit": 20000}])),
        (config([points_program()]),
         order("r1", [{"id": 2, "product_id": 502, "qty": -1, "price_unit": 30000}],
               card=card(), membership=gold_snapshot(), refund_of="s1")),
        # v2: largest remainder, 1, 1, 0, 0.
        (config([promotion(4, 1, {"id": 41, "type": "discount", "mode": "fixed", "value": "2",
                                  "applicability": "order"})]),
         order("s5", [{"id": i, "product_id": i, "qty": 1, "price_unit": 10}
                      for i in range(1, 5)])),
        # v2: spend_earned, 20 of the 50 points the order earns.
        (spend_earned_config(True),
         order("s6", [{"id": 1, "product_id": 1, "qty": 1, "price_unit": 50000}],
               card={"id": 901, "program_id": 20, "points": "0"},
               redeem=[{"reward_id": 201, "points": 20}])),
        # v2: a partial refund of a 3-unit line that spent 7 points on 700: 2.33 back.
        (spend_earned_config(True),
         order("r2", [{"id": 9, "product_id": 1, "qty": -1, "price_unit": 10000,
                       "origin_line_id": 1}],
               card={"id": 901, "program_id": 20, "points": "0"}, refund_of="s7",
               original={"lines": [{"id": 1, "qty": 3}],
                         "redemptions": [{"reward_id": 201, "points": 7, "amount": 700,
                                          "lines": {1: 700}}]})),
    ]


@pytest.mark.parametrize("case", range(len(spec_cases())))
def test_spec_examples_agree(native, case):
    config_doc, order_doc = spec_cases()[case]
    native_result = native.Engine(config_doc).evaluate(order_doc)
    legacy_result = aba_legacy_engine.Engine(config_doc).evaluate(order_doc)
    assert native_result["engine"] == "native" and legacy_result["engine"] == "legacy"
    assert_same(("ok", blank_engine(native_result)), ("ok", blank_engine(legacy_result)),
                "SPEC example")


# -- extreme magnitudes ----------------------------------------------------------------------------

@st.composite
def extreme_cases(draw):
    """Values up to the input limits (|x| < 10**12, many digits): results exceed what the
    native decimal (28 digits) holds exactly far more often than in real orders."""
    config = draw(configs())
    digits = st.integers(0, 10**12 - 1)
    lines = []
    for index in range(draw(st.integers(1, 4))):
        whole, fraction = draw(digits), draw(st.integers(0, 9999))
        units = draw(st.integers(1, draw(st.sampled_from([1, 10**3, 10**6, 10**12 - 1]))))
        qty = Decimal(f"{units}.{draw(st.integers(0, 999)):03d}")
        lines.append({"id": index, "product_id": 1 + index, "qty": qty,
                      "price_unit": Decimal(f"{whole}.{fraction:04d}")})
    sale = draw(orders(config, uid="x"))
    sale.pop("refund_of", None)
    sale["lines"] = lines
    return config, sale


@examples(0.15)
@given(case=extreme_cases())
def test_extreme_values_agree_or_native_overflows(native, case):
    """Equal results, or the native engine refuses with a plain LoyaltyError ("arithmetic
    overflow": not an input error, so the shim falls back to the exact legacy result)."""
    config, sale = case
    built = engines(native, config)
    if built is None:
        return
    native_engine, legacy_engine = built
    native_outcome = outcome(lambda: native_engine.evaluate(sale))
    legacy_outcome = outcome(lambda: legacy_engine.evaluate(sale))
    if native_outcome[:2] == ("error", "LoyaltyError"):
        try:
            native_engine.evaluate(sale)
        except Exception as exc:  # noqa: BLE001 - checking which error it is
            assert "overflow" in str(exc)
        assert legacy_outcome[0] == "ok", legacy_outcome
        return
    assert_same(native_outcome, legacy_outcome, "evaluate (extreme)")
