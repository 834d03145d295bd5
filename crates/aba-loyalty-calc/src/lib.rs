//! Loyalty calculation core (docs/spec.md): pure, deterministic, no I/O and
//! no global state. Configs and orders are decoded from any [`input::Node`] tree, validated in
//! documented field order with errors naming the field's path, then evaluated in exact decimal
//! arithmetic where every overflow is a typed error.
pub mod allocation;
pub mod config;
pub mod decode;
pub mod error;
pub mod evaluate;
pub mod exact;
pub mod input;
pub mod iso;
pub mod membership;
pub mod money;
pub mod numeric;
pub mod order;
pub mod original;
pub mod path;
pub mod redemption;
pub mod result;
pub mod returns;
pub mod rewards;
pub mod rules;
pub mod value;

pub use config::Config;
pub use error::{CalcError, CalcResult, ErrorPath, PathItem};
pub use input::Node;
pub use membership::Membership;
pub use order::{LineId, Order};
pub use result::Evaluation;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

/// A validated configuration, ready to evaluate orders.
#[derive(Debug, Clone)]
pub struct Engine {
    config: Config,
}

impl Engine {
    /// Validates the configuration once (`CalcError::Config` naming the bad field).
    pub fn new<N: Node>(config: &N) -> CalcResult<Engine> {
        Ok(Engine {
            config: Config::decode(config)?,
        })
    }

    pub fn from_config(config: Config) -> Engine {
        Engine { config }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Decodes an order (`CalcError::Order` naming the bad field).
    pub fn decode_order<N: Node>(&self, order: &N) -> CalcResult<Order> {
        Order::decode(order)
    }

    /// Evaluates a decoded order.
    pub fn evaluate(&self, order: &Order) -> CalcResult<Evaluation> {
        evaluate::evaluate(&self.config, order)
    }

    /// The membership snapshot of a partner with `spend` at `as_of` (UTC).
    pub fn evaluate_membership(
        &self,
        partner_id: i64,
        spend: Decimal,
        as_of: NaiveDateTime,
    ) -> CalcResult<Membership> {
        membership::evaluate(&self.config, partner_id, spend, as_of)
    }
}
