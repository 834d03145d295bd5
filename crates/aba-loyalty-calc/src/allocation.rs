//! Allocation of a reward to its lines (SPEC.md section 4.6) and the no-over-discount clamp
//! (section 4.7).
use crate::error::CalcResult;
use crate::money::{self, MoneyRounding};
use rust_decimal::Decimal;

/// Shares of `amount` over the `covered` lines, pro rata to base, each rounded half-up; the
/// rounding difference goes to the covered line with the largest base (ties: the first). When
/// the covered bases sum to 0 the whole amount goes to the first covered line.
pub fn allocate(
    amount: Decimal,
    covered: &[usize],
    bases: &[Decimal],
    rounding: MoneyRounding,
) -> CalcResult<Vec<Decimal>> {
    let total_base = money::sum(covered.iter().map(|&i| bases[i]), "allocation")?;
    let mut shares = Vec::with_capacity(covered.len());
    if total_base.is_zero() {
        shares.resize(covered.len(), rounding.round(Decimal::ZERO)?);
    } else {
        for &index in covered {
            let weighted = money::mul(amount, bases[index], "allocation")?;
            shares.push(rounding.round(money::div(weighted, total_base, "allocation")?)?);
        }
    }
    let allocated = money::sum(shares.iter().copied(), "allocation")?;
    let difference = money::sub(amount, allocated, "allocation")?;
    if !difference.is_zero() {
        let mut largest = 0;
        for (position, &index) in covered.iter().enumerate() {
            if bases[index] > bases[covered[largest]] {
                largest = position;
            }
        }
        if let Some(share) = shares.get_mut(largest) {
            *share = money::add(*share, difference, "allocation")?;
        }
    }
    Ok(shares)
}

/// Applies the shares to the lines' running discounts, line by line in line order, removing
/// from each share whatever would take the line's discount above its base. Returns the
/// amount removed in total.
pub fn clamp(
    shares: &mut [Decimal],
    covered: &[usize],
    bases: &[Decimal],
    line_discounts: &mut [Decimal],
) -> CalcResult<Decimal> {
    let mut removed_total = Decimal::ZERO;
    for (share, &index) in shares.iter_mut().zip(covered) {
        let after = money::add(line_discounts[index], *share, "clamp")?;
        let excess = money::sub(after, bases[index], "clamp")?;
        if excess > Decimal::ZERO {
            *share = money::sub(*share, excess, "clamp")?;
            removed_total = money::add(removed_total, excess, "clamp")?;
        }
        line_discounts[index] = money::add(line_discounts[index], *share, "clamp")?;
    }
    Ok(removed_total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn ds(values: &[&str]) -> Vec<Decimal> {
        values.iter().map(|v| d(v)).collect()
    }

    #[test]
    fn allocates_pro_rata_with_the_difference_to_the_largest() {
        let one = MoneyRounding::new(d("1"));
        let bases = ds(&["10001", "20000"]);
        assert_eq!(
            allocate(d("3000"), &[0, 1], &bases, one).unwrap(),
            ds(&["1000", "2000"])
        );
        // 100 over three equal lines: 33 each, the difference of 1 to the first.
        let bases = ds(&["10", "10", "10"]);
        assert_eq!(
            allocate(d("100"), &[0, 1, 2], &bases, one).unwrap(),
            ds(&["34", "33", "33"])
        );
        // Largest base wins the difference even when it is not first.
        let bases = ds(&["10", "20", "10"]);
        assert_eq!(
            allocate(d("101"), &[0, 1, 2], &bases, one).unwrap(),
            ds(&["25", "51", "25"])
        );
    }

    #[test]
    fn zero_bases_put_everything_on_the_first_line() {
        let one = MoneyRounding::new(d("1"));
        let bases = ds(&["0", "0"]);
        assert_eq!(
            allocate(d("50"), &[0, 1], &bases, one).unwrap(),
            ds(&["50", "0"])
        );
    }

    #[test]
    fn clamp_keeps_each_line_within_its_base() {
        let bases = ds(&["110000"]);
        let mut discounts = ds(&["22000"]);
        let mut shares = ds(&["100000"]);
        let removed = clamp(&mut shares, &[0], &bases, &mut discounts).unwrap();
        assert_eq!(removed, d("12000"));
        assert_eq!(shares, ds(&["88000"]));
        assert_eq!(discounts, ds(&["110000"]));
    }

    #[test]
    fn clamp_leaves_room_untouched() {
        let bases = ds(&["100", "100"]);
        let mut discounts = ds(&["0", "90"]);
        let mut shares = ds(&["50", "50"]);
        let removed = clamp(&mut shares, &[0, 1], &bases, &mut discounts).unwrap();
        assert_eq!(removed, d("40"));
        assert_eq!(shares, ds(&["50", "10"]));
        assert_eq!(discounts, ds(&["50", "100"]));
    }
}
