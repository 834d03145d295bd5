//! One evaluation pass over an order (docs/spec.md §4).
use crate::allocation::{allocate, clamp};
use crate::config::{Config, Program, ProgramKind, Reward};
use crate::error::CalcResult;
use crate::membership::valid_snapshot_tier;
use crate::money::{self, add_steps, sub_steps, MoneyRounding};
use crate::order::Order;
use crate::redemption::{self, RedemptionRequest};
use crate::result::{
    AppliedDiscount, ClampWarning, Evaluation, LineResult, PointsResult, Redeemed, SkipReason,
    Skipped, Status, Totals,
};
use crate::returns;
use crate::rewards::{covered_lines, reward_amount};
use crate::rules;
use rust_decimal::Decimal;

/// The running state of one pass. Rounded money is held in currency steps (exact integers).
struct Pass<'a> {
    config: &'a Config,
    order: &'a Order,
    rounding: MoneyRounding,
    bases: Vec<i128>,
    /// Manual discount plus every share granted so far, per line.
    line_discounts: Vec<i128>,
    discounts: Vec<AppliedDiscount>,
    warnings: Vec<ClampWarning>,
    skipped: Vec<Skipped>,
    /// Points spent by applied redemptions of the card's program.
    spent: Decimal,
    /// What each of them spent, in application order.
    redeemed: Vec<Redeemed>,
}

/// Evaluates `order` under `config`: redemption validation first, then the pass.
pub fn evaluate(config: &Config, order: &Order) -> CalcResult<Evaluation> {
    let redemption = redemption::validate(config, order)?;
    let rounding = MoneyRounding::new(config.currency.rounding);
    let mut bases = Vec::with_capacity(order.lines.len());
    let mut line_discounts = Vec::with_capacity(order.lines.len());
    for line in &order.lines {
        let base = rounding.round(money::mul(line.qty, line.price_unit, "line base")?)?;
        let manual = money::div(
            money::mul(base, line.discount, "manual discount")?,
            Decimal::ONE_HUNDRED,
            "manual discount",
        )?;
        bases.push(rounding.round_to_steps(base)?);
        line_discounts.push(rounding.round_to_steps(manual)?);
    }
    let mut pass = Pass {
        config,
        order,
        rounding,
        bases,
        line_discounts,
        discounts: Vec::new(),
        warnings: Vec::new(),
        skipped: Vec::new(),
        spent: Decimal::ZERO,
        redeemed: Vec::new(),
    };
    // A refund gives back points on its own amounts; no promotion or redemption runs.
    if !order.is_refund() {
        pass.visit_programs(redemption.as_ref())?;
    }
    let evaluation = pass.finish()?;
    if let Some(request) = redemption.filter(|r| r.spends_earned()) {
        // docs/spec.md §4.9 v2: the balance plus what this order earns (0 when points is null).
        let earned = evaluation
            .points
            .as_ref()
            .map_or(Decimal::ZERO, |p| p.earned);
        request.check_balance(Some(earned))?;
    }
    Ok(evaluation)
}

impl Pass<'_> {
    fn visit_programs(&mut self, redemption: Option<&RedemptionRequest<'_>>) -> CalcResult<()> {
        let date = self.order.date_order.date();
        let mut stopped_by_exclusive = false;
        for &index in &self.config.visiting_order {
            let program = &self.config.programs[index];
            let requested = redemption.filter(|r| r.program.id == program.id);
            if program.kind == ProgramKind::Loyalty && requested.is_none() {
                // A loyalty program's rules only govern earning, computed at the end.
                continue;
            }
            let skip = if !program.is_eligible_on(date) {
                Some(SkipReason::Date)
            } else if stopped_by_exclusive {
                Some(SkipReason::Exclusive)
            } else {
                None
            };
            if let Some(reason) = skip {
                self.skip(program, reason);
                continue;
            }
            match (program.kind, requested) {
                (ProgramKind::Loyalty, Some(request)) => self.redeem(program, request)?,
                _ => {
                    if self.promote(program)? && program.exclusive {
                        stopped_by_exclusive = true;
                    }
                }
            }
        }
        Ok(())
    }

    fn skip(&mut self, program: &Program, reason: SkipReason) {
        self.skipped.push(Skipped {
            program_id: program.id,
            reason,
        });
    }

    /// A promotion: applies when all its rules hold and at least one reward applies.
    fn promote(&mut self, program: &Program) -> CalcResult<bool> {
        for rule in &program.rules {
            if !rules::holds(rule, &self.order.lines, &self.bases, self.rounding)? {
                self.skip(program, SkipReason::Rules);
                return Ok(false);
            }
        }
        let mut applied = false;
        for reward in &program.rewards {
            applied |= self.apply_reward(program, reward, Decimal::ZERO)?.is_some();
        }
        if !applied {
            self.skip(program, SkipReason::Rules);
        }
        Ok(applied)
    }

    /// The requested rewards of the card's loyalty program, in the program's reward order.
    fn redeem(&mut self, program: &Program, request: &RedemptionRequest<'_>) -> CalcResult<()> {
        let mut any_missed = false;
        for reward in &program.rewards {
            let Some(points) = request.points_for(reward.id) else {
                continue;
            };
            match self.apply_reward(program, reward, points)? {
                Some(granted) => {
                    let cost = redemption::points_spent(
                        reward,
                        points,
                        granted,
                        self.config.points_precision,
                    )?;
                    self.spent = money::add(self.spent, cost, "points spent")?;
                    self.redeemed.push(Redeemed {
                        reward_id: reward.id,
                        points: money::points_down(cost, self.config.points_precision),
                    });
                }
                None => any_missed = true,
            }
        }
        if any_missed {
            self.skip(program, SkipReason::Rules);
        }
        Ok(())
    }

    /// Applies one reward; `Some(amount granted after the clamp)` when it applies.
    fn apply_reward(
        &mut self,
        program: &Program,
        reward: &Reward,
        points: Decimal,
    ) -> CalcResult<Option<Decimal>> {
        let covered = covered_lines(reward, &self.order.lines);
        if covered.is_empty() {
            return Ok(None);
        }
        let amount = reward_amount(
            reward,
            &covered,
            &self.order.lines,
            &self.bases,
            points,
            self.rounding,
        )?;
        if amount == 0 {
            return Ok(None);
        }
        let mut shares = allocate(amount, &covered, &self.bases)?;
        let removed = clamp(&mut shares, &covered, &self.bases, &mut self.line_discounts)?;
        if removed > 0 {
            self.warnings.push(ClampWarning {
                program_id: program.id,
                reward_id: reward.id,
                amount: self.rounding.from_steps(removed)?,
            });
        }
        let granted = self
            .rounding
            .from_steps(money::sum_steps(shares.iter().copied(), "discount")?)?;
        let mut lines = Vec::with_capacity(covered.len());
        for (index, share) in covered.into_iter().zip(shares) {
            lines.push((index, self.rounding.from_steps(share)?));
        }
        self.discounts.push(AppliedDiscount {
            program_id: program.id,
            reward_id: reward.id,
            amount: granted,
            lines,
        });
        Ok(Some(granted))
    }

    fn finish(mut self) -> CalcResult<Evaluation> {
        let (status, points) = self.points()?;
        let mut lines = Vec::with_capacity(self.bases.len());
        let (mut base_total, mut discount_total) = (0, 0);
        for (&base, &discount) in self.bases.iter().zip(&self.line_discounts) {
            base_total = add_steps(base_total, base, "totals")?;
            discount_total = add_steps(discount_total, discount, "totals")?;
            lines.push(LineResult {
                base: self.rounding.from_steps(base)?,
                discount: self.rounding.from_steps(discount)?,
                total: self
                    .rounding
                    .from_steps(sub_steps(base, discount, "line total")?)?,
            });
        }
        let totals = Totals {
            base: self.rounding.from_steps(base_total)?,
            discount: self.rounding.from_steps(discount_total)?,
            total: self
                .rounding
                .from_steps(sub_steps(base_total, discount_total, "totals")?)?,
        };
        Ok(Evaluation {
            status,
            lines,
            discounts: self.discounts,
            points,
            warnings: self.warnings,
            skipped: self.skipped,
            totals,
        })
    }

    /// Points of the card's program when it is an eligible loyalty program (section 4.10).
    fn points(&mut self) -> CalcResult<(Status, Option<PointsResult>)> {
        let Some(card) = &self.order.card else {
            return Ok((Status::Ok, None));
        };
        let date = self.order.date_order.date();
        let Some(program) = self
            .config
            .program(card.program_id)
            .filter(|p| p.kind == ProgramKind::Loyalty && p.is_eligible_on(date))
        else {
            return Ok((Status::Ok, None));
        };
        let precision = self.config.points_precision;
        let refund = self.order.is_refund();
        let spent = if refund { Decimal::ZERO } else { self.spent };
        let (status, tier) = if self.config.tiers.is_empty() {
            (Status::Ok, None)
        } else {
            match valid_snapshot_tier(self.config, self.order) {
                Some(tier) => (Status::Ok, Some(tier)),
                None => (Status::PendingMembership, None),
            }
        };
        let multiplier = tier.map_or(Decimal::ONE, |t| t.multiplier);
        let earned = if status == Status::PendingMembership {
            money::points_down(Decimal::ZERO, precision)
        } else {
            let mut raw = Decimal::ZERO;
            for rule in &program.rules {
                let basis = rules::points_basis(
                    rule,
                    program.points_basis,
                    &self.order.lines,
                    &self.bases,
                    &self.line_discounts,
                    refund,
                    self.rounding,
                )?;
                raw = money::add(raw, money::mul(rule.amount, basis, "points")?, "points")?;
            }
            money::points_down(money::mul(raw, multiplier, "points")?, precision)
        };
        // docs/spec.md §4.12 v2: a refund gives back what the refunded part of the sale consumed.
        let returned = match &self.order.original {
            Some(original) if refund => {
                returns::returned(original, self.config.currency.rounding, precision)?
            }
            _ => money::points_down(Decimal::ZERO, precision),
        };
        Ok((
            status,
            Some(PointsResult {
                program_id: program.id,
                card_id: card.id,
                earned,
                spent: money::points_down(spent, precision),
                returned,
                redeemed: std::mem::take(&mut self.redeemed),
                tier: tier.map(|t| t.code.clone()),
                multiplier,
            }),
        ))
    }
}
