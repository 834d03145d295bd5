//! A plain in-memory input tree (the shape of JSON plus dates and decimals) implementing
//! [`Node`]: how Rust callers, tests and benches build configs and orders.
use crate::error::Reason;
use crate::input::{expected, Node};
use crate::{iso, numeric};
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(Decimal),
    Str(String),
    Date(NaiveDate),
    /// UTC.
    DateTime(NaiveDateTime),
    List(Vec<Value>),
    Map(Vec<(Key, Value)>),
}

/// A mapping key: text, or an int (line ids key `original.redemptions[i].lines`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Str(String),
    Int(i64),
}

impl From<&str> for Key {
    fn from(text: &str) -> Key {
        Key::Str(text.to_owned())
    }
}

impl From<String> for Key {
    fn from(text: String) -> Key {
        Key::Str(text)
    }
}

impl From<i64> for Key {
    fn from(value: i64) -> Key {
        Key::Int(value)
    }
}

impl Key {
    fn is(&self, text: &str) -> bool {
        matches!(self, Key::Str(own) if own == text)
    }
}

impl Value {
    /// A mapping from `(key, value)` pairs.
    pub fn map<K: Into<Key>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

    pub fn str(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    /// Sets (or adds) a key of a mapping; used to derive variants of a document in tests.
    pub fn set(&mut self, key: &str, value: Value) {
        if let Value::Map(entries) = self {
            match entries.iter_mut().find(|(k, _)| k.is(key)) {
                Some(entry) => entry.1 = value,
                None => entries.push((key.into(), value)),
            }
        }
    }

    /// A mutable reference to the value under `key` of a mapping.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Map(entries) => entries.iter_mut().find(|(k, _)| k.is(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A mutable reference to item `index` of a list.
    pub fn at_mut(&mut self, index: usize) -> Option<&mut Value> {
        match self {
            Value::List(items) => items.get_mut(index),
            _ => None,
        }
    }
}

/// Implemented on references, so that walking a document borrows it instead of copying
/// every subtree.
impl Node for &Value {
    type Key = Key;

    fn key_text(key: &Key) -> Option<&str> {
        match key {
            Key::Str(text) => Some(text),
            Key::Int(_) => None,
        }
    }

    fn key_int(key: &Key) -> Option<i64> {
        match key {
            Key::Int(value) => Some(*value),
            Key::Str(_) => None,
        }
    }

    fn key_type(key: &Key) -> String {
        match key {
            Key::Str(_) => "str",
            Key::Int(_) => "int",
        }
        .to_owned()
    }

    fn type_name(&self) -> String {
        match self {
            Value::Null => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Decimal(_) => "Decimal",
            Value::Str(_) => "str",
            Value::Date(_) => "date",
            Value::DateTime(_) => "datetime",
            Value::List(_) => "list",
            Value::Map(_) => "dict",
        }
        .to_owned()
    }

    fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    fn visit_entries<E>(
        &self,
        mut visit: impl FnMut(&Key, Self) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        match self {
            Value::Map(entries) => Some(
                entries
                    .iter()
                    .try_for_each(|(key, value)| visit(key, value)),
            ),
            _ => None,
        }
    }

    fn items(&self) -> Option<Vec<Self>> {
        match self {
            Value::List(items) => Some(items.iter().collect()),
            _ => None,
        }
    }

    fn int(&self) -> Result<i64, Reason> {
        match self {
            Value::Int(value) => Ok(*value),
            other => Err(expected("an int", other)),
        }
    }

    fn boolean(&self) -> Result<bool, Reason> {
        match self {
            Value::Bool(value) => Ok(*value),
            other => Err(expected("a bool", other)),
        }
    }

    fn text(&self) -> Result<String, Reason> {
        match self {
            Value::Str(text) => Ok(text.clone()),
            other => Err(expected("a str", other)),
        }
    }

    fn decimal(&self) -> Result<Decimal, Reason> {
        match self {
            Value::Decimal(value) => numeric::check_range(*value),
            Value::Int(value) => numeric::from_i64(*value),
            Value::Float(value) => numeric::from_f64(*value),
            Value::Str(text) => numeric::parse(text),
            other => Err(expected("a decimal (Decimal, int, str or float)", other)),
        }
    }

    fn datetime(&self) -> Result<NaiveDateTime, Reason> {
        match self {
            Value::DateTime(value) => Ok(*value),
            Value::Str(text) => iso::parse_datetime(text),
            other => Err(expected("a datetime or an ISO-8601 str", other)),
        }
    }

    fn date(&self) -> Result<NaiveDate, Reason> {
        match self {
            Value::Date(value) => Ok(*value),
            Value::Str(text) => iso::parse_date(text),
            other => Err(expected("a date or an ISO date str", other)),
        }
    }
}
