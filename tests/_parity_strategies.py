"""Hypothesis strategies for the native/legacy differential tests: configs and orders that
exercise every mode and edge of docs/spec.md, and single corruptions of them for the error paths.

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

from aba_loyalty_lib import aba_legacy_engine
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
        if (loyalty and draw(BOOL)) or draw(ints(0, 9)) == 0:
            program["spend_earned"] = draw(one_of([True, True, False, None]))
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
def orders(draw, config: dict, uid: str = "o", refund: bool | None = None,
           id_styles: tuple = ("int", "str", "mixed", "dup")) -> dict:
    day = DAY0 + timedelta(days=draw(ints(0, 85)))
    when = moment(draw, day)
    if refund is None:
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
    id_style = draw(one_of(id_styles))
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
        if draw(ints(0, 2)) == 0:
            order["original"] = synthetic_original(draw, lines)
    else:
        if lines and draw(ints(0, 19)) == 0:
            lines[0]["origin_line_id"] = None  # allowed in a sale, as long as it is None
        redeem = redemption(draw, config, card)
        if redeem or draw(BOOL):
            order["redeem"] = redeem
    return order


@st.composite
def config_and_orders(draw, max_orders: int = 8):
    config = draw(configs())
    batch = [draw(orders(config, uid=f"o{i}")) for i in range(draw(ints(1, max_orders)))]
    return config, batch


# -- refunds with their original sale (docs/spec.md §4.12 v2) ---------------------------------------------

def read_decimal(value) -> Decimal:
    """An input decimal in any accepted form as the engines read it."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return Decimal(value.strip())
    return Decimal(value)


def synthetic_original(draw, lines: list) -> dict:
    """An `original` that fits the refund lines (their origins, quantities) without a real sale:
    every field and error path of the v2 input is then within reach of the corruptions."""
    origins = []
    for index, entry in enumerate(lines):
        if draw(ints(0, 4)):
            entry["origin_line_id"] = draw(one_of([index + 1, f"S{index}", 1]))
        origins.append(entry.get("origin_line_id"))
    taken: dict = {}
    for entry, origin in zip(lines, origins, strict=True):
        if origin is not None:
            taken[origin] = taken.get(origin, Decimal(0)) + abs(read_decimal(entry["qty"]))
    sold = []
    for origin, qty in taken.items():
        before = decimals(draw, "0", "5", 3, ("0", "0", "1"))
        item = {"id": origin, "qty": as_form(draw, qty + before + decimals(
            draw, "0", "3", 3, ("0", "0", "1")))}
        if before or draw(BOOL):
            item["refunded_qty"] = as_form(draw, before)
        sold.append(item)
    for extra in range(draw(ints(0, 2))):
        sold.append({"id": f"X{extra}", "qty": number(draw, "0.001", "5", 3, ("1", "2"))})
    redemptions = []
    for _ in range(draw(ints(0, 3))):
        shares = {}
        for item in sold:
            if draw(ints(0, 3)):
                shares[item["id"]] = decimals(draw, "0", "50000", draw(one_of([0, 2])),
                                              ("0", "1000", "333"))
        amount = sum(shares.values(), Decimal(0))
        redemptions.append({
            "reward_id": draw(ints(1000, 1100)),
            "points": number(draw, "0.01", "200", 2, ("1", "10", "3.34", "7")),
            "amount": as_form(draw, amount),
            "lines": {key: as_form(draw, value) for key, value in shares.items()},
        })
    original = {"lines": sold}
    if redemptions or draw(BOOL):
        original["redemptions"] = redemptions
    total = sum((read_decimal(r["points"]) for r in redemptions), Decimal(0))
    if draw(BOOL):
        original["returned"] = as_form(draw, min(total, decimals(
            draw, "0", "50", 2, ("0", "1", "3.33"))))
    return original


def original_from(sale: dict, result: dict, refunded: dict, returned) -> dict:
    """What the caller passes with a refund: the sale's lines (qty sold, qty refunded before),
    its redemptions (points from points.redeemed, amount and shares from the matching discounts
    entry) and what earlier refunds gave back."""
    lines = []
    for entry in sale["lines"]:
        item = {"id": entry["id"], "qty": read_decimal(entry["qty"])}
        if refunded.get(entry["id"]):
            item["refunded_qty"] = refunded[entry["id"]]
        lines.append(item)
    redemptions = []
    points = result["points"]
    if points is not None:
        entries = {d["reward_id"]: d for d in result["discounts"]
                   if d["program_id"] == points["program_id"]}
        for redeemed in points["redeemed"]:
            if redeemed["points"] > 0:
                entry = entries[redeemed["reward_id"]]
                redemptions.append({"reward_id": redeemed["reward_id"],
                                    "points": redeemed["points"], "amount": entry["amount"],
                                    "lines": dict(entry["lines"])})
    return {"lines": lines, "redemptions": redemptions, "returned": returned}


def refund_of(draw, sale: dict, remaining: dict, full: bool) -> tuple[dict, dict]:
    """A refund of the sale (all that remains, or a part): its lines with origin_line_id, and
    the quantity it takes per sale line."""
    lines = []
    taken = {}
    for entry in sale["lines"]:
        left = remaining[entry["id"]]
        if left <= 0:
            continue
        if full:
            qty = left
        else:
            choice = draw(ints(0, 3))
            steps = int(left * 1000)
            if choice == 0 or steps < 2:
                continue
            qty = left if choice == 1 else Decimal(draw(ints(1, steps - 1))) / 1000
        parts = [qty]
        if qty >= Decimal("0.002") and draw(ints(0, 4)) == 0:  # the same origin on two lines
            first = Decimal(draw(ints(1, int(qty * 1000) - 1))) / 1000
            parts = [first, qty - first]
        for part in parts:
            line = {key: value for key, value in entry.items() if key != "qty"}
            line["id"] = f"R{len(lines)}" if draw(BOOL) else len(lines) + 1
            line["qty"] = as_form(draw, -part)
            line["origin_line_id"] = entry["id"]
            lines.append(line)
        taken[entry["id"]] = taken.get(entry["id"], Decimal(0)) + qty
    if draw(ints(0, 6)) == 0 and sale["lines"]:  # a line refunded without its origin
        line = dict(sale["lines"][0], id="free", qty=as_form(draw, Decimal("-0.5")))
        line["origin_line_id"] = None
        lines.append(line)
    refund = {key: value for key, value in sale.items() if key not in ("redeem", "lines")}
    refund.update(lines=lines, refund_of=sale["uid"])
    return refund, taken


@st.composite
def sale_and_refunds(draw):
    """A config, a sale evaluated by the legacy engine, a refund of it carrying `original` built
    from that result, and sometimes a second refund carrying what the first took and returned."""
    config = draw(configs())
    sale = draw(orders(config, uid="sale", refund=False, id_styles=("int", "str", "mixed")))
    if draw(ints(0, 4)):
        # Mostly a sale that redeems: a card of a loyalty program with rewards (one is added
        # when the config has none), usually in its dates, with the points to pay.
        loyal = [p for p in config["programs"] if p["kind"] == "loyalty" and p["rewards"]]
        if loyal:
            program = draw(one_of(loyal))
        else:
            program = {"id": 77, "name": "Redeemable", "kind": "loyalty", "sequence": 3,
                       "spend_earned": draw(BOOL),
                       "rules": [rule(draw, 90001)], "rewards": [reward(draw, 90002, True)]}
            config["programs"] = [p for p in config["programs"] if p["id"] != 77] + [program]
        if draw(ints(0, 3)):
            config["points_precision"] = draw(ints(2, 6))  # the rewards' required_points fit
            for key in ("active", "date_from", "date_to"):
                program.pop(key, None)
        card = {"id": draw(ints(1, 50)), "program_id": program["id"],
                "points": number(draw, "0", "500", 2, ("0", "100", "1000"))}
        sale["card"] = card
        sale["redeem"] = redemption(draw, config, card)
    try:
        engine = aba_legacy_engine.Engine(config)
        result = engine.evaluate(sale)
    except aba_legacy_engine.LoyaltyError:
        return config, [sale]
    sold = {entry["id"]: read_decimal(entry["qty"]) for entry in sale["lines"]}
    remaining = dict(sold)
    refunded: dict = {}
    returned = Decimal(0)
    batch = [sale]
    for uid in ("refund1", "refund2")[: draw(ints(1, 2))]:
        refund, taken = refund_of(draw, sale, remaining, full=draw(ints(0, 2)) == 0)
        refund["uid"] = uid
        refund["original"] = original_from(sale, result, refunded, returned)
        batch.append(refund)
        try:
            refund_result = engine.evaluate(refund)
        except aba_legacy_engine.LoyaltyError:
            break
        for line_id, qty in taken.items():
            remaining[line_id] -= qty
            refunded[line_id] = refunded.get(line_id, Decimal(0)) + qty
        if refund_result["points"] is not None:
            returned += refund_result["points"]["returned"]
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
