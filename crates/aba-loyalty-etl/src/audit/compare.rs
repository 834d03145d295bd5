//! A card's replayed orders against what Odoo recorded for them: the findings, per order and
//! over the card's history, and the card's summary (the `adjust` move that would correct it).
use std::collections::HashMap;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::Serialize;

use super::evaluate::Replayed;
use super::rows::CardRows;

/// The finding kinds, in the report's order.
pub const KINDS: [&str; 8] = [
    "credited_twice",
    "points_without_rule",
    "points_too_many",
    "points_too_few",
    "refund_kept_points",
    "negative_balance",
    "discount_over_base",
    "no_history",
];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Finding {
    pub kind: &'static str,
    pub card_id: i32,
    /// `None` for a card-level finding not tied to an order.
    pub order_id: Option<i32>,
    /// What Odoo recorded (points, or for `discount_over_base` the discount), as text.
    pub odoo: String,
    /// What the replay computes (points, or the base the discount applies to).
    pub engine: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CardSummary {
    pub card_id: i32,
    pub program_id: i32,
    /// `loyalty_card.points`.
    pub odoo_balance: Decimal,
    /// Odoo's balance with every replayed order's recorded points replaced by the engine's.
    pub replayed_balance: Decimal,
    /// replayed - odoo.
    pub difference: Decimal,
    /// Odoo's balance minus the sum of its own history (points history does not explain, e.g.
    /// from before `loyalty_history` existed); left as is by the proposal.
    pub unexplained: Decimal,
    /// The move that would bring the card to its replayed balance (never written to Odoo).
    pub adjust: Option<Adjust>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Adjust {
    pub card_id: i32,
    pub kind: &'static str,
    pub points: Decimal,
    pub reason: String,
}

/// Odoo's history lines of one order on the card.
#[derive(Default, Clone, Copy)]
struct Recorded {
    rows: u32,
    issued: Decimal,
    used: Decimal,
}

/// The audited window and tolerance.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub tolerance: Decimal,
}

impl Window {
    fn contains(&self, at: Option<NaiveDateTime>) -> bool {
        let Some(at) = at else {
            return self.since.is_none() && self.until.is_none();
        };
        self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at < u)
    }
}

/// Compare one card: `orders` are its replayed (order id, verdict), in date order.
pub fn card(
    rows: &CardRows,
    orders: &[(i32, Replayed)],
    window: Window,
    findings: &mut Vec<Finding>,
) -> CardSummary {
    let tolerance = window.tolerance;
    let mut recorded: HashMap<i32, Recorded> = HashMap::new();
    let mut history_sum = Decimal::ZERO;
    for h in &rows.history {
        history_sum += h.issued - h.used;
        if let Some(order) = h.pos_order_id {
            let r = recorded.entry(order).or_default();
            r.rows += 1;
            r.issued += h.issued;
            r.used += h.used;
        }
    }
    let finding = |kind, order_id, odoo: Decimal, engine: Decimal| Finding {
        kind,
        card_id: rows.card_id,
        order_id,
        odoo: odoo.normalize().to_string(),
        engine: engine.normalize().to_string(),
    };
    let mut correction = Decimal::ZERO;
    let mut replayed_net: HashMap<i32, Decimal> = HashMap::with_capacity(orders.len());
    for (order_id, r) in orders {
        let id = Some(*order_id);
        let odoo = recorded.get(order_id).copied();
        let odoo_net = odoo.map(|o| o.issued - o.used).unwrap_or_default();
        let engine_net = r.earned + r.returned - r.spent;
        replayed_net.insert(*order_id, engine_net);
        correction += engine_net - odoo_net;
        if !r.refund && r.odoo_discount > r.base + tolerance {
            findings.push(finding("discount_over_base", id, r.odoo_discount, r.base));
        }
        if r.refund {
            // What the refund takes back less what it gives back of the points its sale spent.
            let net = r.earned + r.returned;
            if net < -tolerance && odoo_net >= -tolerance {
                findings.push(finding("refund_kept_points", id, odoo_net, net));
            } else if (odoo_net - net).abs() > tolerance {
                let kind = if odoo_net > net {
                    "points_too_many"
                } else {
                    "points_too_few"
                };
                findings.push(finding(kind, id, odoo_net, net));
            }
            continue;
        }
        match odoo {
            None if r.earned > tolerance || r.spent > tolerance => {
                findings.push(finding("no_history", id, Decimal::ZERO, engine_net));
            }
            None => {}
            Some(o) if o.rows > 1 => {
                findings.push(finding("credited_twice", id, o.issued, r.earned));
            }
            Some(o) if (o.issued - r.earned).abs() > tolerance => {
                let kind = if r.earned.abs() <= tolerance {
                    "points_without_rule"
                } else if o.issued > r.earned {
                    "points_too_many"
                } else {
                    "points_too_few"
                };
                findings.push(finding(kind, id, o.issued, r.earned));
            }
            Some(_) => {}
        }
    }
    // Odoo's balance line by line; the replay's beside it (an order's replayed points taken at
    // its first history line). The first dip below zero is the finding. Points the history does
    // not explain, when positive, were there before it (a card created or imported with points,
    // the balance at the addon's install): the runs start from them. A negative rest has no
    // date (a manual change): left out.
    let opening = (rows.points - history_sum).max(Decimal::ZERO);
    let (mut odoo_run, mut engine_run) = (opening, opening);
    let mut seen: HashMap<i32, ()> = HashMap::new();
    for h in &rows.history {
        odoo_run += h.issued - h.used;
        engine_run += match h
            .pos_order_id
            .and_then(|o| replayed_net.get(&o).map(|n| (o, *n)))
        {
            Some((o, net)) => {
                if seen.insert(o, ()).is_none() {
                    net
                } else {
                    Decimal::ZERO
                }
            }
            None => h.issued - h.used,
        };
        // A dip recorded inside the audited window (the balance counts everything before).
        if odoo_run < -tolerance && window.contains(h.at) {
            findings.push(finding(
                "negative_balance",
                h.pos_order_id,
                odoo_run,
                engine_run,
            ));
            break;
        }
    }
    let replayed = (rows.points + correction).normalize();
    let difference = (replayed - rows.points).normalize();
    CardSummary {
        card_id: rows.card_id,
        program_id: rows.program_id,
        odoo_balance: rows.points,
        replayed_balance: replayed,
        difference,
        unexplained: rows.points - history_sum,
        adjust: (difference.abs() > tolerance).then(|| Adjust {
            card_id: rows.card_id,
            kind: "adjust",
            points: difference,
            reason: format!(
                "audit: the replay gives {} where Odoo holds {}",
                replayed.normalize(),
                rows.points.normalize()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::rows::HistoryRow;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn sale(earned: i64, spent: i64) -> Replayed {
        Replayed {
            refund: false,
            earned: d(earned),
            spent: d(spent),
            returned: Decimal::ZERO,
            base: d(100_000),
            odoo_discount: Decimal::ZERO,
            redemption_as_recorded: false,
        }
    }

    fn line(id: i32, order: i32, issued: i64, used: i64) -> HistoryRow {
        HistoryRow {
            id,
            pos_order_id: Some(order),
            at: None,
            issued: d(issued),
            used: d(used),
        }
    }

    const ALL: Window = Window {
        since: None,
        until: None,
        tolerance: Decimal::ZERO,
    };

    #[test]
    fn each_kind_with_both_values_and_the_adjust() {
        let mut refund = sale(-10, 0);
        refund.refund = true;
        let mut over = sale(1, 0);
        over.odoo_discount = d(200_000);
        let orders = [
            (1, sale(10, 0)),  // credited twice
            (2, sale(0, 0)),   // points without rule
            (3, sale(10, 0)),  // too many
            (4, sale(10, 0)),  // too few
            (5, refund),       // kept its points
            (6, over),         // discount over base (history consistent)
            (7, sale(10, 0)),  // no history
            (8, sale(10, 60)), // consistent
        ];
        let rows = CardRows {
            card_id: 9,
            program_id: 1,
            points: d(10 + 10 + 1 + 12 + 4 + 1 + 10 - 60),
            history: vec![
                line(1, 1, 10, 0),
                line(2, 1, 10, 0),
                line(3, 2, 1, 0),
                line(4, 3, 12, 0),
                line(5, 4, 4, 0),
                line(6, 6, 1, 0),
                line(7, 8, 10, 60),
            ],
        };
        let mut found = Vec::new();
        let summary = card(&rows, &orders, ALL, &mut found);
        let kinds: Vec<_> = found
            .iter()
            .map(|f| (f.kind, f.order_id, f.odoo.as_str(), f.engine.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("credited_twice", Some(1), "20", "10"),
                ("points_without_rule", Some(2), "1", "0"),
                ("points_too_many", Some(3), "12", "10"),
                ("points_too_few", Some(4), "4", "10"),
                ("refund_kept_points", Some(5), "0", "-10"),
                ("discount_over_base", Some(6), "200000", "100000"),
                ("no_history", Some(7), "0", "10"),
                // Odoo 10+10+1+12+4+1 = 38, then -50; the replay 10+0+10+10+1 = 31, then -50.
                ("negative_balance", Some(8), "-12", "-19"),
            ]
        );
        // replay - odoo, order by order: -10, -1, -2, +6, -10, 0, +10, 0.
        assert_eq!(summary.difference, d(-7));
        assert_eq!(summary.replayed_balance, rows.points - d(7));
        assert_eq!(summary.unexplained, Decimal::ZERO);
        assert_eq!(summary.adjust.map(|a| a.points), Some(d(-7)));
    }

    #[test]
    fn points_before_the_history_open_the_running_balance() {
        // A card created with 500 points (no history line), then a sale spending 30.
        let rows = CardRows {
            card_id: 1,
            program_id: 1,
            points: d(470),
            history: vec![line(1, 1, 0, 30)],
        };
        let mut found = Vec::new();
        let summary = card(&rows, &[(1, sale(0, 30))], ALL, &mut found);
        assert!(found.is_empty());
        assert_eq!(summary.unexplained, d(500));
        // Without those points the same history dips below zero.
        let rows = CardRows {
            points: d(-30),
            ..rows
        };
        card(&rows, &[(1, sale(0, 30))], ALL, &mut found);
        let kinds: Vec<_> = found.iter().map(|f| (f.kind, f.odoo.as_str())).collect();
        assert_eq!(kinds, [("negative_balance", "-30")]);
    }

    #[test]
    fn a_dip_outside_the_window_is_not_reported() {
        let at = |day| {
            chrono::NaiveDate::from_ymd_opt(2024, 1, day).and_then(|d| d.and_hms_opt(0, 0, 0))
        };
        let mut dip = line(1, 1, 0, 5);
        dip.at = at(1);
        let rows = CardRows {
            card_id: 1,
            program_id: 1,
            points: d(-5),
            history: vec![dip],
        };
        let window = Window {
            since: at(2),
            ..ALL
        };
        let mut found = Vec::new();
        let summary = card(&rows, &[], window, &mut found);
        assert!(found.is_empty());
        assert!(summary.adjust.is_none());
        card(&rows, &[], ALL, &mut found);
        assert_eq!(found.len(), 1);
    }
}
