//! Typed errors of the calculation, each carrying the path of the field it is about as data
//! (keys and indexes), rendered only in the message.
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::fmt;
use thiserror::Error;

/// One step of a field's path: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathItem {
    Key(Cow<'static, str>),
    Index(usize),
}

/// Where an error is, from the root of the document: `("lines", 2, "qty")`. Rendered
/// `lines[2].qty`; empty for the document itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorPath(Vec<PathItem>);

impl ErrorPath {
    /// The document itself.
    pub fn root() -> ErrorPath {
        ErrorPath(Vec::new())
    }

    /// This path followed by the mapping key `key`.
    pub fn key(mut self, key: impl Into<Cow<'static, str>>) -> ErrorPath {
        self.0.push(PathItem::Key(key.into()));
        self
    }

    /// This path followed by the list index `index`.
    pub fn index(mut self, index: usize) -> ErrorPath {
        self.0.push(PathItem::Index(index));
        self
    }

    /// The same path inside a list, at `index` (`evaluate_many`'s order index first).
    pub fn within(mut self, index: usize) -> ErrorPath {
        self.0.insert(0, PathItem::Index(index));
        self
    }

    pub fn items(&self) -> &[PathItem] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ErrorPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, item) in self.0.iter().enumerate() {
            match item {
                PathItem::Key(key) if position == 0 => f.write_str(key)?,
                PathItem::Key(key) => write!(f, ".{key}")?,
                PathItem::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Compares with the rendered path (`error.path() == "lines[2].qty"`), for tests and callers
/// that hold a path's text.
impl PartialEq<&str> for ErrorPath {
    fn eq(&self, other: &&str) -> bool {
        self.to_string().as_str() == *other
    }
}

/// Why a field was refused (the part of the message after the path).
pub type Reason = Cow<'static, str>;

/// Every way building an engine or evaluating an order can fail.
///
/// The path is data ([`CalcError::path`]); the message is always `"<path>: <reason>"` so that a
/// reader can point at the bad field; the document itself is named `config` or `order` (`[3]`
/// inside `evaluate_many`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalcError {
    /// The engine configuration is malformed.
    #[error("{}: {reason}", or_root(path, "config"))]
    Config { path: ErrorPath, reason: Reason },
    /// The order (or a membership request) is malformed, or a redemption is invalid.
    #[error("{}: {reason}", or_root(path, "order"))]
    Order { path: ErrorPath, reason: Reason },
    /// The points requested for redemption exceed the card's balance (plus, for a program with
    /// `spend_earned`, the points this order earns).
    #[error("{path}: {}", insufficient_reason(requested, available, earned))]
    InsufficientPoints {
        path: ErrorPath,
        requested: Decimal,
        /// The card's balance.
        available: Decimal,
        /// What this order earns, when the program lets it be spent (`spend_earned`).
        earned: Option<Decimal>,
    },
    /// An intermediate value left the range of exact decimal arithmetic.
    #[error("{}: {}", or_root(path, "order"), overflow_reason(context))]
    Overflow {
        path: ErrorPath,
        context: &'static str,
    },
}

fn insufficient_reason(
    requested: &Decimal,
    available: &Decimal,
    earned: &Option<Decimal>,
) -> String {
    let earned = earned.map_or_else(String::new, |earned| {
        format!(" and this order earns {earned}")
    });
    format!("{requested} points requested but the card holds {available}{earned}")
}

fn overflow_reason(context: &str) -> String {
    format!("arithmetic overflow in {context}")
}

fn or_root(path: &ErrorPath, root: &'static str) -> Cow<'static, str> {
    if path.is_empty() {
        Cow::Borrowed(root)
    } else {
        Cow::Owned(path.to_string())
    }
}

impl CalcError {
    /// Where the error is.
    pub fn path(&self) -> &ErrorPath {
        match self {
            CalcError::Config { path, .. }
            | CalcError::Order { path, .. }
            | CalcError::InsufficientPoints { path, .. }
            | CalcError::Overflow { path, .. } => path,
        }
    }

    /// Why: the message's text after the path.
    pub fn reason(&self) -> Cow<'_, str> {
        match self {
            CalcError::Config { reason, .. } | CalcError::Order { reason, .. } => {
                Cow::Borrowed(reason.as_ref())
            }
            CalcError::InsufficientPoints {
                requested,
                available,
                earned,
                ..
            } => Cow::Owned(insufficient_reason(requested, available, earned)),
            CalcError::Overflow { context, .. } => Cow::Owned(overflow_reason(context)),
        }
    }

    /// The same error for the `index`-th document of a list (`lines[2].qty` -> `[3].lines[2].qty`
    /// for `index` 3); used by `evaluate_many` to name the failing order.
    pub fn within(mut self, index: usize) -> CalcError {
        let path = match &mut self {
            CalcError::Config { path, .. }
            | CalcError::Order { path, .. }
            | CalcError::InsufficientPoints { path, .. }
            | CalcError::Overflow { path, .. } => path,
        };
        *path = std::mem::take(path).within(index);
        self
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
    pub fn error(self, path: ErrorPath, reason: impl Into<Reason>) -> CalcError {
        let reason = reason.into();
        match self {
            Domain::Config => CalcError::Config { path, reason },
            Domain::Order => CalcError::Order { path, reason },
        }
    }
}
