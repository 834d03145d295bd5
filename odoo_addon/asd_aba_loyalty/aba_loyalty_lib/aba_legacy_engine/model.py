"""The decoded, validated configuration and order: plain slotted records, built once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from .numbers import MoneyRounding, PointsRounding


class Filter:
    """Product/category filter of a rule or reward: both empty matches every line."""

    __slots__ = ("category_ids", "everything", "product_ids")

    def __init__(self, product_ids: tuple, category_ids: tuple) -> None:
        self.product_ids = frozenset(product_ids)
        self.category_ids = frozenset(category_ids)
        self.everything = not product_ids and not category_ids

    def matches(self, line: Line) -> bool:
        return (
            self.everything
            or line.product_id in self.product_ids
            or not self.category_ids.isdisjoint(line.category_ids)
        )


class Rule:
    __slots__ = ("amount", "filter", "id", "min_amount", "min_qty", "mode")

    def __init__(self, id, mode, amount, filter, min_qty, min_amount):
        self.id = id
        self.mode = mode
        self.amount = amount
        self.filter = filter
        self.min_qty = min_qty
        self.min_amount = min_amount


class Reward:
    __slots__ = ("applicability", "filter", "id", "max_amount", "mode", "required_points", "value")

    def __init__(self, id, mode, value, applicability, filter, max_amount, required_points):
        self.id = id
        self.mode = mode
        self.value = value
        self.applicability = applicability
        self.filter = filter
        self.max_amount = max_amount
        self.required_points = required_points


class Program:
    __slots__ = (
        "active",
        "date_from",
        "date_to",
        "exclusive",
        "id",
        "kind",
        "name",
        "points_basis",
        "reward_ids",
        "rewards",
        "rules",
        "sequence",
        "spend_earned",
    )

    def __init__(self, id, name, kind, sequence, active, date_from, date_to, exclusive,
                 spend_earned, points_basis, rules, rewards):
        self.id = id
        self.name = name
        self.kind = kind
        self.sequence = sequence
        self.active = active
        self.date_from = date_from
        self.date_to = date_to
        self.exclusive = exclusive
        self.spend_earned = spend_earned
        self.points_basis = points_basis
        self.rules = rules
        self.rewards = rewards
        self.reward_ids = {reward.id: reward for reward in rewards}

    @property
    def is_loyalty(self) -> bool:
        return self.kind == "loyalty"

    def eligible_on(self, day: date) -> bool:
        """Active, and `day` within [date_from, date_to] (both inclusive, open when None)."""
        return (
            self.active
            and (self.date_from is None or self.date_from <= day)
            and (self.date_to is None or day <= self.date_to)
        )


class Tier:
    __slots__ = ("code", "min_spend", "multiplier", "rank")

    def __init__(self, code: str, rank: int, multiplier: Decimal, min_spend: Decimal) -> None:
        self.code = code
        self.rank = rank
        self.multiplier = multiplier
        self.min_spend = min_spend


class Config:
    __slots__ = (
        "currency_code",
        "loyalty_programs",
        "money",
        "points",
        "programs",
        "tiers",
        "tiers_by_code",
        "validity_days",
    )

    def __init__(self, currency_code: str, rounding: Decimal, points_precision: int,
                 tiers: list, validity_days: int, programs: list) -> None:
        self.currency_code = currency_code
        self.money = MoneyRounding(rounding)
        self.points = PointsRounding(points_precision)
        self.tiers = tiers
        self.tiers_by_code = {tier.code: tier for tier in tiers}
        self.validity_days = validity_days
        # The one visiting order: (sequence, id).
        self.programs = sorted(programs, key=lambda program: (program.sequence, program.id))
        self.loyalty_programs = {p.id: p for p in programs if p.is_loyalty}


class Line:
    __slots__ = (
        "base",
        "category_ids",
        "discount",
        "id",
        "index",
        "manual",
        "origin",
        "price_unit",
        "product_id",
        "qty",
    )

    def __init__(self, index, id, product_id, category_ids, qty, price_unit, discount):
        self.index = index
        self.id = id
        self.product_id = product_id
        self.category_ids = category_ids
        self.qty = qty
        self.price_unit = price_unit
        self.discount = discount
        self.base = None
        self.manual = None
        self.origin = None  # origin_line_id: the sale line a refund line refunds


class Card:
    __slots__ = ("id", "points", "program_id")

    def __init__(self, id: int, program_id: int, points: Decimal) -> None:
        self.id = id
        self.program_id = program_id
        self.points = points


class Snapshot:
    __slots__ = ("evaluated_at", "partner_id", "tier", "valid_until")

    def __init__(self, partner_id: int | None, tier: str | None, evaluated_at: datetime,
                 valid_until: datetime) -> None:
        self.partner_id = partner_id
        self.tier = tier
        self.evaluated_at = evaluated_at
        self.valid_until = valid_until


class Order:
    __slots__ = (
        "card",
        "date_order",
        "lines",
        "membership",
        "original",
        "partner_id",
        "redeem",
        "refund_of",
        "refunded",
        "uid",
    )

    def __init__(self, uid, date_order, partner_id, card, membership, lines, redeem, refund_of):
        self.uid = uid
        self.date_order = date_order
        self.partner_id = partner_id
        self.card = card
        self.membership = membership
        self.lines = lines
        self.redeem = redeem  # [(reward_id, points)] in the order given
        self.refund_of = refund_of
        self.original: Original | None = None  # the refunded sale (v2), refunds only
        self.refunded: dict = {}  # original line id -> qty refunded with this refund included

    @property
    def is_refund(self) -> bool:
        return self.refund_of is not None


class OriginalLine:
    __slots__ = ("qty", "refunded_qty")

    def __init__(self, qty: Decimal, refunded_qty: Decimal) -> None:
        self.qty = qty
        self.refunded_qty = refunded_qty


class OriginalRedemption:
    __slots__ = ("amount", "lines", "points", "reward_id")

    def __init__(self, reward_id: int, points: Decimal, amount: Decimal, lines: dict) -> None:
        self.reward_id = reward_id
        self.points = points
        self.amount = amount
        self.lines = lines  # original line id -> its share of the discount


class Original:
    """The sale a refund refunds (`original`, docs/spec.md §4.12 v2): lines by id, redemptions, returned."""

    __slots__ = ("lines", "redemptions", "returned")

    def __init__(self, lines: dict, redemptions: list, returned: Decimal) -> None:
        self.lines = lines  # id -> OriginalLine, in the order given
        self.redemptions = redemptions
        self.returned = returned
