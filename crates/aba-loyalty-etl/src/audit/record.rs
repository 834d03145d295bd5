//! What the first pass leaves for the second about one (card, order), as bytes for the spill:
//! a sale already evaluated (its verdict, and what its refunds will need: the points it spent,
//! its membership snapshot and the lines it covers), or a refund still to evaluate (its lines:
//! it needs the card's earlier sales).
use chrono::{DateTime, NaiveDateTime};
use rust_decimal::Decimal;

use aba_loyalty_calc::original::OriginalRedemption;

use super::evaluate::{Replayed, Sale};
use super::rows::{LineRow, Membership, OrderRows};

pub enum Record {
    Sale {
        replayed: Replayed,
        /// When it spent points: what its refunds give back.
        spent: Option<Sale>,
        /// Its snapshot and line ids, when it has one: its refunds are replayed with it.
        membership: Option<(Membership, Vec<i32>)>,
    },
    Refund(OrderRows),
}

const SALE: u8 = 0;
const REFUND: u8 = 1;

/// Microseconds since the Unix epoch (the spill key's date).
pub fn micros(at: &NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn bool(&mut self, v: bool) {
        self.0.push(u8::from(v));
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, v: usize) {
        self.0.extend_from_slice(&(v as u32).to_le_bytes());
    }
    fn opt(&mut self, v: Option<i32>) {
        self.bool(v.is_some());
        self.i32(v.unwrap_or_default());
    }
    fn dec(&mut self, v: Decimal) {
        self.0.extend_from_slice(&v.serialize());
    }
    fn membership(&mut self, m: Option<&Membership>) {
        self.bool(m.is_some());
        if let Some(m) = m {
            self.len(m.tier.len());
            self.0.extend_from_slice(m.tier.as_bytes());
            self.i64(micros(&m.evaluated_at));
            self.i64(micros(&m.valid_until));
        }
    }
}

/// Reads what [`Writer`] wrote; the bytes never leave this process, so a short read is a bug
/// reported as such rather than a panic.
struct Reader<'a>(&'a [u8]);

type Decoded<T> = Result<T, &'static str>;

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Decoded<[u8; N]> {
        let (head, rest) = self.0.split_at_checked(N).ok_or("truncated record")?;
        self.0 = rest;
        let mut out = [0u8; N];
        out.copy_from_slice(head);
        Ok(out)
    }
    fn u8(&mut self) -> Decoded<u8> {
        Ok(self.take::<1>()?[0])
    }
    fn bool(&mut self) -> Decoded<bool> {
        Ok(self.u8()? != 0)
    }
    fn i32(&mut self) -> Decoded<i32> {
        Ok(i32::from_le_bytes(self.take()?))
    }
    fn i64(&mut self) -> Decoded<i64> {
        Ok(i64::from_le_bytes(self.take()?))
    }
    fn len(&mut self) -> Decoded<usize> {
        Ok(u32::from_le_bytes(self.take()?) as usize)
    }
    fn opt(&mut self) -> Decoded<Option<i32>> {
        let some = self.bool()?;
        let v = self.i32()?;
        Ok(some.then_some(v))
    }
    fn dec(&mut self) -> Decoded<Decimal> {
        Ok(Decimal::deserialize(self.take()?))
    }
    fn date(&mut self) -> Decoded<NaiveDateTime> {
        DateTime::from_timestamp_micros(self.i64()?)
            .map(|d| d.naive_utc())
            .ok_or("date out of range")
    }
    fn membership(&mut self) -> Decoded<Option<Membership>> {
        if !self.bool()? {
            return Ok(None);
        }
        let n = self.len()?;
        let (tier, rest) = self.0.split_at_checked(n).ok_or("truncated record")?;
        let tier = std::str::from_utf8(tier)
            .map_err(|_| "tier not UTF-8")?
            .to_string();
        self.0 = rest;
        Ok(Some(Membership {
            tier,
            evaluated_at: self.date()?,
            valid_until: self.date()?,
        }))
    }
}

impl Record {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.clear();
        let mut w = Writer(out);
        match self {
            Record::Sale {
                replayed: r,
                spent: sale,
                membership,
            } => {
                w.u8(SALE);
                w.bool(r.refund);
                w.dec(r.earned);
                w.dec(r.spent);
                w.dec(r.returned);
                w.dec(r.base);
                w.dec(r.odoo_discount);
                w.bool(r.redemption_as_recorded);
                w.bool(sale.is_some());
                if let Some(s) = sale {
                    w.len(s.lines.len());
                    for &(id, qty, refunded) in &s.lines {
                        w.i32(id);
                        w.dec(qty);
                        w.dec(refunded);
                    }
                    w.len(s.redemptions.len());
                    for r in &s.redemptions {
                        w.i64(r.reward_id);
                        w.dec(r.points);
                        w.dec(r.amount);
                        w.len(r.lines.len());
                        for &(index, share) in &r.lines {
                            w.len(index);
                            w.dec(share);
                        }
                    }
                    w.dec(s.returned);
                }
                w.membership(membership.as_ref().map(|m| &m.0));
                if let Some((_, ids)) = membership {
                    w.len(ids.len());
                    for id in ids {
                        w.i32(*id);
                    }
                }
            }
            Record::Refund(o) => {
                w.u8(REFUND);
                w.i32(o.card_id);
                w.i32(o.order_id);
                w.opt(o.partner_id);
                w.i64(micros(&o.date_order));
                w.membership(o.membership.as_ref());
                w.len(o.lines.len());
                for l in &o.lines {
                    w.i32(l.id);
                    w.i32(l.product_id);
                    w.len(l.categories as usize);
                    w.dec(l.qty);
                    w.dec(l.price_unit);
                    w.dec(l.discount);
                    w.dec(l.price_subtotal);
                    w.dec(l.price_subtotal_incl);
                    w.bool(l.refund);
                    w.opt(l.refunded_line_id);
                    w.bool(l.is_reward);
                    w.opt(l.reward_id);
                    w.opt(l.coupon_id);
                    w.dec(l.points_cost);
                }
            }
        }
    }

    pub fn decode(bytes: &[u8]) -> Decoded<Record> {
        let mut r = Reader(bytes);
        let record = match r.u8()? {
            SALE => {
                let replayed = Replayed {
                    refund: r.bool()?,
                    earned: r.dec()?,
                    spent: r.dec()?,
                    returned: r.dec()?,
                    base: r.dec()?,
                    odoo_discount: r.dec()?,
                    redemption_as_recorded: r.bool()?,
                };
                let sale = if r.bool()? {
                    let n = r.len()?;
                    let mut lines = Vec::with_capacity(n.min(4096));
                    for _ in 0..n {
                        lines.push((r.i32()?, r.dec()?, r.dec()?));
                    }
                    let n = r.len()?;
                    let mut redemptions = Vec::with_capacity(n.min(4096));
                    for _ in 0..n {
                        let (reward_id, points, amount) = (r.i64()?, r.dec()?, r.dec()?);
                        let shares = r.len()?;
                        let mut lines = Vec::with_capacity(shares.min(4096));
                        for _ in 0..shares {
                            lines.push((r.len()?, r.dec()?));
                        }
                        redemptions.push(OriginalRedemption {
                            reward_id,
                            points,
                            amount,
                            lines,
                        });
                    }
                    Some(Sale {
                        lines,
                        redemptions,
                        returned: r.dec()?,
                    })
                } else {
                    None
                };
                let membership = match r.membership()? {
                    Some(m) => {
                        let n = r.len()?;
                        let mut ids = Vec::with_capacity(n.min(4096));
                        for _ in 0..n {
                            ids.push(r.i32()?);
                        }
                        Some((m, ids))
                    }
                    None => None,
                };
                Record::Sale {
                    replayed,
                    spent: sale,
                    membership,
                }
            }
            REFUND => {
                let card_id = r.i32()?;
                let order_id = r.i32()?;
                let partner_id = r.opt()?;
                let date_order = r.date()?;
                let membership = r.membership()?;
                let n = r.len()?;
                let mut lines = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    let id = r.i32()?;
                    let product_id = r.i32()?;
                    let categories = r.len()? as u32;
                    lines.push(LineRow {
                        id,
                        product_id,
                        categories,
                        qty: r.dec()?,
                        price_unit: r.dec()?,
                        discount: r.dec()?,
                        price_subtotal: r.dec()?,
                        price_subtotal_incl: r.dec()?,
                        refund: r.bool()?,
                        refunded_line_id: r.opt()?,
                        is_reward: r.bool()?,
                        reward_id: r.opt()?,
                        coupon_id: r.opt()?,
                        points_cost: r.dec()?,
                    });
                }
                Record::Refund(OrderRows {
                    card_id,
                    order_id,
                    partner_id,
                    date_order,
                    membership,
                    lines,
                    // Pass 2 knows the card; the partner's other cards are not recorded.
                    cards: Vec::new(),
                })
            }
            _ => return Err("unknown record tag"),
        };
        if r.0.is_empty() {
            Ok(record)
        } else {
            Err("trailing bytes")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: &str) -> Decimal {
        v.parse().unwrap()
    }

    #[test]
    fn a_refund_round_trips() {
        let at = |us| DateTime::from_timestamp_micros(us).unwrap().naive_utc();
        let order = OrderRows {
            card_id: 3,
            order_id: 77,
            partner_id: Some(5),
            date_order: at(1_700_000_000_123_456),
            membership: Some(Membership {
                tier: "gold".into(),
                evaluated_at: at(1_690_000_000_000_000),
                valid_until: at(1_710_000_000_000_000),
            }),
            lines: vec![LineRow {
                id: 9,
                product_id: 4,
                categories: 7,
                qty: d("-2"),
                price_unit: d("12.345"),
                discount: d("10"),
                price_subtotal: d("-22.22"),
                price_subtotal_incl: d("-24.44"),
                refund: true,
                refunded_line_id: Some(8),
                is_reward: false,
                reward_id: None,
                coupon_id: Some(3),
                points_cost: d("0.5"),
            }],
            cards: vec![(3, 1)],
        };
        let mut bytes = Vec::new();
        Record::Refund(order.clone()).encode(&mut bytes);
        match Record::decode(&bytes) {
            Ok(Record::Refund(back)) => {
                assert_eq!(back.lines, order.lines);
                assert_eq!(back.date_order, order.date_order);
                assert_eq!(back.membership, order.membership);
                assert_eq!(
                    (back.card_id, back.order_id, back.partner_id),
                    (3, 77, Some(5))
                );
            }
            _ => panic!("not a refund"),
        }
        assert_eq!(
            Record::decode(&bytes[..bytes.len() - 1]).err(),
            Some("truncated record")
        );
    }

    #[test]
    fn a_sale_round_trips() {
        let replayed = Replayed {
            refund: false,
            earned: d("12.5"),
            spent: d("100"),
            returned: Decimal::ZERO,
            base: d("125.004"),
            odoo_discount: d("10"),
            redemption_as_recorded: false,
        };
        let sale = Sale {
            lines: vec![(1, d("2"), Decimal::ZERO), (2, d("1"), d("1"))],
            redemptions: vec![OriginalRedemption {
                reward_id: 4,
                points: d("100"),
                amount: d("10"),
                lines: vec![(0, d("6.67")), (1, d("3.33"))],
            }],
            returned: d("1.5"),
        };
        let membership = Membership {
            tier: "silver".into(),
            evaluated_at: DateTime::from_timestamp_micros(0).unwrap().naive_utc(),
            valid_until: DateTime::from_timestamp_micros(86_400_000_000)
                .unwrap()
                .naive_utc(),
        };
        let mut bytes = Vec::new();
        Record::Sale {
            replayed: replayed.clone(),
            spent: Some(sale.clone()),
            membership: Some((membership.clone(), vec![1, 2])),
        }
        .encode(&mut bytes);
        match Record::decode(&bytes) {
            Ok(Record::Sale {
                replayed: r,
                spent: Some(s),
                membership: Some((m, ids)),
            }) => {
                assert_eq!(r, replayed);
                assert_eq!(s.lines, sale.lines);
                assert_eq!(s.redemptions, sale.redemptions);
                assert_eq!(s.returned, sale.returned);
                assert_eq!((m, ids), (membership, vec![1, 2]));
            }
            _ => panic!("not a sale"),
        }
    }
}
