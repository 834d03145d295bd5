"""Decoding and validation of one order (SPEC.md section 3), in field order, then the
order-level checks (quantity signs line by line, no redemption in a refund)."""

from __future__ import annotations

from typing import Any

from . import fields as f
from .errors import OrderError
from .model import Card, Line, Order, Snapshot
from .numbers import HUNDRED, ZERO

E = OrderError

_ORDER_KEYS = frozenset({
    "uid", "date_order", "partner_id", "card", "membership", "lines", "redeem", "refund_of",
})
_CARD_KEYS = frozenset({"id", "program_id", "points"})
_SNAPSHOT_KEYS = frozenset({"partner_id", "tier", "evaluated_at", "valid_until"})
_LINE_KEYS = frozenset({"id", "product_id", "category_ids", "qty", "price_unit", "discount"})
_REDEEM_KEYS = frozenset({"reward_id", "points"})


def decode_order(raw: Any) -> Order:
    order = f.mapping(raw, "", E, _ORDER_KEYS)
    uid = f.req_str(order, "uid", "", E, non_empty=True)
    date_order = f.req_datetime(order, "date_order", "", E)
    partner_id = f.opt_int(order, "partner_id", "", E, None)
    card = _decode_card(order.get("card"))
    membership = _decode_snapshot(order.get("membership"))
    if order.get("lines") is None:
        raise E("lines: required")
    lines = [
        _decode_line(entry, i)
        for i, entry in enumerate(f.sequence(order["lines"], "lines", E))
    ]
    redeem = _decode_redeem(order.get("redeem"))
    refund_of = order.get("refund_of")
    if refund_of is not None and not isinstance(refund_of, str):
        raise E(f"refund_of: must be a str or None, not {type(refund_of).__name__}")

    decoded = Order(uid, date_order, partner_id, card, membership, lines, redeem, refund_of)
    _check_signs(decoded)
    return decoded


def _decode_card(raw: Any) -> Card | None:
    if raw is None:
        return None
    card = f.mapping(raw, "card", E, _CARD_KEYS)
    card_id = f.req_int(card, "id", "card", E)
    program_id = f.req_int(card, "program_id", "card", E)
    points = f.req_decimal(card, "points", "card", E)
    if points < 0:
        raise E("card.points: must be >= 0")
    return Card(card_id, program_id, points)


def _decode_snapshot(raw: Any) -> Snapshot | None:
    if raw is None:
        return None
    snap = f.mapping(raw, "membership", E, _SNAPSHOT_KEYS)
    partner_id = f.opt_int(snap, "partner_id", "membership", E, None)
    tier = snap.get("tier")
    if tier is not None and not isinstance(tier, str):
        raise E(f"membership.tier: must be a str or None, not {type(tier).__name__}")
    evaluated_at = f.req_datetime(snap, "evaluated_at", "membership", E)
    valid_until = f.req_datetime(snap, "valid_until", "membership", E)
    return Snapshot(partner_id, tier, evaluated_at, valid_until)


def _decode_line(raw: Any, index: int) -> Line:
    path = f.item("lines", index)
    line = f.mapping(raw, path, E, _LINE_KEYS)
    line_id = line.get("id")
    if line_id is None:
        raise E(f"{path}.id: required")
    if isinstance(line_id, str):
        if not line_id:
            raise E(f"{path}.id: must not be empty")
    elif f.is_int(line_id):
        f.as_int(line_id, f"{path}.id", E)  # 64-bit range, as every id
    else:
        raise E(f"{path}.id: must be an int or a str, not {type(line_id).__name__}")
    product_id = f.req_int(line, "product_id", path, E)
    category_ids = f.int_list(line, "category_ids", path, E)
    qty = f.req_decimal(line, "qty", path, E)
    price_unit = f.req_decimal(line, "price_unit", path, E)
    if price_unit < 0:
        raise E(f"{path}.price_unit: must be >= 0")
    discount = f.opt_decimal(line, "discount", path, E, ZERO)
    if not ZERO <= discount <= HUNDRED:
        raise E(f"{path}.discount: must be in [0, 100]")
    return Line(index, line_id, product_id, category_ids, qty, price_unit, discount)


def _decode_redeem(raw: Any) -> list[tuple[int, Any]]:
    if raw is None:
        return []
    items = []
    for i, entry in enumerate(f.sequence(raw, "redeem", E)):
        path = f.item("redeem", i)
        item = f.mapping(entry, path, E, _REDEEM_KEYS)
        reward_id = f.req_int(item, "reward_id", path, E)
        points = f.req_decimal(item, "points", path, E)
        if points <= 0:
            raise E(f"{path}.points: must be > 0")
        items.append((reward_id, points))
    return items


def _check_signs(order: Order) -> None:
    refund = order.is_refund
    for line in order.lines:
        if refund and not line.qty < 0:
            raise E(f"lines[{line.index}].qty: must be < 0 in a refund")
        if not refund and not line.qty > 0:
            raise E(f"lines[{line.index}].qty: must be > 0 in a sale")
    if refund and order.redeem:
        raise E("redeem: must be empty in a refund")
