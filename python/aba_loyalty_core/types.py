"""The shapes of the engine's inputs and outputs, for type checkers and for readers.

A runtime module (``from aba_loyalty_core.types import EngineConfig, Order``): every name here
exists when the package is imported. TypedDicts describe plain dicts; the engine does not need
them and does not check against them at runtime (it validates its input field by field and
raises ``ConfigError`` / ``OrderError`` naming the path). A field of a ``total=False`` class may
be absent (or None: the default).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal, TypeAlias, TypedDict

#: A field's location in a document: str keys and int indexes from its root (``.path`` of the
#: engine's errors).
Path: TypeAlias = tuple[str | int, ...]

DecimalInput: TypeAlias = Decimal | int | float | str
"""A decimal input: a float is read as ``Decimal(repr(x))``; bool, NaN and ±inf are refused."""
DateInput: TypeAlias = datetime.date | str
"""A ``datetime.date`` (not a datetime) or ``"YYYY-MM-DD"``."""
DateTimeInput: TypeAlias = datetime.datetime | str
"""A ``datetime`` (naive means UTC) or an ISO-8601 string."""


class CurrencyConfig(TypedDict):
    code: str
    rounding: DecimalInput


class TierConfig(TypedDict):
    code: str
    rank: int
    multiplier: DecimalInput
    min_spend: DecimalInput


class MembershipConfig(TypedDict, total=False):
    validity_days: int


class _RuleConfigRequired(TypedDict):
    id: int
    mode: Literal["order", "money", "unit"]
    amount: DecimalInput


class RuleConfig(_RuleConfigRequired, total=False):
    product_ids: list[int] | None
    category_ids: list[int] | None
    min_qty: DecimalInput | None
    min_amount: DecimalInput | None


class _RewardConfigRequired(TypedDict):
    id: int
    type: Literal["discount"]
    mode: Literal["percent", "fixed", "per_point"]
    value: DecimalInput
    applicability: Literal["order", "cheapest", "specific"]


class RewardConfig(_RewardConfigRequired, total=False):
    product_ids: list[int] | None
    category_ids: list[int] | None
    max_amount: DecimalInput | None
    required_points: DecimalInput | None


class _ProgramConfigRequired(TypedDict):
    id: int
    name: str
    kind: Literal["loyalty", "promotion"]
    sequence: int
    rules: list[RuleConfig]
    rewards: list[RewardConfig]


class ProgramConfig(_ProgramConfigRequired, total=False):
    active: bool | None
    date_from: DateInput | None
    date_to: DateInput | None
    exclusive: bool | None
    #: Loyalty only (docs/spec.md §4.9 v2): this order's earned points may pay its redemptions.
    spend_earned: bool | None
    points_basis: Literal["base", "paid"] | None


class _EngineConfigRequired(TypedDict):
    currency: CurrencyConfig
    programs: list[ProgramConfig]


class EngineConfig(_EngineConfigRequired, total=False):
    points_precision: int | None
    tiers: list[TierConfig] | None
    membership: MembershipConfig | None


class Card(TypedDict):
    id: int
    program_id: int
    points: DecimalInput


class MembershipSnapshotInput(TypedDict):
    partner_id: int | None
    tier: str | None
    evaluated_at: DateTimeInput
    valid_until: DateTimeInput


class _OrderLineRequired(TypedDict):
    id: int | str
    product_id: int
    qty: DecimalInput
    price_unit: DecimalInput


class OrderLine(_OrderLineRequired, total=False):
    category_ids: list[int] | None
    discount: DecimalInput | None
    #: In a refund: the id of the ``original`` line it refunds (docs/spec.md §4.12 v2).
    origin_line_id: int | str | None


class RedeemItem(TypedDict):
    reward_id: int
    points: DecimalInput


class _OriginalLineRequired(TypedDict):
    id: int | str
    #: Quantity sold (> 0).
    qty: DecimalInput


class OriginalLine(_OriginalLineRequired, total=False):
    #: Quantity refunded by earlier refunds, in [0, qty].
    refunded_qty: DecimalInput | None


class OriginalRedemption(TypedDict):
    reward_id: int
    #: The sale's ``points.redeemed[i].points`` (> 0).
    points: DecimalInput
    #: The matching ``discounts[j].amount`` (>= 0).
    amount: DecimalInput
    #: The matching ``discounts[j].lines``: original line id -> share (>= 0).
    lines: dict[int | str, DecimalInput]


class _OriginalRequired(TypedDict):
    lines: list[OriginalLine]


class Original(_OriginalRequired, total=False):
    """The sale a refund refunds (docs/spec.md §4.12 v2)."""

    redemptions: list[OriginalRedemption] | None
    #: Points earlier refunds of this sale already gave back.
    returned: DecimalInput | None


class _OrderRequired(TypedDict):
    uid: str
    date_order: DateTimeInput
    lines: list[OrderLine]


class Order(_OrderRequired, total=False):
    partner_id: int | None
    card: Card | None
    membership: MembershipSnapshotInput | None
    redeem: list[RedeemItem] | None
    refund_of: str | None
    #: Only in a refund: absent or None, nothing is given back.
    original: Original | None


class LineResult(TypedDict):
    id: int | str
    base: Decimal
    discount: Decimal
    total: Decimal


class DiscountResult(TypedDict):
    program_id: int
    reward_id: int
    amount: Decimal
    lines: dict[int | str, Decimal]


class RedeemedResult(TypedDict):
    reward_id: int
    points: Decimal


class PointsResult(TypedDict):
    program_id: int
    card_id: int
    earned: Decimal
    spent: Decimal
    tier: str | None
    multiplier: Decimal
    #: Points a refund gives back (docs/spec.md §4.12 v2); 0 in a sale.
    returned: Decimal
    #: What each applied redemption spent, in application order (Σ = ``spent``).
    redeemed: list[RedeemedResult]


class ClampWarning(TypedDict):
    code: Literal["over_discount_clamped"]
    program_id: int
    reward_id: int
    amount: Decimal


class Skipped(TypedDict):
    program_id: int
    reason: Literal["exclusive", "rules", "date"]


class Totals(TypedDict):
    base: Decimal
    discount: Decimal
    total: Decimal


class EvaluationResult(TypedDict):
    uid: str
    status: Literal["ok", "pending_membership"]
    engine: Literal["native", "legacy"]
    lines: list[LineResult]
    discounts: list[DiscountResult]
    points: PointsResult | None
    warnings: list[ClampWarning]
    skipped: list[Skipped]
    totals: Totals


class MembershipSnapshot(TypedDict):
    partner_id: int
    tier: str | None
    evaluated_at: datetime.datetime
    valid_until: datetime.datetime
