//! docs/spec.md §6, the worked examples (IDR, rounding 1, points_precision 2).
mod common;
use aba_loyalty_calc::result::{ClampWarning, Redeemed, Status};
use aba_loyalty_calc::value::Value;
use aba_loyalty_calc::CalcError;
use common::*;

fn first_order_lines() -> Vec<Value> {
    vec![line(1, "2", "45000", "10"), line(2, "1", "30000", "0")]
}

#[test]
fn points_on_base_with_gold_multiplier() {
    let config = config(vec![loyalty_program(vec![])]);
    let result = run(&config, &order(first_order_lines())).unwrap();
    assert_eq!(result.totals.base, d("120000"));
    assert_eq!(result.totals.discount, d("9000"));
    assert_eq!(result.totals.total, d("111000"));
    let points = result.points.unwrap();
    assert_eq!(points.earned.to_string(), "18.00");
    assert_eq!(points.tier.as_deref(), Some("gold"));
    assert_eq!(points.multiplier, d("1.5"));
    assert_eq!(result.status, Status::Ok);
}

#[test]
fn points_on_paid_amount() {
    let mut program = loyalty_program(vec![]);
    program.set("points_basis", s("paid"));
    let result = run(&config(vec![program]), &order(first_order_lines())).unwrap();
    assert_eq!(result.points.unwrap().earned.to_string(), "16.65");
}

#[test]
fn promotions_do_not_compound() {
    let config = config(vec![
        promotion(1, 1, reward(11, "percent", "20", "order")),
        promotion(2, 2, reward(21, "percent", "10", "order")),
    ]);
    let result = run(&config, &order(vec![line(1, "1", "110000", "0")])).unwrap();
    assert_eq!(result.discounts.len(), 2);
    assert_eq!(result.discounts[0].amount, d("22000"));
    assert_eq!(result.discounts[1].amount, d("11000"));
    assert_eq!(result.totals.discount, d("33000"));
}

#[test]
fn over_discount_is_clamped_with_a_warning() {
    let config = config(vec![
        promotion(1, 1, reward(11, "percent", "20", "order")),
        promotion(3, 3, reward(31, "fixed", "100000", "order")),
    ]);
    let result = run(&config, &order(vec![line(1, "1", "110000", "0")])).unwrap();
    assert_eq!(result.discounts[0].amount, d("22000"));
    assert_eq!(result.discounts[1].amount, d("88000"));
    assert_eq!(
        result.warnings,
        vec![ClampWarning {
            program_id: 3,
            reward_id: 31,
            amount: d("12000")
        }]
    );
    assert_eq!(result.totals.total, d("0"));
}

#[test]
fn percent_is_rounded_then_allocated_pro_rata() {
    let config = config(vec![promotion(1, 1, reward(11, "percent", "10", "order"))]);
    let result = run(
        &config,
        &order(vec![line(1, "1", "10001", "0"), line(2, "1", "20000", "0")]),
    )
    .unwrap();
    let discount = &result.discounts[0];
    assert_eq!(discount.amount, d("3000"));
    assert_eq!(discount.lines, vec![(0, d("1000")), (1, d("2000"))]);
}

#[test]
fn refund_takes_back_points_rounded_toward_zero() {
    let config = config(vec![loyalty_program(vec![])]);
    let mut refund = order(vec![line(2, "-1", "30000", "0")]);
    refund.set("refund_of", s("order-1"));
    let result = run(&config, &refund).unwrap();
    let points = result.points.unwrap();
    assert_eq!(points.earned.to_string(), "-4.50");
    assert_eq!(points.spent, d("0"));
    assert!(result.discounts.is_empty() && result.skipped.is_empty() && result.warnings.is_empty());
    assert_eq!(result.totals.total, d("-30000"));
}

#[test]
fn v2_fixed_two_over_four_lines_by_largest_remainder() {
    let config = config(vec![promotion(1, 1, reward(11, "fixed", "2", "order"))]);
    let lines = (1..=4).map(|i| line(i, "1", "10", "0")).collect();
    let result = run(&config, &order(lines)).unwrap();
    let discount = &result.discounts[0];
    assert_eq!(discount.amount, d("2"));
    assert_eq!(
        discount.lines,
        vec![(0, d("1")), (1, d("1")), (2, d("0")), (3, d("0"))]
    );
}

#[test]
fn v2_spend_earned_pays_a_redemption_with_this_orders_points() {
    let order = redeeming_order("0", vec![line(1, "1", "50000", "0")], vec![(101, "20")]);
    let result = run(&spend_earned_config(true), &order).unwrap();
    assert_eq!(result.discounts[0].amount, d("2000"));
    let points = result.points.unwrap();
    // Earned on base (points_basis "base"): 50,000 x 0.001 = 50.00; available 0 + 50.00.
    assert_eq!(points.earned.to_string(), "50.00");
    assert_eq!(points.spent.to_string(), "20.00");
    assert_eq!(
        points.redeemed,
        vec![Redeemed {
            reward_id: 101,
            points: d("20.00")
        }]
    );
    assert_eq!(points.returned.to_string(), "0.00");
    // Without spend_earned the card's 0 points are all there is.
    match run(&spend_earned_config(false), &order) {
        Err(CalcError::InsufficientPoints {
            path,
            requested,
            available,
            earned,
        }) => {
            assert_eq!(path, "redeem");
            assert_eq!((requested, available, earned), (d("20"), d("0"), None));
        }
        other => panic!("expected InsufficientPoints, got {other:?}"),
    }
}
