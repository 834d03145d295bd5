"""The one pass of docs/spec.md §4 over a decoded order: programs in (sequence, id) order,
promotions and redemptions on base amounts, then points; builds the result dict of section 5."""

from __future__ import annotations

from decimal import Decimal

from .discounts import allocate, clamp, covered_lines, reward_amount
from .earning import membership_tier, raw_points
from .model import Config, Order, Program, Reward
from .numbers import HUNDRED, ZERO
from .redemption import check_balance, validate_redemption
from .returns import points_returned

ENGINE = "legacy"


class _Pass:
    """State of one evaluation: the discount booked on each line, the lists of the result."""

    def __init__(self, config: Config, order: Order) -> None:
        self.config = config
        self.order = order
        self.money = config.money
        self.line_discount: list[Decimal] = [line.manual for line in order.lines]
        self.discounts: list[dict] = []
        self.warnings: list[dict] = []
        self.skipped: list[dict] = []

    def skip(self, program: Program, reason: str) -> None:
        self.skipped.append({"program_id": program.id, "reason": reason})

    def apply(self, program: Program, reward: Reward, points: Decimal | None) -> Decimal | None:
        """Apply one reward; the granted amount, or None when it does not apply."""
        lines = self.order.lines
        covered = covered_lines(reward, lines)
        if not covered:
            return None
        amount = reward_amount(reward, covered, points, self.money)
        if amount == 0:
            return None
        shares = allocate(amount, covered, self.money)
        removed = clamp(shares, covered, self.line_discount)
        granted = sum(shares, ZERO)
        self.discounts.append({
            "program_id": program.id,
            "reward_id": reward.id,
            "amount": granted,
            "lines": {line.id: share for line, share in zip(covered, shares, strict=True)},
        })
        if removed > 0:
            self.warnings.append({
                "code": "over_discount_clamped",
                "program_id": program.id,
                "reward_id": reward.id,
                "amount": removed,
            })
        return granted


def evaluate_order(config: Config, order: Order) -> dict:
    requested = validate_redemption(config, order)
    money = config.money
    for line in order.lines:
        line.base = money(line.qty * line.price_unit)
        line.manual = money(line.base * line.discount / HUNDRED)

    state = _Pass(config, order)
    day = order.date_order.date()
    refund = order.is_refund
    card = order.card
    spent = ZERO
    redeemed: list[dict] = []  # what each applied redemption spent, in application order
    stopped = False  # an exclusive promotion applied
    for program in config.programs:
        eligible = program.eligible_on(day)
        if program.kind == "promotion":
            if refund:
                continue
            if not eligible:
                state.skip(program, "date")
            elif stopped:
                state.skip(program, "exclusive")
            elif not _rules_hold(program, order):
                state.skip(program, "rules")
            else:
                applied = False
                for reward in program.rewards:
                    if state.apply(program, reward, None) is not None:
                        applied = True
                if not applied:
                    state.skip(program, "rules")
                elif program.exclusive:
                    stopped = True
        elif requested and program.id == card.program_id:
            if not eligible:
                state.skip(program, "date")
            elif stopped:
                state.skip(program, "exclusive")
            else:
                all_applied = True
                # The program's listed reward order, not the order of `redeem`.
                for reward in program.rewards:
                    points = requested.get(reward.id)
                    if points is None:
                        continue
                    granted = state.apply(program, reward, points)
                    if granted is None:
                        all_applied = False
                        continue
                    if reward.mode == "per_point":
                        cost = config.points.up(granted / reward.value)
                    else:
                        cost = config.points.down(points)  # exactly required_points
                    spent += cost
                    redeemed.append({"reward_id": reward.id, "points": cost})
                if not all_applied:
                    state.skip(program, "rules")

    points = _points(config, order, state, spent, redeemed)
    if requested:
        program = config.loyalty_programs[card.program_id]
        if program.spend_earned:
            # This order's own earned points count too (0 while pending or out of dates).
            block = points[1]
            earned = block["earned"] if block is not None else ZERO
            check_balance(requested, card.points, max(earned, ZERO))
    return _result(config, order, state, points)


def _rules_hold(program: Program, order: Order) -> bool:
    """A promotion's rules all hold (none: it holds). Base amounts, never discounted ones."""
    for rule in program.rules:
        match = rule.filter.matches
        qualifying = [line for line in order.lines if match(line)]
        if not qualifying:
            return False
        if sum((line.qty for line in qualifying), ZERO) < rule.min_qty:
            return False
        if sum((line.base for line in qualifying), ZERO) < rule.min_amount:
            return False
    return True


def _points(config: Config, order: Order, state: _Pass, spent: Decimal,
            redeemed: list[dict]) -> tuple[str, dict | None]:
    card = order.card
    if card is None:
        return "ok", None
    program = config.loyalty_programs.get(card.program_id)
    if program is None or not program.eligible_on(order.date_order.date()):
        return "ok", None
    valid, tier, multiplier = membership_tier(config, order)
    rounding = config.points
    if valid:
        raw = raw_points(program, order.lines, state.line_discount, order.is_refund)
        earned = rounding.down(raw * multiplier)
    else:
        earned = rounding.down(ZERO)
    return ("ok" if valid else "pending_membership"), {
        "program_id": program.id,
        "card_id": card.id,
        "earned": earned,
        "spent": rounding.down(spent),
        "tier": tier,
        "multiplier": multiplier,
        "returned": points_returned(config, order),
        "redeemed": redeemed,
    }


def _result(config: Config, order: Order, state: _Pass, points: tuple[str, dict | None]) -> dict:
    status, points_block = points
    lines = []
    total_base = total_discount = config.money.zero
    for line in order.lines:
        discount = state.line_discount[line.index]
        lines.append({
            "id": line.id,
            "base": line.base,
            "discount": discount,
            "total": line.base - discount,
        })
        total_base += line.base
        total_discount += discount
    return {
        "uid": order.uid,
        "status": status,
        "engine": ENGINE,
        "lines": lines,
        "discounts": state.discounts,
        "points": points_block,
        "warnings": state.warnings,
        "skipped": state.skipped,
        "totals": {
            "base": total_base,
            "discount": total_discount,
            "total": total_base - total_discount,
        },
    }
