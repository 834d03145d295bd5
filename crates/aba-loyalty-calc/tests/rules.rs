//! One test (or a few) per rule of docs/spec.md §4, on small configs.
mod common;
use aba_loyalty_calc::result::{SkipReason, Skipped, Status};
use aba_loyalty_calc::value::Value;
use aba_loyalty_calc::{CalcError, Engine, PathItem};
use chrono::NaiveDate;
use common::*;
use rust_decimal::Decimal;

fn skipped(program_id: i64, reason: SkipReason) -> Skipped {
    Skipped { program_id, reason }
}

fn with_rules(mut program: Value, rules: Vec<Value>) -> Value {
    program.set("rules", Value::List(rules));
    program
}

fn rule(id: i64, mode: &str, amount: &str, extra: Vec<(&str, Value)>) -> Value {
    let mut rule = Value::map([
        ("id", Value::Int(id)),
        ("mode", s(mode)),
        ("amount", dec(amount)),
    ]);
    for (key, value) in extra {
        rule.set(key, value);
    }
    rule
}

fn with(mut value: Value, key: &str, item: Value) -> Value {
    value.set(key, item);
    value
}

fn sale(lines: Vec<Value>) -> Value {
    with(order(lines), "card", Value::Null)
}

// -- 4.1 base and manual discount --------------------------------------------------------------

#[test]
fn base_and_manual_discount_round_half_up() {
    let config = config(vec![]);
    let result = run(&config, &sale(vec![line(1, "1.5", "333", "10")])).unwrap();
    // 499.5 -> 500; 10% of 500 = 50.
    assert_eq!(result.lines[0].base, d("500"));
    assert_eq!(result.lines[0].discount, d("50"));
    assert_eq!(result.lines[0].total, d("450"));
}

#[test]
fn rounding_to_hundreds_and_cents() {
    let mut hundreds = config(vec![]);
    hundreds.set(
        "currency",
        Value::map([("code", s("IDR")), ("rounding", s("100"))]),
    );
    let result = run(&hundreds, &sale(vec![line(1, "1", "12350", "0")])).unwrap();
    assert_eq!(result.lines[0].base, d("12400"));
    let mut cents = config(vec![]);
    cents.set(
        "currency",
        Value::map([("code", s("EUR")), ("rounding", s("0.01"))]),
    );
    let result = run(&cents, &sale(vec![line(1, "3", "0.335", "0")])).unwrap();
    assert_eq!(result.lines[0].base.to_string(), "1.01");
}

// -- 4.2 eligibility and visiting order ----------------------------------------------------------

#[test]
fn programs_are_visited_by_sequence_then_id() {
    let config = config(vec![
        promotion(3, 2, reward(31, "fixed", "10", "order")),
        promotion(2, 2, reward(21, "fixed", "20", "order")),
        promotion(1, 5, reward(11, "fixed", "30", "order")),
    ]);
    let result = run(&config, &sale(vec![line(1, "1", "1000", "0")])).unwrap();
    let ids: Vec<i64> = result.discounts.iter().map(|d| d.program_id).collect();
    assert_eq!(ids, vec![2, 3, 1]);
}

#[test]
fn inactive_or_out_of_date_programs_are_skipped_with_reason_date() {
    let inactive = with(
        promotion(1, 1, reward(11, "fixed", "10", "order")),
        "active",
        Value::Bool(false),
    );
    let future = with(
        promotion(2, 2, reward(21, "fixed", "10", "order")),
        "date_from",
        Value::Date(NaiveDate::from_ymd_opt(2024, 5, 11).unwrap()),
    );
    let last_day = with(
        promotion(3, 3, reward(31, "fixed", "10", "order")),
        "date_to",
        s("2024-05-10"),
    );
    let result = run(
        &config(vec![inactive, future, last_day]),
        &sale(vec![line(1, "1", "1000", "0")]),
    )
    .unwrap();
    assert_eq!(
        result.skipped,
        vec![skipped(1, SkipReason::Date), skipped(2, SkipReason::Date)]
    );
    assert_eq!(result.discounts.len(), 1, "date_to is inclusive");
}

#[test]
fn the_utc_date_decides_eligibility() {
    let from_may_10 = with(
        promotion(1, 1, reward(11, "fixed", "10", "order")),
        "date_from",
        s("2024-05-10"),
    );
    // 05:00 on the 10th in UTC+07:00 is still the 9th in UTC.
    let order = with(
        sale(vec![line(1, "1", "1000", "0")]),
        "date_order",
        s("2024-05-10T05:00:00+07:00"),
    );
    let result = run(&config(vec![from_may_10]), &order).unwrap();
    assert_eq!(result.skipped, vec![skipped(1, SkipReason::Date)]);
}

// -- 4.3 rules ----------------------------------------------------------------------------------

#[test]
fn rules_check_quantity_and_amount_on_qualifying_lines() {
    let min_qty = with_rules(
        promotion(1, 1, reward(11, "fixed", "10", "order")),
        vec![rule(
            1,
            "unit",
            "1",
            vec![("product_ids", ids(&[10])), ("min_qty", dec("3"))],
        )],
    );
    let min_amount = with_rules(
        promotion(2, 2, reward(21, "fixed", "10", "order")),
        vec![rule(
            2,
            "money",
            "1",
            vec![("category_ids", ids(&[1])), ("min_amount", dec("5000"))],
        )],
    );
    let no_line = with_rules(
        promotion(3, 3, reward(31, "fixed", "10", "order")),
        vec![rule(3, "order", "1", vec![("product_ids", ids(&[999]))])],
    );
    let config = config(vec![min_qty, min_amount, no_line]);
    // Line 1 is product 10 (qty 2), line 2 product 20 (qty 5): product 10 has only 2 units.
    let result = run(
        &config,
        &sale(vec![line(1, "2", "1000", "50"), line(2, "5", "1000", "0")]),
    )
    .unwrap();
    // min_amount is checked on base amounts (7000), not on discounted ones (6000).
    assert_eq!(result.discounts.len(), 1);
    assert_eq!(result.discounts[0].program_id, 2);
    assert_eq!(
        result.skipped,
        vec![skipped(1, SkipReason::Rules), skipped(3, SkipReason::Rules)]
    );
}

// -- 4.4 covered lines ----------------------------------------------------------------------------

#[test]
fn cheapest_takes_one_unit_of_the_lowest_price_first_on_ties() {
    let cheapest = promotion(1, 1, reward(11, "percent", "50", "cheapest"));
    let result = run(
        &config(vec![cheapest]),
        &sale(vec![
            line(1, "3", "800", "0"),
            line(2, "2", "500", "0"),
            line(3, "1", "500", "0"),
        ]),
    )
    .unwrap();
    assert_eq!(result.discounts[0].amount, d("250"));
    assert_eq!(result.discounts[0].lines, vec![(1, d("250"))]);
}

#[test]
fn specific_covers_matching_lines_and_skips_when_none_match() {
    let specific = with(
        reward(11, "percent", "10", "specific"),
        "category_ids",
        ids(&[1]),
    );
    let none = with(
        reward(21, "fixed", "100", "specific"),
        "product_ids",
        ids(&[999]),
    );
    let config = config(vec![promotion(1, 1, specific), promotion(2, 2, none)]);
    let mut other = line(2, "1", "5000", "0");
    other.set("category_ids", ids(&[2]));
    let result = run(&config, &sale(vec![line(1, "1", "1000", "0"), other])).unwrap();
    assert_eq!(result.discounts.len(), 1);
    assert_eq!(result.discounts[0].lines, vec![(0, d("100"))]);
    assert_eq!(result.skipped, vec![skipped(2, SkipReason::Rules)]);
}

// -- 4.5 amounts --------------------------------------------------------------------------------

#[test]
fn max_amount_caps_before_rounding() {
    let capped = with(
        reward(11, "percent", "50", "order"),
        "max_amount",
        dec("1234.4"),
    );
    let result = run(
        &config(vec![promotion(1, 1, capped)]),
        &sale(vec![line(1, "1", "10000", "0")]),
    )
    .unwrap();
    assert_eq!(result.discounts[0].amount, d("1234"));
}

#[test]
fn a_reward_rounding_to_zero_does_not_apply() {
    let tiny = promotion(1, 1, reward(11, "percent", "1", "order"));
    let result = run(&config(vec![tiny]), &sale(vec![line(1, "1", "40", "0")])).unwrap();
    assert!(result.discounts.is_empty());
    assert_eq!(result.skipped, vec![skipped(1, SkipReason::Rules)]);
}

#[test]
fn a_promotion_without_rewards_does_not_apply() {
    let mut empty = promotion(1, 1, reward(11, "fixed", "1", "order"));
    empty.set("rewards", Value::list([]));
    let result = run(&config(vec![empty]), &sale(vec![line(1, "1", "40", "0")])).unwrap();
    assert_eq!(result.skipped, vec![skipped(1, SkipReason::Rules)]);
}

// -- 4.6 allocation by largest remainder (v2) -----------------------------------------------------

#[test]
fn largest_remainder_ties_go_to_the_first_line() {
    let config = config(vec![promotion(1, 1, reward(11, "fixed", "10", "order"))]);
    let lines = vec![
        line(1, "1", "100", "0"),
        line(2, "1", "100", "0"),
        line(3, "1", "100", "0"),
    ];
    let result = run(&config, &sale(lines)).unwrap();
    // 3.33 each: floors 3, 3, 3 with equal remainders; the one step left to the first line.
    assert_eq!(
        result.discounts[0].lines,
        vec![(0, d("4")), (1, d("3")), (2, d("3"))]
    );
}

#[test]
fn the_left_steps_go_to_the_largest_remainders_not_the_largest_bases() {
    let config = config(vec![promotion(1, 1, reward(11, "fixed", "10", "order"))]);
    let lines = vec![
        line(1, "1", "10", "0"),
        line(2, "1", "40", "0"),
        line(3, "1", "40", "0"),
    ];
    let result = run(&config, &sale(lines)).unwrap();
    // 10 x 10/90 = 1.11, x 40/90 = 4.44 twice: floors 1, 4, 4, one step left; remainders
    // 0.11, 0.44, 0.44: to line 2, the first of the two largest.
    assert_eq!(
        result.discounts[0].lines,
        vec![(0, d("1")), (1, d("5")), (2, d("4"))]
    );
}

#[test]
fn shares_are_never_negative_and_add_up_to_the_amount() {
    // v1 gave the largest line the (negative) rounding difference: 3 over five equal lines at
    // rounding 1 was 1, 1, 1, 1, -1.
    let config = config(vec![promotion(1, 1, reward(11, "fixed", "3", "order"))]);
    let lines = (1..=5).map(|i| line(i, "1", "7", "0")).collect();
    let result = run(&config, &sale(lines)).unwrap();
    let shares: Vec<_> = result.discounts[0].lines.iter().map(|(_, s)| *s).collect();
    assert_eq!(shares, vec![d("1"), d("1"), d("1"), d("0"), d("0")]);
    assert!(result.lines.iter().all(|l| l.total >= d("0")));
    assert_eq!(result.totals.discount, d("3"));
}

#[test]
fn largest_remainder_in_cents() {
    let mut cents = config(vec![promotion(1, 1, reward(11, "fixed", "0.05", "order"))]);
    cents.set(
        "currency",
        Value::map([("code", s("EUR")), ("rounding", s("0.01"))]),
    );
    let lines = vec![line(1, "1", "1.00", "0"), line(2, "1", "2.00", "0")];
    let result = run(&cents, &sale(lines)).unwrap();
    // 0.05 x 1/3 = 0.0166, x 2/3 = 0.0333: floors 0.01 + 0.03, the step to the larger
    // remainder 0.0066 (line 1) against 0.0033.
    assert_eq!(
        result.discounts[0].lines,
        vec![(0, d("0.02")), (1, d("0.03"))]
    );
}

// -- 4.7 clamp ------------------------------------------------------------------------------------

#[test]
fn manual_discount_counts_toward_the_clamp_and_zero_grants_still_apply() {
    let config = config(vec![
        promotion(1, 1, reward(11, "fixed", "500", "order")),
        promotion(2, 2, reward(21, "fixed", "500", "order")),
    ]);
    let result = run(&config, &sale(vec![line(1, "1", "1000", "60")])).unwrap();
    // 600 manual + 400 granted of 500 (100 removed) + 0 of 500.
    assert_eq!(result.discounts[0].amount, d("400"));
    assert_eq!(result.discounts[1].amount, d("0"));
    assert_eq!(result.warnings.len(), 2);
    assert_eq!(result.warnings[0].amount, d("100"));
    assert_eq!(result.warnings[1].amount, d("500"));
    assert_eq!(result.totals.total, d("0"));
}

// -- 4.8 exclusive --------------------------------------------------------------------------------

#[test]
fn exclusive_stops_later_promotions_and_redemptions_but_not_earning() {
    let exclusive = with(
        promotion(1, 1, reward(11, "percent", "10", "order")),
        "exclusive",
        Value::Bool(true),
    );
    let later = promotion(2, 2, reward(21, "percent", "10", "order"));
    let loyalty = loyalty_program(vec![with(
        reward(101, "fixed", "1000", "order"),
        "required_points",
        dec("5"),
    )]);
    let mut order = order(vec![line(1, "1", "100000", "0")]);
    order.set("card", card("10"));
    order.set(
        "redeem",
        Value::list([Value::map([
            ("reward_id", Value::Int(101)),
            ("points", dec("5")),
        ])]),
    );
    let result = run(&config(vec![exclusive, later, loyalty]), &order).unwrap();
    assert_eq!(
        result.skipped,
        vec![
            skipped(2, SkipReason::Exclusive),
            skipped(10, SkipReason::Exclusive)
        ]
    );
    let points = result.points.unwrap();
    assert_eq!(points.spent, d("0"));
    assert_eq!(points.earned, d("15.00"));
}

#[test]
fn an_exclusive_promotion_that_does_not_apply_stops_nothing() {
    let exclusive = with_rules(
        with(
            promotion(1, 1, reward(11, "percent", "10", "order")),
            "exclusive",
            Value::Bool(true),
        ),
        vec![rule(1, "money", "1", vec![("min_amount", dec("1000000"))])],
    );
    let later = promotion(2, 2, reward(21, "percent", "10", "order"));
    let result = run(
        &config(vec![exclusive, later]),
        &sale(vec![line(1, "1", "1000", "0")]),
    )
    .unwrap();
    assert_eq!(result.discounts.len(), 1);
    assert_eq!(result.skipped, vec![skipped(1, SkipReason::Rules)]);
}

// -- 4.9 redemption ----------------------------------------------------------------------------

fn redeeming(points: &str, items: Vec<(i64, &str)>) -> Value {
    redeeming_order(points, vec![line(1, "1", "100000", "0")], items)
}

fn redemption_config() -> Value {
    config(vec![loyalty_program(vec![
        with(
            reward(101, "per_point", "300", "order"),
            "required_points",
            dec("0.01"),
        ),
        with(
            with(
                reward(102, "per_point", "100", "order"),
                "required_points",
                dec("1"),
            ),
            "max_amount",
            dec("250"),
        ),
        with(
            reward(103, "fixed", "1000", "order"),
            "required_points",
            dec("10"),
        ),
    ])])
}

#[test]
fn per_point_spends_what_it_granted_rounded_up() {
    let result = run(&redemption_config(), &redeeming("100", vec![(102, "7")])).unwrap();
    // 7 x 100 = 700 capped at 250; 250 / 100 = 2.5 points.
    assert_eq!(result.discounts[0].amount, d("250"));
    assert_eq!(result.points.unwrap().spent, d("2.50"));
    let result = run(&redemption_config(), &redeeming("100", vec![(101, "0.01")])).unwrap();
    // 0.01 x 300 = 3 -> spent 3 / 300 = 0.01.
    assert_eq!(result.points.unwrap().spent, d("0.01"));
}

#[test]
fn redemptions_apply_in_program_reward_order() {
    let result = run(
        &redemption_config(),
        &redeeming("100", vec![(103, "10"), (101, "1")]),
    )
    .unwrap();
    let order: Vec<i64> = result.discounts.iter().map(|d| d.reward_id).collect();
    assert_eq!(order, vec![101, 103]);
    assert_eq!(result.points.unwrap().spent, d("11.00"));
}

#[test]
fn redemption_errors() {
    let config = redemption_config();
    let message = |order: &Value| order_error(&config, order);
    assert!(message(&redeeming("100", vec![(999, "1")])).starts_with("redeem[0].reward_id:"));
    assert!(message(&redeeming("100", vec![(101, "1"), (101, "2")]))
        .starts_with("redeem[1].reward_id:"));
    assert!(message(&redeeming("100", vec![(101, "1.001")])).starts_with("redeem[0].points:"));
    assert!(message(&redeeming("100", vec![(103, "11")])).starts_with("redeem[0].points:"));
    assert!(message(&redeeming("100", vec![(103, "9")])).starts_with("redeem[0].points:"));
    match run(&config, &redeeming("10", vec![(103, "10"), (101, "0.5")])) {
        Err(CalcError::InsufficientPoints {
            requested,
            available,
            earned,
            ..
        }) => {
            assert_eq!((requested, available, earned), (d("10.5"), d("10"), None));
        }
        other => panic!("expected InsufficientPoints, got {other:?}"),
    }
    let mut no_card = redeeming("10", vec![(101, "1")]);
    no_card.set("card", Value::Null);
    assert!(message(&no_card).starts_with("card:"));
    let mut foreign = redeeming("10", vec![(101, "1")]);
    foreign
        .get_mut("card")
        .unwrap()
        .set("program_id", Value::Int(77));
    assert!(message(&foreign).starts_with("card.program_id:"));
}

#[test]
fn an_ineligible_loyalty_program_validates_then_is_skipped() {
    let mut config = redemption_config();
    let program = config.get_mut("programs").unwrap().at_mut(0).unwrap();
    program.set("date_to", s("2024-01-01"));
    let result = run(&config, &redeeming("100", vec![(101, "1")])).unwrap();
    assert_eq!(result.skipped, vec![skipped(10, SkipReason::Date)]);
    assert!(result.points.is_none());
    assert!(run(&config, &redeeming("100", vec![(999, "1")])).is_err());
}

#[test]
fn a_requested_reward_that_does_not_apply_is_skipped_once() {
    let config = config(vec![loyalty_program(vec![
        with(
            with(
                reward(101, "fixed", "10", "specific"),
                "product_ids",
                ids(&[999]),
            ),
            "required_points",
            dec("1"),
        ),
        with(
            with(
                reward(102, "fixed", "10", "specific"),
                "product_ids",
                ids(&[998]),
            ),
            "required_points",
            dec("1"),
        ),
    ])]);
    let result = run(&config, &redeeming("100", vec![(101, "1"), (102, "1")])).unwrap();
    assert_eq!(result.skipped, vec![skipped(10, SkipReason::Rules)]);
    assert_eq!(result.points.unwrap().spent, d("0.00"));
}

#[test]
fn redeemed_lists_what_each_applied_redemption_spent_in_application_order() {
    let result = run(
        &redemption_config(),
        &redeeming("100", vec![(103, "10"), (102, "7")]),
    )
    .unwrap();
    let points = result.points.unwrap();
    let redeemed: Vec<_> = points
        .redeemed
        .iter()
        .map(|r| (r.reward_id, r.points.to_string()))
        .collect();
    // Program order: 102 (7 x 100 capped at 250 -> 2.50 points), then 103 (fixed, 10).
    assert_eq!(
        redeemed,
        vec![(102, "2.50".to_owned()), (103, "10.00".to_owned())]
    );
    assert_eq!(points.spent, d("12.50"));
    assert_eq!(points.returned.to_string(), "0.00");
}

// -- 4.9 v2 spend_earned ----------------------------------------------------------------------

fn one_line_sale(card_points: &str, redeem_points: &str) -> Value {
    redeeming_order(
        card_points,
        vec![line(1, "1", "50000", "0")],
        vec![(101, redeem_points)],
    )
}

fn insufficient(config: &Value, order: &Value) -> (Decimal, Decimal, Option<Decimal>) {
    match run(config, order) {
        Err(CalcError::InsufficientPoints {
            path,
            requested,
            available,
            earned,
        }) => {
            assert_eq!(path, "redeem");
            (requested, available, earned)
        }
        other => panic!("expected InsufficientPoints, got {other:?}"),
    }
}

#[test]
fn spend_earned_with_points_basis_paid_counts_earned_after_the_redemption() {
    let mut config = spend_earned_config(true);
    config
        .get_mut("programs")
        .unwrap()
        .at_mut(0)
        .unwrap()
        .set("points_basis", s("paid"));
    // 45 points -> 4,500 off: earned on 45,500 paid = 45.50 >= 45.
    let result = run(&config, &one_line_sale("0", "45")).unwrap();
    let points = result.points.unwrap();
    assert_eq!((points.earned, points.spent), (d("45.50"), d("45.00")));
    // 46 points -> 4,600 off: earned on 45,400 = 45.40 < 46 (on base it would be 50).
    assert_eq!(
        insufficient(&config, &one_line_sale("0", "46")),
        (d("46"), d("0"), Some(d("45.40")))
    );
    // The card's balance and the earned points add up: 0.60 + 45.40 = 46.
    assert!(run(&config, &one_line_sale("0.6", "46")).is_ok());
}

#[test]
fn a_redemption_that_does_not_fit_even_with_earned_points() {
    let config = spend_earned_config(true);
    // 10 held + 50.00 earned = 60 < 61.
    assert_eq!(
        insufficient(&config, &one_line_sale("10", "61")),
        (d("61"), d("10"), Some(d("50.00")))
    );
    let message = run(&config, &one_line_sale("10", "61"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "redeem: 61 points requested but the card holds 10 and this order earns 50.00"
    );
    assert!(run(&config, &one_line_sale("10", "60")).is_ok());
}

#[test]
fn spend_earned_counts_nothing_while_pending_or_out_of_date() {
    // With tiers and no valid snapshot the order earns 0 (pending): only the card counts.
    let mut pending = spend_earned_config(true);
    pending.set("tiers", config(vec![]).get_mut("tiers").unwrap().clone());
    let mut order = one_line_sale("5", "20");
    order.set("membership", Value::Null);
    assert_eq!(
        insufficient(&pending, &order),
        (d("20"), d("5"), Some(d("0.00")))
    );
    // An out-of-date program still validates and is skipped; points is null, earned 0.
    let mut expired = spend_earned_config(true);
    expired
        .get_mut("programs")
        .unwrap()
        .at_mut(0)
        .unwrap()
        .set("date_to", s("2024-01-01"));
    assert_eq!(
        insufficient(&expired, &one_line_sale("5", "20")),
        (d("20"), d("5"), Some(d("0")))
    );
    assert!(run(&expired, &one_line_sale("20", "20"))
        .unwrap()
        .points
        .is_none());
}

#[test]
fn spend_earned_keeps_the_validation_order_and_is_accepted_on_promotions() {
    let config = spend_earned_config(true);
    // Item errors still come before the (deferred) balance check.
    let bad = redeeming_order("0", vec![line(1, "1", "50000", "0")], vec![(101, "0.001")]);
    assert!(order_error(&config, &bad).starts_with("redeem[0].points:"));
    let promo = with(
        promotion(1, 1, reward(11, "fixed", "1", "order")),
        "spend_earned",
        Value::Bool(true),
    );
    assert!(Engine::new(&&common::config(vec![promo])).is_ok());
    let mut not_bool = spend_earned_config(true);
    not_bool
        .get_mut("programs")
        .unwrap()
        .at_mut(0)
        .unwrap()
        .set("spend_earned", s("yes"));
    assert!(config_error(&not_bool).starts_with("programs[0].spend_earned:"));
}

// -- 4.10 points --------------------------------------------------------------------------------

#[test]
fn unit_and_order_rules_earn_and_conditions_gate_them() {
    let program = with_rules(
        loyalty_program(vec![]),
        vec![
            rule(1, "order", "5", vec![]),
            rule(2, "unit", "0.5", vec![("product_ids", ids(&[10]))]),
            rule(3, "money", "1", vec![("min_amount", dec("1000000"))]),
        ],
    );
    let result = run(
        &config(vec![program]),
        &order(vec![line(1, "3", "1000", "0")]),
    )
    .unwrap();
    // (5 + 1.5) x 1.5 (gold) = 9.75; the money rule does not hold.
    assert_eq!(result.points.unwrap().earned, d("9.75"));
}

#[test]
fn points_are_rounded_down_to_the_precision() {
    let mut config = config(vec![loyalty_program(vec![])]);
    config.set("points_precision", Value::Int(0));
    let result = run(&config, &order(vec![line(1, "1", "19999", "0")])).unwrap();
    // 1.9999 x 1.5 = 2.99985 -> 2.
    assert_eq!(result.points.unwrap().earned.to_string(), "2");
}

#[test]
fn membership_snapshot_validity() {
    let config = config(vec![loyalty_program(vec![])]);
    let base = order(vec![line(1, "1", "100000", "0")]);
    let pending = |order: &Value| {
        let result = run(&config, order).unwrap();
        let points = result.points.unwrap();
        (result.status, points.earned, points.tier, points.multiplier)
    };
    assert_eq!(
        pending(&base),
        (Status::Ok, d("15"), Some("gold".into()), d("1.5"))
    );
    let mut other_partner = base.clone();
    other_partner.set("partner_id", Value::Int(8));
    let mut no_partner = base.clone();
    no_partner.set("partner_id", Value::Null);
    let mut expired = base.clone();
    expired.set("date_order", s("2024-05-31T00:00:01"));
    let mut edge = base.clone();
    edge.set("date_order", s("2024-05-31T00:00:00"));
    let mut unknown_tier = base.clone();
    unknown_tier
        .get_mut("membership")
        .unwrap()
        .set("tier", s("platinum"));
    for order in [&other_partner, &no_partner, &expired, &unknown_tier] {
        assert_eq!(
            pending(order),
            (Status::PendingMembership, d("0"), None, d("1"))
        );
    }
    assert_eq!(pending(&edge).0, Status::Ok, "valid_until is inclusive");
}

#[test]
fn refunds_skip_promotions_and_conditions_and_order_rules() {
    let program = with_rules(
        loyalty_program(vec![]),
        vec![
            rule(1, "order", "5", vec![]),
            rule(2, "money", "0.001", vec![("min_amount", dec("1000000"))]),
            rule(3, "unit", "1", vec![("product_ids", ids(&[999]))]),
        ],
    );
    let config = config(vec![
        program,
        promotion(1, 1, reward(11, "percent", "10", "order")),
    ]);
    let mut refund = order(vec![line(1, "-2", "1000", "10")]);
    refund.set("refund_of", s("pos-0"));
    let result = run(&config, &refund).unwrap();
    assert!(result.discounts.is_empty() && result.skipped.is_empty());
    // -2000 x 0.001 x 1.5 = -3; the manual discount still shows on the line.
    assert_eq!(result.points.unwrap().earned, d("-3"));
    assert_eq!(result.lines[0].discount, d("-200"));
    assert_eq!(result.totals.total, d("-1800"));
}

// -- evaluate_membership -------------------------------------------------------------------------

#[test]
fn evaluate_membership_picks_the_highest_rank_first_listed() {
    let mut config = config(vec![]);
    let tiers = config.get_mut("tiers").unwrap();
    if let Value::List(items) = tiers {
        items.push(Value::map([
            ("code", s("gold2")),
            ("rank", Value::Int(2)),
            ("multiplier", s("3")),
            ("min_spend", s("0")),
        ]));
    }
    let engine = Engine::new(&&config).unwrap();
    let at = NaiveDate::from_ymd_opt(2024, 5, 1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let snapshot = engine.evaluate_membership(7, d("100"), at).unwrap();
    assert_eq!(snapshot.tier.as_deref(), Some("gold2"));
    assert_eq!(snapshot.valid_until, at + chrono::Duration::days(30));
    let snapshot = engine.evaluate_membership(7, d("9000000"), at).unwrap();
    assert_eq!(snapshot.tier.as_deref(), Some("gold"));
}

// -- validation -------------------------------------------------------------------------------

#[test]
fn config_errors_name_the_field_in_documented_order() {
    let mut bad = config(vec![promotion(1, 1, reward(11, "percent", "150", "order"))]);
    assert_eq!(
        config_error(&bad),
        "programs[0].rewards[0].value: a percent must be in (0, 100]"
    );
    bad.set("points_precision", Value::Int(9));
    assert_eq!(
        config_error(&bad),
        "points_precision: must be an int in [0, 6]"
    );
    let dup = config(vec![
        promotion(1, 1, reward(11, "fixed", "1", "order")),
        promotion(2, 2, reward(11, "fixed", "1", "order")),
    ]);
    assert_eq!(
        config_error(&dup),
        "programs[1].rewards[0].id: duplicate reward id"
    );
    let unknown = config(vec![with(
        promotion(1, 1, reward(11, "fixed", "1", "order")),
        "ruels",
        Value::list([]),
    )]);
    assert_eq!(config_error(&unknown), "programs[0].ruels: unknown key");
    assert_eq!(
        config_error(&Value::Int(1)),
        "config: must be a mapping (dict), got int"
    );
}

#[test]
fn order_errors_name_the_field() {
    let config = config(vec![]);
    let mut bad = sale(vec![line(1, "1", "10", "0"), line(2, "0", "10", "0")]);
    assert_eq!(
        order_error(&config, &bad),
        "lines[1].qty: must be > 0 in a sale"
    );
    bad.get_mut("lines")
        .unwrap()
        .at_mut(0)
        .unwrap()
        .set("price_unit", s("abc"));
    assert_eq!(
        order_error(&config, &bad),
        "lines[0].price_unit: not a decimal number: \"abc\""
    );
    let error = run(&config, &bad).unwrap_err().within(3);
    assert_eq!(
        error.to_string(),
        "[3].lines[0].price_unit: not a decimal number: \"abc\""
    );
    // The path is data: keys and indexes, the order's index first; the reason apart.
    assert_eq!(
        error.path().items(),
        [
            PathItem::Index(3),
            PathItem::Key("lines".into()),
            PathItem::Index(0),
            PathItem::Key("price_unit".into()),
        ]
    );
    assert_eq!(error.reason(), "not a decimal number: \"abc\"");
}

#[test]
fn overflow_is_a_typed_error() {
    let mut config = config(vec![loyalty_program(vec![])]);
    let program = config.get_mut("programs").unwrap().at_mut(0).unwrap();
    program.set(
        "rules",
        Value::list([rule(1, "money", "999999999999", vec![])]),
    );
    let lines = (1..=40)
        .map(|i| line(i, "999999999999", "999999999999", "0"))
        .collect();
    match run(&config, &order(lines)) {
        Err(CalcError::Overflow { .. }) => {}
        other => panic!("expected an overflow error, got {other:?}"),
    }
}

// -- 4.12 v2 refunds give back spent points ------------------------------------------------------

/// `original.lines`: (id, qty sold, qty refunded before).
fn original(lines: &[(i64, &str, &str)], redemptions: Vec<Value>, returned: &str) -> Value {
    Value::map([
        (
            "lines",
            Value::List(
                lines
                    .iter()
                    .map(|(id, qty, refunded)| {
                        Value::map([
                            ("id", Value::Int(*id)),
                            ("qty", dec(qty)),
                            ("refunded_qty", dec(refunded)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("redemptions", Value::List(redemptions)),
        ("returned", dec(returned)),
    ])
}

fn redemption(reward_id: i64, points: &str, amount: &str, shares: &[(i64, &str)]) -> Value {
    Value::map([
        ("reward_id", Value::Int(reward_id)),
        ("points", dec(points)),
        ("amount", dec(amount)),
        (
            "lines",
            Value::map(shares.iter().map(|(id, share)| (*id, dec(share)))),
        ),
    ])
}

/// The sale's redemptions as the caller passes them back: `points.redeemed[i]` with the
/// matching discount of the card's program (both in application order).
fn redemptions_of(sale: &aba_loyalty_calc::Evaluation, line_ids: &[i64]) -> Vec<Value> {
    let points = sale.points.as_ref().unwrap();
    let discounts = sale.discounts.iter().filter(|d| d.program_id == 10);
    points
        .redeemed
        .iter()
        .zip(discounts)
        .map(|(spent, discount)| {
            assert_eq!(spent.reward_id, discount.reward_id);
            let shares: Vec<(i64, String)> = discount
                .lines
                .iter()
                .map(|(index, share)| (line_ids[*index], share.to_string()))
                .collect();
            let shares: Vec<(i64, &str)> = shares.iter().map(|(i, s)| (*i, s.as_str())).collect();
            redemption(
                spent.reward_id,
                &spent.points.to_string(),
                &discount.amount.to_string(),
                &shares,
            )
        })
        .collect()
}

/// A refund of `(line id, origin line id, qty < 0, price)` lines of order-1.
fn refund(lines: &[(i64, Option<i64>, &str, &str)], original: Option<Value>) -> Value {
    let lines = lines
        .iter()
        .map(|(id, origin, qty, price)| {
            let mut refund_line = line(*id, qty, price, "0");
            if let Some(origin) = origin {
                refund_line.set("origin_line_id", Value::Int(*origin));
            }
            refund_line
        })
        .collect();
    let mut order = order(lines);
    order.set("uid", s("order-1-refund"));
    order.set("refund_of", s("order-1"));
    if let Some(original) = original {
        order.set("original", original);
    }
    order
}

fn returned(config: &Value, order: &Value) -> String {
    let points = run(config, order).unwrap().points.unwrap();
    assert!(points.redeemed.is_empty() && points.spent.is_zero());
    points.returned.to_string()
}

/// Fixed reward 103 (1,000 off for 10 points) on a sale of 3 x 10,001.
fn fixed_sale() -> (Value, Vec<Value>) {
    let config = redemption_config();
    let mut order = order(vec![line(1, "3", "10001", "0")]);
    order.set("card", card("100"));
    order.set(
        "redeem",
        Value::list([Value::map([
            ("reward_id", Value::Int(103)),
            ("points", dec("10")),
        ])]),
    );
    let sale = run(&config, &order).unwrap();
    assert_eq!(sale.points.as_ref().unwrap().spent, d("10"));
    let redemptions = redemptions_of(&sale, &[1]);
    (config, redemptions)
}

#[test]
fn a_full_refund_gives_back_exactly_what_was_spent() {
    let (config, redemptions) = fixed_sale();
    let full = refund(
        &[(11, Some(1), "-3", "10001")],
        Some(original(&[(1, "3", "0")], redemptions, "0")),
    );
    assert_eq!(returned(&config, &full), "10.00");
}

#[test]
fn two_partial_refunds_give_back_exactly_the_spent_points_in_all() {
    let (config, redemptions) = fixed_sale();
    // First: 1 of 3 units. part = floor(1,000 x 1/3) = 333; 10 x 333/1,000 = 3.33.
    let first = refund(
        &[(11, Some(1), "-1", "10001")],
        Some(original(&[(1, "3", "0")], redemptions.clone(), "0")),
    );
    assert_eq!(returned(&config, &first), "3.33");
    // Second: the 2 others, passing what the first refunded and gave back: the cumulative
    // 10.00 less 3.33 given back before = 6.67, and 3.33 + 6.67 = 10.
    let second = refund(
        &[(12, Some(1), "-2", "10001")],
        Some(original(&[(1, "3", "1")], redemptions.clone(), "3.33")),
    );
    assert_eq!(returned(&config, &second), "6.67");
    // The same second refund split over two refund lines gives the same.
    let split = refund(
        &[(12, Some(1), "-1", "10001"), (13, Some(1), "-1", "10001")],
        Some(original(&[(1, "3", "1")], redemptions, "3.33")),
    );
    assert_eq!(returned(&config, &split), "6.67");
}

#[test]
fn three_partial_refunds_floor_each_step_and_the_last_gives_the_rest() {
    let (config, redemptions) = fixed_sale();
    let mut given = d("0");
    for (refunded_before, expected) in [("0", "3.33"), ("1", "3.33"), ("2", "3.34")] {
        let order = refund(
            &[(11, Some(1), "-1", "10001")],
            Some(original(
                &[(1, "3", refunded_before)],
                redemptions.clone(),
                &given.to_string(),
            )),
        );
        assert_eq!(returned(&config, &order), expected);
        given += d(expected);
    }
    assert_eq!(given, d("10"));
}

#[test]
fn per_point_redemption_gives_back_pro_rata_per_line() {
    let config = redemption_config();
    // 7 points x 100 = 700, capped at 250 -> spent 2.50; allocated over 30,000 and 20,000:
    // 150 and 100.
    let mut sale = order(vec![line(1, "3", "10000", "0"), line(2, "1", "20000", "0")]);
    sale.set("card", card("100"));
    sale.set(
        "redeem",
        Value::list([Value::map([
            ("reward_id", Value::Int(102)),
            ("points", dec("7")),
        ])]),
    );
    let sale = run(&config, &sale).unwrap();
    assert_eq!(sale.discounts[0].lines, vec![(0, d("150")), (1, d("100"))]);
    let redemptions = redemptions_of(&sale, &[1, 2]);
    let lines = [(1, "3", "0"), (2, "1", "0")];
    // 1 unit of line 1: part = 150 x 1/3 = 50; 2.50 x 50/250 = 0.50.
    let one = refund(
        &[(11, Some(1), "-1", "10000")],
        Some(original(&lines, redemptions.clone(), "0")),
    );
    assert_eq!(returned(&config, &one), "0.50");
    // Line 2 only: 100 of 250 -> 1.00.
    let two = refund(
        &[(12, Some(2), "-1", "20000")],
        Some(original(&lines, redemptions.clone(), "0")),
    );
    assert_eq!(returned(&config, &two), "1.00");
    // A refund line without an origin counts for nothing.
    let loose = refund(
        &[(12, None, "-1", "20000")],
        Some(original(&lines, redemptions.clone(), "0")),
    );
    assert_eq!(returned(&config, &loose), "0.00");
    // Everything: exactly the 2.50 spent.
    let all = refund(
        &[(11, Some(1), "-3", "10000"), (12, Some(2), "-1", "20000")],
        Some(original(&lines, redemptions, "0")),
    );
    assert_eq!(returned(&config, &all), "2.50");
}

#[test]
fn an_amount_zero_redemption_comes_back_only_with_the_last_unit() {
    let config = redemption_config();
    // A fixed redemption clamped to 0 still spent its 10 points.
    let redemptions = vec![redemption(103, "10", "0", &[(1, "0"), (2, "0")])];
    let lines = [(1, "2", "0"), (2, "1", "0")];
    let partial = refund(
        &[(11, Some(1), "-2", "100")],
        Some(original(&lines, redemptions.clone(), "0")),
    );
    assert_eq!(returned(&config, &partial), "0.00");
    let last = refund(
        &[(12, Some(2), "-1", "100")],
        Some(original(&[(1, "2", "2"), (2, "1", "0")], redemptions, "0")),
    );
    assert_eq!(returned(&config, &last), "10.00");
}

#[test]
fn no_original_or_a_sale_returns_nothing_and_null_points_still_validate() {
    let config = redemption_config();
    let plain = refund(&[(11, None, "-1", "100")], None);
    assert_eq!(returned(&config, &plain), "0.00");
    let mut no_card = refund(
        &[(11, Some(1), "-1", "100")],
        Some(original(&[(1, "1", "0")], vec![], "0")),
    );
    no_card.set("card", Value::Null);
    assert!(run(&config, &no_card).unwrap().points.is_none());
    no_card.set("original", original(&[(1, "1", "1")], vec![], "0"));
    assert_eq!(
        order_error(&config, &no_card),
        "lines[0].qty: refunds more than was sold"
    );
}

#[test]
fn refund_errors_in_the_documented_order() {
    let config = redemption_config();
    let good = || original(&[(1, "2", "0"), (2, "1", "0")], vec![], "0");
    let message = |order: &Value| order_error(&config, order);

    // `original` and `origin_line_id` in a sale, after the sale's own checks.
    let mut sale = order(vec![line(1, "1", "100", "0")]);
    sale.set("original", good());
    assert_eq!(message(&sale), "original: only in a refund");
    sale.set("original", Value::Null);
    sale.get_mut("lines")
        .unwrap()
        .at_mut(0)
        .unwrap()
        .set("origin_line_id", Value::Int(1));
    assert_eq!(message(&sale), "lines[0].origin_line_id: only in a refund");
    sale.set("original", good());
    sale.get_mut("lines")
        .unwrap()
        .at_mut(0)
        .unwrap()
        .set("qty", dec("0"));
    assert_eq!(message(&sale), "lines[0].qty: must be > 0 in a sale");

    let with_original = |original: Value| refund(&[(11, Some(1), "-1", "100")], Some(original));
    let mut unknown = good();
    unknown.set("lnes", Value::list([]));
    assert_eq!(
        message(&with_original(unknown)),
        "original.lnes: unknown key"
    );
    let mut unknown_line = good();
    unknown_line
        .get_mut("lines")
        .unwrap()
        .at_mut(1)
        .unwrap()
        .set("qtty", dec("1"));
    assert_eq!(
        message(&with_original(unknown_line)),
        "original.lines[1].qtty: unknown key"
    );
    assert_eq!(
        message(&with_original(original(
            &[(1, "2", "0"), (1, "1", "0")],
            vec![],
            "0"
        ))),
        "original.lines[1].id: duplicate line id"
    );
    assert!(
        message(&with_original(original(&[(1, "0", "0")], vec![], "0")))
            .starts_with("original.lines[0].qty: ")
    );
    assert!(
        message(&with_original(original(&[(1, "2", "-1")], vec![], "0")))
            .starts_with("original.lines[0].refunded_qty: ")
    );
    assert!(
        message(&with_original(original(&[(1, "2", "2.5")], vec![], "0")))
            .starts_with("original.lines[0].refunded_qty: ")
    );
    let stray = redemption(103, "10", "1000", &[(1, "500"), (9, "500")]);
    assert_eq!(
        message(&with_original(original(&[(1, "2", "0")], vec![stray], "0"))),
        "original.redemptions[0].lines: 9 is not an original.lines id"
    );
    let mut text_key = redemption(103, "10", "1000", &[]);
    text_key.set("lines", Value::map([("1", dec("1000"))]));
    assert_eq!(
        message(&with_original(original(
            &[(1, "2", "0")],
            vec![text_key],
            "0"
        ))),
        "original.redemptions[0].lines: '1' is not an original.lines id"
    );
    let spent = vec![redemption(103, "10", "1000", &[(1, "1000")])];
    assert!(
        message(&with_original(original(&[(1, "2", "0")], spent, "10.01")))
            .starts_with("original.returned: ")
    );
    assert_eq!(
        message(&with_original(original(&[(2, "2", "0")], vec![], "0"))),
        "lines[0].origin_line_id: not an original.lines id"
    );
    // Every origin is checked before any quantity: line 1's unknown origin wins over line 0
    // refunding too much.
    let both = refund(
        &[(11, Some(1), "-3", "100"), (12, Some(7), "-1", "100")],
        Some(good()),
    );
    assert_eq!(
        message(&both),
        "lines[1].origin_line_id: not an original.lines id"
    );
    // The running quantity: 1 refunded before + 1 + 1 > 2 on the third line.
    let running = refund(
        &[
            (11, Some(1), "-1", "100"),
            (12, Some(2), "-1", "100"),
            (13, Some(1), "-1", "100"),
        ],
        Some(original(&[(1, "2", "1"), (2, "1", "0")], vec![], "0")),
    );
    assert_eq!(
        message(&running),
        "lines[2].qty: refunds more than was sold"
    );
}

#[test]
fn an_absurd_refund_overflows_as_a_typed_error_never_a_panic() {
    // 3e-28 sold x a rounding step of 1e-28 needs 56 decimal places: beyond exact decimal
    // arithmetic, so an overflow error rather than a rounded (possibly different) floor.
    let redemptions = vec![redemption(
        103,
        "10",
        "999999999999",
        &[(1, "999999999999")],
    )];
    let mut tiny_steps = redemption_config();
    tiny_steps.set(
        "currency",
        Value::map([
            ("code", s("X")),
            ("rounding", s("0.0000000000000000000000000001")),
        ]),
    );
    let order = refund(
        &[(11, Some(1), "-0.0000000000000000000000000001", "1")],
        Some(original(
            &[(1, "0.0000000000000000000000000003", "0")],
            redemptions,
            "0",
        )),
    );
    match run(&tiny_steps, &order) {
        Err(CalcError::Overflow { .. }) => {}
        other => panic!("expected an overflow error, got {other:?}"),
    }
}
