//! The audit's two ordered binary COPY streams from the source, decoded without a per-row
//! allocation beyond an order's lines: (1) each audited card then its `loyalty_history` rows,
//! (2) each (card, paid POS order) with its lines, both in card order (then Odoo's date order).
use std::collections::HashMap;
use std::io::BufRead;

use chrono::NaiveDateTime;
use postgres::types::{FromSql, Type};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use crate::copy_format::{decode, FormatError, TupleReader};
use crate::error::{DbContext, EtlError, Result, Side};

/// PostgreSQL's epoch (2000-01-01) in Unix microseconds: binary timestamps count from it.
const PG_EPOCH_US: i64 = 946_684_800_000_000;

fn malformed(what: &str, reason: impl Into<String>) -> EtlError {
    EtlError::CopyFormat {
        side: Side::Source,
        what: what.into(),
        reason: reason.into(),
    }
}

fn next<R: BufRead>(input: &mut TupleReader<R>, what: &str) -> Result<bool> {
    input.next_tuple().map_err(|e| match e {
        FormatError::Io(source) => EtlError::Io {
            during: format!("reading {what} from the source"),
            source,
        },
        FormatError::Malformed(reason) => malformed(what, reason),
    })
}

fn int<R>(input: &TupleReader<R>, i: usize) -> Option<i32> {
    input.field(i).and_then(decode::i32)
}

fn float<R>(input: &TupleReader<R>, i: usize) -> Option<f64> {
    input.field(i).and_then(decode::f64)
}

fn flag<R>(input: &TupleReader<R>, i: usize) -> bool {
    input.field(i).is_some_and(|b| b.first() == Some(&1))
}

fn numeric<R>(input: &TupleReader<R>, i: usize, what: &str) -> Result<Decimal> {
    match input.field(i) {
        None => Ok(Decimal::ZERO),
        Some(bytes) => {
            Decimal::from_sql(&Type::NUMERIC, bytes).map_err(|e| malformed(what, e.to_string()))
        }
    }
}

fn timestamp<R>(input: &TupleReader<R>, i: usize) -> Option<NaiveDateTime> {
    let us = input.field(i).and_then(decode::i64)?;
    chrono::DateTime::from_timestamp_micros(us.checked_add(PG_EPOCH_US)?).map(|d| d.naive_utc())
}

/// Odoo's float points as an exact decimal at the points precision (its floats carry noise).
pub fn points(value: f64, precision: u32) -> Decimal {
    Decimal::from_f64(value)
        .unwrap_or_default()
        .round_dp(precision)
        .normalize()
}

/// One `loyalty_history` row of a card.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub id: i32,
    /// The POS order it is about (`None`: another model, or no order: a manual change).
    pub pos_order_id: Option<i32>,
    /// `create_date`: when Odoo recorded it.
    pub at: Option<NaiveDateTime>,
    pub issued: Decimal,
    pub used: Decimal,
}

/// A card and its whole history, in Odoo's order (create_date, id).
#[derive(Clone, Debug, Default)]
pub struct CardRows {
    pub card_id: i32,
    pub program_id: i32,
    pub points: Decimal,
    pub history: Vec<HistoryRow>,
}

/// Stream (1): `(card id, 0, program, points, ...)` then `(card id, 1, ..., history)` rows.
pub struct Cards<R> {
    input: TupleReader<R>,
    pending: Option<CardRows>,
    precision: u32,
    done: bool,
}

impl<R: BufRead> Cards<R> {
    pub fn new(input: R, precision: u32) -> Self {
        Cards {
            input: TupleReader::new(input),
            pending: None,
            precision,
            done: false,
        }
    }

    pub fn next_card(&mut self) -> Result<Option<CardRows>> {
        while !self.done {
            if !next(&mut self.input, "cards and history")? {
                self.done = true;
                break;
            }
            let card_id =
                int(&self.input, 0).ok_or_else(|| malformed("cards and history", "no card id"))?;
            if int(&self.input, 1) == Some(0) {
                let card = CardRows {
                    card_id,
                    program_id: int(&self.input, 2).unwrap_or_default(),
                    points: points(float(&self.input, 3).unwrap_or(0.0), self.precision),
                    history: Vec::new(),
                };
                if let Some(done) = self.pending.replace(card) {
                    return Ok(Some(done));
                }
            } else if let Some(card) = self.pending.as_mut().filter(|c| c.card_id == card_id) {
                let pos = flag(&self.input, 5);
                card.history.push(HistoryRow {
                    id: int(&self.input, 9).unwrap_or_default(),
                    pos_order_id: int(&self.input, 4).filter(|_| pos),
                    at: timestamp(&self.input, 8),
                    issued: points(float(&self.input, 6).unwrap_or(0.0), self.precision),
                    used: points(float(&self.input, 7).unwrap_or(0.0), self.precision),
                });
            }
        }
        Ok(self.pending.take())
    }
}

/// Each product's categories: its own and its parents (Odoo's child_of) when the source has
/// product_category, else its own. Read once (a small table), so lines need no join.
pub fn categories(tx: &mut postgres::Transaction<'_>) -> Result<HashMap<i32, Vec<i64>>> {
    let has_tree: bool = tx
        .query_one(
            "SELECT to_regclass('public.product_category') IS NOT NULL",
            &[],
        )
        .db(Side::Source, "looking for product categories")?
        .get(0);
    let sql = if has_tree {
        "SELECT pp.id, coalesce(pc.parent_path, pt.categ_id::text)::text FROM public.product_product pp
         JOIN public.product_template pt ON pt.id = pp.product_tmpl_id
         LEFT JOIN public.product_category pc ON pc.id = pt.categ_id"
    } else {
        "SELECT pp.id, pt.categ_id::text FROM public.product_product pp
         JOIN public.product_template pt ON pt.id = pp.product_tmpl_id"
    };
    let rows = tx
        .query(sql, &[])
        .db(Side::Source, "reading the products' categories")?;
    Ok(rows
        .iter()
        .map(|r| {
            let path: Option<String> = r.get(1);
            let ids = path
                .unwrap_or_default()
                .split('/')
                .filter_map(|c| c.parse().ok())
                .collect();
            (r.get(0), ids)
        })
        .collect())
}

/// One POS order line as read.
#[derive(Clone, Debug, PartialEq)]
pub struct LineRow {
    pub id: i32,
    pub product_id: i32,
    pub category_ids: Vec<i64>,
    pub qty: Decimal,
    pub price_unit: Decimal,
    pub discount: Decimal,
    /// Odoo's line totals after discount, without and with tax: their ratio gives the unit
    /// price with tax the points are earned on when the basis includes tax.
    pub price_subtotal: Decimal,
    pub price_subtotal_incl: Decimal,
    pub refund: bool,
    /// The sale line it refunds (`refunded_orderline_id`).
    pub refunded_line_id: Option<i32>,
    pub is_reward: bool,
    pub reward_id: Option<i32>,
    pub coupon_id: Option<i32>,
    pub points_cost: Decimal,
}

/// A paid POS order of a card's partner, with its lines.
#[derive(Clone, Debug, Default)]
pub struct OrderRows {
    pub card_id: i32,
    pub order_id: i32,
    pub partner_id: Option<i32>,
    pub date_order: NaiveDateTime,
    pub lines: Vec<LineRow>,
}

/// Stream (2): one row per (card, order, line), in (card, date, order, line) order.
pub struct Orders<R> {
    input: TupleReader<R>,
    categories: HashMap<i32, Vec<i64>>,
    current: Option<OrderRows>,
    precision: u32,
    done: bool,
}

impl<R: BufRead> Orders<R> {
    pub fn new(input: R, precision: u32, categories: HashMap<i32, Vec<i64>>) -> Self {
        Orders {
            input: TupleReader::new(input),
            categories,
            current: None,
            precision,
            done: false,
        }
    }

    /// The next order with all its lines.
    pub fn next_order(&mut self) -> Result<Option<OrderRows>> {
        while !self.done {
            if !next(&mut self.input, "POS orders")? {
                self.done = true;
                break;
            }
            let i = &self.input;
            let card_id = int(i, 0).ok_or_else(|| malformed("POS orders", "no card id"))?;
            let order_id = int(i, 1).ok_or_else(|| malformed("POS orders", "no order id"))?;
            let product_id = int(i, 4).unwrap_or_default();
            let line = LineRow {
                id: int(i, 3).unwrap_or_default(),
                product_id,
                category_ids: self
                    .categories
                    .get(&product_id)
                    .cloned()
                    .unwrap_or_default(),
                qty: numeric(i, 5, "pos_order_line.qty")?,
                price_unit: numeric(i, 6, "pos_order_line.price_unit")?,
                discount: numeric(i, 7, "pos_order_line.discount")?,
                refund: int(i, 8).is_some(),
                refunded_line_id: int(i, 8),
                is_reward: flag(i, 9),
                reward_id: int(i, 10),
                coupon_id: int(i, 11),
                points_cost: points(float(i, 12).unwrap_or(0.0), self.precision),
                price_subtotal: numeric(i, 14, "pos_order_line.price_subtotal")?,
                price_subtotal_incl: numeric(i, 15, "pos_order_line.price_subtotal_incl")?,
            };
            let same = self
                .current
                .as_ref()
                .is_some_and(|o| o.card_id == card_id && o.order_id == order_id);
            if same {
                if let Some(order) = self.current.as_mut() {
                    order.lines.push(line);
                }
                continue;
            }
            let order = OrderRows {
                card_id,
                order_id,
                partner_id: int(i, 13),
                date_order: timestamp(i, 2)
                    .ok_or_else(|| malformed("POS orders", "no date_order"))?,
                lines: vec![line],
            };
            if let Some(done) = self.current.replace(order) {
                return Ok(Some(done));
            }
        }
        Ok(self.current.take())
    }
}
