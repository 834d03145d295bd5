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
        Tally {
            max_findings: options.max_findings,
            max_cards: options.max_cards,
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
