//! Allocation of a reward to its lines (docs/spec.md §4.6) and the no-over-discount clamp
//! (section 4.7).
use crate::error::{CalcError, CalcResult};
use crate::money::{add_steps, mul_steps, sub_steps, sum_steps};

/// Shares of `amount` over the `covered` lines by largest remainder (docs/spec.md §4.6):
/// each line's exact share amount x base / Σ base is floored, and the
/// steps left over go one each to the lines with the largest remainder (ties: the line listed
/// first). When the covered bases sum to 0 the whole amount goes to the first covered line.
///
/// Money is in currency steps here (see [`crate::money::MoneyRounding::round_to_steps`]), so
/// quotient and remainder are exact integers: no share is negative (amount and bases are not)
/// and the shares always add up to the amount.
pub fn allocate(amount: i128, covered: &[usize], bases: &[i128]) -> CalcResult<Vec<i128>> {
    let total_base = sum_steps(covered.iter().map(|&i| bases[i]), "allocation")?;
    if total_base == 0 {
        let mut shares = vec![0; covered.len()];
        if let Some(first) = shares.first_mut() {
            *first = amount;
        }
        return Ok(shares);
    }
    let mut shares = Vec::with_capacity(covered.len());
    let mut remainders = Vec::with_capacity(covered.len());
    for &index in covered {
        let weighted = mul_steps(amount, bases[index], "allocation")?;
        // Floor, not truncation: exact for any sign (total_base is never 0 here).
        let (quotient, remainder) = floor_div_rem(weighted, total_base)?;
        shares.push(quotient);
        remainders.push(remainder);
    }
    let allocated = sum_steps(shares.iter().copied(), "allocation")?;
    let left = sub_steps(amount, allocated, "allocation")?;
    // Σ remainder = left x Σ base and each remainder < Σ base: fewer steps left than lines.
    let mut by_remainder: Vec<usize> = (0..covered.len()).collect();
    // Stable: equal remainders keep line order, so ties go to the line listed first.
    by_remainder.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]));
    for &position in by_remainder.iter().take(usize::try_from(left).unwrap_or(0)) {
        shares[position] = add_steps(shares[position], 1, "allocation")?;
    }
    Ok(shares)
}

/// `(floor(n / d), n - floor(n / d) x d)` with `d` != 0, remainder of the sign of `d`.
fn floor_div_rem(numerator: i128, denominator: i128) -> CalcResult<(i128, i128)> {
    let (quotient, remainder) = numerator
        .checked_div_euclid(denominator)
        .zip(numerator.checked_rem_euclid(denominator))
        .ok_or(CalcError::Overflow {
            path: crate::error::ErrorPath::root(),
            context: "allocation",
        })?;
    if denominator < 0 && remainder != 0 {
        // Euclid's remainder is never negative; floor's follows the divisor.
        return Ok((quotient - 1, remainder + denominator));
    }
    Ok((quotient, remainder))
}

/// Applies the shares to the lines' running discounts, line by line in line order, removing
/// from each share whatever would take the line's discount above its base. Returns the
/// amount removed in total.
pub fn clamp(
    shares: &mut [i128],
    covered: &[usize],
    bases: &[i128],
    line_discounts: &mut [i128],
) -> CalcResult<i128> {
    let mut removed_total = 0;
    for (share, &index) in shares.iter_mut().zip(covered) {
        let after = add_steps(line_discounts[index], *share, "clamp")?;
        let excess = sub_steps(after, bases[index], "clamp")?;
        if excess > 0 {
            *share = sub_steps(*share, excess, "clamp")?;
            removed_total = add_steps(removed_total, excess, "clamp")?;
        }
        line_discounts[index] = add_steps(line_discounts[index], *share, "clamp")?;
    }
    Ok(removed_total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_by_largest_remainder() {
        // 3000 x 10001/30001 = 1000.03, x 20000/30001 = 1999.93: floors 1000 + 1999, the
        // left step to the larger remainder.
        assert_eq!(
            allocate(3000, &[0, 1], &[10001, 20000]).unwrap(),
            vec![1000, 2000]
        );
        // 100 over three equal lines: 33 each, equal remainders, the step to the first.
        assert_eq!(
            allocate(100, &[0, 1, 2], &[10, 10, 10]).unwrap(),
            vec![34, 33, 33]
        );
        // 101 x 10/40 = 25.25, x 20/40 = 50.5: the largest remainder (50.5) wins the step.
        assert_eq!(
            allocate(101, &[0, 1, 2], &[10, 20, 10]).unwrap(),
            vec![25, 51, 25]
        );
        // Only the covered lines count: 2.5 and 7.5, a tie of remainders, to the first.
        assert_eq!(allocate(10, &[1, 2], &[1000, 10, 30]).unwrap(), vec![3, 7]);
        // docs/spec.md §4.6 v2: fixed 2 over four equal lines gives 1, 1, 0, 0 (v1 gave -1, 1, 1, 1).
        assert_eq!(
            allocate(2, &[0, 1, 2, 3], &[1, 1, 1, 1]).unwrap(),
            vec![1, 1, 0, 0]
        );
        // The step goes to the largest remainder even when it is not the largest base:
        // 10 x 3/7 = 4.29, 10 x 4/7 = 5.71 -> 4 + 6.
        assert_eq!(allocate(10, &[0, 1], &[3, 4]).unwrap(), vec![4, 6]);
        // 7 x 1/9 = 0.78, x 4/9 = 3.11, x 4/9 = 3.11: floors 0, 3, 3, the step to 0.78.
        assert_eq!(allocate(7, &[0, 1, 2], &[1, 4, 4]).unwrap(), vec![1, 3, 3]);
    }

    #[test]
    fn shares_are_never_negative_and_add_up() {
        let bases = [1, 2, 3, 5, 8, 13, 0, 21, 1, 1];
        let covered: Vec<usize> = (0..bases.len()).collect();
        for amount in 0..200 {
            let shares = allocate(amount, &covered, &bases).unwrap();
            assert!(shares.iter().all(|&s| s >= 0), "{amount}: {shares:?}");
            assert_eq!(shares.iter().sum::<i128>(), amount);
            assert_eq!(shares[6], 0, "a zero base gets nothing");
        }
    }

    #[test]
    fn floor_division_rounds_down_for_every_sign() {
        assert_eq!(floor_div_rem(7, 2).unwrap(), (3, 1));
        assert_eq!(floor_div_rem(-7, 2).unwrap(), (-4, 1));
        assert_eq!(floor_div_rem(7, -2).unwrap(), (-4, -1));
        assert_eq!(floor_div_rem(-7, -2).unwrap(), (3, -1));
        assert!(floor_div_rem(i128::MIN, -1).is_err());
    }

    #[test]
    fn zero_bases_put_everything_on_the_first_line() {
        assert_eq!(allocate(50, &[0, 1], &[0, 0]).unwrap(), vec![50, 0]);
    }

    #[test]
    fn clamp_keeps_each_line_within_its_base() {
        let mut discounts = vec![22000];
        let mut shares = vec![100000];
        let removed = clamp(&mut shares, &[0], &[110000], &mut discounts).unwrap();
        assert_eq!(removed, 12000);
        assert_eq!(shares, vec![88000]);
        assert_eq!(discounts, vec![110000]);
    }

    #[test]
    fn clamp_leaves_room_untouched() {
        let mut discounts = vec![0, 90];
        let mut shares = vec![50, 50];
        let removed = clamp(&mut shares, &[0, 1], &[100, 100], &mut discounts).unwrap();
        assert_eq!(removed, 40);
        assert_eq!(shares, vec![50, 10]);
        assert_eq!(discounts, vec![50, 100]);
    }
}
