//! Redemption, validated before anything is computed (docs/spec.md §4.9).
use crate::config::{Config, Program, ProgramKind, Reward, RewardMode};
use crate::error::{CalcError, CalcResult, Domain, ErrorPath};
use crate::money;
use crate::order::Order;
use rust_decimal::Decimal;

/// A valid redemption request: the card's loyalty program and the points per requested reward.
#[derive(Debug, Clone)]
pub struct RedemptionRequest<'c> {
    pub program: &'c Program,
    /// (reward id, points requested), in `redeem` order.
    pub items: Vec<(i64, Decimal)>,
    /// Σ points requested.
    pub total: Decimal,
    /// The card's balance.
    pub card_points: Decimal,
}

impl RedemptionRequest<'_> {
    /// Whether the balance check waits for the points this order earns (docs/spec.md §4.9 v2).
    pub fn spends_earned(&self) -> bool {
        self.program.spend_earned
    }

    /// The balance check: Σ requested <= card.points, plus `earned` when the program has
    /// `spend_earned` (`None` otherwise; never counted negative).
    pub fn check_balance(&self, earned: Option<Decimal>) -> CalcResult<()> {
        let earned = earned.map(|e| e.max(Decimal::ZERO));
        let available = match earned {
            Some(earned) => money::add(self.card_points, earned, "redeem")?,
            None => self.card_points,
        };
        if self.total > available {
            return Err(CalcError::InsufficientPoints {
                path: ErrorPath::root().key("redeem"),
                requested: self.total,
                available: self.card_points,
                earned,
            });
        }
        Ok(())
    }

    pub fn points_for(&self, reward_id: i64) -> Option<Decimal> {
        self.items
            .iter()
            .find(|(id, _)| *id == reward_id)
            .map(|(_, points)| *points)
    }
}

fn order_error(path: ErrorPath, reason: &'static str) -> CalcError {
    Domain::Order.error(path, reason)
}

/// `redeem[index].<field>`.
fn redeem_field(index: usize, field: &'static str) -> ErrorPath {
    ErrorPath::root().key("redeem").index(index).key(field)
}

/// Checks the order's `redeem` against the config and the card; `None` when nothing is
/// requested.
pub fn validate<'c>(
    config: &'c Config,
    order: &Order,
) -> CalcResult<Option<RedemptionRequest<'c>>> {
    if order.redeem.is_empty() {
        return Ok(None);
    }
    let Some(card) = &order.card else {
        return Err(order_error(
            ErrorPath::root().key("card"),
            "required to redeem",
        ));
    };
    let program = config
        .program(card.program_id)
        .filter(|p| p.kind == ProgramKind::Loyalty)
        .ok_or_else(|| {
            order_error(
                ErrorPath::root().key("card").key("program_id"),
                "not a loyalty program of the config",
            )
        })?;

    let mut items = Vec::with_capacity(order.redeem.len());
    let mut total = Decimal::ZERO;
    for (index, item) in order.redeem.iter().enumerate() {
        let reward = program.rewards.iter().find(|r| r.id == item.reward_id);
        let Some(reward) = reward else {
            let path = redeem_field(index, "reward_id");
            return Err(order_error(path, "not a reward of the card's program"));
        };
        if items.iter().any(|(id, _)| *id == item.reward_id) {
            return Err(order_error(
                redeem_field(index, "reward_id"),
                "listed twice",
            ));
        }
        check_points(config, reward, item.points)
            .map_err(|reason| order_error(redeem_field(index, "points"), reason))?;
        total = money::add(total, item.points, "redeem")?;
        items.push((item.reward_id, item.points));
    }
    let request = RedemptionRequest {
        program,
        items,
        total,
        card_points: card.points,
    };
    // With spend_earned the check waits for the evaluation (the engine is pure, so checking
    // after computing consumes nothing); otherwise nothing is computed first.
    if !request.spends_earned() {
        request.check_balance(None)?;
    }
    Ok(Some(request))
}

fn check_points(config: &Config, reward: &Reward, points: Decimal) -> Result<(), &'static str> {
    if money::significant_scale(points) > config.points_precision {
        return Err("more decimal places than points_precision");
    }
    // Loyalty rewards always carry required_points (checked with the config).
    let required = reward.required_points.unwrap_or(Decimal::ZERO);
    if points < required {
        return Err("fewer than the reward's required_points");
    }
    if reward.mode != RewardMode::PerPoint && points != required {
        return Err("must equal the reward's required_points");
    }
    Ok(())
}

/// What an applied redemption costs: required_points for percent and fixed rewards; for
/// per_point, the discount granted / value, rounded up to points_precision.
pub fn points_spent(
    reward: &Reward,
    requested: Decimal,
    granted: Decimal,
    precision: u32,
) -> CalcResult<Decimal> {
    match reward.mode {
        RewardMode::PerPoint => {
            let points = money::div(granted, reward.value, "points spent")?;
            Ok(money::points_up(points, precision))
        }
        RewardMode::Percent | RewardMode::Fixed => Ok(requested),
    }
}
