//! Builders for configs and orders in the tests (the docs/spec.md §6 setting by default).
#![allow(dead_code)]
use aba_loyalty_calc::value::Value;
use aba_loyalty_calc::{CalcError, Engine, Evaluation};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

pub fn dec(text: &str) -> Value {
    Value::Decimal(d(text))
}

pub fn s(text: &str) -> Value {
    Value::str(text)
}

pub fn ids(values: &[i64]) -> Value {
    Value::list(values.iter().map(|v| Value::Int(*v)))
}

/// Program 10 "ABA Points": loyalty, 1 point per 10,000 IDR, with the given rewards.
pub fn loyalty_program(rewards: Vec<Value>) -> Value {
    Value::map([
        ("id", Value::Int(10)),
        ("name", s("ABA Points")),
        ("kind", s("loyalty")),
        ("sequence", Value::Int(10)),
        (
            "rules",
            Value::list([Value::map([
                ("id", Value::Int(100)),
                ("mode", s("money")),
                ("amount", dec("0.0001")),
            ])]),
        ),
        ("rewards", Value::list(rewards)),
    ])
}

/// A promotion with no rules and one reward.
pub fn promotion(id: i64, sequence: i64, reward: Value) -> Value {
    Value::map([
        ("id", Value::Int(id)),
        ("name", s(&format!("P{id}"))),
        ("kind", s("promotion")),
        ("sequence", Value::Int(sequence)),
        ("rules", Value::list([])),
        ("rewards", Value::list([reward])),
    ])
}

pub fn reward(id: i64, mode: &str, value: &str, applicability: &str) -> Value {
    Value::map([
        ("id", Value::Int(id)),
        ("type", s("discount")),
        ("mode", s(mode)),
        ("value", dec(value)),
        ("applicability", s(applicability)),
    ])
}

pub fn config(programs: Vec<Value>) -> Value {
    Value::map([
        (
            "currency",
            Value::map([("code", s("IDR")), ("rounding", s("1"))]),
        ),
        ("points_precision", Value::Int(2)),
        (
            "tiers",
            Value::list([
                Value::map([
                    ("code", s("basic")),
                    ("rank", Value::Int(0)),
                    ("multiplier", s("1")),
                    ("min_spend", s("0")),
                ]),
                Value::map([
                    ("code", s("gold")),
                    ("rank", Value::Int(2)),
                    ("multiplier", s("1.5")),
                    ("min_spend", s("5000000")),
                ]),
            ]),
        ),
        (
            "membership",
            Value::map([("validity_days", Value::Int(30))]),
        ),
        ("programs", Value::list(programs)),
    ])
}

pub fn line(id: i64, qty: &str, price: &str, discount: &str) -> Value {
    Value::map([
        ("id", Value::Int(id)),
        ("product_id", Value::Int(id * 10)),
        ("category_ids", ids(&[1])),
        ("qty", dec(qty)),
        ("price_unit", dec(price)),
        ("discount", dec(discount)),
    ])
}

pub fn gold_snapshot() -> Value {
    Value::map([
        ("partner_id", Value::Int(7)),
        ("tier", s("gold")),
        ("evaluated_at", s("2024-05-01T00:00:00")),
        ("valid_until", s("2024-05-31T00:00:00")),
    ])
}

pub fn card(points: &str) -> Value {
    Value::map([
        ("id", Value::Int(500)),
        ("program_id", Value::Int(10)),
        ("points", dec(points)),
    ])
}

/// A sale on 2024-05-10 by partner 7 with a gold snapshot and card 500 of program 10.
pub fn order(lines: Vec<Value>) -> Value {
    Value::map([
        ("uid", s("order-1")),
        ("date_order", s("2024-05-10T10:00:00")),
        ("partner_id", Value::Int(7)),
        ("card", card("0")),
        ("membership", gold_snapshot()),
        ("lines", Value::list(lines)),
    ])
}

pub fn engine(config: &Value) -> Engine {
    Engine::new(&config).expect("valid config")
}

pub fn run(config: &Value, order: &Value) -> Result<Evaluation, CalcError> {
    let engine = engine(config);
    let order = engine.decode_order(&order)?;
    engine.evaluate(&order)
}

pub fn config_error(config: &Value) -> String {
    match Engine::new(&config) {
        Err(error @ CalcError::Config { .. }) => error.to_string(),
        other => panic!("expected a ConfigError, got {other:?}"),
    }
}

pub fn order_error(config: &Value, order: &Value) -> String {
    match run(config, order) {
        Err(error @ CalcError::Order { .. }) => error.to_string(),
        other => panic!("expected an OrderError, got {other:?}"),
    }
}

/// docs/spec.md §6 (v2): no tiers; program 10 earns 1 point per 1,000 IDR, reward 101 gives
/// 100 IDR per point; `spend_earned` as given.
pub fn spend_earned_config(spend_earned: bool) -> Value {
    let mut program = loyalty_program(vec![{
        let mut per_point = reward(101, "per_point", "100", "order");
        per_point.set("required_points", dec("1"));
        per_point
    }]);
    program.set(
        "rules",
        Value::list([Value::map([
            ("id", Value::Int(100)),
            ("mode", s("money")),
            ("amount", dec("0.001")),
        ])]),
    );
    program.set("spend_earned", Value::Bool(spend_earned));
    let mut config = config(vec![program]);
    config.set("tiers", Value::list([]));
    config
}

/// A sale of `lines` by card 500 holding `points`, redeeming `(reward id, points)`.
pub fn redeeming_order(points: &str, lines: Vec<Value>, items: Vec<(i64, &str)>) -> Value {
    let mut order = order(lines);
    order.set("card", card(points));
    order.set(
        "redeem",
        Value::List(
            items
                .into_iter()
                .map(|(id, p)| Value::map([("reward_id", Value::Int(id)), ("points", dec(p))]))
                .collect(),
        ),
    );
    order
}
