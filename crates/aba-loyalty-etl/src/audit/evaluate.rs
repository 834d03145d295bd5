//! One (card, POS order) through the engine, as the addon would have sent it: the order's
//! non-reward lines (a sale its lines with qty > 0, a refund its lines with qty < 0), the
//! card's reward lines as redemptions. What the engine says the card should have earned and
//! spent, and what Odoo's reward lines discounted.
use std::collections::BTreeMap;

use aba_loyalty_calc::order::{Card, Line, MembershipSnapshot, RedeemItem};
use aba_loyalty_calc::original::{Original, OriginalLine, OriginalRedemption};
use aba_loyalty_calc::{Engine, Evaluation, LineId, Order};
use rust_decimal::Decimal;

use super::rows::{LineRow, OrderRows};

/// The engine's verdict on one (card, order).
#[derive(Clone, Debug, PartialEq)]
pub struct Replayed {
    pub refund: bool,
    /// Negative in a refund (the points it takes back).
    pub earned: Decimal,
    pub spent: Decimal,
    /// In a refund of a sale that spent points, the points given back (docs/spec.md §4.12).
    pub returned: Decimal,
    /// Σ qty x price_unit after the manual line discount, of the lines the engine takes.
    pub base: Decimal,
    /// Σ of Odoo's reward lines of this card as a positive amount (what Odoo discounted).
    pub odoo_discount: Decimal,
    /// The redemption could not be replayed (a reward the engine cannot check, points Odoo
    /// charged that the reward's rules refuse): its points are taken as Odoo recorded them.
    pub redemption_as_recorded: bool,
}

/// The unit price the engine takes: the line's, or with its taxes (Odoo's line totals with and
/// without tax give the ratio; a line whose total without tax is 0 keeps its price).
fn unit_price(l: &LineRow, tax_included: bool) -> Decimal {
    if !tax_included || l.price_subtotal.is_zero() || l.price_subtotal_incl == l.price_subtotal {
        return l.price_unit;
    }
    (l.price_unit * l.price_subtotal_incl / l.price_subtotal)
        .round_dp(PRICE_DP)
        .normalize()
}

/// Decimals kept on a unit price with tax: far below any currency's rounding.
const PRICE_DP: u32 = 8;

/// A sale of the card that spent points, as its refunds give them back: the engine's `original`
/// (docs/spec.md §4.12) with what its earlier refunds took.
#[derive(Clone, Debug)]
pub struct Sale {
    /// (line id, qty sold, qty refunded so far), in the engine's line order.
    pub(super) lines: Vec<(i32, Decimal, Decimal)>,
    pub(super) redemptions: Vec<OriginalRedemption>,
    /// Points earlier refunds gave back.
    pub(super) returned: Decimal,
}

impl Sale {
    fn of(engine_order: &Order, evaluation: &Evaluation, program_id: i64) -> Option<Sale> {
        let points = evaluation.points.as_ref()?;
        let redemptions: Vec<OriginalRedemption> = points
            .redeemed
            .iter()
            .filter(|r| r.points > Decimal::ZERO)
            .map(|r| {
                let applied = evaluation
                    .discounts
                    .iter()
                    .find(|d| d.program_id == program_id && d.reward_id == r.reward_id);
                OriginalRedemption {
                    reward_id: r.reward_id,
                    points: r.points,
                    amount: applied.map_or(Decimal::ZERO, |d| d.amount),
                    lines: applied.map(|d| d.lines.clone()).unwrap_or_default(),
                }
            })
            .collect();
        if redemptions.is_empty() {
            return None;
        }
        let lines = engine_order
            .lines
            .iter()
            .map(|l| {
                let id = match l.id {
                    LineId::Int(i) => i as i32,
                    LineId::Text(_) => 0,
                };
                (id, l.qty, Decimal::ZERO)
            })
            .collect();
        Some(Sale {
            lines,
            redemptions,
            returned: Decimal::ZERO,
        })
    }

    fn has_line(&self, id: i32) -> bool {
        self.lines.iter().any(|l| l.0 == id)
    }

    /// The engine's `original` for `refund` (whose lines name this sale's), counting it.
    fn original(&self, refund: &[Line]) -> Original {
        let mut after: Vec<Decimal> = self.lines.iter().map(|l| l.2).collect();
        for line in refund {
            if let Some(i) = line.origin_line_id.as_ref().and_then(|id| {
                self.lines
                    .iter()
                    .position(|l| LineId::Int(i64::from(l.0)) == *id)
            }) {
                // Odoo never refunds more than was sold; clamp rather than refuse.
                after[i] = (after[i] + line.qty.abs()).min(self.lines[i].1);
            }
        }
        Original {
            lines: self
                .lines
                .iter()
                .map(|&(id, qty, refunded_qty)| OriginalLine {
                    id: LineId::Int(i64::from(id)),
                    qty,
                    refunded_qty,
                })
                .collect(),
            redemptions: self.redemptions.clone(),
            returned: self.returned,
            refunded_after: after,
        }
    }
}

/// A refund: an order with lines refunding others (reward lines aside).
pub fn is_refund(order: &OrderRows) -> bool {
    order.lines.iter().any(|l| l.refund && !l.is_reward)
}

/// Evaluate `order` for card `card_id` of `program_id`, on unit prices with tax when
/// `tax_included`; `Err(reason)` when the engine refuses the order itself (it is then
/// counted, not guessed). `sales`: the card's earlier sales that spent points; a sale that
/// spends is added, a refund of one of them gives its share back and is counted in it.
pub fn replay(
    engine: &Engine,
    program_id: i32,
    tax_included: bool,
    order: &OrderRows,
    sales: &mut Vec<Sale>,
) -> Result<Replayed, String> {
    let refund = is_refund(order);
    let mut lines = Vec::with_capacity(order.lines.len());
    let mut base = Decimal::ZERO;
    let mut redeem: BTreeMap<i32, Decimal> = BTreeMap::new();
    let mut odoo_discount = Decimal::ZERO;
    let mut recorded_spent = Decimal::ZERO;
    let mut unmapped_spent = Decimal::ZERO;
    let program = engine.config().program(i64::from(program_id));
    for l in &order.lines {
        if l.is_reward {
            if l.coupon_id != Some(order.card_id) {
                continue;
            }
            odoo_discount -= l.qty * l.price_unit;
            recorded_spent += l.points_cost;
            if l.points_cost.is_zero() {
                continue;
            }
            let mapped = l.reward_id.is_some_and(|r| {
                program.is_some_and(|p| p.rewards.iter().any(|w| w.id == i64::from(r)))
            });
            match l.reward_id {
                Some(r) if mapped => *redeem.entry(r).or_default() += l.points_cost,
                _ => unmapped_spent += l.points_cost,
            }
            continue;
        }
        let wanted = if refund {
            l.qty < Decimal::ZERO
        } else {
            l.qty > Decimal::ZERO
        };
        if !wanted || l.price_unit < Decimal::ZERO {
            continue;
        }
        let discount = l.discount.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
        let price_unit = unit_price(l, tax_included);
        base += l.qty * price_unit * (Decimal::ONE_HUNDRED - discount) / Decimal::ONE_HUNDRED;
        lines.push(Line {
            id: LineId::Int(i64::from(l.id)),
            product_id: i64::from(l.product_id),
            category_ids: l.category_ids.to_vec(),
            qty: l.qty,
            price_unit,
            discount,
            origin_line_id: l.refunded_line_id.map(|i| LineId::Int(i64::from(i))),
        });
    }
    let redeem: Vec<RedeemItem> = if refund {
        Vec::new()
    } else {
        redeem
            .into_iter()
            .map(|(reward_id, points)| RedeemItem {
                reward_id: i64::from(reward_id),
                points,
            })
            .collect()
    };
    // The replay never refuses a redemption for want of points: Odoo's history decides what
    // the card held, and an unaffordable redemption shows as a negative balance.
    let requested: Decimal = redeem.iter().map(|r| r.points).sum();
    let mut engine_order = Order {
        uid: order.order_id.to_string(),
        date_order: order.date_order,
        partner_id: order.partner_id.map(i64::from),
        card: Some(Card {
            id: i64::from(order.card_id),
            program_id: i64::from(program_id),
            points: requested,
        }),
        membership: order.membership.as_ref().map(|m| MembershipSnapshot {
            partner_id: order.partner_id.map(i64::from),
            tier: Some(m.tier.clone()),
            evaluated_at: m.evaluated_at,
            valid_until: m.valid_until,
        }),
        lines,
        redeem,
        refund_of: refund.then(|| "refund".to_string()),
        original: None,
    };
    // A refund of a sale that spent points (the sale of its first refunded line) gets it as
    // `original`; its other lines' origins are not that sale's lines and are dropped.
    let sale = refund
        .then(|| {
            engine_order
                .lines
                .iter()
                .find_map(|l| match l.origin_line_id {
                    Some(LineId::Int(id)) => sales.iter().position(|s| s.has_line(id as i32)),
                    _ => None,
                })
        })
        .flatten();
    for line in &mut engine_order.lines {
        let ours = match (&line.origin_line_id, sale) {
            (Some(LineId::Int(id)), Some(s)) => sales[s].has_line(*id as i32),
            _ => false,
        };
        if !ours {
            line.origin_line_id = None;
        }
    }
    if let Some(s) = sale {
        engine_order.original = Some(sales[s].original(&engine_order.lines));
    }
    let (evaluation, as_recorded) = match engine.evaluate(&engine_order) {
        Ok(e) => (e, !unmapped_spent.is_zero()),
        Err(_) if !engine_order.redeem.is_empty() => {
            engine_order.redeem.clear();
            let e = engine.evaluate(&engine_order).map_err(|e| e.to_string())?;
            (e, true)
        }
        Err(e) => return Err(e.to_string()),
    };
    let (earned, mut spent, returned) = evaluation
        .points
        .as_ref()
        .filter(|p| p.card_id == i64::from(order.card_id))
        .map(|p| (p.earned, p.spent, p.returned))
        .unwrap_or_default();
    match (sale, engine_order.original.take()) {
        (Some(s), Some(original)) => {
            let sale = &mut sales[s];
            for (line, after) in sale.lines.iter_mut().zip(original.refunded_after) {
                line.2 = after;
            }
            sale.returned += returned;
        }
        _ if !refund && !as_recorded => {
            sales.extend(Sale::of(&engine_order, &evaluation, i64::from(program_id)));
        }
        _ => {}
    }
    if as_recorded {
        spent = if engine_order.redeem.is_empty() {
            recorded_spent
        } else {
            spent + unmapped_spent
        };
    }
    Ok(Replayed {
        refund,
        earned,
        spent,
        returned,
        base,
        odoo_discount,
        redemption_as_recorded: as_recorded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(price_unit: i64, subtotal: i64, incl: i64) -> LineRow {
        LineRow {
            id: 1,
            product_id: 1,
            category_ids: Vec::new().into(),
            qty: Decimal::from(3),
            price_unit: Decimal::from(price_unit),
            discount: Decimal::from(50),
            price_subtotal: Decimal::from(subtotal),
            price_subtotal_incl: Decimal::from(incl),
            refund: false,
            refunded_line_id: None,
            is_reward: false,
            reward_id: None,
            coupon_id: None,
            points_cost: Decimal::ZERO,
        }
    }

    #[test]
    fn unit_price_with_tax_is_the_line_totals_ratio() {
        // 3 x 1,000 at 50% off = 1,500 without tax, 1,725 with 15%.
        let l = line(1_000, 1_500, 1_725);
        assert_eq!(unit_price(&l, true), Decimal::from(1_150));
        assert_eq!(unit_price(&l, false), Decimal::from(1_000));
        // A line given away (no total without tax) keeps its price.
        assert_eq!(unit_price(&line(1_000, 0, 0), true), Decimal::from(1_000));
    }
}
