//! The statistics of `backtest`, written out so that each can be checked
//! against an independent implementation (`tests/fixtures/decide/expected.py`
//! computes the same numbers with SciPy, scikit-learn and NumPy).
//!
//! Definitions are in `docs/decide.md`. Every function returns `None` rather
//! than a number it cannot stand behind (too few values, no variance).

/// 1-based ranks, ties given the average of the ranks they span
/// (SciPy's `rankdata(method="average")`). Values must be finite.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    let at = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
    order.sort_by(|a, b| at(*a).total_cmp(&at(*b)).then(a.cmp(b)));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let value = order.get(start).map_or(f64::NAN, |i| at(*i));
        let mut end = start + 1;
        while end < order.len() && order.get(end).map(|i| at(*i)) == Some(value) {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for i in order.get(start..end).unwrap_or(&[]) {
            if let Some(r) = ranks.get_mut(*i) {
                *r = rank;
            }
        }
        start = end;
    }
    ranks
}

/// Pearson's correlation; `None` with fewer than 2 pairs or no variance.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().take(n).sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y).take(n) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman's rank correlation: Pearson's correlation of the average ranks
/// (SciPy's `spearmanr`).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    pearson(&average_ranks(x), &average_ranks(y))
}

/// The area under the ROC curve of `score` for a true/false `outcome`: the
/// chance that a random positive row scores above a random negative one,
/// ties counting half (Mann–Whitney U over average ranks; scikit-learn's
/// `roc_auc_score`). `None` without both classes.
pub fn auc(score: &[f64], outcome: &[bool]) -> Option<f64> {
    let ranks = average_ranks(score);
    let positives = outcome.iter().filter(|o| **o).count();
    let negatives = outcome.len().checked_sub(positives)?;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(outcome)
        .filter(|(_, o)| **o)
        .map(|(r, _)| r)
        .sum();
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// The `q`-quantile (0 ≤ q ≤ 1) of sorted values, interpolating linearly
/// between the two nearest ranks (NumPy's default `percentile`).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = q.clamp(0.0, 1.0) * last as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(last);
    let (a, b) = (sorted.get(lo)?, sorted.get(hi)?);
    Some(a + (h - lo as f64) * (b - a))
}

/// SplitMix64: a small, fully specified generator, so the bootstrap can be
/// repeated exactly in another language.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An index below `n` (`n > 0`): the high bits of `next_u64() × n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// A percentile bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// Resamples whose statistic was defined (others are dropped).
    pub resamples: usize,
}

/// The central `level` (e.g. 0.95) percentile interval of Spearman's
/// correlation over `resamples` resamples of the pairs with replacement,
/// drawn by SplitMix64 from `seed`: resample `b` draws `n` indexes in turn
/// with `below(n)`. `None` when fewer than half the resamples are defined.
pub fn bootstrap_spearman(
    x: &[f64],
    y: &[f64],
    resamples: usize,
    seed: u64,
    level: f64,
) -> Option<Interval> {
    let n = x.len().min(y.len());
    if n < 3 || resamples == 0 {
        return None;
    }
    let mut rng = SplitMix64(seed);
    let mut stats = Vec::with_capacity(resamples);
    let (mut bx, mut by) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..resamples {
        for (a, b) in bx.iter_mut().zip(by.iter_mut()) {
            let i = rng.below(n);
            *a = x.get(i).copied().unwrap_or(f64::NAN);
            *b = y.get(i).copied().unwrap_or(f64::NAN);
        }
        if let Some(r) = spearman(&bx, &by) {
            stats.push(r);
        }
    }
    if stats.len() * 2 < resamples {
        return None;
    }
    stats.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    Some(Interval {
        low: quantile(&stats, tail)?,
        high: quantile(&stats, 1.0 - tail)?,
        resamples: stats.len(),
    })
}

/// Proportions below this count as this, so that an empty bin does not
/// make the index infinite.
pub const PSI_FLOOR: f64 = 1e-4;

/// Number of bins of the population stability index.
pub const PSI_BINS: usize = 10;

/// The population stability index of `current` against `reference`: bins
/// cut at the reference's deciles (`quantile` at 0.1 … 0.9), a value going
/// to the bin of the number of cuts strictly below it; `Σ (c − r) ln(c / r)`
/// over the bins' shares, a share of 0 counting as [`PSI_FLOOR`].
pub fn psi(reference: &[f64], current: &[f64]) -> Option<f64> {
    if reference.is_empty() || current.is_empty() {
        return None;
    }
    let mut sorted = reference.to_vec();
    sorted.sort_by(f64::total_cmp);
    let cuts: Vec<f64> = (1..PSI_BINS)
        .filter_map(|k| quantile(&sorted, k as f64 / PSI_BINS as f64))
        .collect();
    let shares = |values: &[f64]| {
        let mut counts = vec![0usize; PSI_BINS];
        for v in values {
            let bin = cuts.partition_point(|c| c < v);
            if let Some(c) = counts.get_mut(bin) {
                *c += 1;
            }
        }
        counts
            .into_iter()
            .map(|c| (c as f64 / values.len() as f64).max(PSI_FLOOR))
            .collect::<Vec<f64>>()
    };
    let (r, c) = (shares(reference), shares(current));
    Some(r.iter().zip(&c).map(|(r, c)| (c - r) * (c / r).ln()).sum())
}

/// The decile (0–9) of each value by its average rank: `⌊(rank − 1) × 10 / n⌋`,
/// so tied values share a decile.
pub fn deciles(values: &[f64]) -> Vec<usize> {
    let n = values.len() as f64;
    average_ranks(values)
        .into_iter()
        .map(|r| (((r - 1.0) * 10.0 / n).floor() as usize).min(9))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_average_rank() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, 30.0]),
            vec![1.5, 3.0, 1.5, 4.0]
        );
    }

    #[test]
    fn perfect_and_undefined_correlations() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 35.0]), Some(1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[3.0, 2.0, 1.0]), None);
        assert_eq!(spearman(&[1.0], &[3.0]), None);
    }

    #[test]
    fn auc_counts_ties_half() {
        assert_eq!(
            auc(&[1.0, 2.0, 3.0, 4.0], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(auc(&[1.0, 1.0], &[false, true]), Some(0.5));
        assert_eq!(auc(&[1.0, 2.0], &[true, true]), None);
    }

    #[test]
    fn identical_populations_are_stable() {
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(psi(&v, &v), Some(0.0));
    }

    #[test]
    fn splitmix_matches_its_reference_values() {
        // The first outputs for seed 1234567, from the reference C code.
        let mut g = SplitMix64(1_234_567);
        assert_eq!(g.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(g.next_u64(), 3_203_168_211_198_807_973);
    }
}
