//! A unified diff of two texts, line by line, for `scorecard fmt --check`.

/// Lines of unchanged context around each change.
const CONTEXT: usize = 3;

/// Above this many line pairs, the changed middle of two texts is shown as
/// removed and added whole rather than searched for common lines.
const MAX_CELLS: usize = 4_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Equal,
    Delete,
    Insert,
}

/// The unified diff that turns `old` into `new`, with three lines of context,
/// headed `--- NAME (original)` and `+++ NAME (formatted)`; empty when the texts
/// are equal.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = edit_script(&a, &b);
    let mut out = format!("--- {name}\t(original)\n+++ {name}\t(formatted)\n");
    // Positions (lines of `a` and of `b` before each operation).
    let mut positions = Vec::with_capacity(ops.len() + 1);
    let (mut i, mut j) = (0, 0);
    for op in &ops {
        positions.push((i, j));
        match op {
            Op::Equal => {
                i += 1;
                j += 1;
            }
            Op::Delete => i += 1,
            Op::Insert => j += 1,
        }
    }
    positions.push((i, j));
    for (from, to) in hunks(&ops) {
        let (a_start, b_start) = positions.get(from).copied().unwrap_or((0, 0));
        let (a_end, b_end) = positions.get(to).copied().unwrap_or((i, j));
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(a_start, a_end - a_start),
            range(b_start, b_end - b_start)
        ));
        let (mut x, mut y) = (a_start, b_start);
        for op in ops.get(from..to).unwrap_or_default() {
            let (mark, line) = match op {
                Op::Equal => {
                    x += 1;
                    y += 1;
                    (' ', a.get(x - 1))
                }
                Op::Delete => {
                    x += 1;
                    ('-', a.get(x - 1))
                }
                Op::Insert => {
                    y += 1;
                    ('+', b.get(y - 1))
                }
            };
            let line = line.copied().unwrap_or("");
            out.push(mark);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// `start,count` as unified diffs write it: 1-based, `,1` left out, and a
/// range of no lines given by the line before it.
fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{count}", start + 1),
    }
}

/// The operations, as `(from, to)` ranges of `ops`, shown with their context;
/// changes closer than twice the context share a hunk.
fn hunks(ops: &[Op]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (k, op) in ops.iter().enumerate() {
        if *op == Op::Equal {
            continue;
        }
        let from = k.saturating_sub(CONTEXT);
        let to = (k + 1 + CONTEXT).min(ops.len());
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = to,
            _ => out.push((from, to)),
        }
    }
    out
}

/// A shortest edit script from `a` to `b` (longest common subsequence of the
/// lines between their common beginning and end).
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let a_rest = a.get(prefix..).unwrap_or_default();
    let b_rest = b.get(prefix..).unwrap_or_default();
    let suffix = a_rest
        .iter()
        .rev()
        .zip(b_rest.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let a_mid = a_rest.get(..a_rest.len() - suffix).unwrap_or_default();
    let b_mid = b_rest.get(..b_rest.len() - suffix).unwrap_or_default();
    let mut ops = vec![Op::Equal; prefix];
    if a_mid.len().saturating_mul(b_mid.len()) <= MAX_CELLS {
        ops.extend(lcs_script(a_mid, b_mid));
    } else {
        ops.extend(std::iter::repeat_n(Op::Delete, a_mid.len()));
        ops.extend(std::iter::repeat_n(Op::Insert, b_mid.len()));
    }
    ops.extend(std::iter::repeat_n(Op::Equal, suffix));
    ops
}

fn lcs_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let columns = b.len() + 1;
    // lengths[i * columns + j]: the longest common subsequence of a[i..] and b[j..].
    let mut lengths = vec![0u32; (a.len() + 1) * columns];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            let value = if a.get(i) == b.get(j) {
                lengths.get((i + 1) * columns + j + 1).copied().unwrap_or(0) + 1
            } else {
                let down = lengths.get((i + 1) * columns + j).copied().unwrap_or(0);
                let right = lengths.get(i * columns + j + 1).copied().unwrap_or(0);
                down.max(right)
            };
            if let Some(cell) = lengths.get_mut(i * columns + j) {
                *cell = value;
            }
        }
    }
    let mut ops = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a.get(i) == b.get(j) {
            ops.push(Op::Equal);
            i += 1;
            j += 1;
        } else if j >= b.len() {
            ops.push(Op::Delete);
            i += 1;
        } else if i >= a.len() {
            ops.push(Op::Insert);
            j += 1;
        } else {
            let down = lengths.get((i + 1) * columns + j).copied().unwrap_or(0);
            let right = lengths.get(i * columns + j + 1).copied().unwrap_or(0);
            if down >= right {
                ops.push(Op::Delete);
                i += 1;
            } else {
                ops.push(Op::Insert);
                j += 1;
            }
        }
    }
    ops
}
