//! Validation: Odoo's balance (`loyalty_card.points`, a float cache) against the engine's
//! (the sum of the card's ledger moves), card by card, for the cards the ledger manages. Both
//! sides are streamed in card order and merged, so 1M cards cost a few ordered scans and no
//! memory beyond the discrepancies kept.
//!
//! Only engine-managed loyalty cards have ledger moves: Odoo's own coupons, gift cards, eWallets
//! and unmanaged programs' cards have none, and Odoo computes their points itself. So each card
//! id, seen in Odoo's cards, Odoo's ledger (which cards have moves) and the engine's ledger, is:
//!
//! | Odoo card | Odoo ledger | engine ledger | counted as |
//! | --- | --- | --- | --- |
//! | yes | any | yes | compared: consistent, `mismatch` or `invalid_in_odoo` |
//! | yes | yes | no | compared: `missing_in_engine` (the engine lacks the card's history) |
//! | yes | no | no | `cards_unmanaged` (not compared) |
//! | no | yes | yes | `cards_deleted_with_history`: Odoo deleted the card, its history stays (not compared) |
//! | no | no | yes | compared: `missing_in_odoo` (history Odoo's ledger does not have) |
//! | no | yes | no | compared: `missing_in_engine` (a deleted card's history the engine never got) |
use std::io::BufRead;
use std::str::FromStr;
use std::time::Instant;

use chrono::{DateTime, Utc};
use postgres::types::{FromSql, Type};
use postgres::IsolationLevel;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::copy_format::{decode, FormatError, TupleReader};
use crate::error::{DbContext, EtlError, Result, Side};
use crate::schema::{self, SCHEMA};
use crate::transform::float_to_decimal;
use crate::{source, streams, Etl};

#[derive(Clone, Debug)]
pub struct ValidateOptions {
    /// Alert when the consistency rate is below this (0..=1).
    pub threshold: f64,
    /// Largest |odoo - engine| still counted as equal: Odoo's cache is a float8, and a float
    /// sum drifts by ~1e-12; any real difference is at least one unit of points precision.
    pub tolerance: Decimal,
    /// Discrepancies kept in the report and the target (all are counted).
    pub max_discrepancies: usize,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            threshold: 0.999,
            tolerance: Decimal::new(1, 6),
            max_discrepancies: 1000,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Discrepancy {
    pub card_id: i32,
    pub field: &'static str,
    /// "mismatch", "missing_in_engine", "missing_in_odoo", "invalid_in_odoo" (see the module).
    pub kind: &'static str,
    pub odoo: Option<String>,
    pub engine: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ValidationReport {
    pub report_id: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: f64,
    pub threshold: f64,
    pub tolerance: Decimal,
    /// Odoo's cards (`loyalty_card` rows), managed or not.
    pub cards_odoo: u64,
    /// The engine's cards: its copy of Odoo's cards and the cards only its ledger has.
    pub cards_engine: u64,
    /// Cards with ledger history (on either side), as the module's table says; the rate's base.
    pub cards_compared: u64,
    /// Odoo cards without any ledger move (Odoo's own coupons, gift cards, eWallets...).
    pub cards_unmanaged: u64,
    /// Cards Odoo deleted whose ledger history the engine keeps.
    pub cards_deleted_with_history: u64,
    pub consistent: u64,
    pub discrepancies_count: u64,
    pub consistency_rate: f64,
    pub points_total_odoo: Decimal,
    pub points_total_engine: Decimal,
    pub alert: bool,
    pub discrepancies: Vec<Discrepancy>,
    pub discrepancies_truncated: bool,
}

/// One side's next (card id, value) from a binary COPY of two columns.
struct Side2<R> {
    input: TupleReader<R>,
    side: Side,
}

impl<R: BufRead> Side2<R> {
    /// Field `i` of the current tuple as a boolean (NULL: false).
    fn flag(&self, i: usize) -> bool {
        self.input.field(i).is_some_and(|b| b.first() == Some(&1))
    }

    fn next(&mut self) -> Result<Option<(i32, Option<Value>)>> {
        match self.input.next_tuple() {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(FormatError::Io(source)) => {
                return Err(EtlError::Io {
                    during: format!("reading balances from the {}", self.side),
                    source,
                })
            }
            Err(FormatError::Malformed(reason)) => {
                return Err(EtlError::CopyFormat {
                    side: self.side,
                    what: "balances".into(),
                    reason,
                })
            }
        }
        let id = self
            .input
            .field(0)
            .and_then(decode::i32)
            .ok_or_else(|| EtlError::CopyFormat {
                side: self.side,
                what: "balances".into(),
                reason: "card id missing".into(),
            })?;
        let value = match self.input.field(1) {
            None => None,
            // Decoded here, so no per-row allocation: Odoo sends float8, the engine numeric.
            Some(bytes) => Some(match self.side {
                Side::Source => {
                    Value::Float(decode::f64(bytes).ok_or_else(|| EtlError::CopyFormat {
                        side: self.side,
                        what: "card points".into(),
                        reason: "not a float8".into(),
                    })?)
                }
                Side::Target => {
                    Value::Exact(Decimal::from_sql(&Type::NUMERIC, bytes).map_err(|e| {
                        EtlError::CopyFormat {
                            side: self.side,
                            what: "card balance".into(),
                            reason: e.to_string(),
                        }
                    })?)
                }
            }),
        };
        Ok(Some((id, value)))
    }
}

/// One card id as Odoo has it: `card` is `Some(points)` when `loyalty_card` has the row, and
/// `ledger` whether Odoo's ledger has moves for the id.
#[derive(Clone, Copy, Debug, PartialEq)]
struct OdooCard {
    id: i32,
    card: Option<Option<Value>>,
    ledger: bool,
}

/// Odoo's cards merged with the ids its ledger has moves for, in card order. The source sends
/// one ordered stream of (id, points, is a card row): a card row and a ledger row per id at most.
struct OdooSide<R> {
    rows: Side2<R>,
    pending: Option<OdooCard>,
}

impl<R: BufRead> OdooSide<R> {
    fn new(rows: Side2<R>) -> Self {
        OdooSide {
            rows,
            pending: None,
        }
    }

    fn row(&mut self) -> Result<Option<OdooCard>> {
        Ok(self.rows.next()?.map(|(id, value)| {
            if self.rows.flag(2) {
                OdooCard {
                    id,
                    card: Some(value),
                    ledger: false,
                }
            } else {
                OdooCard {
                    id,
                    card: None,
                    ledger: true,
                }
            }
        }))
    }

    fn next(&mut self) -> Result<Option<OdooCard>> {
        let Some(mut first) = self
            .pending
            .take()
            .map_or_else(|| self.row(), |p| Ok(Some(p)))?
        else {
            return Ok(None);
        };
        match self.row()? {
            Some(second) if second.id == first.id => {
                first.card = first.card.or(second.card);
                first.ledger |= second.ledger;
            }
            other => self.pending = other,
        }
        Ok(Some(first))
    }
}

/// The engine's cards merged with its balances, in card order: (card id, balance); `None` for
/// a card of the engine's copy without ledger moves, `Some` for a card its ledger has.
struct EngineSide<R> {
    cards: Side2<R>,
    balances: Side2<R>,
    card: Option<(i32, Option<Value>)>,
    balance: Option<(i32, Option<Value>)>,
}

impl<R: BufRead> EngineSide<R> {
    fn new(mut cards: Side2<R>, mut balances: Side2<R>) -> Result<Self> {
        let card = cards.next()?;
        let balance = balances.next()?;
        Ok(EngineSide {
            cards,
            balances,
            card,
            balance,
        })
    }

    fn next(&mut self) -> Result<Option<(i32, Option<Value>)>> {
        let (c, b) = (
            self.card.as_ref().map(|c| c.0),
            self.balance.as_ref().map(|b| b.0),
        );
        Ok(match (c, b) {
            (None, None) => None,
            (Some(c), Some(b)) if c == b => {
                self.card = self.cards.next()?;
                std::mem::replace(&mut self.balance, self.balances.next()?)
            }
            (Some(c), Some(b)) if c < b => {
                self.card = self.cards.next()?;
                Some((c, None))
            }
            (Some(c), None) => {
                self.card = self.cards.next()?;
                Some((c, None))
            }
            _ => std::mem::replace(&mut self.balance, self.balances.next()?),
        })
    }
}

/// A balance as read: Odoo's float8 or the engine's numeric.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    Float(f64),
    Exact(Decimal),
}

/// Odoo's value: NULL is Odoo's "no points yet" (0); NaN/inf are invalid.
fn odoo_value(raw: &Option<Value>) -> std::result::Result<Decimal, String> {
    match raw {
        None => Ok(Decimal::ZERO),
        Some(Value::Float(f)) => float_to_decimal(*f).map_err(|_| f.to_string()),
        Some(Value::Exact(d)) => Ok(*d),
    }
}

fn engine_value(raw: &Option<Value>) -> Result<Decimal> {
    match raw {
        None => Ok(Decimal::ZERO),
        Some(Value::Exact(d)) => Ok(*d),
        Some(Value::Float(f)) => float_to_decimal(*f).map_err(|reason| EtlError::CopyFormat {
            side: Side::Target,
            what: "card balance".into(),
            reason,
        }),
    }
}

struct Tally {
    options: ValidateOptions,
    cards_odoo: u64,
    cards_engine: u64,
    compared: u64,
    unmanaged: u64,
    deleted_with_history: u64,
    consistent: u64,
    count: u64,
    total_odoo: Decimal,
    total_engine: Decimal,
    kept: Vec<Discrepancy>,
}

impl Tally {
    fn new(options: ValidateOptions) -> Self {
        Tally {
            options,
            cards_odoo: 0,
            cards_engine: 0,
            compared: 0,
            unmanaged: 0,
            deleted_with_history: 0,
            consistent: 0,
            count: 0,
            total_odoo: Decimal::ZERO,
            total_engine: Decimal::ZERO,
            kept: Vec::new(),
        }
    }

    fn discrepancy(&mut self, d: Discrepancy) {
        self.count += 1;
        if self.kept.len() < self.options.max_discrepancies {
            self.kept.push(d);
        }
    }

    /// One card id from both sides (`engine`: `Some` when the engine has the card, holding its
    /// ledger balance when its ledger has moves), classified as the module's table says.
    fn card(
        &mut self,
        id: i32,
        odoo: Option<OdooCard>,
        engine: Option<Option<Value>>,
    ) -> Result<()> {
        let odoo_ledger = odoo.is_some_and(|o| o.ledger);
        let odoo_card = odoo.and_then(|o| o.card);
        if odoo_card.is_some() {
            self.cards_odoo += 1;
        }
        if engine.is_some() {
            self.cards_engine += 1;
        }
        let balance = match engine.flatten() {
            Some(raw) => Some(engine_value(&Some(raw))?),
            None => None,
        };
        match (odoo_card, balance) {
            (Some(points), Some(balance)) => self.both(id, &points, balance),
            (Some(points), None) if odoo_ledger => self.missing_in_engine(id, Some(&points)),
            (Some(_), None) => self.unmanaged += 1,
            (None, Some(_)) if odoo_ledger => self.deleted_with_history += 1,
            (None, Some(balance)) => {
                self.compared += 1;
                self.total_engine += balance;
                self.discrepancy(Discrepancy {
                    card_id: id,
                    field: "points",
                    kind: "missing_in_odoo",
                    odoo: None,
                    engine: Some(balance.to_string()),
                });
            }
            (None, None) if odoo_ledger => self.missing_in_engine(id, None),
            // Only the engine's copy of a card Odoo deleted, and no history: not a balance.
            (None, None) => {}
        }
        Ok(())
    }

    /// Odoo's ledger has history for the card, the engine's has none (`odoo`: the card's
    /// points, `None` when Odoo deleted the card).
    fn missing_in_engine(&mut self, id: i32, odoo: Option<&Option<Value>>) {
        self.compared += 1;
        let value = odoo.map(|raw| match odoo_value(raw) {
            Ok(v) => {
                self.total_odoo += v;
                v.to_string()
            }
            Err(text) => text,
        });
        self.discrepancy(Discrepancy {
            card_id: id,
            field: "points",
            kind: "missing_in_engine",
            odoo: value,
            engine: None,
        });
    }

    fn both(&mut self, id: i32, odoo: &Option<Value>, engine: Decimal) {
        self.compared += 1;
        self.total_engine += engine;
        match odoo_value(odoo) {
            Ok(o) => {
                self.total_odoo += o;
                if (o - engine).abs() <= self.options.tolerance {
                    self.consistent += 1;
                } else {
                    self.discrepancy(Discrepancy {
                        card_id: id,
                        field: "points",
                        kind: "mismatch",
                        odoo: Some(o.to_string()),
                        engine: Some(engine.to_string()),
                    });
                }
            }
            Err(text) => self.discrepancy(Discrepancy {
                card_id: id,
                field: "points",
                kind: "invalid_in_odoo",
                odoo: Some(text),
                engine: Some(engine.to_string()),
            }),
        }
    }
}

impl Etl {
    pub fn validate(&self, options: &ValidateOptions) -> Result<ValidationReport> {
        if !(0.0..=1.0).contains(&options.threshold) {
            return Err(EtlError::InvalidArgument {
                field: "threshold".into(),
                reason: format!("{} is not within [0, 1]", options.threshold),
            });
        }
        if options.tolerance.is_sign_negative() {
            return Err(EtlError::InvalidArgument {
                field: "tolerance".into(),
                reason: "must be >= 0".into(),
            });
        }
        let started_at = Utc::now();
        let clock = Instant::now();
        let mut src = self.source_conn()?;
        let cards = streams::by_name("cards").into_iter().collect::<Vec<_>>();
        source::preflight(&mut src, &cards)?;
        let mut tgt = self.target_conn()?;
        schema::migrate(&mut tgt)?;
        for needed in ["cards", "moves"] {
            let loaded = tgt
                .query_opt(
                    &format!("SELECT 1 FROM {SCHEMA}.sync_state WHERE stream = $1"),
                    &[&needed],
                )
                .db(Side::Target, "reading the sync state")?
                .is_some();
            if !loaded {
                return Err(EtlError::NotLoaded {
                    stream: needed.into(),
                });
            }
        }
        // Which cards Odoo's ledger has moves for decides what is compared.
        let moves = streams::by_name("moves").into_iter().collect::<Vec<_>>();
        source::preflight(&mut src, &moves)?;

        let mut tally = Tally::new(options.clone());
        {
            let mut tgt2 = self.target_conn()?;
            let (mut src_tx, _) = source::snapshot(&mut src)?;
            // The engine side is read as two ordered streams (cards, balances) merged here: two
            // index-ordered scans instead of a full join and a sort. Two connections, one
            // snapshot (exported by the first, adopted by the second).
            let mut tgt_tx = tgt
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .db(Side::Target, "opening a snapshot of the balances")?;
            let snapshot_id: String = tgt_tx
                .query_one("SELECT pg_export_snapshot()", &[])
                .db(Side::Target, "exporting the balances snapshot")?
                .get(0);
            let mut tgt2_tx = tgt2
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .db(Side::Target, "opening a second view of the balances")?;
            tgt2_tx
                .batch_execute(&format!("SET TRANSACTION SNAPSHOT '{snapshot_id}'"))
                .db(Side::Target, "sharing the balances snapshot")?;
            // Plain ordered scans: JIT compilation would cost more than it saves.
            for tx in [&mut src_tx, &mut tgt_tx, &mut tgt2_tx] {
                tx.batch_execute("SET LOCAL jit = off")
                    .db(Side::Target, "configuring the validation")?;
            }
            // Odoo's cards and the card ids its ledger has moves for (deleted cards' included),
            // one ordered stream: a merge of the two index scans.
            let src_reader = src_tx
                .copy_out(
                    "COPY (SELECT id, points, true FROM public.loyalty_card
                           UNION ALL
                           SELECT DISTINCT card_id, NULL::float8, false FROM public.aba_loyalty_point_move
                           ORDER BY 1) TO STDOUT (FORMAT binary)",
                )
                .db(Side::Source, "reading Odoo's card balances and ledger cards")?;
            let cards_reader = tgt_tx
                .copy_out(&format!(
                    "COPY (SELECT id FROM {SCHEMA}.cards ORDER BY id) TO STDOUT (FORMAT binary)"
                ))
                .db(Side::Target, "reading the engine's cards")?;
            let balances_reader = tgt2_tx
                .copy_out(&format!(
                    "COPY (SELECT card_id, balance FROM {SCHEMA}.card_balances ORDER BY card_id) TO STDOUT (FORMAT binary)"
                ))
                .db(Side::Target, "reading the engine's card balances")?;
            let mut odoo = OdooSide::new(Side2 {
                input: TupleReader::new(src_reader),
                side: Side::Source,
            });
            let mut engine = EngineSide::new(
                Side2 {
                    input: TupleReader::new(cards_reader),
                    side: Side::Target,
                },
                Side2 {
                    input: TupleReader::new(balances_reader),
                    side: Side::Target,
                },
            )?;
            let mut o = odoo.next()?;
            let mut e = engine.next()?;
            loop {
                let id = match (&o, &e) {
                    (None, None) => break,
                    (Some(a), Some(b)) => a.id.min(b.0),
                    (Some(a), None) => a.id,
                    (None, Some(b)) => b.0,
                };
                let odoo_card = match o {
                    Some(card) if card.id == id => {
                        o = odoo.next()?;
                        Some(card)
                    }
                    _ => None,
                };
                let engine_card = match e {
                    Some((eid, balance)) if eid == id => {
                        e = engine.next()?;
                        Some(balance)
                    }
                    _ => None,
                };
                tally.card(id, odoo_card, engine_card)?;
            }
            drop(odoo);
            drop(engine);
            src_tx
                .commit()
                .db(Side::Source, "closing the read-only snapshot")?;
            tgt_tx
                .commit()
                .db(Side::Target, "closing the balances snapshot")?;
        }

        let rate = if tally.compared == 0 {
            1.0
        } else {
            tally.consistent as f64 / tally.compared as f64
        };
        let alert = rate < options.threshold;
        let duration_ms = clock.elapsed().as_secs_f64() * 1e3;
        let mut report = ValidationReport {
            report_id: 0,
            started_at,
            duration_ms,
            threshold: options.threshold,
            tolerance: options.tolerance,
            cards_odoo: tally.cards_odoo,
            cards_engine: tally.cards_engine,
            cards_compared: tally.compared,
            cards_unmanaged: tally.unmanaged,
            cards_deleted_with_history: tally.deleted_with_history,
            consistent: tally.consistent,
            discrepancies_count: tally.count,
            consistency_rate: rate,
            points_total_odoo: tally.total_odoo,
            points_total_engine: tally.total_engine,
            alert,
            discrepancies_truncated: tally.count > tally.kept.len() as u64,
            discrepancies: tally.kept,
        };
        report.report_id = store(&mut tgt, &report)?;
        if alert {
            log::error!(
                "validation {}: consistency {:.4}% is below the threshold {:.4}% ({} of {} cards differ)",
                report.report_id,
                rate * 100.0,
                options.threshold * 100.0,
                report.discrepancies_count,
                report.cards_compared
            );
        } else {
            log::info!(
                "validation {}: {} cards compared ({} unmanaged, {} deleted with history), consistency {:.4}%, {} discrepancies, {:.0} ms",
                report.report_id,
                report.cards_compared,
                report.cards_unmanaged,
                report.cards_deleted_with_history,
                rate * 100.0,
                report.discrepancies_count,
                duration_ms
            );
        }
        Ok(report)
    }
}

fn store(client: &mut postgres::Client, r: &ValidationReport) -> Result<i64> {
    let mut tx = client
        .transaction()
        .db(Side::Target, "storing the validation report")?;
    let id: i64 = tx
        .query_one(
            &format!(
                "INSERT INTO {SCHEMA}.validation_reports (started_at, duration_ms, threshold, tolerance,
                     cards_odoo, cards_engine, cards_compared, consistent, discrepancies, consistency_rate,
                     points_total_odoo, points_total_engine, alert, cards_unmanaged, cards_deleted_with_history)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id"
            ),
            &[
                &r.started_at,
                &r.duration_ms,
                &r.threshold,
                &r.tolerance,
                &(r.cards_odoo as i64),
                &(r.cards_engine as i64),
                &(r.cards_compared as i64),
                &(r.consistent as i64),
                &(r.discrepancies_count as i64),
                &r.consistency_rate,
                &r.points_total_odoo,
                &r.points_total_engine,
                &r.alert,
                &(r.cards_unmanaged as i64),
                &(r.cards_deleted_with_history as i64),
            ],
        )
        .db(Side::Target, "storing the validation report")?
        .get(0);
    if !r.discrepancies.is_empty() {
        let ids: Vec<i32> = r.discrepancies.iter().map(|d| d.card_id).collect();
        let fields: Vec<&str> = r.discrepancies.iter().map(|d| d.field).collect();
        let kinds: Vec<&str> = r.discrepancies.iter().map(|d| d.kind).collect();
        let odoo: Vec<Option<&str>> = r.discrepancies.iter().map(|d| d.odoo.as_deref()).collect();
        let engine: Vec<Option<&str>> = r
            .discrepancies
            .iter()
            .map(|d| d.engine.as_deref())
            .collect();
        tx.execute(
            &format!(
                "INSERT INTO {SCHEMA}.validation_discrepancies (report_id, card_id, field, kind, odoo_value, engine_value)
                 SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[])"
            ),
            &[&id, &ids, &fields, &kinds, &odoo, &engine],
        )
        .db(Side::Target, "storing the discrepancies")?;
    }
    tx.commit()
        .db(Side::Target, "storing the validation report")?;
    Ok(id)
}

/// Parse a tolerance given as text (the bindings pass user input here).
pub fn parse_tolerance(text: &str) -> Result<Decimal> {
    Decimal::from_str(text.trim()).map_err(|_| EtlError::InvalidArgument {
        field: "tolerance".into(),
        reason: format!("{text:?} is not a decimal number"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odoo_nulls_are_zero_and_nans_invalid() {
        assert_eq!(odoo_value(&None), Ok(Decimal::ZERO));
        assert_eq!(
            odoo_value(&Some(Value::Float(12.5))),
            Ok(Decimal::new(125, 1))
        );
        assert!(odoo_value(&Some(Value::Float(f64::NAN))).is_err());
    }

    #[test]
    fn only_cards_with_ledger_history_are_compared() {
        let odoo = |id, points: Option<f64>, ledger| OdooCard {
            id,
            card: points.map(|p| Some(Value::Float(p))),
            ledger,
        };
        let balance = |b: i64| Some(Some(Value::Exact(Decimal::from(b))));
        let mut t = Tally::new(ValidateOptions::default());
        t.card(1, Some(odoo(1, Some(5.0), true)), balance(5))
            .expect("ok"); // consistent
        t.card(2, Some(odoo(2, Some(6.0), true)), balance(5))
            .expect("ok"); // mismatch
        t.card(3, Some(odoo(3, Some(7.0), false)), Some(None))
            .expect("ok"); // unmanaged
        t.card(4, Some(odoo(4, Some(7.0), false)), None)
            .expect("ok"); // unmanaged, not copied yet
        t.card(5, Some(odoo(5, None, true)), balance(9))
            .expect("ok"); // deleted, history kept
        t.card(6, Some(odoo(6, Some(8.0), true)), Some(None))
            .expect("ok"); // engine lacks history
        t.card(7, None, balance(3)).expect("ok"); // history Odoo's ledger lacks
        t.card(8, Some(odoo(8, None, true)), None).expect("ok"); // deleted, engine never had it
        t.card(9, None, Some(None)).expect("ok"); // stale copy of a deleted card
        assert_eq!((t.cards_odoo, t.cards_engine), (5, 7));
        assert_eq!((t.compared, t.consistent, t.count), (5, 1, 4));
        assert_eq!((t.unmanaged, t.deleted_with_history), (2, 1));
        let kinds: Vec<_> = t.kept.iter().map(|d| (d.card_id, d.kind)).collect();
        assert_eq!(
            kinds,
            [
                (2, "mismatch"),
                (6, "missing_in_engine"),
                (7, "missing_in_odoo"),
                (8, "missing_in_engine")
            ]
        );
        assert_eq!(t.kept[1].odoo.as_deref(), Some("8"));
        assert_eq!(
            (t.kept[3].odoo.as_deref(), t.kept[3].engine.as_deref()),
            (None, None)
        );
        // Totals cover the compared cards only.
        assert_eq!(
            (t.total_odoo, t.total_engine),
            (Decimal::from(19), Decimal::from(13))
        );
    }

    #[test]
    fn odoo_side_merges_a_card_row_with_its_ledger_row() {
        // (id, points, is a card row), ordered by id, in either order within an id.
        let rows: &[(i32, Option<f64>, bool)] = &[
            (1, Some(2.5), true),
            (1, None, false),
            (2, None, false),
            (2, Some(1.0), true),
            (3, Some(4.0), true),
            (5, None, false),
        ];
        let mut w = crate::copy_format::TupleWriter::new(Vec::new()).expect("vec");
        for (id, points, card) in rows {
            w.begin(3).expect("vec");
            w.raw(Some(&id.to_be_bytes())).expect("vec");
            w.raw(points.map(|p| p.to_be_bytes().to_vec()).as_deref())
                .expect("vec");
            w.raw(Some(&[u8::from(*card)])).expect("vec");
        }
        let bytes = w.finish().expect("vec");
        let mut side = OdooSide::new(Side2 {
            input: TupleReader::new(&bytes[..]),
            side: Side::Source,
        });
        let mut seen = Vec::new();
        while let Some(c) = side.next().expect("read") {
            seen.push(c);
        }
        let f = |p: f64| Some(Some(Value::Float(p)));
        assert_eq!(
            seen,
            [
                OdooCard {
                    id: 1,
                    card: f(2.5),
                    ledger: true
                },
                OdooCard {
                    id: 2,
                    card: f(1.0),
                    ledger: true
                },
                OdooCard {
                    id: 3,
                    card: f(4.0),
                    ledger: false
                },
                OdooCard {
                    id: 5,
                    card: None,
                    ledger: true
                },
            ]
        );
    }

    #[test]
    fn float_noise_is_within_tolerance_but_a_cent_is_not() {
        let mut t = Tally::new(ValidateOptions::default());
        t.both(1, &Some(Value::Float(0.1f64 + 0.2)), Decimal::new(3, 1));
        t.both(2, &Some(Value::Float(10.0)), Decimal::new(1001, 2));
        assert_eq!((t.consistent, t.count), (1, 1));
        assert_eq!(t.kept[0].card_id, 2);
        assert_eq!(t.kept[0].engine.as_deref(), Some("10.01"));
    }
}
