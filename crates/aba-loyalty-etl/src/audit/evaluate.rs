//! One (card, POS order) through the engine, as the addon would have sent it: the order's
//! non-reward lines (a sale its lines with qty > 0, a refund its lines with qty < 0), the
//! card's reward lines as redemptions. What the engine says the card should have earned and
//! spent, and what Odoo's reward lines discounted.
use std::collections::{BTreeMap, HashMap};

use aba_loyalty_calc::config::RuleMode;
use aba_loyalty_calc::order::{Card, Line, MembershipSnapshot, RedeemItem};
use aba_loyalty_calc::original::{Original, OriginalLine, OriginalRedemption};
use aba_loyalty_calc::{Engine, Evaluation, LineId, Order};
use rust_decimal::{Decimal, RoundingStrategy};

use super::rows::{Categories, LineRow, OrderRows};

/// Who computed the points Odoo recorded, and so how the replay computes them.
#[derive(Clone, Debug, Default)]
pub struct Computed {
    /// Odoo's own POS client (stock pos_loyalty, no addon; `pos_order.js`): its money points
    /// are rounded half-up to `precision` (`roundPrecision(..., 0.01)`; the engine rounds down,
    /// so it runs at a finer precision and the replay rounds), and earned on the amount after
    /// the reward lines of other programs (it skips only the program's own and gift card /
    /// eWallet lines) when the rule takes any product.
    pub by_odoo_client: bool,
    /// The points precision of Odoo's recorded figures.
    pub precision: u32,
    /// Every reward's (program, program is a gift card or eWallet).
    pub reward_programs: HashMap<i32, (i32, bool)>,
    /// The products each product reward gives (`reward_product_id`): the units its reward
    /// lines give free earn no points in the card's program, neither in Odoo's client
    /// (`_getPointsCorrection`) nor in the addon (`_aba_free_units`).
    pub free_products: HashMap<i32, Vec<i32>>,
}

impl Computed {
    /// Points as Odoo's client rounds them: half-up to `precision`, after a first rounding at
    /// 5 places that absorbs the replay's own rounding of unit prices (with tax: 8 places;
    /// after `take_off`: 12).
    fn odoo_points(&self, value: Decimal) -> Decimal {
        value
            .round_dp_with_strategy(5, RoundingStrategy::MidpointAwayFromZero)
            .round_dp_with_strategy(self.precision, RoundingStrategy::MidpointAwayFromZero)
    }
}

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

/// `amount` taken off `lines` in proportion to their amounts (qty x price_unit, on the
/// currency's grid as the engine rounds them), the last line taking the rest, so that the
/// engine's Σ of line amounts is exactly Odoo's amount less `amount` (not below 0): each unit
/// price becomes the line's new amount / qty (to 12 places, which the engine's rounding of
/// qty x price to the grid gives back exactly).
fn take_off(lines: &mut [Line], amount: Decimal, rounding: Decimal) {
    let grid = |x: Decimal| {
        (x / rounding).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero) * rounding
    };
    let amounts: Vec<Decimal> = lines.iter().map(|l| grid(l.qty * l.price_unit)).collect();
    let total: Decimal = amounts.iter().sum();
    if total <= Decimal::ZERO {
        return;
    }
    let mut left = amount.min(total);
    let last = lines.len() - 1;
    for (i, (line, gross)) in lines.iter_mut().zip(amounts).enumerate() {
        let share = if i == last {
            left
        } else {
            grid(amount.min(total) * gross / total).min(left).min(gross)
        };
        left -= share;
        if !line.qty.is_zero() {
            line.price_unit = ((gross - share).max(Decimal::ZERO) / line.qty)
                .round_dp(12)
                .normalize();
        }
    }
}

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
    computed: &Computed,
    categories: &Categories,
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
    // What other programs' reward lines took off the order (Odoo's client earns after them).
    let mut others = Decimal::ZERO;
    let program = engine.config().program(i64::from(program_id));
    // (products, units) the program's product rewards give free in this order.
    let mut free: Vec<(&[i32], Decimal)> = order
        .lines
        .iter()
        .filter(|l| l.is_reward && l.qty > Decimal::ZERO)
        .filter_map(|l| {
            let reward = l.reward_id?;
            let products = computed.free_products.get(&reward)?;
            let ours = computed
                .reward_programs
                .get(&reward)
                .is_some_and(|&(p, _)| p == program_id);
            ours.then_some((products.as_slice(), l.qty))
        })
        .collect();
    for l in &order.lines {
        if l.is_reward {
            if l.coupon_id != Some(order.card_id) {
                let other = l
                    .reward_id
                    .and_then(|r| computed.reward_programs.get(&r))
                    .is_some_and(|&(p, wallet)| p != program_id && !wallet);
                if computed.by_odoo_client && other {
                    others -= if tax_included {
                        l.price_subtotal_incl
                    } else {
                        l.price_subtotal
                    };
                }
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
        let mut qty = l.qty;
        for (products, units) in free.iter_mut() {
            if qty > Decimal::ZERO && *units > Decimal::ZERO && products.contains(&l.product_id) {
                let given = (*units).min(qty);
                *units -= given;
                qty -= given;
            }
        }
        if qty.is_zero() {
            continue;
        }
        let discount = l.discount.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
        let price_unit = unit_price(l, tax_included);
        base += qty * price_unit * (Decimal::ONE_HUNDRED - discount) / Decimal::ONE_HUNDRED;
        lines.push(Line {
            id: LineId::Int(i64::from(l.id)),
            product_id: i64::from(l.product_id),
            category_ids: categories.list(l.categories),
            qty,
            price_unit,
            discount,
            origin_line_id: l.refunded_line_id.map(|i| LineId::Int(i64::from(i))),
        });
    }
    // Odoo's client counts other programs' reward lines in a money rule that takes any
    // product: taken off the lines (see `take_off`), when every money rule of the program
    // takes any product (a program mixing both is replayed without them).
    let any_product_money = program.is_some_and(|p| {
        p.rules.iter().any(|r| r.mode == RuleMode::Money)
            && p.rules.iter().all(|r| {
                r.mode != RuleMode::Money
                    || (r.filter.product_ids.is_empty() && r.filter.category_ids.is_empty())
            })
    });
    if !refund && any_product_money && others > Decimal::ZERO {
        take_off(&mut lines, others, engine.config().currency.rounding);
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
    let (mut earned, mut spent, mut returned) = evaluation
        .points
        .as_ref()
        .filter(|p| p.card_id == i64::from(order.card_id))
        .map(|p| (p.earned, p.spent, p.returned))
        .unwrap_or_default();
    if computed.by_odoo_client {
        earned = computed.odoo_points(earned);
        returned = computed.odoo_points(returned);
    }
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
            categories: 0,
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

    fn engine_line(id: i64, qty: i64, cents: i64) -> Line {
        Line {
            id: LineId::Int(id),
            product_id: 1,
            category_ids: Vec::new().into(),
            qty: Decimal::from(qty),
            price_unit: Decimal::new(cents, 2),
            discount: Decimal::ZERO,
            origin_line_id: None,
        }
    }

    #[test]
    fn take_off_leaves_exactly_the_amount_less_the_discount() {
        // 51.75 + 3.45 + 19.98 = 75.18, less 12 = 63.18 once the engine rounds each line.
        let mut lines = vec![
            engine_line(1, 3, 1725),
            engine_line(2, 1, 345),
            engine_line(3, 2, 999),
        ];
        take_off(&mut lines, Decimal::from(12), Decimal::new(1, 2));
        let total: Decimal = lines
            .iter()
            .map(|l| (l.qty * l.price_unit).round_dp(2))
            .sum();
        assert_eq!(total, Decimal::new(6318, 2));
        // More than the order: nothing left, never below.
        take_off(&mut lines, Decimal::from(100), Decimal::new(1, 2));
        assert!(lines.iter().all(|l| l.price_unit.is_zero()));
    }

    #[test]
    fn odoo_client_points_are_half_up() {
        let odoo = Computed {
            by_odoo_client: true,
            precision: 2,
            ..Computed::default()
        };
        assert_eq!(
            odoo.odoo_points(Decimal::new(4_485, 3)),
            Decimal::new(449, 2)
        );
        // The replay's own rounding of scaled prices, a hair below the half, is absorbed.
        assert_eq!(
            odoo.odoo_points(Decimal::new(4_484_999, 6)),
            Decimal::new(449, 2)
        );
        assert_eq!(
            odoo.odoo_points(Decimal::new(4_484, 3)),
            Decimal::new(448, 2)
        );
        assert_eq!(
            odoo.odoo_points(Decimal::new(-4_485, 3)),
            Decimal::new(-449, 2)
        );
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
