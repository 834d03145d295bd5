"""Generated garbage into Engine() and evaluate(): only LoyaltyError subclasses come out,
never another exception, never a crash (a Rust panic would surface as pyo3's PanicException,
a BaseException, and fail these tests loudly).

Two generators: free-form nested values whose dict keys are drawn mostly from the real field
names (aba_loyalty_testdata.fields, read from the documented input types; the fuzz target's key
list is held to the same names below, so decoding gets deep), and valid documents with one node replaced by garbage.
About 15 s in total; HYPOTHESIS_PROFILE-independent (explicit settings)."""

from __future__ import annotations

import copy
import warnings
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from aba_loyalty_core import ConfigError, Engine, LoyaltyError
from aba_loyalty_testdata.fields import FIELD_NAMES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning

WORDS = ["loyalty", "promotion", "order", "money", "unit", "discount", "percent", "fixed",
         "per_point", "cheapest", "specific", "base", "paid", "gold", "basic", "1", "0.01",
         "2024-05-01", "2024-05-01T10:00:00", "NaN", "-Infinity", "1e400", "1_000", ""]


class Weird:
    """An object of no expected type whose dunders misbehave."""

    def __str__(self):
        raise RuntimeError("no str")

    def __index__(self):
        raise RuntimeError("no index")


class BadOffset(timezone.__base__):  # datetime.tzinfo
    def utcoffset(self, dt):
        raise RuntimeError("no offset")


scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("sNaN"), Decimal("-0"), Decimal("1E+999999"), Decimal("1E-40")]),
    st.text(max_size=12), st.sampled_from(WORDS), st.binary(max_size=4),
    st.dates(), st.datetimes(), st.datetimes(timezones=st.timezones()),
    st.just(datetime.max.replace(tzinfo=timezone(-timedelta(hours=23)))),
    st.just(Weird()), st.just("\ud800"), st.just(object()),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.sampled_from(FIELD_NAMES),
                 st.text(max_size=5), st.integers(), st.none())
garbage = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(keys, children, max_size=6),
        st.frozensets(st.integers(), max_size=3),
    ),
    max_leaves=20,
)

# Deep garbage makes long reprs; hypothesis warns about them, which is noise here.
pytestmark = pytest.mark.filterwarnings("ignore", category=HypothesisWarning)
warnings.filterwarnings("ignore", category=HypothesisWarning)


def valid_config() -> dict:
    return {
        "currency": {"code": "IDR", "rounding": "1"},
        "points_precision": 2,
        "tiers": [{"code": "gold", "rank": 1, "multiplier": "1.5", "min_spend": "0"}],
        "membership": {"validity_days": 30},
        "programs": [
            {"id": 10, "name": "Points", "kind": "loyalty", "sequence": 1,
             "rules": [{"id": 1, "mode": "money", "amount": "0.001", "min_qty": 0}],
             "rewards": [{"id": 1, "type": "discount", "mode": "per_point", "value": 10,
                          "applicability": "order", "required_points": 1,
                          "max_amount": 100}]},
            {"id": 20, "name": "Promo", "kind": "promotion", "sequence": 2, "exclusive": True,
             "date_from": "2024-01-01", "date_to": date(2024, 12, 31),
             "rules": [{"id": 2, "mode": "unit", "amount": 1, "product_ids": [1]}],
             "rewards": [{"id": 2, "type": "discount", "mode": "percent", "value": 10.5,
                          "applicability": "cheapest", "category_ids": [3]}]},
        ],
    }


def valid_order() -> dict:
    return {
        "uid": "pos-1", "date_order": "2024-05-10T10:00:00+07:00", "partner_id": 7,
        "card": {"id": 1, "program_id": 10, "points": Decimal(50)},
        "membership": {"partner_id": 7, "tier": "gold", "evaluated_at": datetime(2024, 5, 1),
                       "valid_until": datetime(2024, 6, 1)},
        "lines": [{"id": 1, "product_id": 1, "category_ids": [3], "qty": 2,
                   "price_unit": 12.5, "discount": Decimal(10)},
                  {"id": "b", "product_id": 2, "qty": Decimal("0.5"), "price_unit": "300"}],
        "redeem": [{"reward_id": 1, "points": 5}],
        "refund_of": None,
    }


def nodes(document, path=()):
    """Every (path, value) in a document, the root included."""
    yield path, document
    if isinstance(document, dict):
        for key, value in document.items():
            yield from nodes(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from nodes(value, (*path, index))


def replaced(document, path, value):
    if not path:
        return value
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


CONFIG_PATHS = [p for p, _ in nodes(valid_config())]
ORDER_PATHS = [p for p, _ in nodes(valid_order())]
ENGINE = Engine(valid_config())
SETTINGS = settings(max_examples=250, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def no_panic(error: LoyaltyError) -> None:
    """A contained Rust panic also arrives as a LoyaltyError; garbage must not cause one."""
    assert "internal error" not in str(error), str(error)


def build_or_config_error(config):
    try:
        return Engine(config)
    except ConfigError as error:
        no_panic(error)
        return None


def evaluate_or_loyalty_error(engine, order):
    try:
        result = engine.evaluate(order)
    except LoyaltyError as error:
        no_panic(error)
        return
    assert result["engine"] == "native"
    try:
        engine.evaluate_many([order, order])
    except LoyaltyError as error:
        no_panic(error)


@SETTINGS
@given(garbage)
def test_garbage_configs_raise_only_config_errors(config):
    build_or_config_error(config)


@SETTINGS
@given(st.sampled_from(CONFIG_PATHS), garbage)
def test_damaged_configs_raise_only_config_errors(path, value):
    engine = build_or_config_error(replaced(valid_config(), path, value))
    if engine is not None:
        evaluate_or_loyalty_error(engine, valid_order())


@SETTINGS
@given(garbage)
def test_garbage_orders_raise_only_loyalty_errors(order):
    evaluate_or_loyalty_error(ENGINE, order)
    try:
        ENGINE.evaluate_many(order)
    except LoyaltyError as error:
        no_panic(error)


@SETTINGS
@given(st.sampled_from(ORDER_PATHS), garbage)
def test_damaged_orders_raise_only_loyalty_errors(path, value):
    evaluate_or_loyalty_error(ENGINE, replaced(valid_order(), path, value))


@SETTINGS
@given(garbage, garbage, garbage)
def test_garbage_membership_arguments(partner_id, spend, as_of):
    try:
        ENGINE.evaluate_membership(partner_id, spend, as_of)
    except LoyaltyError as error:
        no_panic(error)


def test_misbehaving_objects():
    odd = datetime(2024, 5, 1, tzinfo=BadOffset())
    for path in (("date_order",), ("membership", "evaluated_at")):
        try:
            ENGINE.evaluate(replaced(valid_order(), path, odd))
        except LoyaltyError:
            pass
    for value in (Weird(), odd, Decimal("sNaN"), "\ud800"):
        try:
            ENGINE.evaluate_membership(1, value, odd)
        except LoyaltyError:
            pass


def test_valid_documents_evaluate():
    result = ENGINE.evaluate(valid_order())
    assert result["points"]["spent"] == Decimal("5.00")


def test_the_fuzz_target_draws_the_same_field_names():
    """fuzz/src/lib.rs cannot import the Python list: its KEYS must name the same fields."""
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "fuzz" / "src" / "lib.rs").read_text()
    block = re.search(r"const KEYS: &\[&str\] = &\[(.*?)\];", source, re.S)
    assert block, "KEYS not found in fuzz/src/lib.rs"
    keys = re.findall(r'"([^"]+)"', block.group(1))
    assert len(keys) == len(set(keys))
    assert set(keys) == set(FIELD_NAMES), (set(keys) ^ set(FIELD_NAMES))
