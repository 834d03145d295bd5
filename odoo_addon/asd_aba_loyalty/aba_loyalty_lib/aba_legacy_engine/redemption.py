"""Redemption validation (docs/spec.md §4.9): done before anything is computed or consumed; with
`spend_earned` the balance check alone waits for the points the order earns."""

from __future__ import annotations

from decimal import Decimal

from .errors import InsufficientPointsError, OrderError
from .model import Config, Order
from .numbers import ZERO, fraction_digits

_FIXED_COST = ("percent", "fixed")


def validate_redemption(config: Config, order: Order) -> dict[int, Decimal]:
    """reward_id -> points requested, for the card's loyalty program; raises on any fault."""
    if not order.redeem:
        return {}
    card = order.card
    if card is None:
        raise OrderError.at(("card",), "a redemption needs a card")
    program = config.loyalty_programs.get(card.program_id)
    if program is None:
        raise OrderError.at(("card", "program_id"), f"{card.program_id} is not a loyalty program of the config")
    precision = -config.points.quantum.as_tuple().exponent
    requested: dict[int, Decimal] = {}
    for i, (reward_id, points) in enumerate(order.redeem):
        reward = program.reward_ids.get(reward_id)
        if reward is None:
            raise OrderError.at(("redeem", i, "reward_id"),
                                f"reward {reward_id} is not in program {program.id}")
        if reward_id in requested:
            raise OrderError.at(("redeem", i, "reward_id"), f"reward {reward_id} is listed twice")
        if fraction_digits(points) > precision:
            raise OrderError.at(("redeem", i, "points"), f"more than {precision} decimals")
        if points < reward.required_points:
            raise OrderError.at(("redeem", i, "points"),
                                f"{points} is below the required {reward.required_points}")
        if reward.mode in _FIXED_COST and points != reward.required_points:
            raise OrderError.at(("redeem", i, "points"),
                                f"a {reward.mode} reward takes exactly {reward.required_points} "
                                f"points, not {points}")
        requested[reward_id] = points
    if not program.spend_earned:
        check_balance(requested, card.points)
    return requested


def check_balance(requested: dict[int, Decimal], available: Decimal,
                  earned: Decimal = ZERO) -> None:
    """Σ points requested <= the points available: card.points, plus what this order earns when
    the program has spend_earned (then checked after the evaluation, docs/spec.md §4.9 v2)."""
    total = sum(requested.values(), ZERO)
    if total > available + earned:
        detail = f"card balance is {available}"
        if earned:
            detail += f" and the order earns {earned}"
        raise InsufficientPointsError.at(("redeem",), f"{total} points requested, {detail}")
