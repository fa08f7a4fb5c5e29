//! Columns of one batch: values of one type, cut, picked, joined and copied
//! row by row.

use super::*;

/// A batch of values of one type.
#[derive(Clone, Debug, PartialEq)]
pub enum Col {
    Num(Vec<f64>),
    Bool(Vec<u8>),
    Label(Vec<u32>),
    Text(Texts),
    /// The actions fired, read from the batch's rules.
    Actions,
    /// The flags raised, read from the batch's flags.
    FlagNames,
}

impl Col {
    /// The number of values held (none for the computed kinds).
    pub(super) fn len(&self) -> usize {
        match self {
            Col::Num(v) => v.len(),
            Col::Bool(v) => v.len(),
            Col::Label(v) => v.len(),
            Col::Text(v) => v.len(),
            Col::Actions | Col::FlagNames => 0,
        }
    }

    pub(super) fn num(self, n: usize) -> Vec<f64> {
        match self {
            Col::Num(v) => v,
            Col::Bool(v) => v
                .into_iter()
                .map(|b| {
                    if b == MISSING_BOOL {
                        f64::NAN
                    } else {
                        f64::from(b)
                    }
                })
                .collect(),
            _ => vec![f64::NAN; n],
        }
    }

    pub(super) fn boolean(self, n: usize) -> Vec<u8> {
        match self {
            Col::Bool(v) => v,
            _ => vec![MISSING_BOOL; n],
        }
    }

    pub(super) fn label(self, n: usize) -> Vec<u32> {
        match self {
            Col::Label(v) => v,
            _ => vec![MISSING_LABEL; n],
        }
    }

    /// Whether value `i` is missing.
    #[inline]
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Col::Num(v) => v.get(i).is_none_or(|x| x.is_nan()),
            Col::Bool(v) => v.get(i).is_none_or(|x| *x == MISSING_BOOL),
            Col::Label(v) => v.get(i).is_none_or(|x| *x == MISSING_LABEL),
            Col::Text(v) => v.get(i).is_none_or(str::is_empty),
            Col::Actions | Col::FlagNames => false,
        }
    }

    /// Values `start..start + len` (missing past the end).
    pub(super) fn range(&self, start: usize, len: usize) -> Col {
        fn part<T: Clone>(v: &[T], start: usize, len: usize, missing: T) -> Vec<T> {
            let mut out: Vec<T> = v
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take(len)
                .cloned()
                .collect();
            out.resize(len, missing);
            out
        }
        match self {
            Col::Num(v) => Col::Num(part(v, start, len, f64::NAN)),
            Col::Bool(v) => Col::Bool(part(v, start, len, MISSING_BOOL)),
            Col::Label(v) => Col::Label(part(v, start, len, MISSING_LABEL)),
            Col::Text(v) => Col::Text(v.range(start, len)),
            Col::Actions => Col::Actions,
            Col::FlagNames => Col::FlagNames,
        }
    }

    pub(super) fn take(&self, picks: &[usize]) -> Col {
        fn pick<T: Clone>(v: &[T], picks: &[usize], missing: T) -> Vec<T> {
            picks
                .iter()
                .map(|&i| v.get(i).cloned().unwrap_or_else(|| missing.clone()))
                .collect()
        }
        match self {
            Col::Num(v) => Col::Num(pick(v, picks, f64::NAN)),
            Col::Bool(v) => Col::Bool(pick(v, picks, MISSING_BOOL)),
            Col::Label(v) => Col::Label(pick(v, picks, MISSING_LABEL)),
            Col::Text(v) => Col::Text(picks.iter().map(|&i| v.get(i).unwrap_or("")).collect()),
            Col::Actions => Col::Actions,
            Col::FlagNames => Col::FlagNames,
        }
    }
}

/// The batches' parts of a column joined, each part freed once copied.
pub(super) fn concat(parts: Vec<Col>) -> Col {
    fn join<T>(parts: Vec<Col>, pick: impl Fn(Col) -> Option<Vec<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(parts.iter().map(Col::len).sum());
        for part in parts {
            if let Some(values) = pick(part) {
                out.extend(values);
            }
        }
        out
    }
    match parts.first() {
        Some(Col::Bool(_)) => Col::Bool(join(parts, |c| {
            if let Col::Bool(v) = c { Some(v) } else { None }
        })),
        Some(Col::Label(_)) => Col::Label(join(parts, |c| {
            if let Col::Label(v) = c { Some(v) } else { None }
        })),
        Some(Col::Text(_)) => {
            let mut out = Texts::default();
            for part in &parts {
                if let Col::Text(v) = part {
                    out.extend(v.iter());
                }
            }
            Col::Text(out)
        }
        _ => Col::Num(join(parts, |c| {
            if let Col::Num(v) = c { Some(v) } else { None }
        })),
    }
}

/// Copy value `i` of `from` into `to`.
pub(super) fn set_from(to: &mut Col, i: usize, from: &Col) {
    match (to, from) {
        (Col::Num(t), Col::Num(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                *a = *b;
            }
        }
        (Col::Bool(t), Col::Bool(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                *a = *b;
            }
        }
        (Col::Label(t), Col::Label(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                *a = *b;
            }
        }
        (Col::Text(t), Col::Text(f)) => {
            if let Some(b) = f.get(i) {
                t.set(i, b);
            }
        }
        (Col::Num(t), Col::Bool(f)) => {
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                *a = if *b == MISSING_BOOL {
                    f64::NAN
                } else {
                    f64::from(*b)
                };
            }
        }
        _ => {}
    }
}

/// A batch of text values in one buffer: no allocation per value. A value
/// set again is written after the others and the old bytes are left unused,
/// which is fine for a batch's short life.
#[derive(Clone, Debug, Default)]
pub struct Texts {
    bytes: String,
    /// Each value's start and end in `bytes`.
    spans: Vec<(usize, usize)>,
}

impl Texts {
    /// `n` values, each `text` (kept once).
    pub fn repeat(text: &str, n: usize) -> Self {
        Texts {
            bytes: text.to_string(),
            spans: vec![(0, text.len()); n],
        }
    }

    /// Room for `n` values of `bytes` bytes in all.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Texts {
            bytes: String::with_capacity(bytes),
            spans: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Value `i` (empty when missing).
    pub fn get(&self, i: usize) -> Option<&str> {
        let &(a, b) = self.spans.get(i)?;
        self.bytes.get(a..b)
    }

    pub fn push(&mut self, text: &str) {
        let a = self.bytes.len();
        self.bytes.push_str(text);
        self.spans.push((a, self.bytes.len()));
    }

    /// Make value `i` `text`.
    pub fn set(&mut self, i: usize, text: &str) {
        if self.get(i) == Some(text) {
            return;
        }
        let a = self.bytes.len();
        self.bytes.push_str(text);
        let b = self.bytes.len();
        if let Some(span) = self.spans.get_mut(i) {
            *span = (a, b);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }

    /// Values `start..start + len` (empty past the end).
    fn range(&self, start: usize, len: usize) -> Texts {
        let mut out = Texts::with_capacity(len, 0);
        out.extend((start..start + len).map(|i| self.get(i).unwrap_or("")));
        out
    }
}

impl<'s> Extend<&'s str> for Texts {
    fn extend<I: IntoIterator<Item = &'s str>>(&mut self, values: I) {
        for v in values {
            self.push(v);
        }
    }
}

impl<'s> FromIterator<&'s str> for Texts {
    fn from_iter<I: IntoIterator<Item = &'s str>>(values: I) -> Self {
        let mut out = Texts::default();
        out.extend(values);
        out
    }
}

/// Texts are equal when their values are, however they are stored.
impl PartialEq for Texts {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_keep_each_value_whatever_is_set_or_cut() {
        let mut t: Texts = ["a", "", "ccc"].into_iter().collect();
        t.set(0, "bb");
        t.set(2, "ccc");
        assert_eq!(t.iter().collect::<Vec<_>>(), ["bb", "", "ccc"]);
        // Cut past the end: the values beyond are empty, as missing texts are.
        let cut = match Col::Text(t.clone()).range(1, 4) {
            Col::Text(cut) => cut.iter().map(str::to_string).collect(),
            other => vec![format!("{other:?}")],
        };
        assert_eq!(cut, ["", "ccc", "", ""]);
        // Equal by value, not by how the bytes are laid out.
        assert_eq!(t, ["bb", "", "ccc"].into_iter().collect::<Texts>());
        assert_ne!(t, Texts::repeat("bb", 3));
        let mut into = Col::Text(Texts::repeat("x", 3));
        set_from(&mut into, 1, &Col::Text(t));
        assert!(matches!(&into, Col::Text(v) if v.iter().eq(["x", "", "x"])));
        assert!(into.is_missing(1) && !into.is_missing(0));
    }
}
