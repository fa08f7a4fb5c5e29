//! A CSV file read again, so that memory holds only some of its columns.
//!
//! The first reading ([`load_for_reread`]) is [`load`]'s — same problems,
//! same policy, same rows — but keeps only the columns it is told to (the
//! key, the period and the columns sites group rows by), and where each
//! row's record starts in the file. Each batch of the evaluation's passes
//! then reads its records again ([`Reread::read`], or a [`Plan`] for the
//! columns one pass reads): the batch's rows are sorted by their place in
//! the file, each run of consecutive rows is read with one read of its
//! bytes, and every value goes through the same reader and the same checks.
//! A file in key and period order is thus read front to back each pass;
//! the fields after the last one a pass reads are passed over.
//!
//! The columns read only by the last pass can be checked the first time
//! (`unchecked` empty: reading again then finds every value valid, as it
//! was) or only then, with the columns no item reads; the first reading
//! then passes over every field after the last one it keeps. The second
//! way reads each of those values once; but a problem is found while
//! results are being written ([`Failure::Invalid`]), so it is for runs
//! whose results can still be thrown away, and the caller then loads the
//! file with [`load`] to report every problem as usual.
//!
//! Nothing of the file may change in between: a record that is not where it
//! was, or no longer reads as it did, and any change of the file's size,
//! time or identity ([`Reread::unchanged`]) is an error, never another value.

use super::*;
use crate::data::table::Column;

/// What reads a loaded CSV file's other columns again.
#[derive(Debug)]
pub struct Reread {
    path: std::path::PathBuf,
    file: std::fs::File,
    opened: std::fs::Metadata,
    layout: csv_fast::Layout,
    specs: Vec<Spec>,
    targets: Vec<Target>,
    counts: [usize; 5],
    /// Whether the late columns were checked the first time.
    checked: bool,
}

/// Why reading again failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The file changed since it was first read (or another reason, said).
    Changed(String),
    /// A late column's value breaks the contract (only when the late columns
    /// were not checked the first time): load the file with [`load`] for
    /// the problems.
    Invalid,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Changed(e) => write!(f, "{e}"),
            Failure::Invalid => write!(f, "the data has a value that breaks the contract"),
        }
    }
}

/// What reads some of the columns read again (see [`Reread::plan`]).
#[derive(Debug)]
pub struct Plan<'r> {
    reread: &'r Reread,
    layout: csv_fast::Layout,
    targets: Vec<Target>,
    counts: [usize; 5],
}

impl Plan<'_> {
    /// [`Reread::read`] of the planned columns.
    pub fn read(&self, table: &Table, rows: &[u32]) -> Result<Late, Failure> {
        self.reread
            .read_with(&self.layout, &self.targets, self.counts, table, rows)
    }
}

/// The columns of one batch's rows, read again.
#[derive(Debug)]
pub struct Late {
    /// Indexed by `ColumnId`: the columns read again; the others `Skipped`.
    pub columns: Vec<Column>,
    /// For each of the batch's rows, in the batch's order, its row in `columns`.
    pub index: Vec<u32>,
}

/// Load the CSV file at `path` as [`load`] does, keeping the columns
/// `keep` and the rows' offsets, and checking all but those `unchecked`;
/// and what reads the columns `again` (those needed and not kept) again,
/// checking then the `unchecked` ones among the others (not needed at all).
pub fn load_for_reread(
    path: &Path,
    model: &Model,
    keep: &[bool],
    again: &[bool],
    unchecked: &[bool],
    policy: OnInvalid,
) -> Result<(Loaded, Reread), LoadError> {
    let check_late = !unchecked.iter().any(|u| *u);
    let file = std::fs::File::open(path).map_err(LoadError::Io)?;
    let opened = file.metadata().map_err(LoadError::Io)?;
    let again_file = file.try_clone().map_err(LoadError::Io)?;
    let first = load_opened_with(
        path,
        file,
        &opened,
        DataFormat::Csv,
        model,
        keep,
        policy,
        Some(unchecked),
    );
    let mut loaded = match first {
        Err(LoadError::Invalid(..)) if !check_late => {
            // Problems found without the late columns are not all of them:
            // loaded whole, the file gives every problem, as `load` does.
            let all: Vec<bool> = keep
                .iter()
                .zip(again.iter().chain(std::iter::repeat(&false)))
                .map(|(k, a)| *k || *a)
                .collect();
            // Read as CSV text, as the first time: whatever its contents.
            return Err(
                match load_text_file(path, DataFormat::Csv, model, &all, policy) {
                    Err(e) => e,
                    Ok(_) => LoadError::Io(std::io::Error::other(
                        "the file changed while it was read; nothing was loaded: read it again once it is complete",
                    )),
                },
            );
        }
        other => other?,
    };
    // The rows are found again by their offsets: their lines, needed only
    // for the problems found while loading, are not kept.
    loaded.table.lines = Vec::new();
    let specs = convert::specs(model, again);
    let (targets, counts) = collect::targets(&specs);
    let mut layout = header_layout(&again_file, &specs)?;
    layout.again = true;
    // The columns read again, and those only checked then (not needed).
    let at = |v: &[bool], i: usize| v.get(i).copied().unwrap_or(false);
    let read = |i: usize| at(again, i) || at(unchecked, i);
    layout.skip = specs
        .iter()
        .enumerate()
        .map(|(i, s)| s.role != Role::Plain || !read(i))
        .collect();
    Ok((
        loaded,
        Reread {
            path: path.to_path_buf(),
            file: again_file,
            opened,
            layout,
            specs,
            targets,
            counts,
            checked: check_late,
        },
    ))
}

/// The header's layout, read from the start of the file.
fn header_layout(file: &std::fs::File, specs: &[Spec]) -> Result<csv_fast::Layout, LoadError> {
    let mut head = vec![0u8; 1 << 16];
    loop {
        let got = read_at(file, &mut head, 0).map_err(LoadError::Io)?;
        let whole = got < head.len();
        head.truncate(got);
        if whole || csv_fast::header_complete(&head) || head.len() > 2 * MAX_LINE_BYTES {
            break;
        }
        head = vec![0u8; head.len() * 2];
    }
    csv_fast::read_header(&head, specs).map_err(|(problems, count)| unreadable(problems, count))
}

thread_local! {
    /// The bytes of the records being read again, by thread.
    static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Fill `buf` from `offset` on, as far as the file goes; the bytes read.
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        let rest = buf.get_mut(done..).unwrap_or_default();
        let n = read_some_at(file, rest, offset + done as u64)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

#[cfg(unix)]
fn read_some_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;
    file.read_at(buf, offset)
}

#[cfg(windows)]
fn read_some_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}

impl Reread {
    /// Read the column `c` again too (a key or period the table no longer keeps).
    pub fn also_read(&mut self, c: usize) {
        if let Some(skip) = self.layout.skip.get_mut(c) {
            *skip = false;
        }
    }

    /// The columns read again of the table rows `rows` (a batch, in its order).
    pub fn read(&self, table: &Table, rows: &[u32]) -> Result<Late, Failure> {
        self.read_with(&self.layout, &self.targets, self.counts, table, rows)
    }

    /// What reads only the columns marked in `only` (of those read again).
    pub fn plan(&self, only: &[bool]) -> Plan<'_> {
        let wanted = |i: usize| only.get(i).copied().unwrap_or(false);
        let skip: Vec<bool> = (0..self.layout.skip.len())
            .map(|i| self.layout.skip.get(i).copied().unwrap_or(true) || !wanted(i))
            .collect();
        // The wanted columns, numbered afresh within their kinds.
        let mut counts = [0usize; 5];
        let targets = self
            .targets
            .iter()
            .zip(&skip)
            .map(|(t, skipped)| {
                let (kind, make): (usize, fn(usize) -> Target) = match t {
                    _ if *skipped => return Target::Skip,
                    Target::Number(_) => (0, Target::Number),
                    Target::Bool(_) => (1, Target::Bool),
                    Target::Label(_) => (2, Target::Label),
                    Target::Text(_) => (3, Target::Text),
                    Target::Int(_) => (4, Target::Int),
                    Target::Skip => return Target::Skip,
                };
                let slot = counts.get_mut(kind);
                let index = slot.as_ref().map_or(0, |c| **c);
                if let Some(c) = slot {
                    *c += 1;
                }
                make(index)
            })
            .collect();
        Plan {
            reread: self,
            layout: csv_fast::Layout {
                skip,
                source: self.layout.source.clone(),
                ..self.layout
            },
            targets,
            counts,
        }
    }

    fn read_with(
        &self,
        layout: &csv_fast::Layout,
        targets: &[Target],
        counts: [usize; 5],
        table: &Table,
        rows: &[u32],
    ) -> Result<Late, Failure> {
        // Each thread keeps its buffer from batch to batch: its pages are
        // touched once, not once a batch.
        let mut buf = BYTES.with(std::cell::RefCell::take);
        let late = self.read_into(&mut buf, layout, targets, counts, table, rows);
        BYTES.with(|cell| cell.replace(buf));
        late
    }

    fn read_into(
        &self,
        buf: &mut Vec<u8>,
        layout: &csv_fast::Layout,
        targets: &[Target],
        counts: [usize; 5],
        table: &Table,
        rows: &[u32],
    ) -> Result<Late, Failure> {
        let changed = |what: &str| Failure::Changed(self.changed(what));
        // (table row, place in the batch), in file order.
        let mut sorted: Vec<(u32, u32)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (*r, i as u32))
            .collect();
        if !sorted.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)) {
            sorted.sort_unstable();
        }
        let mut columns = Columns::new(counts, 0, true);
        let mut all: Option<Found> = None;
        let mut free = 0;
        let mut run_start = 0;
        while run_start < sorted.len() {
            // Rows next to each other in the table are read with one read.
            let mut run_end = run_start + 1;
            while let (Some(a), Some(b)) = (sorted.get(run_end - 1), sorted.get(run_end)) {
                if b.0 != a.0 + 1 {
                    break;
                }
                run_end += 1;
            }
            let first = sorted.get(run_start).map_or(0, |p| p.0 as usize);
            let last = sorted.get(run_end - 1).map_or(0, |p| p.0 as usize);
            run_start = run_end;
            let Some(&start) = table.offsets.get(first) else {
                return Err(changed("a row has no offset"));
            };
            let end = match table.offsets.get(last + 1) {
                Some(&end) => end,
                None => self.opened.len(),
            };
            let length = usize::try_from(end.saturating_sub(start))
                .map_err(|_| changed("a record is too long"))?;
            buf.clear();
            buf.resize(length, 0);
            let got = read_at(&self.file, buf, start).map_err(|e| changed(&e.to_string()))?;
            if got != length {
                return Err(changed("it is shorter"));
            }
            let room = count_newlines(buf) + 1;
            columns.ensure(free + room);
            let Some(mut out) = columns.split(free, &[room]).into_iter().next() else {
                return Err(changed("no room"));
            };
            out.base = start;
            let mut rows = Rows::new(&self.specs, targets, OnInvalid::Skip, out);
            let at_end = last + 1 >= table.rows;
            // Lines are not known: the records are numbered from 1 (only a
            // record that no longer reads as it did would be reported).
            csv_fast::read_part(buf, at_end, 1, layout, &mut rows);
            let mut found = rows.into_found();
            columns.absorb(&std::mem::take(&mut found.wide), free);
            free += found.stored;
            all = Some(match all.take() {
                Some(mut all) => {
                    all.append(found);
                    all
                }
                None => found,
            });
        }
        let Some(found) = all else {
            return Ok(Late {
                columns: Vec::new(),
                index: Vec::new(),
            });
        };
        if found.file_problem_count + found.utf8_problem_count > 0 {
            return Err(changed("its text no longer reads as CSV"));
        }
        let stored = found.stored;
        let (mut columns, _, offsets) = columns.into_table(targets, stored, found.texts);
        for (column, skip) in columns.iter_mut().zip(&layout.skip) {
            if *skip {
                *column = Column::Skipped;
            }
        }
        // The records read are the batch's rows, and perhaps records between
        // them that are not in the table (rows rejected or left out).
        let mut index = vec![0u32; rows.len()];
        let mut k = 0;
        for (row, place) in &sorted {
            let want = table.offsets.get(*row as usize).copied().unwrap_or(0);
            while offsets.get(k).is_some_and(|o| *o < want) {
                k += 1;
            }
            if offsets.get(k) != Some(&want) {
                if !self.checked && !found.rejected.is_empty() {
                    return Err(Failure::Invalid);
                }
                return Err(changed(&format!(
                    "the record at byte {want} is no longer there as it was"
                )));
            }
            if let Some(slot) = index.get_mut(*place as usize) {
                *slot = k as u32;
            }
            k += 1;
        }
        Ok(Late { columns, index })
    }

    /// Whether the file is still as it was when it was first opened.
    pub fn unchanged(&self) -> Result<(), Failure> {
        match changed(&self.path, &self.file, &self.opened, None) {
            Some(change) => Err(Failure::Changed(self.changed(&change))),
            None => Ok(()),
        }
    }

    fn changed(&self, what: &str) -> String {
        format!(
            "`{}` changed while it was scored ({what}); nothing was written: score it again once it is complete",
            self.path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;
    use super::*;

    /// A file loaded keeping only its key and period, `revenue` and `note`
    /// read again (checked the first time when `checked`), then `change`d.
    fn read_after(name: &str, checked: bool, change: impl Fn(&Path)) -> Result<Late, Failure> {
        let dir = std::env::temp_dir().join(format!("scorecard-reread-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(name);
        let mut text = String::from("partner_id,quarter,revenue,note\n");
        for i in 0..500 {
            text.push_str(&format!("P{i:03},2025Q4,{i}.5,\"n,{i}\"\n"));
        }
        let _ = std::fs::write(&path, &text);
        // The contract's columns: revenue, note, partner_id, quarter.
        let keep = [false, false, true, true];
        let again = [true, true, false, false];
        let unchecked = if checked { [false; 4] } else { again };
        let loaded = load_for_reread(&path, &model(), &keep, &again, &unchecked, OnInvalid::Fail);
        let Ok((loaded, reread)) = loaded else {
            return Err(Failure::Changed(format!("{loaded:?}")));
        };
        change(&path);
        let rows: Vec<u32> = (0..loaded.table.rows as u32).rev().collect();
        let late = reread.read(&loaded.table, &rows).and_then(|late| {
            reread.unchanged()?;
            Ok(late)
        });
        let _ = std::fs::remove_file(&path);
        late
    }

    #[test]
    fn the_columns_are_read_again_in_the_batch_order() {
        let late = read_after("same.csv", false, |_| {});
        let late = late.map_err(|e| e.to_string());
        let Ok(late) = late.as_ref() else {
            assert!(late.is_ok(), "{late:?}");
            return;
        };
        let value = |column: usize, place: usize| {
            let row = late.index.get(place).copied().unwrap_or(u32::MAX) as usize;
            match late.columns.get(column) {
                Some(Column::Number(v)) => v.get(row).map(|x| x.to_string()),
                Some(Column::Text(t)) => Some(t.get(row).to_string()),
                other => Some(format!("{other:?}")),
            }
        };
        // The batch asked for the rows last to first.
        assert_eq!(late.index.len(), 500);
        assert_eq!(value(0, 0).as_deref(), Some("499.5"));
        assert_eq!(value(1, 1).as_deref(), Some("n,498"));
        assert_eq!(value(0, 499).as_deref(), Some("0.5"));
        assert!(matches!(late.columns.get(2), Some(Column::Skipped)));
    }

    #[test]
    fn a_file_changed_before_it_is_read_again_is_an_error() {
        let rewrite = |from: &'static str, to: &'static str| {
            move |path: &Path| {
                // Past the file system's clock tick, so that the time changes.
                std::thread::sleep(std::time::Duration::from_millis(30));
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let _ = std::fs::write(path, text.replacen(from, to, 1));
            }
        };
        let truncate = |path: &Path| {
            if let Ok(f) = std::fs::OpenOptions::new().write(true).open(path) {
                let _ = f.set_len(2000);
            }
        };
        // A value made invalid: the run stops, whether the value was checked
        // the first time (the file changed) or not (the problems are to be
        // reported by loading the file whole).
        let invalid = read_after(
            "invalid.csv",
            true,
            rewrite("P100,2025Q4,100.5", "P100,2025Q4,-10.5"),
        );
        assert!(
            matches!(&invalid, Err(Failure::Changed(e)) if e.contains("changed while it was scored")),
            "{invalid:?}"
        );
        let unchecked = read_after(
            "unchecked.csv",
            false,
            rewrite("P100,2025Q4,100.5", "P100,2025Q4,-10.5"),
        );
        assert_eq!(unchecked.err(), Some(Failure::Invalid));
        // Same length, another value: only the file's time tells.
        let other = read_after(
            "other.csv",
            true,
            rewrite("P100,2025Q4,100.5", "P100,2025Q4,900.5"),
        );
        assert!(
            matches!(&other, Err(Failure::Changed(e)) if e.contains("written to")),
            "{other:?}"
        );
        // Records moved.
        let moved = read_after("moved.csv", true, rewrite("P001,", "P0001,"));
        assert!(matches!(moved, Err(Failure::Changed(_))), "{moved:?}");
        let truncated = read_after("truncated.csv", true, truncate);
        assert!(
            matches!(truncated, Err(Failure::Changed(_))),
            "{truncated:?}"
        );
    }

    /// Bytes that begin as a Parquet file does are refused as such (D012)
    /// whether or not the late columns are checked the first time: the
    /// file loaded whole to report the problems is read as CSV text too.
    #[test]
    fn a_file_loaded_whole_for_its_problems_is_read_as_csv() {
        let dir =
            std::env::temp_dir().join(format!("scorecard-reread-par1-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("data.csv");
        let _ = std::fs::write(
            &path,
            b"PAR1\x15\x04partner_id,quarter,revenue,note\nP1,2025Q4,1,x\n",
        );
        let (keep, again) = ([false, false, true, true], [true, true, false, false]);
        for unchecked in [[false; 4], again] {
            let loaded =
                load_for_reread(&path, &model(), &keep, &again, &unchecked, OnInvalid::Fail);
            let codes: Vec<String> = match &loaded {
                Err(LoadError::Invalid(problems, _)) => {
                    problems.iter().map(|p| p.code.to_string()).collect()
                }
                _ => vec![],
            };
            assert_eq!(codes, ["D012"], "{:?}", loaded.err());
        }
        let _ = std::fs::remove_file(&path);
    }
}
