//! The result of one evaluation (docs/spec.md §5), lines referred to by their index in the
//! order (the caller renders them with the line ids it was given).
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    PendingMembership,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::PendingMembership => "pending_membership",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineResult {
    pub base: Decimal,
    /// Manual discount plus every program's share.
    pub discount: Decimal,
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppliedDiscount {
    pub program_id: i64,
    pub reward_id: i64,
    /// Σ of the shares after the clamp.
    pub amount: Decimal,
    /// (line index, share) for every covered line, in line order.
    pub lines: Vec<(usize, Decimal)>,
}

/// `{"code": "over_discount_clamped", "program_id", "reward_id", "amount"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClampWarning {
    pub program_id: i64,
    pub reward_id: i64,
    pub amount: Decimal,
}

impl ClampWarning {
    pub const CODE: &'static str = "over_discount_clamped";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    Exclusive,
    Rules,
    Date,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Exclusive => "exclusive",
            SkipReason::Rules => "rules",
            SkipReason::Date => "date",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    pub program_id: i64,
    pub reason: SkipReason,
}

/// `{"reward_id", "points"}`: what one applied redemption spent.
#[derive(Debug, Clone, PartialEq)]
pub struct Redeemed {
    pub reward_id: i64,
    /// With points_precision places.
    pub points: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PointsResult {
    pub program_id: i64,
    pub card_id: i64,
    pub earned: Decimal,
    pub spent: Decimal,
    /// Points a refund gives back (docs/spec.md §4.12 v2); 0 in a sale.
    pub returned: Decimal,
    /// Each applied redemption of the card's program, in application order (Σ = spent; empty
    /// in a refund).
    pub redeemed: Vec<Redeemed>,
    /// The tier code of a valid snapshot (always `None` without tiers or when pending).
    pub tier: Option<String>,
    pub multiplier: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    pub base: Decimal,
    pub discount: Decimal,
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub status: Status,
    pub lines: Vec<LineResult>,
    pub discounts: Vec<AppliedDiscount>,
    pub points: Option<PointsResult>,
    pub warnings: Vec<ClampWarning>,
    pub skipped: Vec<Skipped>,
    pub totals: Totals,
}
