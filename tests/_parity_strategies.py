"""Hypothesis strategies for the native/legacy differential tests: configs and orders that
exercise every mode and edge of SPEC.md, and single corruptions of them for the error paths.

Values stay where exact decimal arithmetic is possible in both engines (the native one has 28
significant digits): at most 4 decimals on prices and rule amounts, 3 on quantities, plus floats
whose repr is long (0.1 * 3) where they cannot grow past that bound.
"""

from __future__ import annotations

import copy
import functools
import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

BOOL = st.booleans()


@functools.cache
def ints(low: int, high: int) -> st.SearchStrategy:
    """Strategies are cached: building and validating a new one per draw dominated run time."""
    return st.integers(low, high)


@functools.cache
def pick(options: tuple) -> st.SearchStrategy:
    return st.sampled_from(options)


def one_of(options) -> st.SearchStrategy:
    options = tuple(options)
    try:
        return pick(options)
    except TypeError:  # unhashable options (dicts): not cached
        return st.sampled_from(options)

PRODUCTS = list(range(1, 7))
CATEGORIES = list(range(1, 5))
ROUNDINGS = ["0.01", "1", "100", "0.05", "0.1"]
DAY0 = date(2025, 1, 1)

_SOME_PRODUCTS = st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=3)
_SOME_CATEGORIES = st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2)
_LINE_CATEGORIES = st.lists(st.sampled_from(CATEGORIES), max_size=2)
_PROGRAM_IDS = st.lists(st.integers(1, 60), min_size=1, max_size=7, unique=True)


# -- numbers in every accepted form --------------------------------------------------------------

def as_form(draw, value: Decimal):
    """The same decimal as Decimal, str, int (when integral) or float (when its repr is exact)."""
    forms = ["decimal", "str"]
    if value == value.to_integral_value():
        forms.append("int")
    if Decimal(repr(float(value))) == value:
        forms.append("float")
    form = draw(one_of(forms))
    if form == "decimal":
        return value
    if form == "str":
        return draw(one_of([str(value), f"{value:f}", f" {value} "]))
    if form == "int":
        return int(value)
    return float(value)


_POOLS: dict[tuple, list[Decimal]] = {}


def _pool(low: str, high: str, places: int) -> list[Decimal]:
    """A fixed pool of decimals in [low, high] with `places` decimals (drawing from a pool is
    much cheaper than st.decimals, and generation, not evaluation, bounds the examples/s)."""
    key = (low, high, places)
    if key not in _POOLS:
        rng = random.Random(f"{low}:{high}:{places}")
        lo, hi, step = Decimal(low), Decimal(high), Decimal(1).scaleb(-places)
        span = int((hi - lo) / step)
        values = {lo, hi}
        for _ in range(40):
            # Log-uniform magnitudes: small and large values alike.
            values.add(lo + step * min(span, int(span ** rng.random())))
        _POOLS[key] = sorted(values)
    return _POOLS[key]


def decimals(draw, low: str, high: str, places: int, extra: tuple = ()) -> Decimal:
    if extra and draw(ints(0, 2)) == 0:
        return Decimal(draw(one_of(extra)))
    return draw(one_of(_pool(low, high, places)))


def number(draw, low: str, high: str, places: int, extra: tuple = ()):
    return as_form(draw, decimals(draw, low, high, places, extra))


def moment(draw, day: date, hour_range=(0, 23)) -> datetime:
    """An aware UTC datetime on `day`."""
    seconds = draw(ints(hour_range[0] * 3600, hour_range[1] * 3600 + 3599))
    micro = draw(one_of([0, 0, 0, 500_000, 123_456]))
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(
        seconds=seconds, microseconds=micro)


def datetime_form(draw, value: datetime):
    """An aware UTC datetime as naive, aware in another zone, or ISO text."""
    form = draw(one_of(["naive", "aware", "iso_z", "iso_offset", "iso_space"]))
    if form == "naive":
        return value.replace(tzinfo=None)
    offset = timezone(timedelta(hours=draw(one_of([7, -5, 5.5]))))
    if form == "aware":
        return value.astimezone(offset)
    if form == "iso_z":
        return value.replace(tzinfo=None).isoformat() + "Z"
    if form == "iso_offset":
        return value.astimezone(offset).isoformat()
    return value.replace(tzinfo=None).isoformat(sep=" ")


def date_form(draw, value: date):
    return value if draw(BOOL) else value.isoformat()


# -- configs -------------------------------------------------------------------------------------

def id_filter(draw) -> dict:
    out = {}
    kind = draw(one_of(["none", "none", "products", "categories", "both", "empty"]))
    if kind in ("products", "both"):
        out["product_ids"] = draw(_SOME_PRODUCTS)
    if kind in ("categories", "both"):
        out["category_ids"] = draw(_SOME_CATEGORIES)
    if kind == "empty":
        out["product_ids"], out["category_ids"] = [], []
    return out


def rule(draw, rule_id: int) -> dict:
    mode = draw(one_of(["order", "money", "unit"]))
    amounts = {"order": ("1", "5", "0.5"), "money": ("0.0001", "0.001", "0.01", "1"),
               "unit": ("1", "0.25", "2", "0.5")}[mode]
    out = {"id": rule_id, "mode": mode,
           "amount": number(draw, "0.0001", "10", 4, amounts)}
    out.update(id_filter(draw))
    if draw(ints(0, 2)) == 0:
        out["min_qty"] = number(draw, "0", "5", 1, ("0", "1", "2", "3"))
    if draw(ints(0, 2)) == 0:
        out["min_amount"] = number(draw, "0", "200000", 0, ("0", "50000", "100000"))
    return out


def reward(draw, reward_id: int, loyalty: bool) -> dict:
    modes = ["percent", "fixed", "per_point"] if loyalty else ["percent", "fixed"]
    mode = draw(one_of(modes))
    if mode == "percent":
        value = number(draw, "0.5", "100", 2, ("10", "20", "100", "33.33", "12.5"))
    elif mode == "fixed":
        value = number(draw, "1", "150000", 2, ("5000", "100000", "0.3", "0.02"))
    else:
        value = number(draw, "0.01", "1000", 2, ("100", "1", "0.6", "250"))
    out = {"id": reward_id, "type": "discount", "mode": mode, "value": value,
           "applicability": draw(one_of(["order", "cheapest", "specific"]))}
    out.update(id_filter(draw))
    if draw(ints(0, 3)) == 0:
        out["max_amount"] = number(draw, "0", "50000", 2, ("0", "1000", "25000"))
    if loyalty:
        out["required_points"] = number(draw, "0.01", "50", 2, ("1", "10", "2.5", "0.5"))
    elif draw(ints(0, 3)) == 0:
        out["required_points"] = 1
    return out


@st.composite
def configs(draw) -> dict:
    rounding = Decimal(draw(one_of(ROUNDINGS)))
    config = {"currency": {"code": draw(one_of(["IDR", "USD", "EUR"])),
                           "rounding": as_form(draw, rounding)}}
    if draw(ints(0, 3)):
        config["points_precision"] = draw(ints(0, 6))
    n_tiers = draw(ints(0, 3))
    if n_tiers or draw(BOOL):
        codes = draw(st.lists(st.sampled_from(["basic", "silver", "gold", "vip"]),
                              min_size=n_tiers, max_size=n_tiers, unique=True))
        config["tiers"] = [{
            "code": code,
            "rank": draw(ints(0, 3)),
            "multiplier": as_form(draw, Decimal(draw(one_of(
                ["1", "1.5", "2", "0.5", "1.25", "3.333"])))),
            "min_spend": number(draw, "0", "5000000", 0, ("0", "1000000")),
        } for code in codes]
    if draw(BOOL):
        config["membership"] = {"validity_days": draw(ints(1, 400))}
    program_ids = draw(_PROGRAM_IDS)
    next_id = iter(range(1000, 100000))
    programs = []
    for program_id in program_ids:
        loyalty = draw(ints(0, 2)) == 0
        program = {"id": program_id, "name": f"Program {program_id}",
                   "kind": "loyalty" if loyalty else "promotion",
                   "sequence": draw(ints(0, 4))}
        if draw(ints(0, 7)) == 0:
            program["active"] = draw(BOOL)
        start = draw(one_of([None, None, None, 0, 10, 30, 45, 60]))
        end = draw(one_of([None, None, None, 20, 31, 44, 70, 85]))
        if start is not None and end is not None and start > end:
            start, end = end, start
        if start is not None:
            program["date_from"] = date_form(draw, DAY0 + timedelta(days=start))
        if end is not None:
            program["date_to"] = date_form(draw, DAY0 + timedelta(days=end))
        if draw(ints(0, 2)) == 0:
            program["exclusive"] = draw(BOOL)
        if loyalty or draw(ints(0, 4)) == 0:
            program["points_basis"] = draw(one_of(["base", "paid"]))
        program["rules"] = [rule(draw, next(next_id)) for _ in range(draw(ints(0, 3)))]
        program["rewards"] = [reward(draw, next(next_id), loyalty)
                              for _ in range(draw(ints(0, 3)))]
        programs.append(program)
    config["programs"] = programs
    return config


# -- orders --------------------------------------------------------------------------------------

def line(draw, line_id, refund: bool) -> dict:
    qty = decimals(draw, "0.001", "12", 3, ("1", "2", "3", "0.5", "10"))
    if draw(ints(0, 9)) == 0:
        awkward = float(qty) * 1.1  # a float with a long repr, still exact enough
        qty_value = awkward if Decimal(repr(awkward)).as_tuple().exponent >= -17 else float(qty)
    else:
        qty_value = as_form(draw, qty)
    if refund:
        qty_value = -qty_value if not isinstance(qty_value, str) else "-" + qty_value.strip()
    out = {"id": line_id, "product_id": draw(one_of(PRODUCTS)),
           "qty": qty_value,
           "price_unit": number(draw, "0", "250000", draw(one_of([0, 2, 4])),
                                ("0", "45000", "30000", "10001", "0.1", "19.99", "0.005"))}
    if draw(ints(0, 3)):
        out["category_ids"] = draw(_LINE_CATEGORIES)
    if draw(ints(0, 2)) == 0:
        out["discount"] = number(draw, "0", "100", 2, ("0", "10", "100", "33.33", "12.5"))
    return out


def snapshot(draw, config: dict, partner_id, when: datetime):
    kind = draw(one_of(["none", "valid", "valid", "valid", "valid", "valid", "valid", "valid",
                        "foreign", "expired", "future", "unknown_tier", "null_tier", "edges"]))
    if kind == "none":
        return None
    codes = [tier["code"] for tier in config.get("tiers") or []] or ["gold"]
    out = {"partner_id": partner_id if partner_id is not None else 1,
           "tier": draw(one_of(codes)),
           "evaluated_at": when - timedelta(days=draw(ints(0, 40))),
           "valid_until": when + timedelta(days=draw(ints(0, 40)))}
    if kind == "foreign":
        out["partner_id"] = out["partner_id"] + 1
    elif kind == "expired":
        out["valid_until"] = when - timedelta(microseconds=draw(one_of([1, 10**6])))
    elif kind == "future":
        out["evaluated_at"] = when + timedelta(seconds=1)
    elif kind == "unknown_tier":
        out["tier"] = "platinum"
    elif kind == "null_tier":
        out["tier"] = None
    elif kind == "edges":
        out["evaluated_at"] = out["valid_until"] = when
    out["evaluated_at"] = datetime_form(draw, out["evaluated_at"])
    out["valid_until"] = datetime_form(draw, out["valid_until"])
    return out


def redemption(draw, config: dict, card: dict | None) -> list:
    programs = {p["id"]: p for p in config["programs"]}
    program = programs.get(card["program_id"]) if card else None
    rewards = program["rewards"] if program and program["kind"] == "loyalty" else []
    if not rewards or draw(ints(0, 3)) == 0:
        other = [r for p in config["programs"] for r in p["rewards"]]
        if other and draw(ints(0, 5)) == 0:  # a reward of another program
            chosen = draw(one_of(other))
            return [{"reward_id": chosen["id"], "points": chosen.get("required_points", 1)}]
        return []
    picked = draw(st.lists(st.sampled_from(rewards), min_size=1, max_size=len(rewards),
                           unique_by=lambda r: r["id"]))
    items = []
    for chosen in picked:
        required = Decimal(str(chosen["required_points"]).strip())
        points = required
        if chosen["mode"] == "per_point":
            points = required + decimals(draw, "0", "40", draw(one_of([0, 2])))
        fault = draw(ints(0, 24))
        if fault == 0:
            points = points - Decimal("0.01")  # below required / not equal
        elif fault == 1:
            points = points + Decimal("0.001")  # more decimals than precision (mostly)
        items.append({"reward_id": chosen["id"], "points": as_form(draw, points)})
    if draw(ints(0, 29)) == 0:
        items.append(dict(items[0]))  # listed twice
    return draw(st.permutations(items))


@st.composite
def orders(draw, config: dict, uid: str = "o") -> dict:
    day = DAY0 + timedelta(days=draw(ints(0, 85)))
    when = moment(draw, day)
    refund = draw(ints(0, 5)) == 0
    partner_id = draw(one_of([None, 1, 2, 3, 1, 2]))
    loyalty_ids = [p["id"] for p in config["programs"] if p["kind"] == "loyalty"]
    other_ids = [p["id"] for p in config["programs"] if p["kind"] != "loyalty"] + [999]
    card = None
    if draw(ints(0, 4)):
        program_id = (draw(one_of(loyalty_ids))
                      if loyalty_ids and draw(ints(0, 5)) else draw(one_of(other_ids)))
        card = {"id": draw(ints(1, 50)), "program_id": program_id,
                "points": number(draw, "0", "200", 2, ("0", "1000", "100000", "7.5"))}
    id_style = draw(one_of(["int", "str", "mixed", "dup"]))
    n_lines = draw(ints(0, 6))
    lines = []
    for index in range(n_lines):
        line_id = {"int": index + 1, "str": f"L{index}",
                   "mixed": index + 1 if index % 2 else f"L{index}",
                   "dup": index // 2 + 1}[id_style]
        lines.append(line(draw, line_id, refund))
    order = {"uid": f"{uid}-{draw(ints(0, 10**6))}",
             "date_order": datetime_form(draw, when), "lines": lines}
    if partner_id is not None or draw(BOOL):
        order["partner_id"] = partner_id
    if card is not None or draw(BOOL):
        order["card"] = card
    membership = snapshot(draw, config, partner_id, when)
    if membership is not None or draw(BOOL):
        order["membership"] = membership
    if refund:
        order["refund_of"] = f"sale-{draw(ints(0, 99))}"
    else:
        redeem = redemption(draw, config, card)
        if redeem or draw(BOOL):
            order["redeem"] = redeem
    return order


@st.composite
def config_and_orders(draw, max_orders: int = 8):
    config = draw(configs())
    batch = [draw(orders(config, uid=f"o{i}")) for i in range(draw(ints(1, max_orders)))]
    return config, batch


# -- corruptions ---------------------------------------------------------------------------------

BAD_VALUES = [
    None, True, False, "abc", "", " ", "1e5", "1_0", Decimal("NaN"), Decimal("-Infinity"),
    float("nan"), float("inf"), 10**12, -(10**12), 2**63, -1, 0, 0.5, -0.5, "-0.01", 101,
    Decimal("1e-29"), "0.00000000000000000000000000001", [], {}, [1, "x"], ["a"], [True],
    "2025-13-01", "2025-02-30", "2025-01-01T25:00:00", "2025-01-01T10:00:00+24:00",
    date(2025, 1, 5), datetime(2025, 1, 5, 10, 0), "2025-01-05", "2025-01-05T10:00:00+07:00",
    "x" * 3, "loyalty", "promotion", "money", "per_point", "cheapest", "paid", 7, 12.5,
    Decimal("79228162514.264337593543950336"),
]


def _nodes(value, path=()):
    """Every (path, container) position in a nested dict/list document."""
    if isinstance(value, dict):
        for key in value:
            yield (*path, key)
            yield from _nodes(value[key], (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _nodes(item, (*path, index))


def _containers(value, path=()):
    if isinstance(value, dict):
        yield path
        for key in value:
            yield from _containers(value[key], (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _containers(item, (*path, index))


def _at(document, path):
    for step in path:
        document = document[step]
    return document


@st.composite
def corrupted(draw, document):
    """The document with one thing wrong (or, sometimes, still right: then both must agree)."""
    document = copy.deepcopy(document)
    action = draw(one_of(["replace", "replace", "replace", "delete", "unknown_key",
                                   "non_str_key", "swap_type"]))
    nodes = list(_nodes(document))
    if action in ("unknown_key", "non_str_key") or not nodes:
        containers = list(_containers(document))
        target = _at(document, draw(one_of(containers)))
        target["colour" if action == "unknown_key" else 3] = 1
        return document
    path = draw(one_of(nodes))
    parent = _at(document, path[:-1])
    if action == "delete":
        del parent[path[-1]]
    elif action == "swap_type":
        parent[path[-1]] = (str(parent[path[-1]]) if not isinstance(parent[path[-1]], str)
                            else [parent[path[-1]]])
    else:
        parent[path[-1]] = draw(one_of(BAD_VALUES))
    return document
