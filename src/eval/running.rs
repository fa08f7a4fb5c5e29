//! Running aggregates along each partner's rows: exact sums, counts, least
//! and greatest values, rows since a condition was true, and streaks.
//!
//! Each function reads a whole column in (key, period) order, once, carrying
//! its state from one row to the next and starting afresh at each partner's
//! first row (`position` 1), so it takes time linear in the rows whatever the
//! length of a history. A missing value is NaN, a missing truth value
//! [`MISSING_BOOL`].

use crate::data::table::MISSING_BOOL;

/// Whether row `i` starts a partner's history.
fn starts(position: &[u32], i: usize) -> bool {
    position.get(i).is_none_or(|p| *p <= 1)
}

/// The running sum of the values that are not missing, rounded once from the
/// exact sum: missing until a partner's first value that is not missing, and
/// missing from the row where the exact sum is beyond binary64's range.
pub fn sum(values: &[f64], position: &[u32]) -> Vec<f64> {
    let mut acc = ExactSum::default();
    let mut seen = false;
    values
        .iter()
        .enumerate()
        .map(|(i, x)| {
            if starts(position, i) {
                acc = ExactSum::default();
                seen = false;
            }
            if !x.is_nan() {
                acc.add(*x);
                seen = true;
            }
            if seen { acc.value() } else { f64::NAN }
        })
        .collect()
}

/// How many of the values so far are not missing (0 before the first).
pub fn count(missing: impl Fn(usize) -> bool, position: &[u32]) -> Vec<f64> {
    let mut n = 0u32;
    (0..position.len())
        .map(|i| {
            if starts(position, i) {
                n = 0;
            }
            if !missing(i) {
                n += 1;
            }
            f64::from(n)
        })
        .collect()
}

/// The least (or, with `greatest`, the greatest) of the values so far that
/// are not missing; missing before the first. Of equal values (0 and -0) the
/// first is kept.
pub fn extreme(values: &[f64], position: &[u32], greatest: bool) -> Vec<f64> {
    let mut best = f64::NAN;
    values
        .iter()
        .enumerate()
        .map(|(i, x)| {
            if starts(position, i) {
                best = f64::NAN;
            }
            let better = if greatest { *x > best } else { *x < best };
            if !x.is_nan() && (best.is_nan() || better) {
                best = *x;
            }
            best
        })
        .collect()
}

/// Rows since the condition was last true: 0 on a row where it is true.
/// Missing when it has not been true so far, and when a missing truth value
/// after the last true one leaves the answer unknown.
pub fn periods_since(conditions: &[u8], position: &[u32]) -> Vec<f64> {
    // The last row whose condition was not false: (its index, whether true).
    let mut last: Option<(usize, bool)> = None;
    conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if starts(position, i) {
                last = None;
            }
            match *c {
                0 => {}
                1 => last = Some((i, true)),
                _ => last = Some((i, false)),
            }
            match last {
                Some((j, true)) => (i - j) as f64,
                _ => f64::NAN,
            }
        })
        .collect()
}

/// How many rows in a row, up to and including this one, the condition is
/// true: 0 on a row where it is false. Missing when a missing truth value
/// leaves the length unknown: on that row, and on the true rows after it
/// until the condition is false.
pub fn streak(conditions: &[u8], position: &[u32]) -> Vec<f64> {
    let mut run: Option<u32> = Some(0);
    conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if starts(position, i) {
                run = Some(0);
            }
            run = match *c {
                0 => Some(0),
                1 => run.map(|n| n.saturating_add(1)),
                _ => None,
            };
            run.map_or(f64::NAN, f64::from)
        })
        .collect()
}

/// A sum kept exactly, as Shewchuk's non-overlapping partials (the method of
/// Python's `math.fsum`): their exact sum is the exact sum of every value
/// added, whatever the order or the number of values.
#[derive(Default)]
struct ExactSum {
    /// Non-overlapping, in increasing magnitude.
    partials: Vec<f64>,
    /// A partial went beyond binary64's range: the sum is no longer known.
    overflowed: bool,
}

impl ExactSum {
    fn add(&mut self, value: f64) {
        if self.overflowed {
            return;
        }
        let mut x = value;
        let mut kept = 0;
        for k in 0..self.partials.len() {
            let mut y = self.partials.get(k).copied().unwrap_or(0.0);
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            // hi + lo == x + y exactly (Knuth's fast two-sum, |x| >= |y|).
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                if let Some(slot) = self.partials.get_mut(kept) {
                    *slot = lo;
                }
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        if x.is_finite() {
            self.partials.push(x);
        } else {
            self.overflowed = true;
            self.partials.clear();
        }
    }

    /// The binary64 nearest the exact sum (ties to even), or NaN when it is
    /// beyond binary64's range.
    fn value(&self) -> f64 {
        if self.overflowed {
            return f64::NAN;
        }
        let mut rest = self.partials.iter().rev();
        let Some(mut hi) = rest.next().copied() else {
            return 0.0;
        };
        let mut lo = 0.0;
        // Add partials from the largest down until the sum is inexact.
        let mut below: Option<f64> = None;
        while let Some(y) = rest.next().copied() {
            let x = hi;
            hi = x + y;
            lo = y - (hi - x);
            if lo != 0.0 {
                below = rest.next().copied();
                break;
            }
        }
        // `hi + lo` was rounded half to even; when the partials below `lo`
        // push the exact sum off the halfway point, round the other way.
        if let Some(next) = below {
            if (lo < 0.0 && next < 0.0) || (lo > 0.0 && next > 0.0) {
                let y = lo * 2.0;
                let x = hi + y;
                if y == x - hi {
                    hi = x;
                }
            }
        }
        super::ops::finite(hi)
    }
}

/// Truth values are 0, 1 or [`MISSING_BOOL`]; anything else is missing.
const _: () = assert!(MISSING_BOOL > 1);

#[cfg(test)]
#[allow(clippy::indexing_slicing, reason = "tests index the rows they built")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Positions of one partner with `n` rows.
    fn one(n: usize) -> Vec<u32> {
        (1..=n as u32).collect()
    }

    #[test]
    fn a_sum_is_exact_where_adding_in_order_is_not() {
        let v = [1e16, 1.0, -1e16, 1.0];
        // Added in order, binary64 gives 0, 0, 0 and 1 after the first.
        assert_eq!(sum(&v, &one(4)), vec![1e16, 1e16, 1.0, 2.0]);
        let tenths = vec![0.1; 10];
        assert_eq!(sum(&tenths, &one(10)).last().copied(), Some(1.0));
    }

    #[test]
    fn a_sum_beyond_range_is_missing_from_that_row() {
        let v = [f64::MAX, f64::MAX, -f64::MAX, 1.0];
        let s = sum(&v, &one(4));
        assert_eq!(s.first().copied(), Some(f64::MAX));
        assert!(s.iter().skip(1).all(|x| x.is_nan()));
        // A new partner starts afresh.
        let s = sum(&[f64::MAX, f64::MAX, 3.0], &[1, 2, 1]);
        assert_eq!(s.get(2).copied(), Some(3.0));
    }

    #[test]
    fn rounding_the_exact_sum_is_to_nearest_even() {
        // 1 + 2^-53 is halfway between 1 and the next binary64; a tiny
        // positive part beyond it must round up.
        let v = [1.0, 2f64.powi(-53), 2f64.powi(-80)];
        let s = sum(&v, &one(3));
        assert_eq!(s.get(1).copied(), Some(1.0));
        assert_eq!(s.get(2).copied(), Some(1.0 + f64::EPSILON));
    }

    /// A history: a partner boundary before a value, or a value (None = missing).
    fn history() -> impl Strategy<Value = Vec<(bool, Option<i64>)>> {
        proptest::collection::vec(
            (
                proptest::bool::weighted(0.15),
                proptest::option::weighted(
                    0.8,
                    prop_oneof![-3i64..=3, -(1i64 << 52)..=(1i64 << 52)],
                ),
            ),
            0..120,
        )
    }

    fn positions(h: &[(bool, Option<i64>)]) -> Vec<u32> {
        let mut p = 0;
        h.iter()
            .map(|(new, _)| {
                p = if *new { 1 } else { p + 1 };
                p
            })
            .collect()
    }

    /// The rows of the partner of row `i`, up to and including `i`.
    fn so_far(position: &[u32], i: usize) -> std::ops::RangeInclusive<usize> {
        (i + 1 - position[i] as usize)..=i
    }

    /// Values are integers (below 2^53, so exact in binary64) times 2^-20:
    /// the exact sum is an i128, and its nearest binary64 is `as f64` of it,
    /// scaled exactly. Large and small values mixed make adding in order
    /// inexact.
    fn scaled(m: i64) -> f64 {
        m as f64 * 2f64.powi(-20)
    }

    proptest! {
        #[test]
        fn running_aggregates_match_a_naive_reference(h in history()) {
            let position = positions(&h);
            let values: Vec<f64> = h.iter().map(|(_, v)| v.map_or(f64::NAN, scaled)).collect();
            let sums = sum(&values, &position);
            let counts = count(|i| values[i].is_nan(), &position);
            let mins = extreme(&values, &position, false);
            let maxs = extreme(&values, &position, true);
            for i in 0..h.len() {
                let present: Vec<i64> = so_far(&position, i).filter_map(|j| h[j].1).collect();
                let exact: Option<i128> = if present.is_empty() { None } else { Some(present.iter().map(|m| i128::from(*m)).sum()) };
                let want_sum = exact.map_or(f64::NAN, |s| s as f64 * 2f64.powi(-20));
                prop_assert_eq!(sums[i].to_bits(), want_sum.to_bits(), "sum at {}", i);
                prop_assert_eq!(counts[i], present.len() as f64);
                let lo = present.iter().min().map_or(f64::NAN, |m| scaled(*m));
                let hi = present.iter().max().map_or(f64::NAN, |m| scaled(*m));
                prop_assert_eq!(mins[i].to_bits(), lo.to_bits());
                prop_assert_eq!(maxs[i].to_bits(), hi.to_bits());
            }
        }

        #[test]
        fn periods_since_and_streak_match_a_naive_reference(h in history()) {
            let position = positions(&h);
            // The condition: the value is positive (missing when it is).
            let truth = |v: Option<i64>| v.map_or(MISSING_BOOL, |m| u8::from(m > 0));
            let conditions: Vec<u8> = h.iter().map(|(_, v)| truth(*v)).collect();
            let since = periods_since(&conditions, &position);
            let runs = streak(&conditions, &position);
            for i in 0..h.len() {
                let rows: Vec<u8> = so_far(&position, i).map(|j| conditions[j]).collect();
                let unknown: Vec<usize> = (0..rows.len()).filter(|k| rows[*k] == MISSING_BOOL).collect();
                if unknown.len() > 10 {
                    continue;
                }
                // Three-valued logic: an answer is known when every way of
                // filling in the missing truth values gives it.
                let mut answers: Vec<(Option<usize>, usize)> = Vec::new();
                for fill in 0u32..(1 << unknown.len()) {
                    let mut filled = rows.clone();
                    for (b, k) in unknown.iter().enumerate() {
                        filled[*k] = u8::from(fill >> b & 1 == 1);
                    }
                    let last = filled.len() - 1;
                    let since = (0..=last).rev().find(|k| filled[*k] == 1).map(|k| last - k);
                    let run = filled.iter().rev().take_while(|c| **c == 1).count();
                    answers.push((since, run));
                }
                let known = |xs: Vec<Option<usize>>| match xs.first() {
                    Some(Some(x)) if xs.iter().all(|y| *y == Some(*x)) => *x as f64,
                    _ => f64::NAN,
                };
                let want_since = known(answers.iter().map(|a| a.0).collect());
                let want_run = known(answers.iter().map(|a| Some(a.1)).collect());
                prop_assert_eq!(since[i].to_bits(), want_since.to_bits(), "since at {}", i);
                prop_assert_eq!(runs[i].to_bits(), want_run.to_bits(), "streak at {}", i);
            }
        }
    }
}
