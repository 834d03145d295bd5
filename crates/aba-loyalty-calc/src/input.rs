//! The input abstraction: configs and orders are decoded from any tree of values that
//! implements [`Node`] (Python objects in the bindings, [`crate::value::Value`] in tests and
//! benches), so the validation below exists once, in field order, whatever the source.
use crate::error::Reason;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// One value of an input document.
///
/// Each conversion refuses values of the wrong type with a reason such as
/// `"must be an int, got str"`; the caller adds the path.
pub trait Node: Sized {
    /// A mapping key as the source holds it.
    type Key;

    /// The key as text, or `None` when it is not a string.
    fn key_text(key: &Self::Key) -> Option<&str>;
    /// The key as an int (never a boolean), or `None` when it is not one that fits 64 bits.
    fn key_int(key: &Self::Key) -> Option<i64>;
    /// The key's type name, for the error about a non-string key.
    fn key_type(key: &Self::Key) -> String;

    /// The value's type name, for error messages.
    fn type_name(&self) -> String;
    /// `None` / null.
    fn is_null(&self) -> bool;
    /// Calls `visit` on each entry of a mapping, in order, stopping at the first error;
    /// `None` when the value is not a mapping.
    fn visit_entries<E>(
        &self,
        visit: impl FnMut(&Self::Key, Self) -> Result<(), E>,
    ) -> Option<Result<(), E>>;
    /// The items of a list; `None` when the value is not a list.
    fn items(&self) -> Option<Vec<Self>>;
    /// An integer (never a boolean).
    fn int(&self) -> Result<i64, Reason>;
    /// A boolean.
    fn boolean(&self) -> Result<bool, Reason>;
    /// A string.
    fn text(&self) -> Result<String, Reason>;
    /// A decimal from a decimal, integer, string or float, exact and range-checked
    /// (see [`crate::numeric`]).
    fn decimal(&self) -> Result<Decimal, Reason>;
    /// A datetime (naive = UTC, aware converted) or ISO-8601 string, as a UTC instant.
    fn datetime(&self) -> Result<NaiveDateTime, Reason>;
    /// A date that is not a datetime, or an ISO `YYYY-MM-DD` string.
    fn date(&self) -> Result<NaiveDate, Reason>;
}

/// The usual "wrong type" reason.
pub fn expected<N: Node>(what: &str, node: &N) -> Reason {
    format!("must be {what}, got {}", node.type_name()).into()
}
