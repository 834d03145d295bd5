"""Type stubs of the native extension module (Rust, pyo3)."""


import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, TypeAlias, TypedDict

from typing_extensions import NotRequired

__version__: str

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


class RuleConfig(TypedDict):
    id: int
    mode: Literal["order", "money", "unit"]
    amount: DecimalInput
    product_ids: NotRequired[list[int] | None]
    category_ids: NotRequired[list[int] | None]
    min_qty: NotRequired[DecimalInput | None]
    min_amount: NotRequired[DecimalInput | None]


class RewardConfig(TypedDict):
    id: int
    type: Literal["discount"]
    mode: Literal["percent", "fixed", "per_point"]
    value: DecimalInput
    applicability: Literal["order", "cheapest", "specific"]
    product_ids: NotRequired[list[int] | None]
    category_ids: NotRequired[list[int] | None]
    max_amount: NotRequired[DecimalInput | None]
    required_points: NotRequired[DecimalInput | None]


class ProgramConfig(TypedDict):
    id: int
    name: str
    kind: Literal["loyalty", "promotion"]
    sequence: int
    active: NotRequired[bool | None]
    date_from: NotRequired[DateInput | None]
    date_to: NotRequired[DateInput | None]
    exclusive: NotRequired[bool | None]
    spend_earned: NotRequired[bool | None]
    """Loyalty only (SPEC 4.9 v2): this order's earned points may pay its redemptions."""
    points_basis: NotRequired[Literal["base", "paid"] | None]
    rules: list[RuleConfig]
    rewards: list[RewardConfig]


class EngineConfig(TypedDict):
    currency: CurrencyConfig
    points_precision: NotRequired[int | None]
    tiers: NotRequired[list[TierConfig] | None]
    membership: NotRequired[MembershipConfig | None]
    programs: list[ProgramConfig]


class Card(TypedDict):
    id: int
    program_id: int
    points: DecimalInput


class MembershipSnapshotInput(TypedDict):
    partner_id: int | None
    tier: str | None
    evaluated_at: DateTimeInput
    valid_until: DateTimeInput


class OrderLine(TypedDict):
    id: int | str
    product_id: int
    category_ids: NotRequired[list[int] | None]
    qty: DecimalInput
    price_unit: DecimalInput
    discount: NotRequired[DecimalInput | None]


class RedeemItem(TypedDict):
    reward_id: int
    points: DecimalInput


class Order(TypedDict):
    uid: str
    date_order: DateTimeInput
    partner_id: NotRequired[int | None]
    card: NotRequired[Card | None]
    membership: NotRequired[MembershipSnapshotInput | None]
    lines: list[OrderLine]
    redeem: NotRequired[list[RedeemItem] | None]
    refund_of: NotRequired[str | None]


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
    returned: Decimal
    """Points a refund gives back (SPEC 4.12 v2); 0 in a sale."""
    redeemed: list[RedeemedResult]
    """What each applied redemption spent, in application order (Σ = ``spent``)."""


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


class Engine:
    """A validated configuration. Raises ``ConfigError`` naming the bad field's path."""

    def __init__(self, config: EngineConfig) -> None: ...
    def evaluate(self, order: Order) -> EvaluationResult:
        """One order; raises ``OrderError`` / ``InsufficientPointsError``."""
    def evaluate_many(self, orders: Sequence[Order]) -> list[EvaluationResult]:
        """Many orders, computed with the GIL released; a bad order raises its error with its
        index in front of the path (``[3].lines[2].qty: ...``) and nothing is returned."""
    def evaluate_membership(
        self, partner_id: int, spend: DecimalInput, as_of: DateTimeInput
    ) -> MembershipSnapshot:
        """The snapshot for a partner with ``spend`` as of ``as_of`` (aware UTC datetimes)."""
