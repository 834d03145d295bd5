"""Points earned on an order (docs/spec.md §4.10 and 4.11) and the membership snapshot check."""

from __future__ import annotations

from decimal import Decimal

from .model import Config, Line, Order, Program
from .numbers import ONE, ZERO


def raw_points(program: Program, lines: list[Line], line_discount: list[Decimal],
               refund: bool) -> Decimal:
    """Σ rule.amount x basis over the rules that apply (all of them, unchecked, in a refund)."""
    raw = ZERO
    for rule in program.rules:
        match = rule.filter.matches
        qualifying = [line for line in lines if match(line)]
        if refund:
            if rule.mode == "order":
                continue
        else:
            if not qualifying:
                continue
            if sum((line.qty for line in qualifying), ZERO) < rule.min_qty:
                continue
            if sum((line.base for line in qualifying), ZERO) < rule.min_amount:
                continue
        if rule.mode == "order":
            basis = ONE
        elif rule.mode == "unit":
            basis = sum((line.qty for line in qualifying), ZERO)
        elif program.points_basis == "base":
            basis = sum((line.base for line in qualifying), ZERO)
        else:
            basis = sum((line.base - line_discount[line.index] for line in qualifying), ZERO)
        raw += rule.amount * basis
    return raw


def membership_tier(config: Config, order: Order) -> tuple[bool, str | None, Decimal]:
    """(valid, tier code, multiplier). Without tiers membership is ignored (valid, None, 1)."""
    if not config.tiers:
        return True, None, ONE
    snapshot = order.membership
    if (
        snapshot is None
        or order.partner_id is None
        or snapshot.partner_id != order.partner_id
        or snapshot.tier not in config.tiers_by_code
        or not snapshot.evaluated_at <= order.date_order <= snapshot.valid_until
    ):
        return False, None, ONE
    return True, snapshot.tier, config.tiers_by_code[snapshot.tier].multiplier
