"""Decoding and validation of one order (docs/spec.md §3), in field order, then the
order-level checks (quantity signs line by line, no redemption in a refund)."""

from __future__ import annotations

from typing import Any

from . import fields as f
from .errors import OrderError, Path
from .model import (
    Card,
    Line,
    Order,
    Original,
    OriginalLine,
    OriginalRedemption,
    Snapshot,
)
from .numbers import HUNDRED, ZERO

E = OrderError

_ORDER_KEYS = frozenset({
    "uid", "date_order", "partner_id", "card", "membership", "lines", "redeem", "refund_of",
    "original",
})
_CARD_KEYS = frozenset({"id", "program_id", "points"})
_SNAPSHOT_KEYS = frozenset({"partner_id", "tier", "evaluated_at", "valid_until"})
_LINE_KEYS = frozenset({
    "id", "product_id", "category_ids", "qty", "price_unit", "discount", "origin_line_id",
})
_REDEEM_KEYS = frozenset({"reward_id", "points"})
_ORIGINAL_KEYS = frozenset({"lines", "redemptions", "returned"})
_ORIGINAL_LINE_KEYS = frozenset({"id", "qty", "refunded_qty"})
_REDEMPTION_KEYS = frozenset({"reward_id", "points", "amount", "lines"})


def decode_order(raw: Any) -> Order:
    order = f.mapping(raw, (), E, _ORDER_KEYS)
    uid = f.req_str(order, "uid", (), E, non_empty=True)
    date_order = f.req_datetime(order, "date_order", (), E)
    partner_id = f.opt_int(order, "partner_id", (), E, None)
    card = _decode_card(order.get("card"))
    membership = _decode_snapshot(order.get("membership"))
    if order.get("lines") is None:
        raise E.at(("lines",), "required")
    lines = [
        _decode_line(entry, i)
        for i, entry in enumerate(f.sequence(order["lines"], ("lines",), E))
    ]
    redeem = _decode_redeem(order.get("redeem"))
    refund_of = order.get("refund_of")
    if refund_of is not None and not isinstance(refund_of, str):
        raise E.at(("refund_of",), f"must be a str or None, not {type(refund_of).__name__}")

    decoded = Order(uid, date_order, partner_id, card, membership, lines, redeem, refund_of)
    _check_signs(decoded)
    # v2 (docs/spec.md §4.12): the refunded sale, checked after everything above.
    _decode_refund_links(decoded, order.get("original"))
    return decoded


def _decode_card(raw: Any) -> Card | None:
    if raw is None:
        return None
    card = f.mapping(raw, ("card",), E, _CARD_KEYS)
    card_id = f.req_int(card, "id", ("card",), E)
    program_id = f.req_int(card, "program_id", ("card",), E)
    points = f.req_decimal(card, "points", ("card",), E)
    if points < 0:
        raise E.at(("card", "points"), "must be >= 0")
    return Card(card_id, program_id, points)


def _decode_snapshot(raw: Any) -> Snapshot | None:
    if raw is None:
        return None
    snap = f.mapping(raw, ("membership",), E, _SNAPSHOT_KEYS)
    partner_id = f.opt_int(snap, "partner_id", ("membership",), E, None)
    tier = snap.get("tier")
    if tier is not None and not isinstance(tier, str):
        raise E.at(("membership", "tier"), f"must be a str or None, not {type(tier).__name__}")
    evaluated_at = f.req_datetime(snap, "evaluated_at", ("membership",), E)
    valid_until = f.req_datetime(snap, "valid_until", ("membership",), E)
    return Snapshot(partner_id, tier, evaluated_at, valid_until)


def _decode_line(raw: Any, index: int) -> Line:
    path = f.item(("lines",), index)
    line = f.mapping(raw, path, E, _LINE_KEYS)
    line_id = _line_id(line.get("id"), (*path, "id"))
    product_id = f.req_int(line, "product_id", path, E)
    category_ids = f.int_list(line, "category_ids", path, E)
    qty = f.req_decimal(line, "qty", path, E)
    price_unit = f.req_decimal(line, "price_unit", path, E)
    if price_unit < 0:
        raise E.at((*path, "price_unit"), "must be >= 0")
    discount = f.opt_decimal(line, "discount", path, E, ZERO)
    if not ZERO <= discount <= HUNDRED:
        raise E.at((*path, "discount"), "must be in [0, 100]")
    decoded = Line(index, line_id, product_id, category_ids, qty, price_unit, discount)
    origin = line.get("origin_line_id")
    if origin is not None:  # its type here, in field order; what it points to comes later
        decoded.origin = _line_id(origin, (*path, "origin_line_id"))
    return decoded


def _decode_redeem(raw: Any) -> list[tuple[int, Any]]:
    if raw is None:
        return []
    items = []
    for i, entry in enumerate(f.sequence(raw, ("redeem",), E)):
        path = f.item(("redeem",), i)
        item = f.mapping(entry, path, E, _REDEEM_KEYS)
        reward_id = f.req_int(item, "reward_id", path, E)
        points = f.req_decimal(item, "points", path, E)
        if points <= 0:
            raise E.at((*path, "points"), "must be > 0")
        items.append((reward_id, points))
    return items


def _check_signs(order: Order) -> None:
    refund = order.is_refund
    for line in order.lines:
        if refund and not line.qty < 0:
            raise E.at(("lines", line.index, "qty"), "must be < 0 in a refund")
        if not refund and not line.qty > 0:
            raise E.at(("lines", line.index, "qty"), "must be > 0 in a sale")
    if refund and order.redeem:
        raise E.at(("redeem",), "must be empty in a refund")


def _line_id(value: Any, path: Path) -> int | str:
    """A line id: an int (64-bit, never a bool) or a non-empty str."""
    if value is None:
        raise E.at(path, "required")
    if isinstance(value, str):
        if not value:
            raise E.at(path, "must not be empty")
        return value
    if f.is_int(value):
        return f.as_int(value, path, E)  # 64-bit range, as every id
    raise E.at(path, f"must be an int or a str, not {type(value).__name__}")


def _decode_refund_links(order: Order, raw: Any) -> None:
    """`original` and the lines' `origin_line_id` (docs/spec.md, v2 4.12), after the order's
    own fields and checks (an origin's type was read with its line), in the documented order:
    only in a refund; then the original's fields; then each line's origin is one of the
    original's lines; then the quantities refunded so far against the quantities sold."""
    if not order.is_refund:
        if raw is not None:
            raise E.at(("original",), "only in a refund")
        for line in order.lines:
            if line.origin is not None:
                raise E.at(("lines", line.index, "origin_line_id"), "only in a refund")
        return
    original = _decode_original(raw) if raw is not None else None
    for line in order.lines:
        if line.origin is None:
            continue
        if original is not None and line.origin not in original.lines:
            raise E.at(("lines", line.index, "origin_line_id"), f"{line.origin!r} is not a line of the "
                    "original order")
    if original is None:
        return
    running = {line_id: entry.refunded_qty for line_id, entry in original.lines.items()}
    for line in order.lines:
        if line.origin is None:
            continue
        running[line.origin] += -line.qty
        if running[line.origin] > original.lines[line.origin].qty:
            raise E.at(("lines", line.index, "qty"), "refunds more than was sold")
    order.original = original
    order.refunded = running


def _decode_original(raw: Any) -> Original:
    original = f.mapping(raw, ("original",), E, _ORIGINAL_KEYS)
    if original.get("lines") is None:
        raise E.at(("original", "lines"), "required")
    lines: dict = {}
    for i, entry in enumerate(f.sequence(original["lines"], ("original", "lines"), E)):
        path = f.item(("original", "lines"), i)
        item = f.mapping(entry, path, E, _ORIGINAL_LINE_KEYS)
        line_id = _line_id(item.get("id"), (*path, "id"))
        if line_id in lines:
            raise E.at((*path, "id"), f"duplicate line id {line_id!r}")
        qty = f.req_decimal(item, "qty", path, E)
        if qty <= 0:
            raise E.at((*path, "qty"), "must be > 0")
        refunded_qty = f.opt_decimal(item, "refunded_qty", path, E, ZERO)
        if refunded_qty < 0:
            raise E.at((*path, "refunded_qty"), "must be >= 0")
        if refunded_qty > qty:
            raise E.at((*path, "refunded_qty"), "must not exceed qty")
        lines[line_id] = OriginalLine(qty, refunded_qty)
    redemptions = []
    raw_redemptions = original.get("redemptions")
    if raw_redemptions is not None:
        for i, entry in enumerate(f.sequence(raw_redemptions, ("original", "redemptions"), E)):
            redemptions.append(_decode_redemption(entry, f.item(("original", "redemptions"), i), lines))
    returned = f.opt_decimal(original, "returned", ("original",), E, ZERO)
    if returned < 0:
        raise E.at(("original", "returned"), "must be >= 0")
    if returned > sum((redemption.points for redemption in redemptions), ZERO):
        raise E.at(("original", "returned"), "more than the redemptions spent")
    return Original(lines, redemptions, returned)


def _decode_redemption(raw: Any, path: Path, lines: dict) -> OriginalRedemption:
    item = f.mapping(raw, path, E, _REDEMPTION_KEYS)
    reward_id = f.req_int(item, "reward_id", path, E)
    points = f.req_decimal(item, "points", path, E)
    if points <= 0:
        raise E.at((*path, "points"), "must be > 0")
    amount = f.req_decimal(item, "amount", path, E)
    if amount < 0:
        raise E.at((*path, "amount"), "must be >= 0")
    # Every fault of the line map (its type, a key, a share) is named by the map's path.
    map_path = (*path, "lines")
    if item.get("lines") is None:
        raise E.at(map_path, "required")
    shares = item["lines"]
    if not isinstance(shares, dict):
        raise E.at(map_path, f"must be a dict, not {type(shares).__name__}")
    decoded = {}
    for key, value in shares.items():
        if not (isinstance(key, str) or f.is_int(key)) or key not in lines:
            raise E.at(map_path, f"{key!r} is not a line of the original order")
        share = f.as_decimal(value, map_path, E)
        if share < 0:
            raise E.at(map_path, f"the share of {key!r} must be >= 0")
        decoded[key] = share
    return OriginalRedemption(reward_id, points, amount, decoded)
