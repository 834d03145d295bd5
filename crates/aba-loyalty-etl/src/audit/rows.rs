//! The audit's ordered binary COPY streams from the source, decoded without a per-row
//! allocation beyond an order's lines: (1) each audited card then its `loyalty_history` rows,
//! in card order; (2) the paid POS orders in id order and (3) their lines in `order_id` order,
//! merged here into orders (neither needs a sort of the 10M-row line table: the source reads
//! them by the `order_id` index).
use std::io::BufRead;
use std::sync::Arc;

use chrono::NaiveDateTime;
use postgres::types::{FromSql, Type};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;

use super::id_index::IdIndex;
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
        Some(bytes) => match decode::small_numeric(bytes) {
            Some(d) => Ok(d),
            None => {
                Decimal::from_sql(&Type::NUMERIC, bytes).map_err(|e| malformed(what, e.to_string()))
            }
        },
    }
}

fn timestamp<R>(input: &TupleReader<R>, i: usize) -> Option<NaiveDateTime> {
    let us = input.field(i).and_then(decode::i64)?;
    chrono::DateTime::from_timestamp_micros(us.checked_add(PG_EPOCH_US)?).map(|d| d.naive_utc())
}

/// Odoo's float points as an exact decimal at the points precision (its floats carry noise).
pub fn points(value: f64, precision: u32) -> Decimal {
    // Most lines cost no points: skip the conversion (10M lines).
    if value == 0.0 {
        return Decimal::ZERO;
    }
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
/// product_category, else its own. Read once (a small table), so lines need no join. Each
/// product's list is stored once and a line keeps its index: the reading threads decode 10M
/// lines without touching a reference count another thread touches too.
#[derive(Default)]
pub struct Categories {
    of_product: IdIndex<u32>,
    /// `lists[0]`: no category (a product the table does not have).
    lists: Vec<Arc<[i64]>>,
}

impl Categories {
    /// The index of `product_id`'s categories.
    pub fn of_product(&self, product_id: i32) -> u32 {
        self.of_product.get(product_id).unwrap_or(0)
    }

    /// The categories at `index` (none when out of range: a record of another audit).
    pub fn list(&self, index: u32) -> Arc<[i64]> {
        self.lists
            .get(index as usize)
            .cloned()
            .unwrap_or_else(|| Arc::from([]))
    }

    /// A table of these products' categories (tests and tools).
    pub fn from_products(products: impl IntoIterator<Item = (i32, Vec<i64>)>) -> Self {
        let mut lists: Vec<Arc<[i64]>> = vec![Arc::from([])];
        let mut of_product = HashMap::default();
        for (product, ids) in products {
            of_product.insert(product, lists.len() as u32);
            lists.push(ids.into());
        }
        Categories {
            of_product: IdIndex::new(of_product),
            lists,
        }
    }
}

pub fn categories(tx: &mut postgres::Transaction<'_>) -> Result<Categories> {
    let sql = if super::mapping::has_table(tx, "product_category")? {
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
    Ok(Categories::from_products(rows.iter().map(|r| {
        let path: Option<String> = r.get(1);
        let ids = path
            .unwrap_or_default()
            .split('/')
            .filter_map(|c| c.parse().ok())
            .collect();
        (r.get(0), ids)
    })))
}

/// One POS order line as read.
#[derive(Clone, Debug, PartialEq)]
pub struct LineRow {
    pub id: i32,
    pub product_id: i32,
    /// Its product's categories: an index in the audit's [`Categories`].
    pub categories: u32,
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

/// The addon's membership snapshot of an order (`aba_membership_*` of `pos_order`).
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    pub tier: String,
    pub evaluated_at: NaiveDateTime,
    pub valid_until: NaiveDateTime,
}

/// A paid POS order (of a card's partner when `card_id` is set), with its lines.
#[derive(Clone, Debug, Default)]
pub struct OrderRows {
    pub card_id: i32,
    pub order_id: i32,
    pub partner_id: Option<i32>,
    pub date_order: NaiveDateTime,
    /// Its membership snapshot (the addon's; a refund is replayed with its sale's).
    pub membership: Option<Membership>,
    pub lines: Vec<LineRow>,
    /// Its partner's audited cards, (card, program): looked up while reading, on the reading
    /// thread.
    pub cards: Vec<(i32, i32)>,
}

/// Each partner's cards of the audited programs, (card, program) in card order: one flat
/// array and an index into it, so a lookup (one per order, a million of them) is one hash probe
/// and adjacent entries, not a pointer to a vector of its own.
#[derive(Default)]
pub struct PartnerCards {
    index: IdIndex<(u32, u32)>,
    cards: Vec<(i32, i32)>,
}

impl PartnerCards {
    /// `partner`'s cards (none: not a card holder).
    pub fn get(&self, partner: Option<i32>) -> &[(i32, i32)] {
        match partner.and_then(|p| self.index.get(p)) {
            Some((start, end)) => &self.cards[start as usize..end as usize],
            None => &[],
        }
    }

    /// The median id of these cards: pass 2 compares the cards up to it and those after it
    /// apart (none when there are no cards).
    pub fn middle_card(&self) -> Option<i32> {
        let mut ids: Vec<i32> = self.cards.iter().map(|c| c.0).collect();
        let middle = ids.len() / 2;
        (!ids.is_empty()).then(|| *ids.select_nth_unstable(middle).1)
    }

    /// How many partners hold a card.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

pub fn cards_by_partner(
    tx: &mut postgres::Transaction<'_>,
    programs: &str,
) -> Result<PartnerCards> {
    let rows = tx
        .query(
            &format!(
                "SELECT partner_id, id, program_id FROM public.loyalty_card
                 WHERE partner_id IS NOT NULL AND program_id = ANY({programs}) ORDER BY partner_id, id"
            ),
            &[],
        )
        .db(Side::Source, "reading the cards' partners")?;
    let mut cards = Vec::with_capacity(rows.len());
    let mut index: HashMap<i32, (u32, u32)> = HashMap::default();
    for r in &rows {
        let at = cards.len() as u32;
        cards.push((r.get(1), r.get(2)));
        index.entry(r.get(0)).or_insert((at, at)).1 = at + 1;
    }
    Ok(PartnerCards {
        index: IdIndex::new(index),
        cards,
    })
}

/// Streams (2) and (3): the paid orders `(id, partner_id, date_order, membership tier,
/// evaluated_at, valid_until)` in id order, and the
/// lines `(order_id, id, product_id, qty, price_unit, discount, refunded_orderline_id,
/// is_reward_line, reward_id, coupon_id, points_cost, price_subtotal, price_subtotal_incl)` in
/// `order_id` order, merged.
pub struct Orders<O, L> {
    orders: TupleReader<O>,
    lines: TupleReader<L>,
    /// The lines stream's current tuple is not consumed yet (it belongs to a later order).
    line_pending: bool,
    lines_done: bool,
    categories: Arc<Categories>,
    precision: u32,
}

impl<O: BufRead, L: BufRead> Orders<O, L> {
    pub fn new(orders: O, lines: L, precision: u32, categories: Arc<Categories>) -> Self {
        Orders {
            orders: TupleReader::new(orders),
            lines: TupleReader::new(lines),
            line_pending: false,
            lines_done: false,
            categories,
            precision,
        }
    }

    /// The next paid order with its lines (in line id order; none, skipped undecoded, when
    /// its partner holds none of `partners`' cards), `card_id` 0; reuses `order`'s allocation.
    pub fn next_order(&mut self, order: &mut OrderRows, partners: &PartnerCards) -> Result<bool> {
        if !next(&mut self.orders, "POS orders")? {
            return Ok(false);
        }
        let i = &self.orders;
        order.card_id = 0;
        order.order_id = int(i, 0).ok_or_else(|| malformed("POS orders", "no order id"))?;
        order.partner_id = int(i, 1);
        order.date_order =
            timestamp(i, 2).ok_or_else(|| malformed("POS orders", "no date_order"))?;
        order.membership = match (
            i.field(3).and_then(decode::text),
            timestamp(i, 4),
            timestamp(i, 5),
        ) {
            (Some(tier), Some(evaluated_at), Some(valid_until)) if !tier.is_empty() => {
                Some(Membership {
                    tier: tier.to_string(),
                    evaluated_at,
                    valid_until,
                })
            }
            _ => None,
        };
        order.lines.clear();
        order.cards.clear();
        order
            .cards
            .extend_from_slice(partners.get(order.partner_id));
        let wanted = !order.cards.is_empty();
        while !self.lines_done {
            if !self.line_pending {
                if !next(&mut self.lines, "POS order lines")? {
                    self.lines_done = true;
                    break;
                }
                self.line_pending = true;
            }
            let owner =
                int(&self.lines, 0).ok_or_else(|| malformed("POS order lines", "no order_id"))?;
            if owner > order.order_id {
                break;
            }
            self.line_pending = false;
            if owner == order.order_id && wanted {
                let line = self.line()?;
                order.lines.push(line);
            }
            // owner < order: a line of an order outside the window or not paid.
        }
        // The index gives an order's lines in physical order; Odoo's order is by id.
        order.lines.sort_unstable_by_key(|l| l.id);
        Ok(true)
    }

    fn line(&self) -> Result<LineRow> {
        let i = &self.lines;
        let product_id = int(i, 2).unwrap_or_default();
        Ok(LineRow {
            id: int(i, 1).unwrap_or_default(),
            product_id,
            categories: self.categories.of_product(product_id),
            qty: numeric(i, 3, "pos_order_line.qty")?,
            price_unit: numeric(i, 4, "pos_order_line.price_unit")?,
            discount: numeric(i, 5, "pos_order_line.discount")?,
            refund: int(i, 6).is_some(),
            refunded_line_id: int(i, 6),
            is_reward: flag(i, 7),
            reward_id: int(i, 8),
            coupon_id: int(i, 9),
            points_cost: points(float(i, 10).unwrap_or(0.0), self.precision),
            price_subtotal: numeric(i, 11, "pos_order_line.price_subtotal")?,
            price_subtotal_incl: numeric(i, 12, "pos_order_line.price_subtotal_incl")?,
        })
    }
}
