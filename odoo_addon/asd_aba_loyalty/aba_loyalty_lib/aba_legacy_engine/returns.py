"""Points a refund gives back (docs/spec.md §4.12): the part of each redemption
of the original sale that sat on the refunded quantities, exact (integer division, no float)."""

from __future__ import annotations

from decimal import Decimal

from .model import Config, Order
from .numbers import CONTEXT, ZERO


def points_returned(config: Config, order: Order) -> Decimal:
    """max(0, Σ back_R - original.returned), rounded down to points_precision; back_R counts the
    earlier refunds too (through refunded_qty), so the refund completing the sale gives back
    exactly the rest."""
    points = config.points
    original = order.original
    if original is None:
        return points.down(ZERO)
    refunded = order.refunded  # c_L: refunded_qty + what this refund takes, per original line
    step = config.money.step
    quantum = points.quantum
    total = ZERO
    for redemption in original.redemptions:
        if redemption.amount > 0:
            # part_R: each line's share x c_L / qty_L, toward zero to a multiple of the rounding.
            steps = ZERO
            for line_id, share in redemption.lines.items():
                line = original.lines[line_id]
                steps += CONTEXT.divide_int(CONTEXT.multiply(share, refunded[line_id]),
                                            CONTEXT.multiply(line.qty, step))
            part = CONTEXT.multiply(steps, step)
            # back_R = points_R x part_R / amount_R, toward zero to points_precision.
            back = CONTEXT.multiply(
                CONTEXT.divide_int(CONTEXT.multiply(redemption.points, part),
                                   CONTEXT.multiply(redemption.amount, quantum)),
                quantum)
        elif all(refunded[line_id] == line.qty for line_id, line in original.lines.items()):
            back = redemption.points  # a discount of 0: all of it once the sale is fully refunded
        else:
            back = ZERO
        total += back
    return points.down(max(ZERO, total - original.returned))
