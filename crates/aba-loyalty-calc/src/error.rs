//! Typed errors of the calculation, each carrying the path of the field it is about.
use rust_decimal::Decimal;
use std::borrow::Cow;
use thiserror::Error;

/// Why a field was refused (the part of the message after the path).
pub type Reason = Cow<'static, str>;

/// Every way building an engine or evaluating an order can fail.
///
/// The message is always `"<path>: <reason>"` so that a caller can point at the bad field; the
/// document itself is named `config` or `order` (`[3]` inside `evaluate_many`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalcError {
    /// The engine configuration is malformed.
    #[error("{}: {reason}", or_root(path, "config"))]
    Config { path: String, reason: Reason },
    /// The order (or a membership request) is malformed, or a redemption is invalid.
    #[error("{}: {reason}", or_root(path, "order"))]
    Order { path: String, reason: Reason },
    /// The points requested for redemption exceed the card's balance (plus, for a program with
    /// `spend_earned`, the points this order earns).
    #[error(
        "{path}: {requested} points requested but the card holds {available}{}",
        earned_text(earned)
    )]
    InsufficientPoints {
        path: String,
        requested: Decimal,
        /// The card's balance.
        available: Decimal,
        /// What this order earns, when the program lets it be spent (`spend_earned`).
        earned: Option<Decimal>,
    },
    /// An intermediate value left the range of exact decimal arithmetic.
    #[error("{}: arithmetic overflow in {context}", or_root(path, "order"))]
    Overflow { path: String, context: &'static str },
}

fn earned_text(earned: &Option<Decimal>) -> String {
    earned.map_or_else(String::new, |earned| {
        format!(" and this order earns {earned}")
    })
}

fn or_root<'a>(path: &'a str, root: &'a str) -> &'a str {
    if path.is_empty() {
        root
    } else {
        path
    }
}

impl CalcError {
    /// The same error with its path prefixed (`[3]` + `lines[2].qty` -> `[3].lines[2].qty`);
    /// used by `evaluate_many` to name the failing order.
    pub fn prefixed(self, prefix: &str) -> CalcError {
        let join = |path: String| {
            if path.is_empty() {
                prefix.to_owned()
            } else if path.starts_with('[') {
                format!("{prefix}{path}")
            } else {
                format!("{prefix}.{path}")
            }
        };
        match self {
            CalcError::Config { path, reason } => CalcError::Config {
                path: join(path),
                reason,
            },
            CalcError::Order { path, reason } => CalcError::Order {
                path: join(path),
                reason,
            },
            CalcError::InsufficientPoints {
                path,
                requested,
                available,
                earned,
            } => CalcError::InsufficientPoints {
                path: join(path),
                requested,
                available,
                earned,
            },
            CalcError::Overflow { path, context } => CalcError::Overflow {
                path: join(path),
                context,
            },
        }
    }
}

/// Shorthand for results of this crate.
pub type CalcResult<T> = Result<T, CalcError>;

/// Which error a decoding failure becomes: config fields give `Config`, order fields `Order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Config,
    Order,
}

impl Domain {
    pub fn error(self, path: String, reason: impl Into<Reason>) -> CalcError {
        let reason = reason.into();
        match self {
            Domain::Config => CalcError::Config { path, reason },
            Domain::Order => CalcError::Order { path, reason },
        }
    }
}
