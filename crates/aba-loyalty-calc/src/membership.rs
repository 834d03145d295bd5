//! Membership tiers: which snapshot is valid for an order (docs/spec.md §4.10) and the
//! snapshot `evaluate_membership` produces.
use crate::config::{Config, Tier};
use crate::error::{CalcError, CalcResult};
use crate::order::Order;
use chrono::{Duration, NaiveDateTime};
use rust_decimal::Decimal;

/// A membership snapshot computed for a partner.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub partner_id: i64,
    /// The tier's code, or `None` when no tier qualifies.
    pub tier: Option<String>,
    /// UTC.
    pub evaluated_at: NaiveDateTime,
    /// UTC: evaluated_at + validity_days.
    pub valid_until: NaiveDateTime,
}

/// The tier of the order's snapshot when it is valid: for the order's partner (not None), a
/// known tier, and evaluated_at <= date_order <= valid_until.
pub fn valid_snapshot_tier<'c>(config: &'c Config, order: &Order) -> Option<&'c Tier> {
    let snapshot = order.membership.as_ref()?;
    let partner = order.partner_id?;
    if snapshot.partner_id != Some(partner) {
        return None;
    }
    if !(snapshot.evaluated_at <= order.date_order && order.date_order <= snapshot.valid_until) {
        return None;
    }
    config.tier(snapshot.tier.as_deref()?)
}

/// The highest-ranked tier whose min_spend <= spend (ties in rank: the first listed).
pub fn evaluate(
    config: &Config,
    partner_id: i64,
    spend: Decimal,
    as_of: NaiveDateTime,
) -> CalcResult<Membership> {
    let mut best: Option<&Tier> = None;
    for tier in &config.tiers {
        if tier.min_spend <= spend && best.is_none_or(|b| tier.rank > b.rank) {
            best = Some(tier);
        }
    }
    let valid_until = Duration::try_days(config.validity_days)
        .and_then(|days| as_of.checked_add_signed(days))
        .ok_or_else(|| CalcError::Overflow {
            path: crate::error::ErrorPath::root().key("as_of"),
            context: "membership valid_until",
        })?;
    Ok(Membership {
        partner_id,
        tier: best.map(|t| t.code.clone()),
        evaluated_at: as_of,
        valid_until,
    })
}
