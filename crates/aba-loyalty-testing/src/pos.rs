//! A generated Odoo 18 POS history for the audit (issue 13): orders with their lines, the
//! loyalty cards of their partners and `loyalty_history`, on Odoo's real DDL, written the way
//! pos_loyalty writes them, plus deliberately injected errors of every kind the audit finds,
//! each on its own card so that exactly one finding is expected per injection. What was
//! injected is returned and kept in the table `aba_loyalty_injected_error` so a test can check
//! every injection is found and nothing else is.
//!
//! Bulk data (correct): `cards` loyalty cards (partner = card id; program 2, "1 point per order
//! of 50,000 or more", for card ids divisible by 5, else program 1, "1 point per 10,000"), and
//! `orders` paid orders of `lines` lines each (prices multiples of 1,000, so points are exact),
//! one in ten without a partner (not audited). Every product line carries a 10% tax
//! (`price_subtotal_incl` = 1.1 x `price_subtotal`) and, as stock pos_loyalty does, points are
//! earned on the amounts with tax: an audit on prices without tax finds every order short.
//! One history line per order that earns.
use std::collections::BTreeMap;
use std::time::Instant;

use postgres::Transaction;
use serde::Serialize;

use aba_loyalty_etl::error::{DbContext, EtlError, Result, Side};

use crate::{analyze, connect_empty, count_rows, split_ddl, write_marker, ODOO_DDL};

#[derive(Clone, Debug)]
pub struct PosOptions {
    pub orders: u32,
    pub lines: u32,
    pub cards: u32,
    /// Injections of each kind.
    pub errors_per_kind: u32,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Injected {
    pub kind: &'static str,
    pub card_id: i32,
    pub order_id: i32,
}

#[derive(Debug, Serialize)]
pub struct PosReport {
    pub dsn: String,
    pub rows: BTreeMap<String, i64>,
    pub injected: Vec<Injected>,
    pub duration_ms: f64,
}

const T0: &str = "timestamp '2024-01-01 08:00:00'";
/// Every product line's tax: 10% (`price_subtotal_incl` = this x `price_subtotal`).
const TAX_FACTOR: &str = "1.1";
/// The discount product of reward lines.
const DISCOUNT_PRODUCT: i32 = 1000;

pub fn generate_pos(dsn: &str, o: &PosOptions) -> Result<PosReport> {
    for (field, value) in [("orders", o.orders), ("lines", o.lines), ("cards", o.cards)] {
        if value == 0 {
            return Err(EtlError::InvalidArgument {
                field: field.into(),
                reason: "must be >= 1".into(),
            });
        }
    }
    let clock = Instant::now();
    let (dsn, mut client) = connect_empty(dsn)?;
    let mut tx = client
        .transaction()
        .db(Side::Target, "starting the generation")?;
    let (now, later) = split_ddl(ODOO_DDL);
    tx.batch_execute(&format!(
        "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '256MB';
         SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL synchronous_commit = off; {}",
        now.join(";\n")
    ))
    .db(Side::Target, "creating Odoo's tables")?;
    let programs = crate::data_sql(1, 1, 1, 1, false)
        .into_iter()
        .next()
        .map(|(_, sql)| sql)
        .unwrap_or_default();
    let (n, orders, lines) = (i64::from(o.cards), i64::from(o.orders), i64::from(o.lines));
    let steps: Vec<(&str, String)> = vec![
        ("currency and programs", programs),
        (
            "products",
            format!(
                "INSERT INTO product_template (id, categ_id, uom_id, uom_po_id, type, service_tracking, name, tracking, sale_line_warn)
                 SELECT g, 1 + g % 5, 1, 1, 'consu', 'no', jsonb_build_object('en_US', 'Product ' || g), 'none', 'no-message'
                 FROM generate_series(1, 50) g
                 UNION ALL SELECT {DISCOUNT_PRODUCT}, 1, 1, 1, 'service', 'no', '{{\"en_US\": \"Discount\"}}', 'none', 'no-message';
                 INSERT INTO product_product (id, product_tmpl_id, active) SELECT id, id, true FROM product_template"
            ),
        ),
        // Stored as Odoo stores them: an order's lines together, orders in id order (the
        // audit reads lines by the order_id index: the layout decides its page reads).
        (
            "order lines",
            format!(
                "INSERT INTO pos_order_line (id, company_id, product_id, order_id, name, full_product_name, qty, price_unit, discount,
                     price_subtotal, price_subtotal_incl, is_reward_line, create_date, write_date)
                 SELECT (g - 1) * {lines} + k, 1, 1 + (g * 31 + k * 17) % 50, g, 'Product', 'Product', q, pr, 0, q * pr,
                        q * pr * {TAX_FACTOR}, false, ts, ts
                 FROM generate_series(1, {orders}) g, generate_series(1, {lines}) k,
                      LATERAL (SELECT (1 + (g + k) % 3)::numeric AS q, (1000 * (1 + (g::bigint * 131 + k * 71) % 50))::numeric AS pr,
                                      {T0} + interval '700 days' * (g::float8 / {orders}) AS ts) x
                 ORDER BY g, k"
            ),
        ),
        (
            "orders",
            format!(
                "INSERT INTO pos_order (id, company_id, session_id, config_id, partner_id, sequence_number, name, state, pos_reference,
                     uuid, amount_tax, amount_total, amount_paid, amount_return, date_order, create_uid, write_uid, create_date, write_date)
                 SELECT g, 1, 1 + g / 500, 1, CASE WHEN g % 10 = 0 THEN NULL ELSE (1 + (g::bigint * 7919) % {n})::int END, g,
                        'Shop/' || lpad(g::text, 8, '0'), 'paid', 'Order ' || g, md5(g::text)::uuid::text, s.a - s.e, s.a, s.a, 0,
                        {T0} + interval '700 days' * (g::float8 / {orders}), 2, 2, {T0}, {T0}
                 FROM (SELECT order_id AS g, sum(price_subtotal_incl) AS a, sum(price_subtotal) AS e
                       FROM pos_order_line GROUP BY order_id) s ORDER BY g"
            ),
        ),
        (
            "history (what pos_loyalty records: one line per order that earns)",
            "INSERT INTO loyalty_history (id, card_id, order_id, order_model, description, issued, used, create_uid, write_uid, create_date, write_date)
             SELECT row_number() OVER (ORDER BY id), partner_id, id, 'pos.order', 'Onsite ' || name, pts::float8, 0, 2, 2, date_order, date_order
             FROM (SELECT id, partner_id, name, date_order,
                          CASE WHEN partner_id % 5 = 0 THEN (CASE WHEN amount_total >= 50000 THEN 1 ELSE 0 END)
                               ELSE round(amount_total * 0.0001, 2) END AS pts
                   FROM pos_order WHERE partner_id IS NOT NULL) o
             WHERE pts > 0".to_string(),
        ),
        (
            "cards",
            format!(
                "INSERT INTO loyalty_card (id, program_id, company_id, partner_id, code, active, points, create_uid, write_uid, create_date, write_date)
                 SELECT g, CASE WHEN g % 5 = 0 THEN 2 ELSE 1 END, 1, g, 'ABA-' || lpad(g::text, 10, '0'), true,
                        coalesce(h.pts, 0), 2, 2, {T0}, {T0}
                 FROM generate_series(1, {n}) g
                 LEFT JOIN (SELECT card_id, sum(issued - used) AS pts FROM loyalty_history GROUP BY card_id) h ON h.card_id = g"
            ),
        ),
    ];
    for (what, sql) in &steps {
        let t = Instant::now();
        tx.batch_execute(sql)
            .db(Side::Target, format!("generating {what}"))?;
        log::info!("generated {what} in {:.1} s", t.elapsed().as_secs_f64());
    }
    let mut s = Scenarios {
        card: o.cards as i32,
        order: o.orders as i32,
        line: (orders * lines) as i32,
        history: tx
            .query_one("SELECT coalesce(max(id), 0)::int FROM loyalty_history", &[])
            .db(Side::Target, "reading the history ids")?
            .get::<_, i32>(0),
        injected: Vec::new(),
    };
    for _ in 0..o.errors_per_kind {
        s.inject_all(&mut tx)?;
    }
    // Correct refunds and redemptions beside the injections: the audit must find nothing there.
    for _ in 0..o.errors_per_kind {
        s.controls(&mut tx)?;
    }
    write_marker(&mut tx, o.cards, false, 0.0)?;
    tx.batch_execute(&format!(
        "{};
         CREATE TABLE public.aba_loyalty_injected_error (kind varchar NOT NULL, card_id integer NOT NULL, order_id integer NOT NULL);",
        later.join(";\n")
    ))
    .db(Side::Target, "creating Odoo's constraints and indexes")?;
    for i in &s.injected {
        tx.execute(
            "INSERT INTO public.aba_loyalty_injected_error VALUES ($1, $2, $3)",
            &[&i.kind, &i.card_id, &i.order_id],
        )
        .db(Side::Target, "recording the injections")?;
    }
    let rows = count_rows(
        &mut tx,
        &[
            "pos_order",
            "pos_order_line",
            "loyalty_card",
            "loyalty_history",
        ],
    )?;
    tx.commit()
        .db(Side::Target, "committing the generated data")?;
    analyze(&mut client)?;
    s.injected.sort();
    Ok(PosReport {
        dsn: dsn.redacted(),
        rows,
        injected: s.injected,
        duration_ms: clock.elapsed().as_secs_f64() * 1e3,
    })
}

/// Ids handed out after the bulk data, and what was injected.
struct Scenarios {
    card: i32,
    order: i32,
    line: i32,
    history: i32,
    injected: Vec<Injected>,
}

/// A sale's lines: (product, qty, unit price); reward lines are added separately.
type Lines = [(i32, i32, i64)];

/// Ten lines, base 10 x 2 x 25,000 = 500,000 (50 points on program 1).
const STANDARD: [(i32, i32, i64); 10] = [
    (1, 2, 25_000),
    (2, 2, 25_000),
    (3, 2, 25_000),
    (4, 2, 25_000),
    (5, 2, 25_000),
    (6, 2, 25_000),
    (7, 2, 25_000),
    (8, 2, 25_000),
    (9, 2, 25_000),
    (10, 2, 25_000),
];

/// A sale's base with its 10% tax (what stock pos_loyalty earns on).
fn base(lines: &Lines) -> i64 {
    lines.iter().map(|(_, q, p)| i64::from(*q) * p).sum::<i64>() * 11 / 10
}

/// Program 1's points for a base: 1 per 10,000, in hundredths.
fn points_p1(base: i64) -> f64 {
    base as f64 / 10_000.0
}

impl Scenarios {
    fn card(&mut self, tx: &mut Transaction<'_>, program: i32, points: f64) -> Result<i32> {
        self.card += 1;
        let id = self.card;
        tx.execute(
            &format!(
                "INSERT INTO loyalty_card (id, program_id, company_id, partner_id, code, active, points, create_uid, write_uid, create_date, write_date)
                 VALUES ($1, $2, 1, $1, 'INJ-' || $1::int, true, $3, 2, 2, {T0}, {T0})"
            ),
            &[&id, &program, &points],
        )
        .db(Side::Target, "writing an injected card")?;
        Ok(id)
    }

    /// A paid order of the card's partner; `refund_of`: the sale whose lines it refunds (in
    /// full, negative quantities); `reward`: (reward id, points cost, discount) on the card.
    fn order(
        &mut self,
        tx: &mut Transaction<'_>,
        card: i32,
        lines: &Lines,
        day: i32,
        refund_of: Option<(i32, i32)>,
        reward: Option<(i32, f64, i64)>,
    ) -> Result<i32> {
        self.order += 1;
        let id = self.order;
        let sign = if refund_of.is_some() { -1 } else { 1 };
        let mut total = 0i64;
        for (k, (product, qty, price)) in lines.iter().enumerate() {
            self.line += 1;
            let qty = sign * qty;
            let refunded = refund_of.map(|(_, first_line)| first_line + k as i32);
            total += i64::from(qty) * price * 11 / 10;
            tx.execute(
                &format!(
                    "INSERT INTO pos_order_line (id, company_id, product_id, order_id, refunded_orderline_id, name, qty, price_unit,
                         discount, price_subtotal, price_subtotal_incl, is_reward_line, create_date, write_date)
                     VALUES ($1, 1, $2, $3, $4, 'Product', $5::int, $6::bigint, 0, $5::int * $6::bigint,
                             $5::int * $6::bigint * {TAX_FACTOR}, false,
                             {T0} + $7::int * interval '1 day', {T0} + $7::int * interval '1 day')"
                ),
                &[&self.line, product, &id, &refunded, &qty, price, &day],
            )
            .db(Side::Target, "writing an injected order line")?;
        }
        if let Some((reward_id, cost, discount)) = reward {
            self.line += 1;
            total -= discount;
            tx.execute(
                &format!(
                    "INSERT INTO pos_order_line (id, company_id, product_id, order_id, name, qty, price_unit, discount, price_subtotal,
                         price_subtotal_incl, is_reward_line, reward_id, coupon_id, points_cost, create_date, write_date)
                     VALUES ($1, 1, {DISCOUNT_PRODUCT}, $2, 'Reward', 1, -$3::bigint, 0, -$3::bigint, -$3::bigint, true, $4, $5, $6,
                             {T0} + $7::int * interval '1 day', {T0} + $7::int * interval '1 day')"
                ),
                &[&self.line, &id, &discount, &reward_id, &card, &cost, &day],
            )
            .db(Side::Target, "writing an injected reward line")?;
        }
        tx.execute(
            &format!(
                "INSERT INTO pos_order (id, company_id, session_id, config_id, partner_id, name, state, pos_reference, uuid,
                     amount_tax, amount_total, amount_paid, amount_return, date_order, create_uid, write_uid, create_date, write_date)
                 VALUES ($1, 1, 1, 1, $2, 'Shop/I' || $1::int, 'paid', 'Order I' || $1::int, md5('inj' || $1::int)::uuid::text, 0,
                         $3::bigint, $3::bigint, 0, {T0} + $4::int * interval '1 day', 2, 2, {T0}, {T0})"
            ),
            &[&id, &card, &total, &day],
        )
        .db(Side::Target, "writing an injected order")?;
        Ok(id)
    }

    /// The first line id of an order just written (its lines are consecutive).
    fn first_line(&self, lines: &Lines, reward: bool) -> i32 {
        self.line - lines.len() as i32 - i32::from(reward) + 1
    }

    fn history(
        &mut self,
        tx: &mut Transaction<'_>,
        card: i32,
        order: i32,
        issued: f64,
        used: f64,
        day: i32,
    ) -> Result<()> {
        self.history += 1;
        tx.execute(
            &format!(
                "INSERT INTO loyalty_history (id, card_id, order_id, order_model, description, issued, used, create_uid, write_uid,
                     create_date, write_date)
                 VALUES ($1, $2, $3, 'pos.order', 'Onsite Shop/I' || $3::int, $4, $5, 2, 2, {T0} + $6::int * interval '1 day',
                         {T0} + $6::int * interval '1 day')"
            ),
            &[&self.history, &card, &order, &issued, &used, &day],
        )
        .db(Side::Target, "writing an injected history line")?;
        Ok(())
    }

    fn record(&mut self, kind: &'static str, card_id: i32, order_id: i32) {
        self.injected.push(Injected {
            kind,
            card_id,
            order_id,
        });
    }

    fn inject_all(&mut self, tx: &mut Transaction<'_>) -> Result<()> {
        let e = points_p1(base(&STANDARD));
        // An offline order sent twice: two history lines for one order.
        let c = self.card(tx, 1, 2.0 * e)?;
        let o = self.order(tx, c, &STANDARD, 10, None, None)?;
        self.history(tx, c, o, e, 0.0, 10)?;
        self.history(tx, c, o, e, 0.0, 11)?;
        self.record("credited_twice", c, o);
        // Points for an order the rules give none (program 2 needs 50,000).
        let small = [(1, 1, 10_000)];
        let c = self.card(tx, 2, 1.0)?;
        let o = self.order(tx, c, &small, 20, None, None)?;
        self.history(tx, c, o, 1.0, 0.0, 20)?;
        self.record("points_without_rule", c, o);
        // Too many, too few.
        let c = self.card(tx, 1, e + 1.0)?;
        let o = self.order(tx, c, &STANDARD, 30, None, None)?;
        self.history(tx, c, o, e + 1.0, 0.0, 30)?;
        self.record("points_too_many", c, o);
        let c = self.card(tx, 1, e / 2.0)?;
        let o = self.order(tx, c, &STANDARD, 40, None, None)?;
        self.history(tx, c, o, e / 2.0, 0.0, 40)?;
        self.record("points_too_few", c, o);
        // A refund that kept its points: no history line for the refund.
        let c = self.card(tx, 1, e)?;
        let sale = self.order(tx, c, &STANDARD, 50, None, None)?;
        self.history(tx, c, sale, e, 0.0, 50)?;
        let first = self.first_line(&STANDARD, false);
        let refund = self.order(tx, c, &STANDARD, 51, Some((sale, first)), None)?;
        self.record("refund_kept_points", c, refund);
        // A redemption of more points than the card held (the order's own included).
        let cost = e + 5.0;
        let c = self.card(tx, 1, e - cost)?;
        let o = self.order(
            tx,
            c,
            &STANDARD,
            60,
            None,
            Some((1, cost, (cost * 100.0) as i64)),
        )?;
        self.history(tx, c, o, e, cost, 60)?;
        self.record("negative_balance", c, o);
        // A discount over the order's base: 150 points x 100 on a 10,000 order.
        let big = [(1, 3, 50_000); 10];
        let e1 = points_p1(base(&big));
        let c = self.card(tx, 1, e1 + points_p1(base(&small)) - 150.0)?;
        let o1 = self.order(tx, c, &big, 70, None, None)?;
        self.history(tx, c, o1, e1, 0.0, 70)?;
        let o2 = self.order(tx, c, &small, 71, None, Some((1, 150.0, 15_000)))?;
        self.history(tx, c, o2, points_p1(base(&small)), 150.0, 71)?;
        self.record("discount_over_base", c, o2);
        // An order that earns and has no history line.
        let c = self.card(tx, 1, 0.0)?;
        let o = self.order(tx, c, &STANDARD, 80, None, None)?;
        self.record("no_history", c, o);
        Ok(())
    }

    fn controls(&mut self, tx: &mut Transaction<'_>) -> Result<()> {
        let e = points_p1(base(&STANDARD));
        // A refund that took its points back.
        let c = self.card(tx, 1, 0.0)?;
        let sale = self.order(tx, c, &STANDARD, 90, None, None)?;
        self.history(tx, c, sale, e, 0.0, 90)?;
        let first = self.first_line(&STANDARD, false);
        let refund = self.order(tx, c, &STANDARD, 91, Some((sale, first)), None)?;
        self.history(tx, c, refund, 0.0, e, 91)?;
        // A redemption the card could afford: 10 points for 1,000.
        let c = self.card(tx, 1, 2.0 * e - 10.0)?;
        let o1 = self.order(tx, c, &STANDARD, 100, None, None)?;
        self.history(tx, c, o1, e, 0.0, 100)?;
        let o2 = self.order(tx, c, &STANDARD, 101, None, Some((1, 10.0, 1_000)))?;
        self.history(tx, c, o2, e, 10.0, 101)?;
        // A sale that spent points, refunded in full: the refund takes its points back and
        // gives back the 10 it spent (docs/spec.md §4.12).
        let c = self.card(tx, 1, e)?;
        let o1 = self.order(tx, c, &STANDARD, 110, None, None)?;
        self.history(tx, c, o1, e, 0.0, 110)?;
        let sale = self.order(tx, c, &STANDARD, 111, None, Some((1, 10.0, 1_000)))?;
        self.history(tx, c, sale, e, 10.0, 111)?;
        let first = self.first_line(&STANDARD, true);
        let refund = self.order(tx, c, &STANDARD, 112, Some((sale, first)), None)?;
        self.history(tx, c, refund, 10.0, e, 112)?;
        Ok(())
    }
}
