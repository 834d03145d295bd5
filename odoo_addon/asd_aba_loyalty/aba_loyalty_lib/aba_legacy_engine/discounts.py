"""One reward on one order: the lines it covers, its amount, the allocation and the clamp
(docs/spec.md §4.4 to 4.7). Every amount comes from base amounts, never from discounted ones."""

from __future__ import annotations

from decimal import Decimal

from .model import Line, Reward
from .numbers import CONTEXT, HUNDRED, ZERO, MoneyRounding


def covered_lines(reward: Reward, lines: list[Line]) -> list[Line]:
    if reward.applicability == "order":
        return lines
    match = reward.filter.matches
    eligible = [line for line in lines if match(line)]
    if reward.applicability == "specific" or not eligible:
        return eligible
    cheapest = eligible[0]
    for line in eligible:
        if line.price_unit < cheapest.price_unit:
            cheapest = line
    return [cheapest]


def reward_amount(reward: Reward, covered: list[Line], points: Decimal | None,
                  money: MoneyRounding) -> Decimal:
    """The discount before allocation: from base, capped at max_amount, rounded half-up."""
    if reward.mode == "percent":
        if reward.applicability == "cheapest":
            raw = covered[0].price_unit * reward.value / HUNDRED
        else:
            raw = sum((line.base for line in covered), ZERO) * reward.value / HUNDRED
    elif reward.mode == "fixed":
        raw = reward.value
    else:  # per_point: only reached for a redemption, with its requested points
        raw = reward.value * points
    if reward.max_amount > 0 and raw > reward.max_amount:
        raw = reward.max_amount
    return money(raw)


def allocate(amount: Decimal, covered: list[Line], money: MoneyRounding) -> list[Decimal]:
    """Largest remainder (docs/spec.md §4.6 v2), in currency steps: each line's share is first
    floor(amount x base / Σ base) steps, exactly (integer quotient and remainder); the steps left
    over go one each to the lines with the largest remainder (ties: the line listed first). Every
    share is >= 0 and the shares add up to the amount. Σ base 0: all of it to the first line."""
    step = money.step
    steps = CONTEXT.divide(amount, step)  # a whole number: amount is rounded to a step
    total_base = sum((line.base for line in covered), ZERO)
    if total_base == 0:
        units = [steps] + [ZERO] * (len(covered) - 1)
    else:
        units = []
        remainders = []
        for line in covered:
            weighted = steps * line.base
            # Bases and amounts are >= 0 here (a sale), so // and % are floor and its remainder.
            units.append(weighted // total_base)
            remainders.append(weighted % total_base)
        left = int(steps - sum(units, ZERO))
        # Stable sort: equal remainders keep line order, so ties go to the line listed first.
        ranked = sorted(range(len(covered)), key=lambda position: -remainders[position])
        for position in ranked[:left]:
            units[position] += 1
    return [money.from_steps(count) for count in units]


def clamp(shares: list[Decimal], covered: list[Line], line_discount: list[Decimal]) -> Decimal:
    """Cut the shares so no line's total discount exceeds its base; books the granted shares
    into line_discount and returns the amount removed."""
    removed = ZERO
    for position, line in enumerate(covered):
        share = shares[position]
        room = line.base - line_discount[line.index]
        if share > room:
            removed += share - room
            share = room
            shares[position] = share
        line_discount[line.index] += share
    return removed
