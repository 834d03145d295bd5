//! Odoo's loyalty programs, rules and rewards as the engine's configuration: the same mapping
//! as the addon's `models/aba_loyalty_engine_config.py` (`_program_config`, `_reward_config`), so the
//! audit replays exactly what the engine would compute. A program the engine cannot express is
//! listed as not audited with the reason, never approximated.
use std::collections::{BTreeMap, HashMap};

use aba_loyalty_calc::config::{
    Applicability, Currency, PointsBasis, ProductFilter, Program, ProgramKind, Reward, RewardMode,
    Rule, RuleMode, Tier,
};
use aba_loyalty_calc::Config;
use chrono::NaiveDate;
use postgres::Transaction;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use super::evaluate::Computed;
use crate::error::{DbContext, Result, Side};

/// The addon's points precision (`POINTS_PRECISION`), also the one pos_loyalty's client rounds
/// points to (`roundPrecision(..., 0.01)`).
pub const POINTS_PRECISION: u32 = 2;

/// The engine's points precision when replaying points Odoo's own client computed: fine enough
/// that the replay rounds them itself, half-up to `POINTS_PRECISION` as that client does.
pub const ODOO_CLIENT_ENGINE_PRECISION: u32 = 6;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProgramInfo {
    pub id: i32,
    pub name: String,
    pub program_type: String,
    /// Why it is not audited (`None` when it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Rewards left out of the replay (product rewards...): their points cost is taken as Odoo
    /// recorded it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewards_not_mapped: Vec<i32>,
    /// The unit prices its orders are replayed on: with their taxes (Odoo's own point of sale,
    /// the addon's `aba_points_on_tax_included`) or without.
    pub points_on_tax_included: bool,
}

/// Where the points basis (prices with or without tax) was taken from.
pub const BASIS_ARGUMENT: &str = "argument";
pub const BASIS_ADDON: &str = "addon";
pub const BASIS_ODOO: &str = "odoo";

pub struct Mapping {
    pub config: Config,
    /// The audited loyalty programs (whose cards are replayed).
    pub loyalty_program_ids: Vec<i32>,
    pub audited: Vec<ProgramInfo>,
    pub not_audited: Vec<ProgramInfo>,
    /// Per loyalty program: replayed on prices with tax.
    pub tax_included: HashMap<i32, bool>,
    /// `BASIS_ARGUMENT`, `BASIS_ADDON` or `BASIS_ODOO`.
    pub points_basis_from: &'static str,
    /// Who computed the points Odoo recorded, and so how the replay computes them.
    pub computed: Computed,
}

fn dec(value: f64) -> Decimal {
    Decimal::from_f64(value).unwrap_or_default().normalize()
}

/// Whether the source has `table.column` (the addon's program fields are optional).
/// The addon's active membership tiers and snapshot validity, as the addon's config gives them
/// to the engine (`aba.loyalty.engine._build_config`); none without the addon.
fn membership_tiers(tx: &mut Transaction<'_>) -> Result<(Vec<Tier>, i64)> {
    if !has_column(tx, "aba_loyalty_tier", "multiplier")? {
        return Ok((Vec::new(), 30));
    }
    // Odoo's floats through their shortest text, as the addon's float_decimal reads them.
    let tiers = tx
        .query(
            "SELECT code, coalesce(rank, 0), coalesce(multiplier, 0)::float8, coalesce(min_spend, 0)::float8
             FROM public.aba_loyalty_tier WHERE coalesce(active, false) ORDER BY id",
            &[],
        )
        .db(Side::Source, "reading the membership tiers")?
        .iter()
        .map(|r| Tier {
            code: r.get(0),
            rank: i64::from(r.get::<_, i32>(1)),
            multiplier: shortest(r.get(2)),
            min_spend: shortest(r.get(3)),
        })
        .collect();
    let validity: Option<String> = if has_column(tx, "ir_config_parameter", "value")? {
        tx.query_opt(
            "SELECT value FROM public.ir_config_parameter WHERE key = 'asd_aba_loyalty.membership_validity_days'",
            &[],
        )
        .db(Side::Source, "reading the membership validity")?
        .map(|r| r.get(0))
    } else {
        None
    };
    let days = validity
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map_or(30, |d| d.max(1));
    Ok((tiers, days))
}

fn shortest(value: f64) -> Decimal {
    value.to_string().parse().unwrap_or_default()
}

pub(super) fn has_column(tx: &mut Transaction<'_>, table: &str, column: &str) -> Result<bool> {
    Ok(tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
              WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2)",
            &[&table, &column],
        )
        .db(Side::Source, "inspecting the loyalty programs")?
        .get(0))
}

/// Whether the source has `table` (in `public`).
pub(super) fn has_table(tx: &mut Transaction<'_>, table: &str) -> Result<bool> {
    Ok(tx
        .query_one(
            "SELECT to_regclass('public.' || quote_ident($1)) IS NOT NULL",
            &[&table],
        )
        .db(Side::Source, format!("looking for the table {table}"))?
        .get(0))
}

fn ids_by(tx: &mut Transaction<'_>, sql: &str, what: &str) -> Result<BTreeMap<i32, Vec<i64>>> {
    let mut out: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for row in tx.query(sql, &[]).db(Side::Source, what)? {
        out.entry(row.get(0))
            .or_default()
            .push(i64::from(row.get::<_, i32>(1)));
    }
    Ok(out)
}

/// Read the programs and build the configuration (programs in Odoo's (sequence, id) order).
/// The programs and their engine configuration. `tax_included`: the points basis the caller
/// imposes; `None`: each program's `aba_points_on_tax_included` where the addon is installed,
/// else Odoo's stock basis (prices with tax, as pos_loyalty's `get_price_with_tax()`).
pub fn read(tx: &mut Transaction<'_>, tax_included: Option<bool>) -> Result<Mapping> {
    // The addon's column: the engine computed the points (else Odoo's own POS client did).
    let addon = has_column(tx, "loyalty_program", "aba_points_on_tax_included")?;
    let (tax, points_basis_from) = match tax_included {
        Some(true) => ("true", BASIS_ARGUMENT),
        Some(false) => ("false", BASIS_ARGUMENT),
        None if addon => ("coalesce(aba_points_on_tax_included, false)", BASIS_ADDON),
        None => ("true", BASIS_ODOO),
    };
    let exclusive = if has_column(tx, "loyalty_program", "aba_exclusive")? {
        "coalesce(aba_exclusive, false)"
    } else {
        "false"
    };
    let basis = if has_column(tx, "loyalty_program", "aba_points_basis")? {
        "coalesce(aba_points_basis, 'base')::text"
    } else {
        "'base'"
    };
    let currency = tx
        .query_opt(
            "SELECT c.name::text, c.rounding FROM public.res_currency c
             WHERE c.id = (SELECT currency_id FROM public.loyalty_program ORDER BY id LIMIT 1)",
            &[],
        )
        .db(Side::Source, "reading the programs' currency")?
        .map(|r| (r.get::<_, String>(0), r.get::<_, Option<Decimal>>(1)))
        .unwrap_or_else(|| ("XXX".into(), None));
    let rule_products = ids_by(
        tx,
        "SELECT loyalty_rule_id, product_product_id FROM public.loyalty_rule_product_product_rel",
        "reading the rules' products",
    )?;
    let reward_products = ids_by(
        tx,
        "SELECT loyalty_reward_id, product_product_id FROM public.loyalty_reward_product_product_rel",
        "reading the rewards' products",
    )?;
    let programs = tx
        .query(
            &format!(
                "SELECT id, coalesce(name->>'en_US', id::text), program_type::text, coalesce(trigger, 'auto')::text,
                        coalesce(sequence, 0), coalesce(active, false), date_from, date_to, applies_on::text,
                        {exclusive}, {basis}, {tax}
                 FROM public.loyalty_program ORDER BY coalesce(sequence, 0), id"
            ),
            &[],
        )
        .db(Side::Source, "reading the loyalty programs")?;
    let rules = tx
        .query(
            "SELECT program_id, id, coalesce(mode, 'auto')::text, product_tag_id,
                    coalesce(nullif(trim(product_domain), ''), '[]')::text, reward_point_mode::text,
                    coalesce(reward_point_amount, 0), product_category_id, coalesce(minimum_qty, 0),
                    coalesce(minimum_amount, 0)
             FROM public.loyalty_rule WHERE coalesce(active, false) ORDER BY id",
            &[],
        )
        .db(Side::Source, "reading the loyalty rules")?;
    let rewards = tx
        .query(
            "SELECT program_id, id, reward_type::text, coalesce(active, false), discount_product_tag_id,
                    coalesce(nullif(trim(discount_product_domain), ''), '[]')::text, discount_mode::text,
                    coalesce(discount, 0), coalesce(discount_applicability, 'order')::text,
                    discount_product_category_id, coalesce(discount_max_amount, 0), coalesce(required_points, 0),
                    reward_product_id
             FROM public.loyalty_reward ORDER BY id",
            &[],
        )
        .db(Side::Source, "reading the loyalty rewards")?;

    let (tiers, validity_days) = membership_tiers(tx)?;
    let mut mapping = Mapping {
        config: Config {
            currency: Currency {
                code: currency.0,
                rounding: currency
                    .1
                    .filter(|r| *r > Decimal::ZERO)
                    .unwrap_or(Decimal::new(1, 2)),
            },
            points_precision: if addon {
                POINTS_PRECISION
            } else {
                ODOO_CLIENT_ENGINE_PRECISION
            },
            tiers,
            validity_days,
            programs: Vec::new(),
            visiting_order: Vec::new(),
        },
        loyalty_program_ids: Vec::new(),
        audited: Vec::new(),
        not_audited: Vec::new(),
        tax_included: HashMap::new(),
        points_basis_from,
        computed: Computed {
            by_odoo_client: !addon,
            precision: POINTS_PRECISION,
            reward_programs: HashMap::new(),
            free_products: HashMap::new(),
        },
    };
    let wallets: Vec<i32> = programs
        .iter()
        .filter(|p| matches!(p.get::<_, String>(2).as_str(), "gift_card" | "ewallet"))
        .map(|p| p.get(0))
        .collect();
    for w in &rewards {
        let program: i32 = w.get(0);
        if w.get::<_, String>(2) == "product" {
            let product: Option<i32> = w.get(12);
            mapping
                .computed
                .free_products
                .insert(w.get(1), product.into_iter().collect());
        }
        mapping
            .computed
            .reward_programs
            .insert(w.get(1), (program, wallets.contains(&program)));
    }
    for p in &programs {
        let id: i32 = p.get(0);
        let program_type: String = p.get(2);
        let trigger: String = p.get(3);
        let mut info = ProgramInfo {
            id,
            name: p.get(1),
            program_type: program_type.clone(),
            reason: None,
            rewards_not_mapped: Vec::new(),
            points_on_tax_included: p.get(11),
        };
        let applies_on: String = p.get(8);
        let kind = match (program_type.as_str(), trigger.as_str()) {
            ("loyalty", _) => ProgramKind::Loyalty,
            ("promotion", "auto") if applies_on == "future" => {
                info.reason = Some("promotion for the next order (left to Odoo)".into());
                mapping.not_audited.push(info);
                continue;
            }
            ("promotion", "auto") => ProgramKind::Promotion,
            ("promotion", _) => {
                info.reason = Some("promotion with a code trigger (left to Odoo)".into());
                mapping.not_audited.push(info);
                continue;
            }
            (other, _) => {
                info.reason = Some(format!("program type {other} (left to Odoo)"));
                mapping.not_audited.push(info);
                continue;
            }
        };
        let mut mapped_rules = Vec::new();
        let mut reason = None;
        for r in rules.iter().filter(|r| r.get::<_, i32>(0) == id) {
            let rule_id: i32 = r.get(1);
            let mode: String = r.get(2);
            let tag: Option<i32> = r.get(3);
            let domain: String = r.get(4);
            if mode != "auto" {
                reason = Some(format!("rule {rule_id} is a code rule"));
                break;
            }
            if tag.is_some() || domain != "[]" {
                reason = Some(format!("rule {rule_id} has a product tag or domain"));
                break;
            }
            let rule_mode = match r.get::<_, String>(5).as_str() {
                "order" => RuleMode::Order,
                "money" => RuleMode::Money,
                "unit" => RuleMode::Unit,
                other => {
                    reason = Some(format!("rule {rule_id}: reward_point_mode {other}"));
                    break;
                }
            };
            let mut amount = dec(r.get(6));
            if amount <= Decimal::ZERO {
                if kind == ProgramKind::Loyalty {
                    reason = Some(format!("rule {rule_id}: reward_point_amount <= 0"));
                    break;
                }
                amount = Decimal::ONE; // promotions do not earn: any positive amount
            }
            let category: Option<i32> = r.get(7);
            mapped_rules.push(Rule {
                id: i64::from(rule_id),
                mode: rule_mode,
                amount,
                filter: ProductFilter {
                    product_ids: rule_products.get(&rule_id).cloned().unwrap_or_default(),
                    category_ids: category.map(i64::from).into_iter().collect(),
                },
                min_qty: Decimal::from(r.get::<_, i32>(8).max(0)),
                min_amount: r.get::<_, Decimal>(9).max(Decimal::ZERO),
            });
        }
        let date_from: Option<NaiveDate> = p.get(6);
        let date_to: Option<NaiveDate> = p.get(7);
        if reason.is_none() && date_from.zip(date_to).is_some_and(|(f, t)| f > t) {
            reason = Some("date_from after date_to".into());
        }
        if let Some(reason) = reason {
            info.reason = Some(reason);
            mapping.not_audited.push(info);
            continue;
        }
        let mut mapped_rewards = Vec::new();
        for w in rewards.iter().filter(|w| w.get::<_, i32>(0) == id) {
            let reward_id: i32 = w.get(1);
            match reward(w, kind, &reward_products) {
                Some(reward) => mapped_rewards.push(reward),
                None => info.rewards_not_mapped.push(reward_id),
            }
        }
        let basis: String = p.get(10);
        mapping.config.programs.push(Program {
            id: i64::from(id),
            name: info.name.clone(),
            kind,
            sequence: i64::from(p.get::<_, i32>(4)),
            active: p.get(5),
            date_from,
            date_to,
            exclusive: p.get::<_, bool>(9) && kind == ProgramKind::Promotion,
            spend_earned: kind == ProgramKind::Loyalty
                && matches!(applies_on.as_str(), "current" | "both"),
            points_basis: if basis == "paid" {
                PointsBasis::Paid
            } else {
                PointsBasis::Base
            },
            rules: mapped_rules,
            rewards: mapped_rewards,
        });
        if kind == ProgramKind::Loyalty {
            mapping.loyalty_program_ids.push(id);
            mapping.tax_included.insert(id, info.points_on_tax_included);
        }
        mapping.audited.push(info);
    }
    let programs = &mapping.config.programs;
    let mut order: Vec<usize> = (0..programs.len()).collect();
    order.sort_by_key(|&i| (programs[i].sequence, programs[i].id));
    mapping.config.visiting_order = order;
    Ok(mapping)
}

/// A discount reward as the engine takes it, or `None` when the engine cannot express it.
fn reward(
    w: &postgres::Row,
    kind: ProgramKind,
    products: &BTreeMap<i32, Vec<i64>>,
) -> Option<Reward> {
    let id: i32 = w.get(1);
    if w.get::<_, String>(2) != "discount" || !w.get::<_, bool>(3) {
        return None;
    }
    if w.get::<_, Option<i32>>(4).is_some() || w.get::<_, String>(5) != "[]" {
        return None;
    }
    let mode = match w.get::<_, String>(6).as_str() {
        "percent" => RewardMode::Percent,
        "per_order" => RewardMode::Fixed,
        "per_point" if kind == ProgramKind::Loyalty => RewardMode::PerPoint,
        _ => return None,
    };
    let value = dec(w.get(7));
    if value <= Decimal::ZERO || (mode == RewardMode::Percent && value > Decimal::ONE_HUNDRED) {
        return None;
    }
    let applicability = match w.get::<_, String>(8).as_str() {
        "order" => Applicability::Order,
        "cheapest" => Applicability::Cheapest,
        "specific" => Applicability::Specific,
        _ => return None,
    };
    let mut required = dec(w.get(11));
    if required <= Decimal::ZERO {
        if kind == ProgramKind::Loyalty {
            return None;
        }
        required = Decimal::ONE;
    }
    let category: Option<i32> = w.get(9);
    Some(Reward {
        id: i64::from(id),
        mode,
        value,
        applicability,
        filter: ProductFilter {
            product_ids: products.get(&id).cloned().unwrap_or_default(),
            category_ids: category.map(i64::from).into_iter().collect(),
        },
        max_amount: w.get::<_, Decimal>(10).max(Decimal::ZERO),
        required_points: Some(required),
    })
}
