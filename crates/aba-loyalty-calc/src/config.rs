//! The engine configuration (docs/spec.md §2): types, and their decoding with every
//! constraint checked once, in documented field order.
use crate::decode::Fields;
use crate::error::{CalcError, Domain};
use crate::input::Node;
use crate::path::Path;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub currency: Currency,
    /// Decimal places of points, in [0, 6].
    pub points_precision: u32,
    pub tiers: Vec<Tier>,
    pub validity_days: i64,
    /// Programs as listed.
    pub programs: Vec<Program>,
    /// Indexes into `programs` in visiting order: (sequence, id).
    pub visiting_order: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Currency {
    pub code: String,
    /// Money is rounded half-up to a multiple of this (> 0).
    pub rounding: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub code: String,
    pub rank: i64,
    pub multiplier: Decimal,
    pub min_spend: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramKind {
    Loyalty,
    Promotion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointsBasis {
    Base,
    Paid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub id: i64,
    pub name: String,
    pub kind: ProgramKind,
    pub sequence: i64,
    pub active: bool,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub exclusive: bool,
    /// Loyalty only (docs/spec.md §4.9 v2): this order's earned points may pay its redemptions.
    pub spend_earned: bool,
    pub points_basis: PointsBasis,
    pub rules: Vec<Rule>,
    pub rewards: Vec<Reward>,
}

impl Program {
    /// Active and the order's UTC date within [date_from, date_to].
    pub fn is_eligible_on(&self, date: NaiveDate) -> bool {
        self.active
            && self.date_from.is_none_or(|from| from <= date)
            && self.date_to.is_none_or(|to| date <= to)
    }
}

/// Which products a rule or reward is about: both lists empty means every product.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductFilter {
    pub product_ids: Vec<i64>,
    pub category_ids: Vec<i64>,
}

impl ProductFilter {
    pub fn matches(&self, product_id: i64, category_ids: &[i64]) -> bool {
        (self.product_ids.is_empty() && self.category_ids.is_empty())
            || self.product_ids.contains(&product_id)
            || category_ids.iter().any(|c| self.category_ids.contains(c))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleMode {
    Order,
    Money,
    Unit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: i64,
    pub mode: RuleMode,
    pub amount: Decimal,
    pub filter: ProductFilter,
    pub min_qty: Decimal,
    pub min_amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardMode {
    Percent,
    Fixed,
    PerPoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    Order,
    Cheapest,
    Specific,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reward {
    pub id: i64,
    pub mode: RewardMode,
    pub value: Decimal,
    pub applicability: Applicability,
    pub filter: ProductFilter,
    /// 0: no cap.
    pub max_amount: Decimal,
    /// Set on loyalty rewards; ignored (and usually absent) on promotions.
    pub required_points: Option<Decimal>,
}

const CONFIG_KEYS: [&str; 5] = [
    "currency",
    "points_precision",
    "tiers",
    "membership",
    "programs",
];
const CURRENCY_KEYS: [&str; 2] = ["code", "rounding"];
const TIER_KEYS: [&str; 4] = ["code", "rank", "multiplier", "min_spend"];
const MEMBERSHIP_KEYS: [&str; 1] = ["validity_days"];
const PROGRAM_KEYS: [&str; 12] = [
    "id",
    "name",
    "kind",
    "sequence",
    "active",
    "date_from",
    "date_to",
    "exclusive",
    "spend_earned",
    "points_basis",
    "rules",
    "rewards",
];
const RULE_KEYS: [&str; 7] = [
    "id",
    "mode",
    "amount",
    "product_ids",
    "category_ids",
    "min_qty",
    "min_amount",
];
const REWARD_KEYS: [&str; 9] = [
    "id",
    "type",
    "mode",
    "value",
    "applicability",
    "product_ids",
    "category_ids",
    "max_amount",
    "required_points",
];

const DOMAIN: Domain = Domain::Config;

/// Ids already used, per kind: program, rule and reward ids are each unique across the config.
#[derive(Default)]
struct SeenIds {
    programs: HashSet<i64>,
    rules: HashSet<i64>,
    rewards: HashSet<i64>,
}

impl Config {
    /// Decodes and validates a configuration; the first error in documented field order wins.
    pub fn decode<N: Node>(node: &N) -> Result<Config, CalcError> {
        let root = Path::Root;
        let mut fields = Fields::read(node, &root, DOMAIN, &CONFIG_KEYS)?;

        let currency_node = fields.required(0)?;
        let currency = decode_currency(&currency_node, &fields.field_path(0))?;

        let points_precision = fields.int_or(1, 2)?;
        if !(0..=6).contains(&points_precision) {
            return Err(fields.error(1, "must be an int in [0, 6]"));
        }

        let tier_nodes = fields.list(2, true)?;
        let tiers_path = fields.field_path(2);
        let mut tiers: Vec<Tier> = Vec::with_capacity(tier_nodes.len());
        for (index, tier_node) in tier_nodes.iter().enumerate() {
            let tier = decode_tier(tier_node, &tiers_path.index(index), &tiers)?;
            tiers.push(tier);
        }

        let validity_days = match fields.optional(3) {
            Some(node) => decode_membership(&node, &fields.field_path(3))?,
            None => 30,
        };

        let program_nodes = fields.list(4, false)?;
        let programs_path = fields.field_path(4);
        let mut seen = SeenIds::default();
        let mut programs = Vec::with_capacity(program_nodes.len());
        for (index, program_node) in program_nodes.iter().enumerate() {
            programs.push(decode_program(
                program_node,
                &programs_path.index(index),
                &mut seen,
            )?);
        }

        let mut visiting_order: Vec<usize> = (0..programs.len()).collect();
        visiting_order.sort_by_key(|&i| (programs[i].sequence, programs[i].id));

        Ok(Config {
            currency,
            points_precision: points_precision as u32,
            tiers,
            validity_days,
            programs,
            visiting_order,
        })
    }

    pub fn program(&self, id: i64) -> Option<&Program> {
        self.programs.iter().find(|p| p.id == id)
    }

    pub fn tier(&self, code: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.code == code)
    }
}

fn decode_currency<N: Node>(node: &N, path: &Path<'_>) -> Result<Currency, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &CURRENCY_KEYS)?;
    let code = fields.text(0)?;
    let rounding = fields.positive_decimal(1)?;
    Ok(Currency { code, rounding })
}

fn decode_tier<N: Node>(node: &N, path: &Path<'_>, earlier: &[Tier]) -> Result<Tier, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &TIER_KEYS)?;
    let code = fields.nonempty_text(0)?;
    if earlier.iter().any(|t| t.code == code) {
        return Err(fields.error(0, "duplicate tier code"));
    }
    let rank = fields.int(1)?;
    let multiplier = fields.positive_decimal(2)?;
    let min_spend = fields.decimal(3)?;
    if min_spend < Decimal::ZERO {
        return Err(fields.error(3, "must be >= 0"));
    }
    Ok(Tier {
        code,
        rank,
        multiplier,
        min_spend,
    })
}

fn decode_membership<N: Node>(node: &N, path: &Path<'_>) -> Result<i64, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &MEMBERSHIP_KEYS)?;
    let days = fields.int_or(0, 30)?;
    if days < 1 {
        return Err(fields.error(0, "must be an int >= 1"));
    }
    Ok(days)
}

fn decode_program<N: Node>(
    node: &N,
    path: &Path<'_>,
    seen: &mut SeenIds,
) -> Result<Program, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &PROGRAM_KEYS)?;
    let id = fields.int(0)?;
    if !seen.programs.insert(id) {
        return Err(fields.error(0, "duplicate program id"));
    }
    let name = fields.text(1)?;
    let kind = fields.choice(
        2,
        &[
            ("loyalty", ProgramKind::Loyalty),
            ("promotion", ProgramKind::Promotion),
        ],
    )?;
    let sequence = fields.int(3)?;
    let active = fields.boolean_or(4, true)?;
    let date_from = fields.nullable_date(5)?;
    let date_to = fields.nullable_date(6)?;
    if let (Some(from), Some(to)) = (date_from, date_to) {
        if from > to {
            return Err(fields.error(6, "must not be before date_from"));
        }
    }
    let exclusive = fields.boolean_or(7, false)?;
    // Accepted on any program, meaningful only for a loyalty program (like points_basis).
    let spend_earned = fields.boolean_or(8, false)?;
    let points_basis = fields.choice_or(
        9,
        &[("base", PointsBasis::Base), ("paid", PointsBasis::Paid)],
        PointsBasis::Base,
    )?;

    let rule_nodes = fields.list(10, false)?;
    let rules_path = fields.field_path(10);
    let mut rules = Vec::with_capacity(rule_nodes.len());
    for (index, rule_node) in rule_nodes.iter().enumerate() {
        rules.push(decode_rule(rule_node, &rules_path.index(index), seen)?);
    }

    let reward_nodes = fields.list(11, false)?;
    let rewards_path = fields.field_path(11);
    let mut rewards = Vec::with_capacity(reward_nodes.len());
    for (index, reward_node) in reward_nodes.iter().enumerate() {
        rewards.push(decode_reward(
            reward_node,
            &rewards_path.index(index),
            kind,
            seen,
        )?);
    }

    Ok(Program {
        id,
        name,
        kind,
        sequence,
        active,
        date_from,
        date_to,
        exclusive,
        spend_earned,
        points_basis,
        rules,
        rewards,
    })
}

fn decode_rule<N: Node>(node: &N, path: &Path<'_>, seen: &mut SeenIds) -> Result<Rule, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &RULE_KEYS)?;
    let id = fields.int(0)?;
    if !seen.rules.insert(id) {
        return Err(fields.error(0, "duplicate rule id"));
    }
    let mode = fields.choice(
        1,
        &[
            ("order", RuleMode::Order),
            ("money", RuleMode::Money),
            ("unit", RuleMode::Unit),
        ],
    )?;
    let amount = fields.positive_decimal(2)?;
    let product_ids = fields.id_list(3)?;
    let category_ids = fields.id_list(4)?;
    let min_qty = fields.decimal_or(5, Decimal::ZERO)?;
    let min_amount = fields.decimal_or(6, Decimal::ZERO)?;
    Ok(Rule {
        id,
        mode,
        amount,
        filter: ProductFilter {
            product_ids,
            category_ids,
        },
        min_qty,
        min_amount,
    })
}

fn decode_reward<N: Node>(
    node: &N,
    path: &Path<'_>,
    kind: ProgramKind,
    seen: &mut SeenIds,
) -> Result<Reward, CalcError> {
    let mut fields = Fields::read(node, path, DOMAIN, &REWARD_KEYS)?;
    let id = fields.int(0)?;
    if !seen.rewards.insert(id) {
        return Err(fields.error(0, "duplicate reward id"));
    }
    fields.choice(1, &[("discount", ())])?;
    let mode = fields.choice(
        2,
        &[
            ("percent", RewardMode::Percent),
            ("fixed", RewardMode::Fixed),
            ("per_point", RewardMode::PerPoint),
        ],
    )?;
    if mode == RewardMode::PerPoint && kind == ProgramKind::Promotion {
        return Err(fields.error(2, "per_point is only for loyalty rewards"));
    }
    let value = fields.positive_decimal(3)?;
    if mode == RewardMode::Percent && value > Decimal::ONE_HUNDRED {
        return Err(fields.error(3, "a percent must be in (0, 100]"));
    }
    let applicability = fields.choice(
        4,
        &[
            ("order", Applicability::Order),
            ("cheapest", Applicability::Cheapest),
            ("specific", Applicability::Specific),
        ],
    )?;
    let product_ids = fields.id_list(5)?;
    let category_ids = fields.id_list(6)?;
    let max_amount = fields.decimal_or(7, Decimal::ZERO)?;
    let required_points = match kind {
        ProgramKind::Loyalty => Some(fields.positive_decimal(8)?),
        ProgramKind::Promotion => match fields.optional(8) {
            // Odoo stores 1 on promotion rewards: validated, then ignored.
            Some(node) => {
                let points = fields.convert(8, &node, N::decimal)?;
                if points <= Decimal::ZERO {
                    return Err(fields.error(8, "must be > 0"));
                }
                None
            }
            None => None,
        },
    };
    Ok(Reward {
        id,
        mode,
        value,
        applicability,
        filter: ProductFilter {
            product_ids,
            category_ids,
        },
        max_amount,
        required_points,
    })
}
