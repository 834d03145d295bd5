//! Counts over every card of an audit, and the findings and card summaries kept.
use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::compare::{CardSummary, Finding, KINDS};
use super::AuditOptions;

/// How many orders the engine refused are given as examples.
const EXAMPLES: usize = 20;

/// Counts over every card, and the findings and cards kept.
pub struct Tally {
    pub max_findings: usize,
    pub max_cards: usize,
    pub orders_paid: u64,
    pub orders_without_card: u64,
    pub orders_with_membership: u64,
    pub orders_audited: u64,
    pub replay: std::time::Duration,
    pub not_evaluable: u64,
    /// The orders of lowest id among those (the readers interleave: the first seen would vary
    /// from run to run).
    pub not_evaluable_examples: BTreeMap<i32, String>,
    pub as_recorded: u64,
    pub cards_audited: u64,
    pub cards_with_difference: u64,
    pub total_odoo: Decimal,
    pub total_replayed: Decimal,
    pub findings_count: u64,
    pub by_kind: BTreeMap<&'static str, u64>,
    /// This card's findings, moved to `findings` (up to the cap) after each card.
    pub buffer: Vec<Finding>,
    pub findings: Vec<Finding>,
    pub cards: Vec<CardSummary>,
}

impl Tally {
    pub fn new(options: &AuditOptions) -> Self {
        Tally::with_limits(options.max_findings, options.max_cards)
    }

    fn with_limits(max_findings: usize, max_cards: usize) -> Self {
        Tally {
            max_findings,
            max_cards,
            orders_paid: 0,
            orders_without_card: 0,
            orders_with_membership: 0,
            orders_audited: 0,
            replay: std::time::Duration::ZERO,
            not_evaluable: 0,
            not_evaluable_examples: BTreeMap::new(),
            as_recorded: 0,
            cards_audited: 0,
            cards_with_difference: 0,
            total_odoo: Decimal::ZERO,
            total_replayed: Decimal::ZERO,
            findings_count: 0,
            by_kind: KINDS.iter().map(|k| (*k, 0)).collect(),
            buffer: Vec::new(),
            findings: Vec::new(),
            cards: Vec::new(),
        }
    }

    /// An empty tally with the same limits, for a part of the cards.
    pub fn part(&self) -> Tally {
        Tally::with_limits(self.max_findings, self.max_cards)
    }

    /// Adds a part's counts, findings and cards (a later range of cards: the kept ones stay in
    /// card order).
    pub fn absorb(&mut self, part: Tally) {
        self.orders_paid += part.orders_paid;
        self.orders_without_card += part.orders_without_card;
        self.orders_with_membership += part.orders_with_membership;
        self.orders_audited += part.orders_audited;
        self.replay += part.replay;
        self.not_evaluable += part.not_evaluable;
        for (id, example) in part.not_evaluable_examples {
            self.not_evaluable_examples.insert(id, example);
            if self.not_evaluable_examples.len() > EXAMPLES {
                self.not_evaluable_examples.pop_last();
            }
        }
        self.as_recorded += part.as_recorded;
        self.cards_audited += part.cards_audited;
        self.cards_with_difference += part.cards_with_difference;
        self.total_odoo += part.total_odoo;
        self.total_replayed += part.total_replayed;
        self.findings_count += part.findings_count;
        for (kind, n) in part.by_kind {
            *self.by_kind.entry(kind).or_default() += n;
        }
        let room = self.max_findings.saturating_sub(self.findings.len());
        self.findings.extend(part.findings.into_iter().take(room));
        let room = self.max_cards.saturating_sub(self.cards.len());
        self.cards.extend(part.cards.into_iter().take(room));
    }

    pub fn not_evaluable(&mut self, order_id: i32, reason: String) {
        self.not_evaluable += 1;
        self.not_evaluable_examples
            .insert(order_id, format!("pos.order {order_id}: {reason}"));
        if self.not_evaluable_examples.len() > EXAMPLES {
            self.not_evaluable_examples.pop_last();
        }
    }

    pub fn card(&mut self, summary: CardSummary) {
        self.cards_audited += 1;
        self.total_odoo += summary.odoo_balance;
        self.total_replayed += summary.replayed_balance;
        for f in self.buffer.drain(..) {
            self.findings_count += 1;
            *self.by_kind.entry(f.kind).or_default() += 1;
            if self.findings.len() < self.max_findings {
                self.findings.push(f);
            }
        }
        if summary.adjust.is_some() {
            self.cards_with_difference += 1;
            if self.cards.len() < self.max_cards {
                self.cards.push(summary);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(card_id: i32) -> Finding {
        Finding {
            kind: KINDS[0],
            card_id,
            order_id: Some(card_id * 10),
            odoo: "1".into(),
            engine: "0".into(),
        }
    }

    fn part_with(t: &Tally, cards: &[i32], refused: &[i32]) -> Tally {
        let mut part = t.part();
        for &c in cards {
            part.findings_count += 1;
            *part.by_kind.get_mut(KINDS[0]).unwrap() += 1;
            part.findings.push(finding(c));
            part.orders_audited += 2;
        }
        for &o in refused {
            part.not_evaluable(o, "refused".into());
        }
        part
    }

    #[test]
    fn parts_add_up_in_card_order_within_the_caps() {
        let mut t = Tally::with_limits(3, 10);
        let first = part_with(&t, &[1, 2], &[30, 5]);
        let second = part_with(&t, &[7, 8], &(100..130).collect::<Vec<_>>());
        t.absorb(first);
        t.absorb(second);
        assert_eq!(t.findings_count, 4);
        assert_eq!(t.by_kind[KINDS[0]], 4);
        assert_eq!(t.orders_audited, 8);
        // Kept: the first three in card order; counted: all four.
        let kept: Vec<i32> = t.findings.iter().map(|f| f.card_id).collect();
        assert_eq!(kept, [1, 2, 7]);
        // The refused examples: the lowest order ids of both parts, as many as kept.
        assert_eq!(t.not_evaluable, 32);
        let examples: Vec<i32> = t.not_evaluable_examples.keys().copied().collect();
        assert_eq!(examples.len(), EXAMPLES);
        assert_eq!(examples[..3], [5, 30, 100]);
    }
}
