"""Bad input, generated: malformed configs and orders through the Python API (hypothesis), and
malformed source rows through the ETL.

Every config/order case starts from a valid document and breaks it at one generated place
(a value replaced by garbage of any Python type, a key removed, an unknown key added): the engine
either accepts it or raises the documented class (ConfigError from `Engine(config)`, OrderError
or InsufficientPointsError from `evaluate`) whose message starts with a path that names a field of
the document; nothing else escapes, in particular never a pyo3 PanicException.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg2.extras import Json
from reliability_report import record, scale

EXAMPLES = scale(1500, 25_000)
SECTION = "bad input (python)"


def base_config() -> dict:
    def reward(rid, mode, value, applicability, points=None):
        r = {"id": rid, "type": "discount", "mode": mode, "value": Decimal(value),
             "applicability": applicability, "product_ids": [20], "max_amount": Decimal(0)}
        if points is not None:
            r["required_points"] = Decimal(points)
        return r

    def promotion(pid, rew, exclusive=False):
        return {"id": pid, "name": f"P{pid}", "kind": "promotion", "sequence": pid,
                "exclusive": exclusive, "date_from": dt.date(2024, 1, 1), "date_to": None,
                "rules": [{"id": pid * 10, "mode": "unit", "amount": Decimal(1),
                           "category_ids": [1], "min_qty": 0, "min_amount": "0"}],
                "rewards": [rew]}

    return {
        "currency": {"code": "IDR", "rounding": "1"},
        "points_precision": 2,
        "tiers": [{"code": "basic", "rank": 0, "multiplier": "1", "min_spend": "0"},
                  {"code": "gold", "rank": 2, "multiplier": "1.5", "min_spend": "5000000"}],
        "membership": {"validity_days": 30},
        "programs": [
            {"id": 10, "name": "ABA Points", "kind": "loyalty", "sequence": 10,
             "points_basis": "base", "active": True,
             "rules": [{"id": 100, "mode": "money", "amount": Decimal("0.0001")}],
             "rewards": [reward(1000, "per_point", "100", "order", "1"),
                         reward(1001, "fixed", "5000", "cheapest", "10")]},
            promotion(20, reward(2000, "percent", "10", "order")),
            promotion(21, reward(2100, "fixed", "20000", "specific")),
            promotion(22, reward(2200, "percent", "50", "cheapest"), exclusive=True),
        ],
    }


def base_order() -> dict:
    return {
        "uid": "order-1",
        "date_order": dt.datetime(2024, 5, 10, 10, 0),
        "partner_id": 7,
        "card": {"id": 500, "program_id": 10, "points": Decimal(50)},
        "membership": {"partner_id": 7, "tier": "gold", "evaluated_at": "2024-05-01T00:00:00",
                       "valid_until": "2024-05-31T00:00:00"},
        "lines": [
            {"id": 1, "product_id": 10, "category_ids": [1], "qty": Decimal(2),
             "price_unit": Decimal(150000), "discount": 0},
            {"id": "L2", "product_id": 20, "category_ids": [1], "qty": 1.0,
             "price_unit": "99999.5", "discount": Decimal(10)},
        ],
        "redeem": [{"reward_id": 1000, "points": Decimal("12.5")}],
        "refund_of": None,
    }


def paths(doc, prefix=""):
    """Every (path, container, key) of a document, in the engine's path syntax."""
    items = dict.items(doc) if isinstance(doc, dict) else enumerate(doc)
    for key, value in items:
        path = (f"{prefix}.{key}" if prefix else key) if isinstance(doc, dict) else f"{prefix}[{key}]"
        yield path, doc, key
        if isinstance(value, (dict, list)):
            yield from paths(value, path)


class Hostile:
    """An object whose every conversion raises."""

    def __str__(self):
        raise RuntimeError("no str")

    __repr__ = __str__

    def __index__(self):
        raise RuntimeError("no index")

    def __float__(self):
        raise RuntimeError("no float")


class WeirdDict(dict):
    def items(self):
        raise RuntimeError("no items")


garbage = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.sampled_from([Decimal("sNaN"), Decimal("1e-40"), Decimal("9" * 40), Decimal("-0"),
                         Decimal("1E+12"), Decimal("999999999999.9999999999999999999999999999")]),
        st.text(max_size=12), st.sampled_from(["", "NaN", "inf", "1e12", "0x10", "1_0", "٣",
                                               "2024-02-30", "2024-05-10T25:00", "loyalty"]),
        st.binary(max_size=8), st.dates(), st.datetimes(), st.times(),
        st.datetimes(timezones=st.just(dt.timezone(dt.timedelta(hours=-23, minutes=-59)))),
        st.builds(Hostile), st.just(math.pi), st.just(object()),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.tuples(children),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), children, max_size=3),
        st.dictionaries(st.text(max_size=8), children, max_size=2).map(WeirdDict),
        st.frozensets(st.integers(), max_size=2),
    ),
    max_leaves=6,
)


@st.composite
def broken(draw, make):
    doc = make()
    places = list(paths(doc))
    path, container, key = draw(st.sampled_from(places))
    action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "unknown"]))
    if action == "replace":
        container[key] = draw(garbage)
    elif action == "remove" and isinstance(container, dict):
        del container[key]
    elif action == "remove":
        container.pop(key)
    else:
        dicts = [("", doc)] + [(p, c[k]) for p, c, k in places if isinstance(c[k], dict)]
        where, target = draw(st.sampled_from(dicts))
        name = draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in target))
        target[name] = draw(garbage)
        path = f"{where}.{name}" if where else name
    return doc, path, action


def _check_error(exc: BaseException, allowed: tuple, doc, root: str, mutated: str,
                 prefix: str = "") -> None:
    """The documented class, and a message `"<path>: <reason>"` whose path is a field of the
    document (or the field the mutation removed)."""
    from aba_loyalty_core import LoyaltyError

    # Counted from what escaped, before judging it: a panic or an undocumented class is a figure
    # of the summary as well as a failure.
    record(SECTION, documented_refusals=int(isinstance(exc, LoyaltyError)),
           panics=int(type(exc).__name__ == "PanicException"),
           undocumented=int(not isinstance(exc, LoyaltyError)))
    assert isinstance(exc, LoyaltyError), (
        f"undocumented {type(exc).__module__}.{type(exc).__name__}: {exc}")
    assert isinstance(exc, allowed) or type(exc) is LoyaltyError, (type(exc), exc)
    message = str(exc)
    fields = {root, prefix + mutated if not prefix or not mutated else f"{prefix}.{mutated}"}
    for path, _container, _key in paths(doc):
        fields.add(f"{prefix}.{path}" if prefix and not path.startswith("[") else prefix + path)
    expected = prefix + mutated if not prefix or not mutated else f"{prefix}.{mutated}"
    named = [f for f in fields if f and message.startswith(f + ": ")]
    # A required field missing inside the garbage that replaced the mutated one.
    head = message.split(": ", 1)[0]
    if expected and head.startswith((expected + ".", expected + "[")):
        named.append(head)
    assert named, f"{type(exc).__name__} does not name a field of the input: {message!r}"
    best = max(named, key=len)
    if mutated and (best == expected or best.startswith((expected + ".", expected + "["))):
        record(SECTION, named_the_broken_field=1)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=broken(base_config))
def test_malformed_configs_raise_documented_errors(case):
    from aba_loyalty_core import ConfigError, Engine, InsufficientPointsError, OrderError

    config, mutated, _ = case
    record(SECTION, inputs_tried=1, configs=1)
    try:
        engine = Engine(config)
    except BaseException as exc:  # noqa: BLE001 - the point: what escapes, whatever it is
        _check_error(exc, (ConfigError,), config, "config", mutated)
        return
    record(SECTION, accepted=1)
    # An accepted config evaluates the base order, or refuses it as documented (the mutation may
    # have removed the reward it redeems).
    order = base_order()
    try:
        engine.evaluate(order)
    except BaseException as exc:  # noqa: BLE001 - the point: what escapes, whatever it is
        _check_error(exc, (OrderError, InsufficientPointsError), order, "order", "")


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=broken(base_order))
def test_malformed_orders_raise_documented_errors(case):
    from aba_loyalty_core import Engine, InsufficientPointsError, OrderError

    order, mutated, _ = case
    record(SECTION, inputs_tried=1, orders=1)
    engine = Engine(base_config())
    for call, root, prefix in ((lambda: engine.evaluate(order), "order", ""),
                               (lambda: engine.evaluate_many([base_order(), order]), "[1]",
                                "[1]")):
        try:
            result = call()
        except BaseException as exc:  # noqa: BLE001 - the point: what escapes, whatever it is
            _check_error(exc, (OrderError, InsufficientPointsError), order, root, mutated,
                         prefix)
        else:
            record(SECTION, accepted=1)
            assert result is not None


# --- malformed source rows through the ETL -------------------------------------------------------

# (table, column, SQL value, stream, column named in the reason)
CORRUPTIONS = [
    ("loyalty_card", "points", "'NaN'::float8", "cards", "points"),
    ("loyalty_card", "points", "'Infinity'::float8", "cards", "points"),
    # NaN passes Odoo's CHECK (> 0): PostgreSQL sorts it above every number.
    ("loyalty_rule", "reward_point_amount", "'NaN'::float8", "rules", "reward_point_amount"),
    ("loyalty_rule", "reward_point_mode", "'bogus'", "rules", "reward_point_mode"),
    ("loyalty_program", "name", "'\"not an object\"'::jsonb", "programs", "name"),
    ("loyalty_program", "name", "'{}'::jsonb", "programs", "name"),
    ("loyalty_program", "program_type", "'bogus'", "programs", "program_type"),
    ("loyalty_reward", "discount_mode", "'bogus'", "rewards", "discount_mode"),
    ("loyalty_reward", "discount", "'Infinity'::float8", "rewards", "discount"),
    ("aba_loyalty_point_move", "points", "'NaN'::numeric", "moves", "points"),
    ("aba_loyalty_point_move", "kind", "'bogus'", "moves", "kind"),
    ("aba_loyalty_point_move", "unrecovered", "-5", "moves", "unrecovered"),
]


def _corrupt(dsn: str, picks) -> dict:
    """Apply corruptions to random rows; returns {(stream, id): column}."""
    bad = {}
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        for table, column, value, stream, named in picks:
            cur.execute(f"SELECT id FROM public.{table} ORDER BY random() LIMIT 1")
            row_id = cur.fetchone()[0]
            if (stream, row_id) in bad:
                continue
            # Test-side SQL on fixed catalogue entries (never user input).
            cur.execute(f"UPDATE public.{table} SET {column} = {value}, "
                        "write_date = now() AT TIME ZONE 'UTC' WHERE id = %s", (row_id,))
            bad[(stream, row_id)] = named
    conn.close()
    return bad


def _rejects(report) -> dict:
    return {(r["stream"], r["id"]): r for s in report["streams"] for r in s["rejects"]}


@pytest.mark.timeout(300)
def test_malformed_source_rows_are_reported_and_skipped(make_db):
    import random

    from aba_loyalty_core import _testing, etl

    rng = random.Random(66)
    source, target = make_db("badsrc"), make_db("badtgt")
    _testing.generate(source, cards=500)
    pristine = make_db("badref")
    _testing.generate(pristine, cards=500)

    # Full load over a source with bad rows: each reported with table, id and the column.
    bad = _corrupt(source, rng.sample(CORRUPTIONS, 8))
    runner = etl.Etl(source, target)
    report = runner.full_load()
    rejects = _rejects(report)
    assert set(rejects) == set(bad), (sorted(rejects), sorted(bad))
    # Counted, not assumed: reports naming the table, the id and the broken column, and bad
    # rows found in the engine anyway.
    reported = loaded_anyway = 0
    for key, column in bad.items():
        reject = rejects[key]
        assert column in reject["reason"], reject
        assert reject["table"], reject
        reported += bool(reject["table"]) and reject["id"] == key[1] and column in reject["reason"]
    conn = psycopg2.connect(target)
    with conn.cursor() as cur:
        for (stream, row_id) in bad:
            table = {"moves": "point_moves"}.get(stream, stream)
            cur.execute(f"SELECT count(*) FROM aba_engine.{table} WHERE id = %s", (row_id,))
            found = cur.fetchone()[0]
            loaded_anyway += found
            assert found == 0, f"bad row {stream}/{row_id} was loaded"
    conn.close()

    # Rounds of corruption and repair through incremental syncs.
    tried = len(bad)
    # Rows stay broken until repaired: a row broken twice is named by its first bad column.
    broken = {key: {column} for key, column in bad.items()}
    for _ in range(scale(4, 30)):
        bad_now = _corrupt(source, rng.sample(CORRUPTIONS, 4))
        tried += len(bad_now)
        for key, column in bad_now.items():
            broken.setdefault(key, set()).add(column)
        report = runner.sync()
        rejects = _rejects(report)
        assert set(bad_now) <= set(rejects), (sorted(rejects), sorted(bad_now))
        for key in bad_now:
            assert any(c in rejects[key]["reason"] for c in broken[key]), rejects[key]
            reported += bool(rejects[key]["table"]) and rejects[key]["id"] == key[1]
    # Repair every row from the pristine twin (same generator seed): the next sync takes them.
    src, ref = psycopg2.connect(source), psycopg2.connect(pristine)
    with src, src.cursor() as s, ref.cursor() as r:
        for table, column, *_ in CORRUPTIONS:
            r.execute(f"SELECT id, {column} FROM public.{table}")
            for row_id, value in r.fetchall():
                value = Json(value) if isinstance(value, (dict, list)) else value
                s.execute(f"UPDATE public.{table} SET {column} = %s, write_date = "
                          "now() AT TIME ZONE 'UTC' WHERE id = %s AND "
                          f"{column} IS DISTINCT FROM %s", (value, row_id, value))
    src.close()
    ref.close()
    report = runner.sync()
    assert not _rejects(report), _rejects(report)
    from etl_support import compare, differences

    assert not differences(compare(source, target))
    assert reported == tried, (reported, tried)
    record("bad input (etl rows)", malformed_rows_tried=tried, reported_with_table_id_column=reported,
           loaded_anyway=loaded_anyway)
