//! Audit: Odoo's POS order history replayed through the engine, natively, against what Odoo
//! recorded (`loyalty_history` per order and card, `loyalty_card.points`). Issue 13, docs/audit.md.
//!
//! The source is only read, in one REPEATABLE READ READ ONLY snapshot exported by the driver's
//! connection (the mapping, the categories, the partners' cards) and shared by six more, one
//! COPY stream each, read from the socket by `crate::wire`: per half of the audited cards' ids,
//! those cards then each card's history (`rows`, `ledger`), and per half of the paid orders' id
//! range, those orders in id order and their lines in `order_id` order (`rows`). This module
//! opens them and reports; `replay` runs the two passes (each order evaluated into the `spill`
//! of its card's half, then each half card by card against the history, on two threads:
//! `evaluate`, `compare`), `tally` counts. Findings and the per-card proposed `adjust` moves are
//! stored in the engine database.
pub mod compare;
pub mod evaluate;
pub mod id_index;
pub mod ledger;
pub mod mapping;
pub mod record;
pub mod replay;
pub mod rows;
pub mod spill;
pub mod store;
pub mod tally;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, NaiveDateTime, Utc};
use postgres::IsolationLevel;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{DbContext, EtlError, Result, Side};
use crate::{schema, Etl};

pub use compare::{Adjust, CardSummary, Finding, KINDS};
pub use mapping::ProgramInfo;
use tally::Tally;

#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Orders with `date_order` >= since (UTC, as Odoo stores it); `None`: from the first.
    pub since: Option<NaiveDateTime>,
    /// Orders with `date_order` < until; `None`: to the last.
    pub until: Option<NaiveDateTime>,
    /// Alert (the CLI exits 3) when more findings than this are found.
    pub threshold: u64,
    /// Largest |odoo - replay| in points still counted as equal.
    pub tolerance: Decimal,
    /// Findings and card summaries kept in the report and the target (all are counted).
    pub max_findings: usize,
    pub max_cards: usize,
    /// Replay on unit prices with tax (`Some(true)`) or without; `None`: as Odoo computed them
    /// (the addon's `aba_points_on_tax_included` per program when installed, else with tax).
    pub points_on_tax_included: Option<bool>,
    /// Bytes of replayed orders held in memory before they are sorted on disk (64 KiB-4 GiB).
    pub sort_memory: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            since: None,
            until: None,
            threshold: 0,
            tolerance: Decimal::new(1, 6),
            max_findings: 10_000,
            max_cards: 10_000,
            points_on_tax_included: None,
            sort_memory: SORT_MEMORY,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AuditReport {
    pub report_id: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: f64,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub threshold: u64,
    pub tolerance: Decimal,
    /// Where each program's `points_on_tax_included` came from: "argument" (the caller),
    /// "addon" (its `aba_points_on_tax_included`), "odoo" (stock pos_loyalty: with tax).
    pub points_basis_from: &'static str,
    pub programs_audited: Vec<ProgramInfo>,
    pub programs_not_audited: Vec<ProgramInfo>,
    /// Paid orders (paid, done, invoiced) in the window.
    pub orders_paid: u64,
    /// (card, order) pairs replayed: an order of a partner with cards in two audited programs
    /// counts twice.
    pub orders_audited: u64,
    /// Paid orders in the window whose partner has no card of an audited program.
    pub orders_without_card: u64,
    /// (card, order) pairs replayed with the addon's membership snapshot (its tier's
    /// multiplier): the order's own, a refund's its sale's.
    pub orders_with_membership: u64,
    /// Orders the engine refused (count and the first reasons): not guessed, not compared.
    pub orders_not_evaluable: u64,
    pub not_evaluable_examples: Vec<String>,
    /// Orders whose redemption was taken as Odoo recorded it (a reward the engine does not map,
    /// points its rules refuse).
    pub redemptions_as_recorded: u64,
    pub orders_per_second: f64,
    /// Sorted runs the replayed orders were written to on disk (0: they fit `sort_memory`).
    pub sort_runs: usize,
    /// Of `duration_ms`, the time spent evaluating and comparing (the rest: reading the source,
    /// waiting for its sorts, storing the report).
    pub replay_ms: f64,
    pub cards_audited: u64,
    pub cards_with_difference: u64,
    pub points_total_odoo: Decimal,
    pub points_total_replayed: Decimal,
    pub findings_count: u64,
    pub findings_by_kind: BTreeMap<&'static str, u64>,
    pub findings: Vec<Finding>,
    pub findings_truncated: bool,
    /// Cards whose replayed balance differs, with the proposed adjust move.
    pub cards: Vec<CardSummary>,
    pub cards_truncated: bool,
    pub alert: bool,
}

/// Default bytes of replayed orders held in memory before the spill writes a sorted run (a
/// record is about 100 bytes: some 150,000 orders).
pub const SORT_MEMORY: usize = 16 << 20;
/// Below this a run would hold a few hundred orders: many files for nothing.
const SORT_MEMORY_MIN: usize = 64 << 10;
/// The spill indexes its memory with 32-bit offsets.
const SORT_MEMORY_MAX: usize = 4 << 30;

fn literal(ts: &NaiveDateTime) -> String {
    format!("'{}'::timestamp", ts.format("%Y-%m-%d %H:%M:%S%.6f"))
}

/// Odoo's tables the audit reads.
const TABLES: [&str; 8] = [
    "loyalty_program",
    "loyalty_rule",
    "loyalty_reward",
    "loyalty_card",
    "loyalty_history",
    "pos_order",
    "pos_order_line",
    "res_currency",
];

impl Etl {
    pub fn audit(&self, options: &AuditOptions) -> Result<AuditReport> {
        check(options)?;
        let started_at = Utc::now();
        let clock = Instant::now();
        let mut src = self.source_conn()?;
        let mut tgt = self.target_conn()?;
        schema::migrate(&mut tgt)?;
        let missing: Vec<String> = src
            .query(
                "SELECT t FROM unnest($1::text[]) t WHERE to_regclass('public.' || t) IS NULL",
                &[&TABLES.to_vec()],
            )
            .db(Side::Source, "looking for Odoo's POS and loyalty tables")?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if !missing.is_empty() {
            return Err(EtlError::MissingTable { tables: missing });
        }
        let mut tx = read_only(&mut src)?;
        let snapshot: String = tx
            .query_one("SELECT pg_export_snapshot()", &[])
            .db(Side::Source, "exporting the snapshot")?
            .get(0);
        // No nested loops for the history's join with the cards: per-row index lookups cost a
        // random page read each (docs/audit.md, Measured); no JIT for these one-off plans.
        const SETTINGS: &str =
            "SET LOCAL jit = off; SET LOCAL work_mem = '256MB'; SET LOCAL enable_nestloop = off";
        tx.batch_execute(SETTINGS)
            .db(Side::Source, "configuring the audit")?;
        let user: String = tx
            .query_one("SELECT session_user::text", &[])
            .db(Side::Source, "asking who the audit logged in as")?
            .get(0);
        let map = mapping::read(&mut tx, options.points_on_tax_included)?;
        let precision = map.config.points_precision;
        let programs = format!(
            "'{{{}}}'::int[]",
            map.loyalty_program_ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut window = String::from("o.state IN ('paid', 'done', 'invoiced')");
        if let Some(since) = &options.since {
            window += &format!(" AND o.date_order >= {}", literal(since));
        }
        if let Some(until) = &options.until {
            window += &format!(" AND o.date_order < {}", literal(until));
        }
        let categories = std::sync::Arc::new(rows::categories(&mut tx)?);
        let partners = rows::cards_by_partner(&mut tx, &programs)?;
        log::info!(
            "audit: {} programs audited, {} not audited, {} card holders",
            map.audited.len(),
            map.not_audited.len(),
            partners.len()
        );
        // The paid orders' id range: split in halves, each read by its own two connections.
        let bounds = tx
            .query_one(
                &format!("SELECT min(o.id), max(o.id) FROM public.pos_order o WHERE {window}"),
                &[],
            )
            .db(Side::Source, "bounding the paid orders' ids")?;
        let (low, high): (Option<i32>, Option<i32>) = (bounds.get(0), bounds.get(1));
        let (low, high) = (i64::from(low.unwrap_or(0)), i64::from(high.unwrap_or(-1)));

        let membership = if mapping::has_column(&mut tx, "pos_order", "aba_membership_tier")? {
            "o.aba_membership_tier::text, o.aba_membership_evaluated_at, o.aba_membership_valid_until"
        } else {
            "NULL::text, NULL::timestamp, NULL::timestamp"
        };
        let snapshot_setup = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'; {SETTINGS}"
        );
        // Pass 2 compares the cards in two parts of their ids, on two threads, each with its
        // own history stream and replayed orders. Both streams are started first so that the
        // source sorts the history while the orders are replayed.
        let middle_card = i64::from(partners.middle_card().unwrap_or(0));
        let has_ledger = mapping::has_table(&mut tx, ledger::TABLE)?;
        // The last card id of each part and its spill (the sort memory is shared by the
        // parts), and its cards-and-history stream.
        let mut spills: Vec<(i32, spill::Spill)> = Vec::new();
        let mut readers = Vec::new();
        for (first, last) in [
            (i64::from(i32::MIN), middle_card),
            (middle_card + 1, i64::from(i32::MAX)),
        ] {
            let cards =
                format!("c.program_id = ANY({programs}) AND c.id BETWEEN {first} AND {last}");
            let ledger = if has_ledger {
                ledger::history_sql(&cards)
            } else {
                String::new()
            };
            let reader = self.source.copy_out(
                &user,
                &snapshot_setup,
                &format!(
                    "COPY (SELECT c.id, 0, c.program_id, c.points, NULL::int, false, NULL::float8, NULL::float8, NULL::timestamp, 0
                           FROM public.loyalty_card c WHERE {cards}
                           UNION ALL
                           SELECT h.card_id, 1, NULL, NULL, h.order_id, coalesce(h.order_model = 'pos.order', false),
                                  h.issued, h.used, h.create_date, h.id
                           FROM public.loyalty_history h JOIN public.loyalty_card c ON c.id = h.card_id
                           WHERE {cards}{ledger}
                           ORDER BY 1, 2, 9, 10) TO STDOUT (FORMAT binary)"
                ),
                "the cards and their history",
            )?;
            readers.push(reader);
            spills.push((last as i32, spill::Spill::new(options.sort_memory / 2)));
        }
        // The orders and their 10M lines: no sort, both come by index in id order and start
        // flowing at once, so the replay runs while the source reads. Read in halves of the id
        // range by two backends (one backend's output of the lines' numerics is slower than the
        // replay: docs/audit.md, Measured), on connections read by `wire`, not the driver.
        let setup = format!("{snapshot_setup}; SET LOCAL enable_sort = off");
        let middle_order = low + (high - low) / 2;
        let mut halves = Vec::new();
        for (from, to) in [(low, middle_order), (middle_order + 1, high)] {
            let orders_reader = self.source.copy_out(
                &user,
                &setup,
                &format!(
                    "COPY (SELECT o.id, o.partner_id, o.date_order, {membership} FROM public.pos_order o
                           WHERE {window} AND o.id BETWEEN {from} AND {to} ORDER BY o.id)
                     TO STDOUT (FORMAT binary)"
                ),
                "the POS orders",
            )?;
            let lines_reader = self.source.copy_out(
                &user,
                &setup,
                &format!(
                    "COPY (SELECT l.order_id, l.id, l.product_id, l.qty, l.price_unit, l.discount,
                                  l.refunded_orderline_id, coalesce(l.is_reward_line, false), l.reward_id,
                                  l.coupon_id, l.points_cost, l.price_subtotal, l.price_subtotal_incl
                           FROM public.pos_order_line l WHERE l.order_id BETWEEN {from} AND {to}
                           ORDER BY l.order_id) TO STDOUT (FORMAT binary)"
                ),
                "the POS order lines",
            )?;
            halves.push(rows::Orders::new(
                orders_reader,
                lines_reader,
                precision,
                categories.clone(),
            ));
        }

        let replayer = replay::Replayer::new(&map, categories);
        let mut t = Tally::new(options);
        replayer.first_pass(halves, &partners, &mut t, &mut spills, clock)?;
        log::info!(
            "audit: {} (card, order) replayed; comparing card by card",
            t.orders_audited
        );

        let compared = readers
            .into_iter()
            .zip(spills)
            .map(|(reader, (_, spill))| (rows::Cards::new(reader, precision), spill))
            .collect();
        let window = compare::Window {
            since: options.since,
            until: options.until,
            tolerance: options.tolerance,
        };
        let sort_runs = replayer.second_pass(compared, window, &mut t)?;

        tx.commit()
            .db(Side::Source, "closing the read-only snapshot")?;

        let duration = clock.elapsed().as_secs_f64();
        let alert = t.findings_count > options.threshold;
        let mut report = AuditReport {
            report_id: 0,
            started_at,
            duration_ms: duration * 1e3,
            since: options.since,
            until: options.until,
            threshold: options.threshold,
            tolerance: options.tolerance,
            points_basis_from: map.points_basis_from,
            programs_audited: map.audited,
            programs_not_audited: map.not_audited,
            orders_paid: t.orders_paid,
            orders_audited: t.orders_audited,
            orders_without_card: t.orders_without_card,
            orders_with_membership: t.orders_with_membership,
            orders_not_evaluable: t.not_evaluable,
            not_evaluable_examples: t.not_evaluable_examples.into_values().collect(),
            redemptions_as_recorded: t.as_recorded,
            orders_per_second: t.orders_audited as f64 / duration.max(1e-9),
            sort_runs,
            replay_ms: t.replay.as_secs_f64() * 1e3,
            cards_audited: t.cards_audited,
            cards_with_difference: t.cards_with_difference,
            points_total_odoo: t.total_odoo,
            points_total_replayed: t.total_replayed,
            findings_count: t.findings_count,
            findings_by_kind: t.by_kind,
            findings_truncated: t.findings_count > t.findings.len() as u64,
            findings: t.findings,
            cards_truncated: t.cards_with_difference > t.cards.len() as u64,
            cards: t.cards,
            alert,
        };
        report.report_id = store::store(&mut tgt, &report)?;
        let summary = format!(
            "audit {}: {} orders replayed over {} cards in {:.1} s ({:.0} orders/s), {} findings, {} cards to adjust",
            report.report_id,
            report.orders_audited,
            report.cards_audited,
            duration,
            report.orders_per_second,
            report.findings_count,
            report.cards_with_difference
        );
        if alert {
            log::error!(
                "{summary}: more findings than the threshold {}",
                options.threshold
            );
        } else {
            log::info!("{summary}");
        }
        Ok(report)
    }
}

fn read_only(client: &mut postgres::Client) -> Result<postgres::Transaction<'_>> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .db(Side::Source, "opening a read-only snapshot")
}

/// A date (`2024-01-31`, midnight) or date-time (`2024-01-31T08:00:00`, `2024-01-31 08:00`)
/// in UTC, as Odoo stores `date_order`.
pub fn parse_when(field: &str, text: &str) -> Result<NaiveDateTime> {
    let t = text.trim();
    let parsed = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    });
    parsed.ok_or_else(|| EtlError::InvalidArgument {
        field: field.into(),
        reason: format!("{text:?} is not an ISO date or date-time"),
    })
}

fn check(options: &AuditOptions) -> Result<()> {
    let bad = |field: &str, reason: String| {
        Err(EtlError::InvalidArgument {
            field: field.into(),
            reason,
        })
    };
    if let (Some(since), Some(until)) = (options.since, options.until) {
        if since >= until {
            return bad("until", format!("{until} is not after since {since}"));
        }
    }
    if options.tolerance.is_sign_negative() {
        return bad("tolerance", "must be >= 0".into());
    }
    if !(SORT_MEMORY_MIN..=SORT_MEMORY_MAX).contains(&options.sort_memory) {
        return bad(
            "sort_memory_mb",
            format!("{} bytes is outside [64 KiB, 4 GiB]", options.sort_memory),
        );
    }
    Ok(())
}
