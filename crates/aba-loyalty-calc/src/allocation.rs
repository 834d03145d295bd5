//! Allocation of a reward to its lines (SPEC.md section 4.6) and the no-over-discount clamp
//! (section 4.7).
use crate::error::CalcResult;
use crate::money::{add_steps, div_round_half_up, mul_steps, sub_steps, sum_steps};

/// Shares of `amount` over the `covered` lines, pro rata to base, each rounded half-up; the
/// rounding difference goes to the covered line with the largest base (ties: the first). When
/// the covered bases sum to 0 the whole amount goes to the first covered line.
///
/// Money is in currency steps here (see [`crate::money::MoneyRounding::round_to_steps`]):
/// share = round(amount x base / Σ base) is then exact integer arithmetic.
pub fn allocate(amount: i128, covered: &[usize], bases: &[i128]) -> CalcResult<Vec<i128>> {
    let total_base = sum_steps(covered.iter().map(|&i| bases[i]), "allocation")?;
    let mut shares = Vec::with_capacity(covered.len());
    if total_base == 0 {
        shares.resize(covered.len(), 0);
    } else {
        for &index in covered {
            let weighted = mul_steps(amount, bases[index], "allocation")?;
            shares.push(div_round_half_up(weighted, total_base)?);
        }
    }
    let allocated = sum_steps(shares.iter().copied(), "allocation")?;
    let difference = sub_steps(amount, allocated, "allocation")?;
    if difference != 0 {
        let mut largest = 0;
        for (position, &index) in covered.iter().enumerate() {
            if bases[index] > bases[covered[largest]] {
                largest = position;
            }
        }
        if let Some(share) = shares.get_mut(largest) {
            *share = add_steps(*share, difference, "allocation")?;
        }
    }
    Ok(shares)
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
    fn allocates_pro_rata_with_the_difference_to_the_largest() {
        assert_eq!(
            allocate(3000, &[0, 1], &[10001, 20000]).unwrap(),
            vec![1000, 2000]
        );
        // 100 over three equal lines: 33 each, the difference of 1 to the first.
        assert_eq!(
            allocate(100, &[0, 1, 2], &[10, 10, 10]).unwrap(),
            vec![34, 33, 33]
        );
        // Largest base wins the difference even when it is not first.
        assert_eq!(
            allocate(101, &[0, 1, 2], &[10, 20, 10]).unwrap(),
            vec![25, 51, 25]
        );
        // Only the covered lines count.
        // 2.5 -> 3 and 7.5 -> 8 overshoot by 1, taken back from the largest.
        assert_eq!(allocate(10, &[1, 2], &[1000, 10, 30]).unwrap(), vec![3, 7]);
        // Half-up shares may overshoot; the largest line takes the (negative) difference.
        assert_eq!(
            allocate(2, &[0, 1, 2, 3], &[1, 1, 1, 1]).unwrap(),
            vec![-1, 1, 1, 1]
        );
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
