//! Fuzz inputs for the calculation core: an `arbitrary` value tree implementing the calc crate's
//! [`Node`] trait (the trait the Python bindings implement for Python objects), and a case that
//! is either a free-form (config, order) pair or a valid SPEC-like pair with fuzzer-chosen
//! mutations, so the fuzzer reaches both the decoders' refusals and the evaluation of accepted
//! inputs.
use aba_loyalty_calc::error::Reason;
use aba_loyalty_calc::input::{expected, Node};
use aba_loyalty_calc::{iso, numeric, CalcError, Engine};
use arbitrary::{Arbitrary, Result, Unstructured};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// Every key the decoders know (drawn often, so maps are mostly well-keyed).
#[rustfmt::skip]
const KEYS: &[&str] = &[
    "currency", "points_precision", "tiers", "membership", "programs", "code", "rounding",
    "rank", "multiplier", "min_spend", "validity_days", "id", "name", "kind", "sequence",
    "active", "date_from", "date_to", "exclusive", "points_basis", "rules", "rewards", "mode",
    "amount", "product_ids", "category_ids", "min_qty", "min_amount", "type", "value",
    "applicability", "max_amount", "required_points", "uid", "date_order", "partner_id", "card",
    "lines", "redeem", "refund_of", "program_id", "points", "tier", "evaluated_at",
    "valid_until", "product_id", "qty", "price_unit", "discount", "reward_id",
    "spend_earned", "original", "origin_line_id", "refunded_qty", "redemptions", "returned",
];

/// Texts the decoders give meaning to, and awkward numbers and dates.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "loyalty", "promotion", "discount", "percent", "fixed", "per_point", "order", "cheapest",
    "specific", "money", "unit", "base", "paid", "basic", "gold", "IDR", "0.01", "1", "100",
    "0", "-0", "1e-28", "0.0000000000000000000000000001", "999999999999.99", "1e12", "-1e12",
    "NaN", "-Infinity", "1_000", "1__0", " 5 ", "2024-05-10", "2024-02-30", "2024-05-10T10:00:00",
    "2024-05-10 10:00:00.123456Z", "2024-05-10T10:00:00+14:00", "9999-12-31T23:59:59-23:59",
    "", "x",
];

const MAX_DEPTH: u32 = 6;

/// One input value (the shape of what Python callers pass).
#[derive(Debug, Clone)]
pub enum FuzzValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(Decimal),
    Str(String),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    List(Vec<FuzzValue>),
    Map(Vec<(FuzzKey, FuzzValue)>),
}

/// A mapping key: Python dicts may hold non-string keys too.
#[derive(Debug, Clone)]
pub enum FuzzKey {
    Text(String),
    NotText(i64),
}

fn word(u: &mut Unstructured<'_>, words: &[&str]) -> Result<String> {
    if u.ratio(1, 8)? {
        String::arbitrary(u)
    } else {
        Ok(words[u.choose_index(words.len())?].to_string())
    }
}

fn int(u: &mut Unstructured<'_>) -> Result<i64> {
    Ok(match u.int_in_range(0..=3)? {
        0 => i64::from(u.int_in_range(-3..=1000)?),
        1 => i64::arbitrary(u)?,
        2 => [
            i64::MIN,
            i64::MAX,
            1_000_000_000_000,
            999_999_999_999,
            1 << 53,
        ][u.choose_index(5)?],
        _ => i64::from(u.int_in_range(0..=600)?),
    })
}

fn decimal(u: &mut Unstructured<'_>) -> Result<Decimal> {
    let mantissa = if u.ratio(1, 4)? {
        i128::arbitrary(u)? % 79_228_162_514_264_337_593_543_950_335
    } else {
        i128::from(u.int_in_range(-100_000_i64..=10_000_000)?)
    };
    let scale = u.int_in_range(0..=28)?;
    Ok(Decimal::try_from_i128_with_scale(mantissa, scale).unwrap_or(Decimal::ZERO))
}

fn datetime(u: &mut Unstructured<'_>) -> Result<NaiveDateTime> {
    let secs = if u.ratio(1, 4)? {
        i64::arbitrary(u)? % 250_000_000_000
    } else {
        1_700_000_000 + i64::from(u.int_in_range(-50_000_000..=50_000_000)?)
    };
    Ok(DateTime::from_timestamp(secs, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default())
}

impl FuzzValue {
    fn build(u: &mut Unstructured<'_>, depth: u32) -> Result<FuzzValue> {
        let kinds = if depth >= MAX_DEPTH { 8 } else { 10 };
        Ok(match u.choose_index(kinds)? {
            0 => FuzzValue::Null,
            1 => FuzzValue::Bool(bool::arbitrary(u)?),
            2 => FuzzValue::Int(int(u)?),
            3 => FuzzValue::Float(f64::arbitrary(u)?),
            4 => FuzzValue::Decimal(decimal(u)?),
            5 => FuzzValue::Str(word(u, WORDS)?),
            6 => FuzzValue::Date(datetime(u)?.date()),
            7 => FuzzValue::DateTime(datetime(u)?),
            8 => {
                let n = u.int_in_range(0..=4)?;
                FuzzValue::List(
                    (0..n)
                        .map(|_| FuzzValue::build(u, depth + 1))
                        .collect::<Result<_>>()?,
                )
            }
            _ => {
                let n = u.int_in_range(0..=6)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = if u.ratio(1, 32)? {
                        FuzzKey::NotText(i64::arbitrary(u)?)
                    } else {
                        FuzzKey::Text(word(u, KEYS)?)
                    };
                    entries.push((key, FuzzValue::build(u, depth + 1)?));
                }
                FuzzValue::Map(entries)
            }
        })
    }
}

impl<'a> Arbitrary<'a> for FuzzValue {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        FuzzValue::build(u, 0)
    }
}

impl Node for FuzzValue {
    type Key = FuzzKey;

    fn key_text(key: &FuzzKey) -> Option<&str> {
        match key {
            FuzzKey::Text(text) => Some(text),
            FuzzKey::NotText(_) => None,
        }
    }

    fn key_int(key: &FuzzKey) -> Option<i64> {
        match key {
            FuzzKey::Text(_) => None,
            FuzzKey::NotText(value) => Some(*value),
        }
    }

    fn key_type(key: &FuzzKey) -> String {
        match key {
            FuzzKey::Text(_) => "str".into(),
            FuzzKey::NotText(_) => "int".into(),
        }
    }

    fn type_name(&self) -> String {
        match self {
            FuzzValue::Null => "None",
            FuzzValue::Bool(_) => "bool",
            FuzzValue::Int(_) => "int",
            FuzzValue::Float(_) => "float",
            FuzzValue::Decimal(_) => "Decimal",
            FuzzValue::Str(_) => "str",
            FuzzValue::Date(_) => "date",
            FuzzValue::DateTime(_) => "datetime",
            FuzzValue::List(_) => "list",
            FuzzValue::Map(_) => "dict",
        }
        .into()
    }

    fn is_null(&self) -> bool {
        matches!(self, FuzzValue::Null)
    }

    fn visit_entries<E>(
        &self,
        mut visit: impl FnMut(&FuzzKey, FuzzValue) -> std::result::Result<(), E>,
    ) -> Option<std::result::Result<(), E>> {
        match self {
            FuzzValue::Map(entries) => Some(
                entries
                    .iter()
                    .try_for_each(|(key, value)| visit(key, value.clone())),
            ),
            _ => None,
        }
    }

    fn items(&self) -> Option<Vec<FuzzValue>> {
        match self {
            FuzzValue::List(items) => Some(items.clone()),
            _ => None,
        }
    }

    fn int(&self) -> std::result::Result<i64, Reason> {
        match self {
            FuzzValue::Int(value) => Ok(*value),
            other => Err(expected("an int", other)),
        }
    }

    fn boolean(&self) -> std::result::Result<bool, Reason> {
        match self {
            FuzzValue::Bool(value) => Ok(*value),
            other => Err(expected("a bool", other)),
        }
    }

    fn text(&self) -> std::result::Result<String, Reason> {
        match self {
            FuzzValue::Str(text) => Ok(text.clone()),
            other => Err(expected("a str", other)),
        }
    }

    fn decimal(&self) -> std::result::Result<Decimal, Reason> {
        match self {
            FuzzValue::Decimal(value) => numeric::check_range(*value),
            FuzzValue::Int(value) => numeric::from_i64(*value),
            FuzzValue::Float(value) => numeric::from_f64(*value),
            FuzzValue::Str(text) => numeric::parse(text),
            other => Err(expected("a decimal (Decimal, int, str or float)", other)),
        }
    }

    fn datetime(&self) -> std::result::Result<NaiveDateTime, Reason> {
        match self {
            FuzzValue::DateTime(value) => Ok(*value),
            FuzzValue::Str(text) => iso::parse_datetime(text),
            other => Err(expected("a datetime or an ISO-8601 str", other)),
        }
    }

    fn date(&self) -> std::result::Result<NaiveDate, Reason> {
        match self {
            FuzzValue::Date(value) => Ok(*value),
            FuzzValue::Str(text) => iso::parse_date(text),
            other => Err(expected("a date or an ISO date str", other)),
        }
    }
}

fn s(text: &str) -> FuzzValue {
    FuzzValue::Str(text.into())
}

fn map(entries: Vec<(&str, FuzzValue)>) -> FuzzValue {
    FuzzValue::Map(
        entries
            .into_iter()
            .map(|(k, v)| (FuzzKey::Text(k.into()), v))
            .collect(),
    )
}

fn ids(values: &[i64]) -> FuzzValue {
    FuzzValue::List(values.iter().map(|v| FuzzValue::Int(*v)).collect())
}

fn reward(
    id: i64,
    mode: &str,
    value: &str,
    applicability: &str,
    points: Option<&str>,
) -> FuzzValue {
    let mut entries = vec![
        ("id", FuzzValue::Int(id)),
        ("type", s("discount")),
        ("mode", s(mode)),
        ("value", s(value)),
        ("applicability", s(applicability)),
        ("product_ids", ids(&[20])),
        ("max_amount", s("0")),
    ];
    if let Some(points) = points {
        entries.push(("required_points", s(points)));
    }
    map(entries)
}

/// A valid config touching every program mode (the docs/spec.md §6 setting, widened).
pub fn base_config() -> FuzzValue {
    let loyalty = map(vec![
        ("id", FuzzValue::Int(10)),
        ("name", s("ABA Points")),
        ("kind", s("loyalty")),
        ("sequence", FuzzValue::Int(10)),
        ("points_basis", s("base")),
        (
            "rules",
            FuzzValue::List(vec![map(vec![
                ("id", FuzzValue::Int(100)),
                ("mode", s("money")),
                ("amount", s("0.0001")),
                ("min_qty", s("0")),
                ("min_amount", s("0")),
            ])]),
        ),
        (
            "rewards",
            FuzzValue::List(vec![
                reward(1000, "per_point", "100", "order", Some("1")),
                reward(1001, "fixed", "5000", "cheapest", Some("10")),
            ]),
        ),
    ]);
    let promotion = |id: i64, reward: FuzzValue, exclusive: bool| {
        map(vec![
            ("id", FuzzValue::Int(id)),
            ("name", s("P")),
            ("kind", s("promotion")),
            ("sequence", FuzzValue::Int(id)),
            ("exclusive", FuzzValue::Bool(exclusive)),
            ("date_from", s("2024-01-01")),
            ("date_to", FuzzValue::Null),
            (
                "rules",
                FuzzValue::List(vec![map(vec![
                    ("id", FuzzValue::Int(id * 10)),
                    ("mode", s("unit")),
                    ("amount", s("1")),
                    ("category_ids", ids(&[1])),
                ])]),
            ),
            ("rewards", FuzzValue::List(vec![reward])),
        ])
    };
    map(vec![
        (
            "currency",
            map(vec![("code", s("IDR")), ("rounding", s("1"))]),
        ),
        ("points_precision", FuzzValue::Int(2)),
        (
            "tiers",
            FuzzValue::List(vec![
                map(vec![
                    ("code", s("basic")),
                    ("rank", FuzzValue::Int(0)),
                    ("multiplier", s("1")),
                    ("min_spend", s("0")),
                ]),
                map(vec![
                    ("code", s("gold")),
                    ("rank", FuzzValue::Int(2)),
                    ("multiplier", s("1.5")),
                    ("min_spend", s("5000000")),
                ]),
            ]),
        ),
        (
            "membership",
            map(vec![("validity_days", FuzzValue::Int(30))]),
        ),
        (
            "programs",
            FuzzValue::List(vec![
                loyalty,
                promotion(20, reward(2000, "percent", "10", "order", None), false),
                promotion(21, reward(2100, "fixed", "20000", "specific", None), false),
                promotion(22, reward(2200, "percent", "50", "cheapest", None), true),
            ]),
        ),
    ])
}

fn line(id: i64, qty: &str, price: &str, discount: &str) -> FuzzValue {
    map(vec![
        ("id", FuzzValue::Int(id)),
        ("product_id", FuzzValue::Int(id * 10)),
        ("category_ids", ids(&[1])),
        ("qty", s(qty)),
        ("price_unit", s(price)),
        ("discount", s(discount)),
    ])
}

/// A valid sale with a card, a redemption and a membership snapshot.
pub fn base_order() -> FuzzValue {
    map(vec![
        ("uid", s("order-1")),
        ("date_order", s("2024-05-10T10:00:00")),
        ("partner_id", FuzzValue::Int(7)),
        (
            "card",
            map(vec![
                ("id", FuzzValue::Int(500)),
                ("program_id", FuzzValue::Int(10)),
                ("points", s("50")),
            ]),
        ),
        (
            "membership",
            map(vec![
                ("partner_id", FuzzValue::Int(7)),
                ("tier", s("gold")),
                ("evaluated_at", s("2024-05-01T00:00:00")),
                ("valid_until", s("2024-05-31T00:00:00")),
            ]),
        ),
        (
            "lines",
            FuzzValue::List(vec![
                line(1, "2", "150000", "0"),
                line(2, "1", "99999.5", "10"),
                line(3, "3", "0", "100"),
            ]),
        ),
        (
            "redeem",
            FuzzValue::List(vec![map(vec![
                ("reward_id", FuzzValue::Int(1000)),
                ("points", s("12.5")),
            ])]),
        ),
        ("refund_of", FuzzValue::Null),
    ])
}

/// One change to a document: walk `steps` (each picks a child by index, modulo), then act.
#[derive(Debug, Arbitrary)]
pub struct Mutation {
    pub in_order: bool,
    pub steps: Vec<u8>,
    pub action: Action,
}

#[derive(Debug, Arbitrary)]
pub enum Action {
    Replace(FuzzValue),
    Remove,
    Insert(FuzzKey, FuzzValue),
    Duplicate,
}

impl<'a> Arbitrary<'a> for FuzzKey {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if u.ratio(1, 16)? {
            FuzzKey::NotText(i64::arbitrary(u)?)
        } else {
            FuzzKey::Text(word(u, KEYS)?)
        })
    }
}

fn len(value: &FuzzValue) -> Option<usize> {
    match value {
        FuzzValue::Map(entries) => Some(entries.len()),
        FuzzValue::List(items) => Some(items.len()),
        _ => None,
    }
}

fn child(value: &mut FuzzValue, index: usize) -> &mut FuzzValue {
    match value {
        FuzzValue::Map(entries) => &mut entries[index].1,
        FuzzValue::List(items) => &mut items[index],
        leaf => leaf,
    }
}

/// Apply a mutation: walk down by the steps (a `Replace` may end on a leaf; the other actions
/// stop at the last container reached) and act there.
pub fn apply(root: &mut FuzzValue, mutation: &Mutation) {
    let replace = matches!(mutation.action, Action::Replace(_));
    let mut node = root;
    for &step in &mutation.steps {
        let n = len(node).unwrap_or(0);
        if n == 0 {
            break;
        }
        let index = usize::from(step) % n;
        let is_container = match &*node {
            FuzzValue::Map(entries) => len(&entries[index].1).is_some(),
            FuzzValue::List(items) => len(&items[index]).is_some(),
            _ => false,
        };
        if !replace && !is_container {
            break;
        }
        node = child(node, index);
    }
    match (&mutation.action, node) {
        (Action::Replace(value), target) => *target = value.clone(),
        (Action::Remove, FuzzValue::Map(entries)) if !entries.is_empty() => {
            let i = mutation.steps.last().copied().unwrap_or(0) as usize % entries.len();
            entries.remove(i);
        }
        (Action::Remove, FuzzValue::List(items)) if !items.is_empty() => {
            let i = mutation.steps.last().copied().unwrap_or(0) as usize % items.len();
            items.remove(i);
        }
        (Action::Insert(key, value), FuzzValue::Map(entries)) => {
            entries.push((key.clone(), value.clone()))
        }
        (Action::Insert(_, value), FuzzValue::List(items)) => items.push(value.clone()),
        (Action::Duplicate, FuzzValue::List(items)) if !items.is_empty() => {
            let first = items[0].clone();
            items.push(first);
        }
        (Action::Duplicate, FuzzValue::Map(entries)) if !entries.is_empty() => {
            let first = entries[0].clone();
            entries.push(first);
        }
        _ => {}
    }
}

/// What the fuzz target runs.
#[derive(Debug)]
pub enum Case {
    /// Documents built from scratch.
    Free { config: FuzzValue, order: FuzzValue },
    /// The valid base documents with a few mutations.
    Mutated(Vec<Mutation>),
}

impl<'a> Arbitrary<'a> for Case {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.ratio(1, 4)? {
            Ok(Case::Free {
                config: FuzzValue::arbitrary(u)?,
                order: FuzzValue::arbitrary(u)?,
            })
        } else {
            let n = u.int_in_range(0..=4)?;
            Ok(Case::Mutated(
                (0..n)
                    .map(|_| Mutation::arbitrary(u))
                    .collect::<Result<_>>()?,
            ))
        }
    }
}

impl Case {
    pub fn documents(&self) -> (FuzzValue, FuzzValue) {
        match self {
            Case::Free { config, order } => (config.clone(), order.clone()),
            Case::Mutated(mutations) => {
                let (mut config, mut order) = (base_config(), base_order());
                for m in mutations {
                    apply(if m.in_order { &mut order } else { &mut config }, m);
                }
                (config, order)
            }
        }
    }
}

/// The property: decoding and evaluation either succeed or return a typed error whose path (for
/// input errors) is non-empty or names the document; any panic is a finding (libFuzzer aborts).
pub fn check(case: &Case) {
    let (config, order) = case.documents();
    let engine = match Engine::new(&config) {
        Ok(engine) => engine,
        Err(err) => return assert_documented(&err),
    };
    let decoded = match engine.decode_order(&order) {
        Ok(order) => order,
        Err(err) => return assert_documented(&err),
    };
    match engine.evaluate(&decoded) {
        Ok(_) => {}
        Err(err) => assert_documented(&err),
    }
    // Membership evaluation from the same engine, with a fuzzed spend when the order has one.
    let spend = match &order {
        FuzzValue::Map(entries) => entries
            .iter()
            .find_map(|(_, v)| v.decimal().ok())
            .unwrap_or(Decimal::ONE),
        _ => Decimal::ONE,
    };
    if let Err(err) = engine.evaluate_membership(7, spend, NaiveDateTime::default()) {
        assert_documented(&err);
    }
}

fn assert_documented(err: &CalcError) {
    let text = err.to_string();
    match err {
        CalcError::Config { reason, .. } | CalcError::Order { reason, .. } => {
            assert!(
                !reason.is_empty(),
                "an input error without a reason: {text:?}"
            );
            assert!(
                text.contains(": "),
                "an input error without a path: {text:?}"
            );
        }
        CalcError::InsufficientPoints { .. } => {
            assert!(
                text.contains("redeem"),
                "insufficient points not naming redeem: {text}"
            )
        }
        CalcError::Overflow { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mutated cases start from documents that decode and evaluate: otherwise the fuzzer
    /// would never reach the evaluation.
    #[test]
    fn base_documents_are_valid_and_evaluate() {
        let engine = Engine::new(&base_config()).expect("valid config");
        let order = engine.decode_order(&base_order()).expect("valid order");
        let result = engine.evaluate(&order).expect("evaluates");
        assert!(!result.discounts.is_empty(), "{result:?}");
    }

    #[test]
    fn a_mutation_reaches_a_leaf() {
        let mut order = base_order();
        apply(
            &mut order,
            &Mutation {
                in_order: true,
                steps: vec![5, 0, 3],
                action: Action::Replace(FuzzValue::Bool(true)),
            },
        );
        let engine = Engine::new(&base_config()).expect("valid config");
        let err = engine.decode_order(&order).expect_err("qty is a bool");
        assert_eq!(
            err.to_string(),
            "lines[0].qty: must be a decimal (Decimal, int, str or float), got bool"
        );
    }
}
