//! Criterion benchmark of the pure calculation (no Python): decoding and evaluating realistic
//! orders (10 lines) under a config of 20 programs (1 loyalty program with tiers and rewards,
//! 19 promotions of every mode and applicability). Same shape as `benches/bench_evaluate.py`.
//!
//!     cargo bench -p aba-loyalty-calc --bench calc
use aba_loyalty_calc::value::Value;
use aba_loyalty_calc::{Engine, Order};
use criterion::{criterion_group, criterion_main, Criterion};
use rust_decimal::Decimal;
use std::hint::black_box;

fn int(value: i64) -> Value {
    Value::Int(value)
}

fn dec(value: i64, scale: u32) -> Value {
    Value::Decimal(Decimal::new(value, scale))
}

fn config() -> Value {
    let loyalty = Value::map([
        ("id", int(1)),
        ("name", Value::str("ABA Points")),
        ("kind", Value::str("loyalty")),
        ("sequence", int(50)),
        (
            "rules",
            Value::list([
                Value::map([
                    ("id", int(1)),
                    ("mode", Value::str("money")),
                    ("amount", dec(1, 4)),
                ]),
                Value::map([
                    ("id", int(2)),
                    ("mode", Value::str("unit")),
                    ("amount", dec(5, 1)),
                    ("category_ids", Value::list([int(3)])),
                ]),
            ]),
        ),
        (
            "rewards",
            Value::list([
                Value::map([
                    ("id", int(1)),
                    ("type", Value::str("discount")),
                    ("mode", Value::str("fixed")),
                    ("value", dec(20000, 0)),
                    ("applicability", Value::str("order")),
                    ("required_points", dec(100, 0)),
                ]),
                Value::map([
                    ("id", int(2)),
                    ("type", Value::str("discount")),
                    ("mode", Value::str("per_point")),
                    ("value", dec(100, 0)),
                    ("applicability", Value::str("order")),
                    ("required_points", dec(1, 0)),
                    ("max_amount", dec(50000, 0)),
                ]),
            ]),
        ),
    ]);
    // 19 promotions on product groups, categories, order thresholds and the cheapest item;
    // some out of date, one exclusive (the same shape as benches/bench_evaluate.py).
    let shapes = [
        ("percent", "specific"),
        ("fixed", "specific"),
        ("percent", "cheapest"),
        ("percent", "order"),
        ("fixed", "order"),
    ];
    let mut programs = vec![loyalty];
    for n in 0..19_i64 {
        let (mode, applicability) = shapes[n as usize % shapes.len()];
        let value = if mode == "percent" {
            dec(5 + n % 4 * 5, 0)
        } else {
            dec(5000 + 1000 * n, 0)
        };
        let mut rules = Vec::new();
        if applicability == "order" {
            rules.push(Value::map([
                ("id", int(1000 + n)),
                ("mode", Value::str("money")),
                ("amount", dec(1, 0)),
                ("min_amount", dec(400_000 + 50_000 * n, 0)),
            ]));
        }
        if n % 4 == 1 {
            rules.push(Value::map([
                ("id", int(2000 + n)),
                ("mode", Value::str("unit")),
                ("amount", dec(1, 0)),
                ("category_ids", Value::list([int(n % 10)])),
                ("min_qty", dec(2, 0)),
            ]));
        }
        let group: Vec<Value> = (0..6)
            .map(|k| int(1000 + (n * 37 + k * 11) % 200))
            .collect();
        let mut program = Value::map([
            ("id", int(100 + n)),
            ("name", Value::str("Promo")),
            ("kind", Value::str("promotion")),
            ("sequence", int(n)),
            ("exclusive", Value::Bool(n == 17)),
            ("rules", Value::List(rules)),
            (
                "rewards",
                Value::list([Value::map([
                    ("id", int(3000 + n)),
                    ("type", Value::str("discount")),
                    ("mode", Value::str(mode)),
                    ("value", value),
                    ("applicability", Value::str(applicability)),
                    (
                        "product_ids",
                        Value::List(if applicability == "order" {
                            vec![]
                        } else {
                            group
                        }),
                    ),
                    (
                        "category_ids",
                        Value::List(if applicability == "cheapest" {
                            vec![int(n % 10)]
                        } else {
                            vec![]
                        }),
                    ),
                    ("max_amount", dec(if n % 5 == 2 { 25000 } else { 0 }, 0)),
                ])]),
            ),
        ]);
        if n % 6 == 5 {
            program.set("date_to", Value::str("2024-01-31"));
        }
        programs.push(program);
    }
    let tier = |code: &str, rank: i64, multiplier: Value, min_spend: i64| {
        Value::map([
            ("code", Value::str(code)),
            ("rank", int(rank)),
            ("multiplier", multiplier),
            ("min_spend", dec(min_spend, 0)),
        ])
    };
    Value::map([
        (
            "currency",
            Value::map([("code", Value::str("IDR")), ("rounding", Value::str("1"))]),
        ),
        ("points_precision", int(2)),
        (
            "tiers",
            Value::list([
                tier("basic", 0, dec(1, 0), 0),
                tier("silver", 1, dec(125, 2), 1_000_000),
                tier("gold", 2, dec(15, 1), 5_000_000),
            ]),
        ),
        ("programs", Value::List(programs)),
    ])
}

fn order(n: u64) -> Value {
    // A small deterministic generator: the bench must not depend on a random crate.
    let mut state = n
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut next = |modulo: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % modulo
    };
    let lines = (0..10)
        .map(|i| {
            let product = 1000 + next(200) as i64;
            let price = 5000 + (product * 7919) % 120 * 1000;
            Value::map([
                ("id", int(i + 1)),
                ("product_id", int(product)),
                ("category_ids", Value::list([int(product % 10)])),
                ("qty", int(1 + next(3) as i64)),
                (
                    "price_unit",
                    if i % 2 == 1 {
                        Value::Float(price as f64)
                    } else {
                        dec(price, 0)
                    },
                ),
                ("discount", if next(5) == 0 { dec(10, 0) } else { int(0) }),
            ])
        })
        .collect::<Vec<_>>();
    let mut order = Value::map([
        ("uid", Value::Str(format!("pos-{n:08}"))),
        ("date_order", Value::str("2024-05-10T10:00:00")),
        ("partner_id", int(7)),
        (
            "card",
            Value::map([
                ("id", int(500)),
                ("program_id", int(1)),
                ("points", dec(2505, 1)),
            ]),
        ),
        (
            "membership",
            Value::map([
                ("partner_id", int(7)),
                ("tier", Value::str("gold")),
                ("evaluated_at", Value::str("2024-05-01T00:00:00")),
                ("valid_until", Value::str("2024-06-01T00:00:00")),
            ]),
        ),
        ("lines", Value::List(lines)),
    ]);
    if n.is_multiple_of(4) {
        order.set(
            "redeem",
            Value::list([Value::map([("reward_id", int(2)), ("points", dec(120, 0))])]),
        );
    }
    order
}

fn bench(c: &mut Criterion) {
    let engine = Engine::new(&&config()).expect("bench config is valid");
    let raw: Vec<Value> = (0..64).map(order).collect();
    let decoded: Vec<Order> = raw
        .iter()
        .map(|o| engine.decode_order(&o).expect("bench order is valid"))
        .collect();

    c.bench_function("config decode (20 programs)", |b| {
        let config = config();
        b.iter(|| Engine::new(black_box(&&config)).map(|_| ()))
    });
    c.bench_function("order decode (10 lines)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % raw.len();
            engine.decode_order(black_box(&&raw[i])).map(|_| ())
        })
    });
    c.bench_function("evaluate (10 lines, 20 programs)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % decoded.len();
            engine.evaluate(black_box(&decoded[i])).map(|_| ())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
