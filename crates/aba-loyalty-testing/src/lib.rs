//! Test tooling, never linked into a release wheel (the root crate's `testing` feature, off by
//! default, exposes it to Python as `aba_loyalty_core._testing`).
//!
//! A source for tests, benchmarks and the demo: an empty database turned into an Odoo-18-shaped
//! one (Odoo's own DDL, shipped in this crate, plus the addon's tables of docs/design.md §4), filled
//! server-side with `INSERT ... SELECT generate_series` (no row crosses the network, so millions
//! of rows take seconds). Constraints and indexes are created after the data, as a restore does.
//!
//! Shape: a handful of programs; more partners than cards. With the addon, 9 cards in 10 are
//! engine-managed loyalty cards (ids `1..=managed_cards(n)`): each opened by one `opening` move
//! (key `opening:<card id>`, as installing the addon does) and then earning/redeeming with a
//! cubic skew, so the first cards have long histories; the ledger never goes below zero and
//! `loyalty_card.points` equals its ledger sum; `loyalty_history` mirrors the non-opening moves.
//! The last tenth are Odoo's own gift cards, coupons and eWallets: points but no ledger move
//! (Odoo computes them itself). Deterministic per seed.
//!
//! [`generate`] also writes a marker table, [`MARKER_TABLE`], that only it creates; [`activity`]
//! (fake earnings, doubled balances) refuses, before any write, a database without it: never a
//! real Odoo database.
pub mod pos;

use std::time::Instant;

use postgres::Client;
use serde::Serialize;

use aba_loyalty_etl::dsn::Dsn;
use aba_loyalty_etl::error::{DbContext, EtlError, Result, Side};

pub const ODOO_DDL: &str = include_str!("../sql/odoo18_loyalty_schema.sql");
pub const ADDON_DDL: &str = include_str!("../sql/addon_schema.sql");

/// The table only [`generate`] creates (one row: what it generated and when). [`activity`]
/// writes nowhere else.
pub const MARKER_TABLE: &str = "aba_loyalty_generated_source";
/// The marker row's `generator` value.
pub(crate) const MARKER: &str = "aba-loyalty-testing generate";

#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub cards: u32,
    /// Default: 1.2 x cards.
    pub partners: Option<u32>,
    /// Ledger moves including one opening per managed card. Default: 4 x cards.
    pub moves: Option<u32>,
    /// Default: cards.
    pub orders: Option<u32>,
    /// Create the addon's tables (ledger, tiers, memberships, pos_order columns).
    pub with_addon: bool,
    pub seed: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            cards: 1000,
            partners: None,
            moves: None,
            orders: None,
            with_addon: true,
            seed: 0.42,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct GenerateReport {
    pub dsn: String,
    pub with_addon: bool,
    pub rows: std::collections::BTreeMap<String, i64>,
    pub rows_total: i64,
    pub duration_ms: f64,
}

/// Split a DDL script into (create-time statements, after-data statements).
pub(crate) fn split_ddl(ddl: &str) -> (Vec<String>, Vec<String>) {
    let mut now = Vec::new();
    let mut later = Vec::new();
    for stmt in ddl.split(";\n") {
        let body: String = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let body = body.trim();
        if body.is_empty() {
            continue;
        }
        let deferred = body.starts_with("CREATE INDEX")
            || body.starts_with("CREATE UNIQUE INDEX")
            || (body.starts_with("ALTER TABLE ONLY") && body.contains("ADD CONSTRAINT"));
        if deferred {
            later.push(body.to_string());
        } else {
            now.push(body.to_string());
        }
    }
    (now, later)
}

fn check_args(o: &GenerateOptions) -> Result<()> {
    let bad = |field: &str, reason: &str| {
        Err(EtlError::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        })
    };
    if o.cards == 0 {
        return bad("cards", "must be >= 1");
    }
    if o.moves.is_some_and(|m| m < managed_cards(o.cards)) {
        return bad(
            "moves",
            "must be >= the managed cards, 9 in 10 (every one has its opening move)",
        );
    }
    if o.partners == Some(0) {
        return bad("partners", "must be >= 1");
    }
    if o.orders == Some(0) {
        return bad("orders", "must be >= 1");
    }
    if !(-1.0..=1.0).contains(&o.seed) {
        return bad("seed", "must be within [-1, 1] (PostgreSQL's setseed)");
    }
    Ok(())
}

/// With the addon: how many of `cards` the generator makes engine-managed loyalty cards (ids
/// `1..=managed_cards(cards)`, each with ledger moves); the others are gift cards, coupons and
/// eWallets without any move.
pub fn managed_cards(cards: u32) -> u32 {
    cards - cards / 10
}

/// The parsed `dsn` and a connection to its database, refused unless it has no Odoo tables yet: the
/// generators fill an empty database, never an existing one. It is written to, so it is
/// opened as a target (never read-only).
pub(crate) fn connect_empty(dsn: &str) -> Result<(Dsn, postgres::Client)> {
    let dsn = Dsn::parse(Side::Target, dsn)?;
    let mut client = dsn.connect()?;
    let exists: bool = client
        .query_one("SELECT to_regclass('public.loyalty_card') IS NOT NULL", &[])
        .db(Side::Target, "inspecting the database to generate")?
        .get(0);
    if exists {
        return Err(EtlError::NotEmpty {
            table: "loyalty_card".into(),
        });
    }
    Ok((dsn, client))
}

/// The marker table only the generators write ([`MARKER_TABLE`]): `activity` refuses a
/// database without it.
pub(crate) fn write_marker(
    tx: &mut postgres::Transaction<'_>,
    cards: u32,
    with_addon: bool,
    seed: f64,
) -> Result<()> {
    tx.batch_execute(&format!(
        "CREATE TABLE public.{MARKER_TABLE} (generator varchar NOT NULL, generated_at timestamp NOT NULL,
             cards integer NOT NULL, with_addon boolean NOT NULL, seed float8 NOT NULL);
         COMMENT ON TABLE public.{MARKER_TABLE} IS
             'Written by the generators of aba_loyalty_core._testing: this database is a generated, fake Odoo source'"
    ))
    .db(Side::Target, "creating the generator's marker")?;
    tx.execute(
        &format!(
            "INSERT INTO public.{MARKER_TABLE} VALUES ($1, now() AT TIME ZONE 'UTC', $2, $3, $4)"
        ),
        &[
            &MARKER,
            &i32::try_from(cards).unwrap_or(i32::MAX),
            &with_addon,
            &seed,
        ],
    )
    .db(Side::Target, "writing the generator's marker")?;
    Ok(())
}

/// Fill the empty database at `dsn`.
pub fn generate(dsn: &str, options: &GenerateOptions) -> Result<GenerateReport> {
    check_args(options)?;
    let clock = Instant::now();
    let (dsn, mut client) = connect_empty(dsn)?;
    let n = i64::from(options.cards);
    let p = i64::from(
        options
            .partners
            .unwrap_or_else(|| options.cards.saturating_mul(6) / 5)
            .max(1),
    );
    let m = i64::from(
        options
            .moves
            .unwrap_or_else(|| options.cards.saturating_mul(4)),
    );
    let o = i64::from(options.orders.unwrap_or(options.cards).max(1));

    let mut tx = client
        .transaction()
        .db(Side::Target, "starting the generation")?;
    let step = |tx: &mut postgres::Transaction<'_>, what: &str, sql: &str| -> Result<()> {
        let t = Instant::now();
        tx.batch_execute(sql)
            .db(Side::Target, format!("generating {what}"))?;
        log::info!("generated {what} in {:.1} s", t.elapsed().as_secs_f64());
        Ok(())
    };
    // Serial plans keep random() deterministic for a seed.
    step(
        &mut tx,
        "session settings",
        &format!(
            "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '256MB';
             SET LOCAL maintenance_work_mem = '512MB'; SELECT setseed({});",
            options.seed
        ),
    )?;
    let (odoo_now, odoo_later) = split_ddl(ODOO_DDL);
    let (addon_now, addon_later) = split_ddl(ADDON_DDL);
    step(&mut tx, "Odoo 18 tables", &odoo_now.join(";\n"))?;
    if options.with_addon {
        step(&mut tx, "addon tables", &addon_now.join(";\n"))?;
    }
    let sql = data_sql(n, p, m, o, options.with_addon);
    for (what, statement) in &sql {
        step(&mut tx, what, statement)?;
    }
    step(
        &mut tx,
        "Odoo constraints and indexes",
        &odoo_later.join(";\n"),
    )?;
    if options.with_addon {
        step(
            &mut tx,
            "addon constraints and indexes",
            &addon_later.join(";\n"),
        )?;
    }
    write_marker(&mut tx, options.cards, options.with_addon, options.seed)?;
    let mut tables = vec![
        "res_currency",
        "res_partner",
        "loyalty_program",
        "loyalty_rule",
        "loyalty_reward",
        "loyalty_card",
        "loyalty_history",
        "pos_order",
    ];
    if options.with_addon {
        tables.extend([
            "aba_loyalty_tier",
            "aba_loyalty_membership",
            "aba_loyalty_point_move",
        ]);
    }
    for table in &tables {
        tx.batch_execute(&format!(
            "SELECT setval('public.{table}_id_seq', coalesce((SELECT max(id) FROM public.{table}), 0) + 1, false)"
        ))
        .db(Side::Target, format!("setting the sequence of {table}"))?;
    }
    let rows = count_rows(&mut tx, &tables)?;
    tx.commit()
        .db(Side::Target, "committing the generated data")?;
    analyze(&mut client)?;
    let rows_total = rows.values().sum();
    Ok(GenerateReport {
        dsn: dsn.redacted(),
        with_addon: options.with_addon,
        rows,
        rows_total,
        duration_ms: clock.elapsed().as_secs_f64() * 1e3,
    })
}

/// Rows per table of a generated database, for the generators' reports.
pub(crate) fn count_rows(
    tx: &mut postgres::Transaction<'_>,
    tables: &[&str],
) -> Result<std::collections::BTreeMap<String, i64>> {
    let mut rows = std::collections::BTreeMap::new();
    for table in tables {
        let count: i64 = tx
            .query_one(&format!("SELECT count(*) FROM public.{table}"), &[])
            .db(Side::Target, format!("counting {table}"))?
            .get(0);
        rows.insert(table.to_string(), count);
    }
    Ok(rows)
}

pub(crate) fn analyze(client: &mut Client) -> Result<()> {
    client
        .batch_execute("ANALYZE")
        .db(Side::Target, "analysing the generated database")
}

/// The data statements, in order. `n` cards, `p` partners, `m` moves, `o` orders.
pub(crate) fn data_sql(n: i64, p: i64, m: i64, o: i64, addon: bool) -> Vec<(&'static str, String)> {
    const T0: &str = "timestamp '2024-01-01 08:00:00'";
    const SPAN: &str = "interval '700 days'";
    let partner_of = |card: &str| format!("(1 + ({card}::bigint * 7919) % {p})::int");
    let program_of = |card: &str| format!("(CASE WHEN {card} % 5 = 0 THEN 2 ELSE 1 END)");
    let mut out: Vec<(&'static str, String)> = Vec::new();
    out.push((
        "currency and programs",
        format!(
            "INSERT INTO res_currency (id, name, symbol, iso_numeric, decimal_places, full_name, position, rounding, active, create_date, write_date)
             VALUES (1, 'IDR', 'Rp', 360, 0, 'Indonesian rupiah', 'before', 1, true, {T0}, {T0});
             INSERT INTO loyalty_program (id, sequence, company_id, currency_id, program_type, applies_on, trigger, name,
                 portal_point_name, active, limit_usage, portal_visible, pos_ok, sale_ok, date_from, date_to, create_uid, write_uid, create_date, write_date) VALUES
              (1, 10, 1, 1, 'loyalty', 'both', 'auto', '{{\"en_US\": \"ABA Points\", \"id_ID\": \"Poin ABA\"}}', '{{\"en_US\": \"Points\"}}', true, false, true, true, true, NULL, NULL, 2, 2, {T0}, {T0}),
              (2, 20, 1, 1, 'loyalty', 'both', 'auto', '{{\"en_US\": \"ABA Member Card\"}}', '{{\"en_US\": \"Stamps\"}}', true, false, true, true, true, NULL, NULL, 2, 2, {T0}, {T0}),
              (3, 30, 1, 1, 'promotion', 'current', 'auto', '{{\"en_US\": \"Weekend 10%\", \"id_ID\": \"Akhir pekan 10%\"}}', NULL, true, false, false, true, false, '2024-01-01', '2026-12-31', 2, 2, {T0}, {T0}),
              (4, 40, 1, 1, 'promotion', 'current', 'auto', '{{\"en_US\": \"Spend 500k, get 50k\"}}', NULL, true, false, false, true, false, NULL, NULL, 2, 2, {T0}, {T0}),
              (5, 50, 1, 1, 'gift_card', 'future', 'auto', '{{\"en_US\": \"Gift Cards\"}}', '{{\"en_US\": \"IDR\"}}', true, false, false, true, true, NULL, NULL, 2, 2, {T0}, {T0}),
              (6, 60, 1, 1, 'coupons', 'current', 'with_code', '{{\"en_US\": \"Coupons\"}}', '{{\"en_US\": \"Coupon point(s)\"}}', true, false, false, true, true, NULL, NULL, 2, 2, {T0}, {T0}),
              (7, 70, 1, 1, 'ewallet', 'future', 'auto', '{{\"en_US\": \"eWallet\"}}', '{{\"en_US\": \"IDR\"}}', true, false, false, true, true, NULL, NULL, 2, 2, {T0}, {T0});
             INSERT INTO loyalty_rule (id, program_id, company_id, minimum_qty, reward_point_mode, minimum_amount_tax_mode, mode,
                 minimum_amount, active, reward_point_split, reward_point_amount, create_uid, write_uid, create_date, write_date) VALUES
              (1, 1, 1, 0, 'money', 'incl', 'auto', 0, true, false, 0.0001, 2, 2, {T0}, {T0}),
              (2, 2, 1, 1, 'order', 'incl', 'auto', 50000, true, false, 1, 2, 2, {T0}, {T0}),
              (3, 3, 1, 0, 'order', 'incl', 'auto', 100000, true, false, 1, 2, 2, {T0}, {T0}),
              (4, 4, 1, 0, 'order', 'incl', 'auto', 500000, true, false, 1, 2, 2, {T0}, {T0});
             INSERT INTO loyalty_reward (id, program_id, company_id, reward_type, discount_mode, discount_applicability, description,
                 discount, required_points, discount_max_amount, active, clear_wallet, create_uid, write_uid, create_date, write_date) VALUES
              (1, 1, 1, 'discount', 'per_point', 'order', '{{\"en_US\": \"100 IDR per point\"}}', 100, 1, 0, true, false, 2, 2, {T0}, {T0}),
              (2, 1, 1, 'discount', 'percent', 'order', '{{\"en_US\": \"5% on your order\"}}', 5, 200, 250000, true, false, 2, 2, {T0}, {T0}),
              (3, 2, 1, 'discount', 'per_order', 'order', '{{\"en_US\": \"25k off\"}}', 25000, 10, 0, true, false, 2, 2, {T0}, {T0}),
              (4, 3, 1, 'discount', 'percent', 'order', '{{\"en_US\": \"10% off\"}}', 10, 1, 0, true, false, 2, 2, {T0}, {T0}),
              (5, 4, 1, 'discount', 'per_order', 'cheapest', '{{\"en_US\": \"50k off\"}}', 50000, 1, 0, true, false, 2, 2, {T0}, {T0});"
        ),
    ));
    out.push((
        "partners",
        format!(
            "INSERT INTO res_partner (id, company_id, name, complete_name, commercial_partner_id, email, phone, type, lang,
                 active, is_company, employee, partner_share, customer_rank, supplier_rank, autopost_bills, create_uid, write_uid, create_date, write_date)
             SELECT g, 1, 'Customer ' || g, 'Customer ' || g, g, 'customer' || g || '@example.com',
                    '+62 81' || lpad(((g::bigint * 104729) % 100000000)::text, 8, '0'), 'contact', 'id_ID',
                    true, false, false, true, 1, 0, 'ask', 2, 2, ts, ts + interval '1 day' * (g % 90)
             FROM generate_series(1, {p}) g, LATERAL (SELECT {T0} + {SPAN} * (g::float8 / {p}) * 0.5 AS ts) t"
        ),
    ));
    if addon {
        // Managed cards 1..=k carry the ledger; k+1..=n are Odoo's own (no move).
        let k = n - n / 10;
        let code_of = |card: &str| format!("('ABA-' || lpad({card}::text, 10, '0'))");
        out.push((
            "ledger moves",
            format!(
                "INSERT INTO aba_loyalty_point_move (id, card_id, card_code, partner_id, program_id, order_uid, pos_order_id, kind,
                     points, balance_after, unrecovered, shortfall, idempotency_key, engine, create_uid, create_date, write_uid, write_date)
                 SELECT id, card_id, {code}, {partner}, {program}, order_uid, pos_order_id, kind,
                        CASE WHEN kind = 'opening' THEN pts + deficit ELSE pts END, run + deficit,
                        CASE WHEN kind = 'refund' THEN 0 END, CASE WHEN kind = 'redeem' THEN 0 END,
                        CASE WHEN kind = 'opening' THEN 'opening:' || card_id ELSE kind || ':' || card_id || ':' || order_uid END,
                        CASE WHEN kind = 'opening' THEN 'opening' ELSE 'native' END, 2, ts, 2, ts
                 FROM (
                   SELECT *, greatest(0, -min(run) OVER (PARTITION BY card_id)) AS deficit FROM (
                     SELECT *, sum(pts) OVER (PARTITION BY card_id ORDER BY id) AS run FROM (
                       SELECT g AS id, g AS card_id, 'opening'::varchar AS kind, round((random() * 300)::numeric, 2) AS pts,
                              NULL::varchar AS order_uid, NULL::int AS pos_order_id, {T0} AS ts
                       FROM generate_series(1, {k}) g
                       UNION ALL
                       SELECT g, 1 + floor({k} * power(random(), 3))::int, kind,
                              CASE kind WHEN 'earn' THEN round((random() * 200)::numeric, 2)
                                        WHEN 'redeem' THEN -round((random() * 150)::numeric, 2)
                                        WHEN 'refund' THEN -round((random() * 40)::numeric, 2)
                                        WHEN 'return' THEN round((random() * 40)::numeric, 2)
                                        ELSE round(((random() - 0.5) * 20)::numeric, 2) END,
                              'ord-' || g, (1 + g % {o})::int, {T0} + {SPAN} * ((g - {k})::float8 / greatest({m} - {k}, 1))
                       FROM (SELECT g, CASE WHEN r < 0.68 THEN 'earn' WHEN r < 0.86 THEN 'redeem'
                                            WHEN r < 0.93 THEN 'refund' WHEN r < 0.96 THEN 'return'
                                            ELSE 'adjust' END::varchar AS kind
                             FROM (SELECT g, random() AS r FROM generate_series({k} + 1, {m}) g) x) y
                     ) raw
                   ) running
                 ) fixed",
                code = code_of("card_id"),
                partner = partner_of("card_id"),
                program = program_of("card_id"),
            ),
        ));
        out.push((
            "history (mirror of the ledger)",
            format!(
                "INSERT INTO loyalty_history (id, card_id, order_id, order_model, description, issued, used, create_uid, write_uid, create_date, write_date)
                 SELECT id - {k}, card_id, pos_order_id, 'pos.order', 'Order ' || order_uid,
                        greatest(points, 0)::float8, greatest(-points, 0)::float8, 2, 2, write_date, write_date
                 FROM aba_loyalty_point_move WHERE id > {k}"
            ),
        ));
        out.push((
            "cards (managed: balance = ledger sum; gift cards, coupons, eWallets: no move)",
            format!(
                "INSERT INTO loyalty_card (id, program_id, company_id, partner_id, code, active, create_uid, write_uid, create_date, write_date, points)
                 SELECT g, CASE WHEN g <= {k} THEN {program} ELSE 5 + g % 3 END, 1, {partner}, {code}, true, 2, 2, {T0},
                        coalesce(b.last_ts, {T0}),
                        CASE WHEN g <= {k} THEN coalesce(b.balance, 0)
                             ELSE round((1 + random() * 499)::numeric, 2) END::float8
                 FROM generate_series(1, {n}) g
                 LEFT JOIN (SELECT card_id, sum(points) AS balance, max(write_date) AS last_ts
                            FROM aba_loyalty_point_move GROUP BY card_id) b ON b.card_id = g",
                code = code_of("g"),
                partner = partner_of("g"),
                program = program_of("g"),
            ),
        ));
        out.push((
            "tiers and memberships",
            format!(
                "INSERT INTO aba_loyalty_tier (id, code, name, rank, multiplier, min_spend, active, create_uid, create_date, write_uid, write_date) VALUES
                  (1, 'basic', '{{\"en_US\": \"Basic\"}}', 0, 1, 0, true, 2, {T0}, 2, {T0}),
                  (2, 'silver', '{{\"en_US\": \"Silver\", \"id_ID\": \"Perak\"}}', 1, 1.25, 1000000, true, 2, {T0}, 2, {T0}),
                  (3, 'gold', '{{\"en_US\": \"Gold\", \"id_ID\": \"Emas\"}}', 2, 1.5, 5000000, true, 2, {T0}, 2, {T0});
                 INSERT INTO aba_loyalty_membership (id, partner_id, tier_id, spend, evaluated_at, valid_until, create_uid, create_date, write_uid, write_date)
                 SELECT g, g, CASE WHEN s >= 5000000 THEN 3 WHEN s >= 1000000 THEN 2 ELSE 1 END, s, ts, ts + interval '30 days', 2, ts, 2, ts
                 FROM (SELECT g, round((power(random(), 2) * 10000000)::numeric) AS s,
                              {T0} + {SPAN} * random() AS ts
                       FROM generate_series(1, greatest({p} / 2, 1)) g) x"
            ),
        ));
    } else {
        out.push((
            "history",
            format!(
                "INSERT INTO loyalty_history (id, card_id, order_id, order_model, description, issued, used, create_uid, write_uid, create_date, write_date)
                 SELECT g, 1 + floor({n} * power(random(), 3))::int, (1 + g % {o})::int, 'pos.order', 'Order ord-' || g,
                        round((random() * 200)::numeric, 2)::float8,
                        CASE WHEN random() < 0.2 THEN round((random() * 50)::numeric, 2)::float8 ELSE 0 END,
                        2, 2, ts, ts
                 FROM generate_series(1, greatest({m} - {n}, 1)) g,
                      LATERAL (SELECT {T0} + {SPAN} * (g::float8 / greatest({m} - {n}, 1)) AS ts) t"
            ),
        ));
        out.push((
            "cards",
            format!(
                "INSERT INTO loyalty_card (id, program_id, company_id, partner_id, code, active, create_uid, write_uid, create_date, write_date, points)
                 SELECT g, {program}, 1, {partner}, 'ABA-' || lpad(g::text, 10, '0'), true, 2, 2, {T0},
                        coalesce(h.last_ts, {T0}), greatest(coalesce(h.balance, 0), 0)
                 FROM generate_series(1, {n}) g
                 LEFT JOIN (SELECT card_id, sum(issued - used) AS balance, max(write_date) AS last_ts
                            FROM loyalty_history GROUP BY card_id) h ON h.card_id = g",
                partner = partner_of("g"),
                program = program_of("g"),
            ),
        ));
    }
    let addon_cols = if addon {
        ", aba_membership_tier, aba_membership_evaluated_at, aba_membership_valid_until, aba_loyalty_status"
    } else {
        ""
    };
    let addon_vals = if addon {
        ", (ARRAY['basic', 'silver', 'gold'])[1 + g % 3], ts - interval '3 days', ts + interval '27 days',
           CASE WHEN g % 50 = 0 THEN 'pending_membership' ELSE 'ok' END"
    } else {
        ""
    };
    out.push((
        "orders",
        format!(
            "INSERT INTO pos_order (id, company_id, session_id, config_id, partner_id, sequence_number, name, state, pos_reference,
                 uuid, amount_tax, amount_total, amount_paid, amount_return, date_order, create_uid, write_uid, create_date, write_date{addon_cols})
             SELECT g, 1, 1 + g / 500, 1 + g % 8, (1 + (g::bigint * 31) % {p})::int, g, 'Shop/' || lpad(g::text, 8, '0'), 'paid',
                    'Order ' || lpad(g::text, 5, '0'), md5(g::text)::uuid::text, round(a * 11 / 111), a, a, 0, ts, 2, 2, ts, ts{addon_vals}
             FROM (SELECT g, round((random() * 1000000)::numeric, -2) AS a,
                          {T0} + {SPAN} * (g::float8 / {o}) AS ts FROM generate_series(1, {o}) g) x"
        ),
    ));
    out
}

/// Odoo-like activity on a generated source, for demos and soak tests: `moves` earnings on
/// skewed random cards (ledger move, card balance, history line, in one transaction stamped with
/// its start time as Odoo does), and `drift` cards whose cached balance is doubled without a
/// ledger move (the offline re-send bug validation exists to catch). With the addon both touch
/// engine-managed cards only (cards with ledger moves).
#[derive(Clone, Debug, Default)]
pub struct ActivityOptions {
    pub moves: u32,
    pub drift: u32,
    pub seed: f64,
}

#[derive(Debug, Serialize)]
pub struct ActivityReport {
    pub moves: u64,
    pub cards_touched: u64,
    pub drifted_cards: Vec<i32>,
    pub duration_ms: f64,
}

/// Refuse a database [`generate`] did not create (no marker row): checked before any write.
fn ensure_generated(client: &mut Client, dsn: &Dsn) -> Result<()> {
    let generated: bool = client
        .query_one(
            &format!("SELECT to_regclass('public.{MARKER_TABLE}') IS NOT NULL"),
            &[],
        )
        .db(Side::Target, "looking for the generator's marker")?
        .get(0);
    let marked = generated
        && client
            .query_one(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM public.{MARKER_TABLE} WHERE generator = $1)"
                ),
                &[&MARKER],
            )
            .db(Side::Target, "reading the generator's marker")?
            .get::<_, bool>(0);
    if marked {
        return Ok(());
    }
    Err(EtlError::InvalidArgument {
        field: "dsn".into(),
        reason: format!(
            "{} was not created by generate (no {MARKER_TABLE} marker): activity writes fake \
             earnings and doubles balances, so it only runs on a generated source, never on a \
             real Odoo database",
            dsn.redacted()
        ),
    })
}

pub fn activity(dsn: &str, options: &ActivityOptions) -> Result<ActivityReport> {
    if !(-1.0..=1.0).contains(&options.seed) {
        return Err(EtlError::InvalidArgument {
            field: "seed".into(),
            reason: "must be within [-1, 1]".into(),
        });
    }
    let clock = Instant::now();
    let dsn = Dsn::parse(Side::Target, dsn)?;
    let mut client = dsn.connect()?;
    ensure_generated(&mut client, &dsn)?;
    let mut tx = client
        .transaction()
        .db(Side::Target, "starting the activity")?;
    let addon: bool = tx
        .query_one(
            "SELECT to_regclass('public.aba_loyalty_point_move') IS NOT NULL",
            &[],
        )
        .db(Side::Target, "inspecting the source")?
        .get(0);
    // With the addon, activity lands on engine-managed cards only (those with ledger moves):
    // Odoo's own gift cards, coupons and eWallets never get a move.
    let cards: Option<i32> = tx
        .query_one(
            if addon {
                "SELECT max(card_id) FROM public.aba_loyalty_point_move"
            } else {
                "SELECT max(id) FROM public.loyalty_card"
            },
            &[],
        )
        .db(Side::Target, "counting cards")?
        .get(0);
    let managed = if addon {
        "AND EXISTS (SELECT 1 FROM public.aba_loyalty_point_move m WHERE m.card_id = c.id)"
    } else {
        ""
    };
    let Some(cards) = cards else {
        return Err(EtlError::MissingTable {
            tables: vec!["loyalty_card (no rows)".into()],
        });
    };
    let now = "(now() AT TIME ZONE 'UTC')";
    tx.batch_execute(&format!(
        "SET LOCAL max_parallel_workers_per_gather = 0; SELECT setseed({seed});
         CREATE TEMP TABLE aba_activity ON COMMIT DROP AS
           SELECT nextval('public.loyalty_history_id_seq')::int AS hid,
                  1 + floor({cards} * power(random(), 3))::int AS card_id,
                  round((random() * 200)::numeric, 2) AS points
           FROM generate_series(1, {n}) g;
         DELETE FROM aba_activity a WHERE NOT EXISTS (SELECT 1 FROM public.loyalty_card c WHERE c.id = a.card_id {managed});
         INSERT INTO public.loyalty_history (id, card_id, order_model, description, issued, used, create_uid, write_uid, create_date, write_date)
           SELECT hid, card_id, 'pos.order', 'Order act-' || hid, points::float8, 0, 2, 2, {now}, {now} FROM aba_activity;",
        seed = options.seed,
        n = options.moves,
    ))
    .db(Side::Target, "writing the activity")?;
    if addon {
        // A ledger from before addon 18.0.2 has no card_code.
        let with_code: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public'
                   AND table_name = 'aba_loyalty_point_move' AND column_name = 'card_code')",
                &[],
            )
            .db(Side::Target, "inspecting the ledger")?
            .get(0);
        let (code_col, code_val) = if with_code {
            ("card_code, ", "c.code, ")
        } else {
            ("", "")
        };
        tx.batch_execute(&format!(
            "INSERT INTO public.aba_loyalty_point_move (card_id, {code_col}partner_id, program_id, order_uid, kind, points,
                 balance_after, idempotency_key, engine, create_uid, create_date, write_uid, write_date)
             SELECT a.card_id, {code_val}c.partner_id, c.program_id, 'act-' || a.hid, 'earn', a.points,
                    coalesce(c.points, 0)::numeric + sum(a.points) OVER (PARTITION BY a.card_id ORDER BY a.hid),
                    'act-' || a.hid || ':' || a.card_id || ':earn', 'native', 2, {now}, 2, {now}
             FROM aba_activity a JOIN public.loyalty_card c ON c.id = a.card_id ORDER BY a.hid;"
        ))
        .db(Side::Target, "writing the activity's ledger moves")?;
    }
    let touched = tx
        .execute(
            &format!(
                "UPDATE public.loyalty_card c SET points = coalesce(c.points, 0) + s.total::float8, write_date = {now}
                 FROM (SELECT card_id, sum(points) AS total FROM aba_activity GROUP BY card_id) s
                 WHERE c.id = s.card_id"
            ),
            &[],
        )
        .db(Side::Target, "updating the card balances")?;
    let moves: i64 = tx
        .query_one("SELECT count(*) FROM aba_activity", &[])
        .db(Side::Target, "counting the activity")?
        .get(0);
    let drifted: Vec<i32> = tx
        .query(
            &format!(
                "UPDATE public.loyalty_card SET points = points * 2, write_date = {now}
                 WHERE id IN (SELECT id FROM public.loyalty_card c WHERE points > 0 {managed} ORDER BY random() LIMIT $1)
                 RETURNING id"
            ),
            &[&i64::from(options.drift)],
        )
        .db(Side::Target, "drifting card balances")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    tx.commit().db(Side::Target, "committing the activity")?;
    let mut drifted_cards = drifted;
    drifted_cards.sort_unstable();
    Ok(ActivityReport {
        moves: moves as u64,
        cards_touched: touched,
        drifted_cards,
        duration_ms: clock.elapsed().as_secs_f64() * 1e3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aba_loyalty_etl::streams::STREAMS;
    use std::collections::{BTreeMap, BTreeSet};

    /// The columns each `CREATE TABLE public.<t>` and `ALTER TABLE public.<t> ADD COLUMN` of a
    /// DDL script gives its table.
    fn ddl_columns(ddl: &str, into: &mut BTreeMap<String, BTreeSet<String>>) {
        let mut table: Option<String> = None;
        for line in ddl.lines() {
            let line = line.trim();
            if let Some(rest) = line
                .strip_prefix("CREATE TABLE public.")
                .or_else(|| line.strip_prefix("ALTER TABLE public."))
            {
                let name = rest.trim_end_matches(" (").trim();
                table = Some(name.to_string());
                into.entry(name.to_string()).or_default();
                continue;
            }
            if line.starts_with(");") || line.is_empty() {
                table = None;
                continue;
            }
            let Some(t) = &table else { continue };
            let column = line.strip_prefix("ADD COLUMN ").unwrap_or(line);
            let name = column.split_whitespace().next().unwrap_or_default();
            if !name.is_empty() && name != "CONSTRAINT" {
                into.get_mut(t)
                    .expect("table seen")
                    .insert(name.to_string());
            }
        }
    }

    #[test]
    fn the_shipped_ddl_has_every_table_and_column_the_etl_streams_read() {
        let mut odoo = BTreeMap::new();
        ddl_columns(ODOO_DDL, &mut odoo);
        let mut with_addon = odoo.clone();
        ddl_columns(ADDON_DDL, &mut with_addon);
        // The parser sees Odoo's own tables (a sample of what the dump holds).
        assert!(odoo["loyalty_card"].contains("points"));
        assert!(odoo["res_partner"].contains("commercial_partner_id"));
        for stream in STREAMS {
            let tables = if stream.addon { &with_addon } else { &odoo };
            let columns = tables
                .get(stream.source_table)
                .unwrap_or_else(|| panic!("{}: no table {}", stream.name, stream.source_table));
            for column in stream.columns {
                assert!(
                    columns.contains(column.source),
                    "{}: {}.{} is not in the shipped DDL",
                    stream.name,
                    stream.source_table,
                    column.source
                );
            }
        }
        // Odoo's DDL alone lacks every addon stream (the generator's `with_addon=false`).
        for stream in STREAMS.iter().filter(|s| s.addon) {
            let has_all = odoo
                .get(stream.source_table)
                .is_some_and(|c| stream.columns.iter().all(|col| c.contains(col.source)));
            assert!(!has_all, "{} needs the addon's DDL", stream.name);
        }
    }

    #[test]
    fn ddl_splits_into_tables_then_constraints() {
        let (now, later) = split_ddl(ODOO_DDL);
        assert!(now
            .iter()
            .any(|s| s.starts_with("CREATE TABLE public.loyalty_card")));
        assert!(now.iter().all(|s| !s.contains("ADD CONSTRAINT")));
        assert!(later.iter().any(|s| s.contains("loyalty_card_pkey")));
        assert!(later
            .iter()
            .all(|s| s.starts_with("ALTER TABLE ONLY") || s.starts_with("CREATE")));
        let (addon_now, addon_later) = split_ddl(ADDON_DDL);
        assert!(addon_now
            .iter()
            .any(|s| s.contains("aba_loyalty_point_move")));
        assert!(addon_later
            .iter()
            .any(|s| s.contains("idempotency_key_uniq")));
    }

    #[test]
    fn arguments_are_checked() {
        let err = check_args(&GenerateOptions {
            cards: 10,
            moves: Some(5),
            ..Default::default()
        })
        .expect_err("bad");
        assert!(err.to_string().contains("moves"));
        assert!(check_args(&GenerateOptions::default()).is_ok());
    }
}
