//! Columns of one batch: values of one type, cut, picked, joined and copied
//! row by row.

use super::*;

/// A batch of values of one type.
#[derive(Clone, Debug, PartialEq)]
pub enum Col {
    Num(Vec<f64>),
    Bool(Vec<u8>),
    Label(Vec<u32>),
    Text(Vec<String>),
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
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Col::Num(v) => v.get(i).is_none_or(|x| x.is_nan()),
            Col::Bool(v) => v.get(i).is_none_or(|x| *x == MISSING_BOOL),
            Col::Label(v) => v.get(i).is_none_or(|x| *x == MISSING_LABEL),
            Col::Text(v) => v.get(i).is_none_or(String::is_empty),
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
            Col::Text(v) => Col::Text(part(v, start, len, String::new())),
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
            Col::Text(v) => Col::Text(pick(v, picks, String::new())),
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
        Some(Col::Text(_)) => Col::Text(join(parts, |c| {
            if let Col::Text(v) = c { Some(v) } else { None }
        })),
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
            if let (Some(a), Some(b)) = (t.get_mut(i), f.get(i)) {
                a.clone_from(b);
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
