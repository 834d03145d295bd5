//! The audit's two passes over the replayed orders. Pass 1 reads the paid orders in id order
//! (on a second thread) and evaluates each (card, order), refunds aside, into the spill; pass 2
//! takes the spill back in (card, date, order) order with the cards' history, evaluates the
//! refunds with the card's earlier sales and compares each card.
use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

use aba_loyalty_calc::{Config, Engine};

use super::compare::{self, Window};
use super::evaluate::{self, Replayed, Sale};
use super::mapping::Mapping;
use super::record::{self, Record};
use super::rows::{Cards, Categories, Membership, OrderRows, Orders, PartnerCards};
use super::spill::{Key, Sorted, Spill};
use super::tally::Tally;
use crate::error::{EtlError, Result};

/// Orders handed from the reading thread to the replay at a time, and batches read ahead.
const BATCH: usize = 256;
const READ_AHEAD: usize = 4;

/// Orders read for the replay; `orders[..used]` are this batch's (the rest: buffers kept).
#[derive(Default)]
struct Batch {
    orders: Vec<OrderRows>,
    used: usize,
    /// Which reading thread filled it, to give its buffers back.
    reader: usize,
}

/// The engines and the mapping every (card, order) is replayed with.
pub struct Replayer<'a> {
    map: &'a Mapping,
    /// The products' categories the lines refer to.
    categories: Arc<Categories>,
    engine: Engine,
    /// The same without tiers: an order without a membership snapshot (before the addon, or a
    /// customer without membership) earned at 1x, where the engine would otherwise hold it as
    /// pending_membership until a snapshot comes.
    plain: Engine,
}

impl<'a> Replayer<'a> {
    pub fn new(map: &'a Mapping, categories: Arc<Categories>) -> Self {
        Replayer {
            map,
            categories,
            engine: Engine::from_config(map.config.clone()),
            plain: Engine::from_config(Config {
                tiers: Vec::new(),
                ..map.config.clone()
            }),
        }
    }

    fn engine_for(&self, order: &OrderRows) -> &Engine {
        if order.membership.is_some() {
            &self.engine
        } else {
            &self.plain
        }
    }

    fn tax_included(&self, program_id: i32) -> bool {
        self.map
            .tax_included
            .get(&program_id)
            .copied()
            .unwrap_or(true)
    }

    /// Pass 1: each (card, order) of `partners`' cards evaluated, but for refunds (they need
    /// the card's earlier sales), and left in the spill of its card's part of pass 2 (`spills`:
    /// the last card id of each part, ascending, and its spill), whose order is the key's, not
    /// the reading's. Each of `sources` (orders and lines of a range of ids) is read and decoded
    /// on a thread of its own, handing batches of orders over; their buffers come back to be
    /// refilled.
    pub fn first_pass<O: BufRead + Send, L: BufRead + Send>(
        &self,
        sources: Vec<Orders<O, L>>,
        partners: &PartnerCards,
        t: &mut Tally,
        spills: &mut [(i32, Spill)],
        clock: Instant,
    ) -> Result<()> {
        let (full, full_rx) =
            std::sync::mpsc::sync_channel::<Result<Batch>>(READ_AHEAD * sources.len());
        std::thread::scope(|scope| -> Result<()> {
            let mut recycle = Vec::new();
            for (reader, mut orders) in sources.into_iter().enumerate() {
                let (empty, empty_rx) = std::sync::mpsc::channel::<Batch>();
                recycle.push(empty);
                let full = full.clone();
                // Named, for profilers and thread listings.
                let thread = std::thread::Builder::new().name(format!("aba-audit-read-{reader}"));
                let spawned = thread.spawn_scoped(scope, move || {
                    let mut done = false;
                    while !done {
                        let mut batch = empty_rx.try_recv().unwrap_or_default();
                        batch.used = 0;
                        batch.reader = reader;
                        while batch.used < BATCH {
                            if batch.orders.len() == batch.used {
                                batch.orders.push(OrderRows::default());
                            }
                            match orders.next_order(&mut batch.orders[batch.used], partners) {
                                Ok(true) => batch.used += 1,
                                Ok(false) => {
                                    done = true;
                                    break;
                                }
                                Err(e) => {
                                    let _ = full.send(Err(e));
                                    return;
                                }
                            }
                        }
                        // The receiver gone (the replay failed): stop reading.
                        if full.send(Ok(batch)).is_err() {
                            return;
                        }
                    }
                });
                spawned.map_err(|source| EtlError::Io {
                    during: "starting the audit's reading threads".into(),
                    source,
                })?;
            }
            // Only the readers' senders left: the channel ends when every reader is done.
            drop(full);
            let mut bytes = Vec::new();
            let mut sale_of = Vec::new();
            let mut last_log = Instant::now();
            for batch in full_rx {
                let mut batch = batch?;
                for order in &mut batch.orders[..batch.used] {
                    t.orders_paid += 1;
                    if order.cards.is_empty() {
                        t.orders_without_card += 1;
                        continue;
                    }
                    for k in 0..order.cards.len() {
                        let (card_id, program_id) = order.cards[k];
                        order.card_id = card_id;
                        t.orders_audited += 1;
                        let refund = evaluate::is_refund(order);
                        t.orders_with_membership +=
                            u64::from(order.membership.is_some() && !refund);
                        let record = if refund {
                            Record::Refund(order.clone())
                        } else {
                            let started = Instant::now();
                            let verdict = evaluate::replay(
                                self.engine_for(order),
                                program_id,
                                self.tax_included(program_id),
                                &self.map.computed,
                                &self.categories,
                                order,
                                &mut sale_of,
                            );
                            t.replay += started.elapsed();
                            match verdict {
                                Ok(r) => {
                                    t.as_recorded += u64::from(r.redemption_as_recorded);
                                    Record::Sale {
                                        replayed: r,
                                        spent: sale_of.pop(),
                                        membership: order.membership.clone().map(|m| {
                                            (m, order.lines.iter().map(|l| l.id).collect())
                                        }),
                                    }
                                }
                                Err(reason) => {
                                    t.not_evaluable(order.order_id, reason);
                                    continue;
                                }
                            }
                        };
                        record.encode(&mut bytes);
                        let key = Key {
                            card_id,
                            date_us: record::micros(&order.date_order),
                            order_id: order.order_id,
                        };
                        // The part of pass 2 comparing this card: the first whose last card
                        // id is at or past it.
                        let part = spills.partition_point(|(last, _)| *last < card_id);
                        spills[part.min(spills.len() - 1)].1.push(key, &bytes)?;
                    }
                }
                let _ = recycle[batch.reader].send(batch);
                if last_log.elapsed().as_secs() >= 5 {
                    last_log = Instant::now();
                    log::info!(
                        "audit: {} orders read, {} replayed ({:.0} orders/s)",
                        t.orders_paid,
                        t.orders_audited,
                        t.orders_audited as f64 / clock.elapsed().as_secs_f64()
                    );
                }
            }
            Ok(())
        })
    }

    /// Pass 2, card by card in date order, merged with the cards' history: refunds evaluated
    /// with the sales before them, then the card compared. `parts` (a range of card ids each:
    /// its cards and their history, its replayed orders) are sorted and compared on threads of
    /// their own and their counts added to `t` in card order. The sorted runs written, in all.
    pub fn second_pass<R: BufRead + Send>(
        &self,
        parts: Vec<(Cards<R>, Spill)>,
        window: Window,
        t: &mut Tally,
    ) -> Result<usize> {
        let tallies = std::thread::scope(|scope| -> Result<Vec<(Tally, usize)>> {
            let mut running = Vec::new();
            for (i, (mut cards, spill)) in parts.into_iter().enumerate() {
                let mut part = t.part();
                let thread = std::thread::Builder::new().name(format!("aba-audit-cards-{i}"));
                let spawned = thread.spawn_scoped(scope, move || {
                    let sorted = spill.sorted()?;
                    let runs = sorted.runs();
                    self.compare_cards(&mut cards, sorted, window, &mut part)?;
                    Ok((part, runs))
                });
                running.push(spawned.map_err(|source| EtlError::Io {
                    during: "starting the audit's comparing threads".into(),
                    source,
                })?);
            }
            running
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })?;
        let mut sort_runs = 0;
        for (part, runs) in tallies {
            t.absorb(part);
            sort_runs += runs;
        }
        Ok(sort_runs)
    }

    fn compare_cards<R: BufRead>(
        &self,
        cards: &mut Cards<R>,
        mut sorted: Sorted,
        window: Window,
        t: &mut Tally,
    ) -> Result<()> {
        let mut pending = next_replayed(&mut sorted)?;
        let mut replayed: Vec<(i32, Replayed)> = Vec::new();
        // The card's sales that spent points, for their refunds (kept per card only).
        let mut sales: Vec<Sale> = Vec::new();
        // The card's sales with a membership snapshot, with their line ids, for their refunds.
        let mut snapshots: Vec<(Membership, Vec<i32>, i64)> = Vec::new();
        while let Some(card) = cards.next_card()? {
            replayed.clear();
            sales.clear();
            snapshots.clear();
            let started = Instant::now();
            // Records of cards the card stream does not have cannot occur (same programs);
            // skip any below the card defensively.
            while let Some((key, record)) = pending.take_if(|(k, _)| k.card_id <= card.card_id) {
                if key.card_id == card.card_id {
                    match record {
                        Record::Sale {
                            replayed: r,
                            spent,
                            membership,
                        } => {
                            sales.extend(spent);
                            snapshots.extend(membership.map(|(m, ids)| (m, ids, key.date_us)));
                            replayed.push((key.order_id, r));
                        }
                        Record::Refund(mut order) => {
                            // As the addon: with its sale's snapshot, on the sale's date (the
                            // snapshot is valid then); its own when the sale is not among the
                            // card's replayed orders (e.g. before `since`).
                            if let Some((m, _, sold_us)) = snapshots.iter().find(|(_, ids, _)| {
                                order
                                    .lines
                                    .iter()
                                    .any(|l| l.refunded_line_id.is_some_and(|r| ids.contains(&r)))
                            }) {
                                order.membership = Some(m.clone());
                                if let Some(at) = chrono::DateTime::from_timestamp_micros(*sold_us)
                                {
                                    order.date_order = at.naive_utc();
                                }
                            }
                            t.orders_with_membership += u64::from(order.membership.is_some());
                            match evaluate::replay(
                                self.engine_for(&order),
                                card.program_id,
                                self.tax_included(card.program_id),
                                &self.map.computed,
                                &self.categories,
                                &order,
                                &mut sales,
                            ) {
                                Ok(r) => {
                                    t.as_recorded += u64::from(r.redemption_as_recorded);
                                    replayed.push((key.order_id, r));
                                }
                                Err(reason) => t.not_evaluable(key.order_id, reason),
                            }
                        }
                    }
                }
                pending = next_replayed(&mut sorted)?;
            }
            let summary = compare::card(&card, &replayed, window, &mut t.buffer);
            t.card(summary);
            t.replay += started.elapsed();
        }
        Ok(())
    }
}

/// The spill's next record, decoded.
fn next_replayed(sorted: &mut Sorted) -> Result<Option<(Key, Record)>> {
    match sorted.next_record()? {
        None => Ok(None),
        Some((key, bytes)) => Record::decode(bytes)
            .map(|r| Some((key, r)))
            .map_err(|reason| EtlError::Io {
                during: "reading back the audit's replayed orders".into(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, reason),
            }),
    }
}
