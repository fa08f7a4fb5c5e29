//! Integer columns in the narrowest width that holds their values.
//!
//! Most integer columns of partner data hold small counts (sales reps,
//! certifications, ratings on a scale of 1 to 10), so a column starts as
//! `i8` and is widened — to `i16`, `i32`, then `f64` — only when a value
//! does not fit. While a block of the file is read, a value too wide for
//! its column is stored as a mark and kept aside as a [`Wide`]; between
//! blocks, [`Filling::absorb`] widens the column once for all of them and
//! writes them in. The table never holds a mark, and the value read back is
//! the value written, whatever the width.
//!
//! Each width's smallest value means missing; the one after it is the mark.

use crate::data::table::Ints;

/// The rows of `column` from `from` on, cut into consecutive parts of the
/// given sizes (shorter at the end of the column).
pub(super) fn cut<'a, T>(column: &'a mut [T], from: usize, sizes: &[usize]) -> Vec<&'a mut [T]> {
    let mut rest = column.get_mut(from..).unwrap_or_default();
    let mut parts = Vec::with_capacity(sizes.len());
    for &size in sizes {
        let taken = std::mem::take(&mut rest);
        let (part, tail) = taken.split_at_mut(size.min(taken.len()));
        parts.push(part);
        rest = tail;
    }
    parts
}

/// An integer value too wide for its column, found while reading a block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Wide {
    /// The integer column (an index among them).
    pub column: usize,
    /// The row: within its part while reading, within the block once joined.
    pub row: usize,
    pub value: f64,
}

/// An integer column being filled.
#[derive(Debug)]
pub(super) enum Filling {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    F64(Vec<f64>),
}

/// A part's rows of an integer column.
#[derive(Debug)]
pub(super) enum Slots<'a> {
    I8(&'a mut [i8]),
    I16(&'a mut [i16]),
    I32(&'a mut [i32]),
    F64(&'a mut [f64]),
}

/// Apply `$body` to the vector of any width of a [`Filling`].
macro_rules! each_width {
    ($filling:expr, $v:ident => $body:expr) => {
        match $filling {
            Filling::I8($v) => $body,
            Filling::I16($v) => $body,
            Filling::I32($v) => $body,
            Filling::F64($v) => $body,
        }
    };
}

/// The width order: 0 for `i8` up to 3 for `f64`.
fn rank_of(x: f64) -> u8 {
    // Two values at the bottom of each width are the missing value and the mark.
    if (f64::from(i8::MIN) + 2.0..=f64::from(i8::MAX)).contains(&x) {
        0
    } else if (f64::from(i16::MIN) + 2.0..=f64::from(i16::MAX)).contains(&x) {
        1
    } else if (f64::from(i32::MIN) + 2.0..=f64::from(i32::MAX)).contains(&x) {
        2
    } else {
        3
    }
}

impl Filling {
    pub fn new(rows: usize) -> Self {
        Filling::I8(vec![0; rows])
    }

    fn rank(&self) -> u8 {
        match self {
            Filling::I8(_) => 0,
            Filling::I16(_) => 1,
            Filling::I32(_) => 2,
            Filling::F64(_) => 3,
        }
    }

    pub fn len(&self) -> usize {
        each_width!(self, v => v.len())
    }

    pub fn resize(&mut self, rows: usize) {
        each_width!(self, v => v.resize(rows, Default::default()))
    }

    pub fn truncate(&mut self, rows: usize) {
        each_width!(self, v => v.truncate(rows))
    }

    pub fn copy_within(&mut self, from: usize, count: usize, to: usize) {
        each_width!(self, v => v.copy_within(from..from + count, to))
    }

    /// The rows from `from` on, cut into consecutive parts of the given sizes.
    pub fn cut(&mut self, from: usize, sizes: &[usize]) -> Vec<Slots<'_>> {
        match self {
            Filling::I8(v) => cut(v, from, sizes).into_iter().map(Slots::I8).collect(),
            Filling::I16(v) => cut(v, from, sizes).into_iter().map(Slots::I16).collect(),
            Filling::I32(v) => cut(v, from, sizes).into_iter().map(Slots::I32).collect(),
            Filling::F64(v) => cut(v, from, sizes).into_iter().map(Slots::F64).collect(),
        }
    }

    /// Every value as a number (missing as NaN; marks are never read).
    fn numbers(&self) -> Vec<f64> {
        match self {
            Filling::I8(v) => v.iter().map(|x| Ints::number(*x)).collect(),
            Filling::I16(v) => v.iter().map(|x| Ints::number(*x)).collect(),
            Filling::I32(v) => v.iter().map(|x| Ints::number(*x)).collect(),
            Filling::F64(v) => v.clone(),
        }
    }

    /// Widen to width `rank` (no narrower than now).
    fn widen(&mut self, rank: u8) {
        if rank <= self.rank() {
            return;
        }
        fn convert<T: Copy + Into<i32> + PartialEq>(v: &[T], missing: T) -> Vec<i32> {
            v.iter()
                .map(|x| if *x == missing { i32::MIN } else { (*x).into() })
                .collect()
        }
        *self = match rank {
            1 => match self {
                Filling::I8(v) => Filling::I16(
                    v.iter()
                        .map(|x| {
                            if *x == i8::MIN {
                                i16::MIN
                            } else {
                                i16::from(*x)
                            }
                        })
                        .collect(),
                ),
                _ => return,
            },
            2 => match self {
                Filling::I8(v) => Filling::I32(convert(v, i8::MIN)),
                Filling::I16(v) => Filling::I32(convert(v, i16::MIN)),
                _ => return,
            },
            _ => Filling::F64(self.numbers()),
        };
    }

    /// Write the wide values of a block whose first row is `base`, widening
    /// the column once to hold them all.
    pub fn absorb<'w>(&mut self, wide: impl Iterator<Item = &'w Wide> + Clone, base: usize) {
        let Some(rank) = wide.clone().map(|w| rank_of(w.value)).max() else {
            return;
        };
        self.widen(rank);
        for w in wide {
            let row = base + w.row;
            let x = w.value;
            // Every value fits the width now, so the casts are exact.
            match self {
                Filling::I8(v) => v.get_mut(row).map(|s| *s = x as i8),
                Filling::I16(v) => v.get_mut(row).map(|s| *s = x as i16),
                Filling::I32(v) => v.get_mut(row).map(|s| *s = x as i32),
                Filling::F64(v) => v.get_mut(row).map(|s| *s = x),
            };
        }
    }

    /// The finished column.
    pub fn into_ints(self) -> Result<Ints, Vec<f64>> {
        match self {
            Filling::I8(v) => Ok(Ints::I8(v)),
            Filling::I16(v) => Ok(Ints::I16(v)),
            Filling::I32(v) => Ok(Ints::I32(v)),
            Filling::F64(v) => Err(v),
        }
    }
}

impl Slots<'_> {
    /// Store `x` (a whole number within 2^53) at `row`; `false` when it is
    /// too wide for the column and a mark was stored instead.
    #[inline(always)]
    pub fn set(&mut self, row: usize, x: f64) -> bool {
        macro_rules! narrow {
            ($s:expr, $t:ty) => {{
                let fits = x >= <$t>::MIN as f64 + 2.0 && x <= <$t>::MAX as f64;
                if let Some(slot) = $s.get_mut(row) {
                    *slot = if fits { x as $t } else { <$t>::MIN + 1 };
                }
                fits
            }};
        }
        match self {
            Slots::I8(s) => narrow!(s, i8),
            Slots::I16(s) => narrow!(s, i16),
            Slots::I32(s) => narrow!(s, i32),
            Slots::F64(s) => {
                if let Some(slot) = s.get_mut(row) {
                    *slot = x;
                }
                true
            }
        }
    }

    /// Store a missing value at `row`.
    #[inline(always)]
    pub fn set_missing(&mut self, row: usize) {
        match self {
            Slots::I8(s) => s.get_mut(row).map(|v| *v = i8::MIN),
            Slots::I16(s) => s.get_mut(row).map(|v| *v = i16::MIN),
            Slots::I32(s) => s.get_mut(row).map(|v| *v = i32::MIN),
            Slots::F64(s) => s.get_mut(row).map(|v| *v = f64::NAN),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fill a column with `values` in blocks of `block` rows, as the loader does.
    fn fill(values: &[Option<f64>], block: usize) -> Filling {
        let mut column = Filling::new(values.len());
        for (b, chunk) in values.chunks(block).enumerate() {
            let base = b * block;
            let mut wide = Vec::new();
            {
                let mut parts = column.cut(base, &[chunk.len()]);
                let Some(slots) = parts.first_mut() else {
                    continue;
                };
                for (row, value) in chunk.iter().enumerate() {
                    match value {
                        Some(x) => {
                            if !slots.set(row, *x) {
                                wide.push(Wide {
                                    column: 0,
                                    row,
                                    value: *x,
                                });
                            }
                        }
                        None => slots.set_missing(row),
                    }
                }
            }
            column.absorb(wide.iter(), base);
        }
        column
    }

    #[test]
    fn values_read_back_as_written_at_every_width() {
        let edges = [
            -128.0,
            -127.0,
            -126.0,
            127.0,
            128.0,
            -32768.0,
            -32767.0,
            -32766.0,
            32767.0,
            -2147483648.0,
            -2147483647.0,
            -2147483646.0,
            2147483647.0,
            2147483648.0,
            9007199254740992.0,
            -9007199254740992.0,
            0.0,
            5.0,
        ];
        for cut in 0..edges.len() {
            let mut values: Vec<Option<f64>> = vec![Some(1.0), None, Some(-3.0)];
            values.extend(edges.iter().take(cut).map(|x| Some(*x)));
            values.push(None);
            for block in [1, 2, 3, 7, 100] {
                let column = fill(&values, block);
                let got: Vec<f64> = match column.into_ints() {
                    Ok(ints) => (0..values.len()).map(|i| ints.get(i)).collect(),
                    Err(numbers) => numbers,
                };
                for (g, v) in got.iter().zip(&values) {
                    match v {
                        Some(x) => assert_eq!(g.to_bits(), x.to_bits(), "{values:?} {block}"),
                        None => assert!(g.is_nan(), "{values:?} {block}"),
                    }
                }
            }
        }
    }

    #[test]
    fn a_column_is_as_narrow_as_its_values() {
        let small: Vec<Option<f64>> = (0..100).map(|i| Some(f64::from(i % 10))).collect();
        assert!(matches!(fill(&small, 16).into_ints(), Ok(Ints::I8(_))));
        let mut medium = small.clone();
        medium.push(Some(1000.0));
        assert!(matches!(fill(&medium, 16).into_ints(), Ok(Ints::I16(_))));
        medium.push(Some(-100_000.0));
        assert!(matches!(fill(&medium, 16).into_ints(), Ok(Ints::I32(_))));
        medium.push(Some(1e12));
        assert!(fill(&medium, 16).into_ints().is_err());
    }
}
