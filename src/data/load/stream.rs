//! Streaming: each block read in parts on threads straight into the table's
//! columns, each part checked against the part before it.

use super::*;

pub(super) fn load_in_parts(
    bytes: &[u8],
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    parts: Parts,
) -> Result<Loaded, LoadError> {
    match format {
        DataFormat::Csv | DataFormat::Ndjson => {
            let source = match format {
                DataFormat::Csv => Source::Csv(bytes),
                _ => Source::Ndjson(bytes),
            };
            let mut input = bytes;
            let size = Some(bytes.len());
            load_stream(
                &mut input, size, format, model, needed, policy, parts, None, &source,
            )
        }
        DataFormat::Json => with_reader(model, needed, policy, parts, |reader| {
            if let Some(kind) = sniff::sniff(bytes) {
                return Err(invalid(vec![kind.problem()]));
            }
            let specs = reader.specs;
            let text = std::str::from_utf8(bytes).map_err(|_| {
                let mut problems = Vec::new();
                let mut count = 0;
                not_utf8(bytes, 0, &mut |p| {
                    count += 1;
                    if problems.len() < MAX_PROBLEMS {
                        problems.push(p);
                    }
                });
                unreadable(problems, count)
            })?;
            let elements = json::scan_array(text).map_err(|p| invalid(vec![p]))?;
            let keys = json::Keys::new(specs);
            let size = elements.spans.len();
            let mut columns = Columns::new(reader.counts, size, false);
            let mut found = {
                let out = columns.split(0, &[size]).into_iter().next();
                let Some(out) = out else {
                    return Err(invalid(Vec::new()));
                };
                let mut rows = Rows::new(specs, reader.targets, reader.policy, out);
                json::read_elements(text, &elements, &keys, &mut rows);
                rows.into_found()
            };
            columns.absorb(&std::mem::take(&mut found.wide), 0);
            json::missing_keys(&mut found, specs);
            finish(found, columns, reader, &Source::Json(bytes, elements))
        }),
    }
}

/// What every part of a file is read with.
pub(super) struct Reader<'s> {
    pub(super) specs: &'s [Spec],
    pub(super) targets: &'s [Target],
    pub(super) counts: [usize; 5],
    pub(super) policy: OnInvalid,
    pub(super) parts: Parts,
    /// A first reading of a file to be read again: each row's file offset
    /// is kept (`Table::offsets`), and the columns marked are not read.
    pub(super) first: Option<&'s [bool]>,
}

/// Read CSV or NDJSON from `input` (of `size` bytes, when known) block by block.
#[allow(clippy::too_many_arguments)]
pub(super) fn load_stream(
    input: &mut dyn Read,
    size: Option<usize>,
    format: DataFormat,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
    parts: Parts,
    first: Option<&[bool]>,
    source: &Source<'_>,
) -> Result<Loaded, LoadError> {
    with_reader_of(model, needed, policy, parts, first, |reader| {
        stream_with(reader, input, size, format, source)
    })
}

pub(super) fn stream_with(
    reader: &Reader<'_>,
    input: &mut dyn Read,
    size: Option<usize>,
    format: DataFormat,
    source: &Source<'_>,
) -> Result<Loaded, LoadError> {
    let (specs, parts) = (reader.specs, reader.parts);
    let mut blocks = Blocks::new(input, parts.block_bytes);
    blocks.fill().map_err(LoadError::Io)?;
    // A workbook or UTF-16 text is named before anything is read as text.
    while !blocks.eof && blocks.head().len() < sniff::SNIFF_BYTES {
        blocks.want = blocks.want.saturating_mul(2);
        blocks.fill().map_err(LoadError::Io)?;
    }
    if let Some(kind) = sniff::sniff(blocks.head()) {
        return Err(invalid(vec![kind.problem()]));
    }
    blocks.want = parts.block_bytes.max(1);
    match format {
        DataFormat::Csv => {
            // The whole header record, unless it is longer than a record may
            // be; and past white space, to tell an empty file from one whose
            // first line is blank.
            while !blocks.eof
                && ((!csv_fast::header_complete(blocks.head())
                    && blocks.head().len() <= 2 * MAX_LINE_BYTES)
                    || csv_fast::blank(blocks.head()))
            {
                blocks.want = blocks.want.saturating_mul(2);
                blocks.fill().map_err(LoadError::Io)?;
            }
            let mut layout = csv_fast::read_header(blocks.head(), specs)
                .map_err(|(problems, count)| unreadable(problems, count))?;
            if let Some(skip) = reader.first {
                layout.skip = skip.to_vec();
            }
            blocks.pos = layout.data_start;
            blocks.want = parts.block_bytes.max(1);
            let rows = estimate_rows(size, &blocks);
            let (found, columns) = reader.read_blocks(
                &mut blocks,
                layout.data_line,
                rows,
                true,
                |part, last, line, rows| csv_fast::read_part(part, last, line, &layout, rows),
            )?;
            finish(found, columns, reader, source)
        }
        _ => {
            let rows = estimate_rows(size, &blocks);
            let keys = json::Keys::new(specs);
            let (mut found, columns) =
                reader.read_blocks(&mut blocks, 1, rows, false, |part, _, line, rows| {
                    json::read_ndjson_part(part, line, &keys, rows);
                    PartEnd { cut: None }
                })?;
            if !blocks.content {
                return Err(invalid(vec![DataProblem::new(
                    Code::D003,
                    1,
                    "the file is empty",
                    "an NDJSON data file holds one JSON object per line, one per row",
                )]));
            }
            json::missing_keys(&mut found, specs);
            finish(found, columns, reader, source)
        }
    }
}

impl Reader<'_> {
    /// Read the rest of `blocks` (which starts on line `first_line`) block
    /// by block into columns with room for `rows` rows to begin with.
    ///
    /// Each block ends after an LF (or at the end of the input) and is read
    /// in parts, on threads, by `read(part, last, line, rows)`, while this
    /// thread reads the next block from the input. A part that
    /// reports a cut (a record running past its end) was not split at a
    /// record boundary after all: the later parts' results are dropped, and
    /// the next block starts at the cut and is read in one piece.
    pub(super) fn read_blocks<F>(
        &self,
        blocks: &mut Blocks<'_>,
        first_line: u64,
        rows: usize,
        quotes: bool,
        read: F,
    ) -> Result<(Found, Columns), LoadError>
    where
        F: Fn(&[u8], bool, u64, &mut Rows<'_, '_>) -> PartEnd + Sync,
    {
        let mut columns = Columns::new(self.counts, rows, self.first.is_some());
        let mut all: Option<Found> = None;
        let mut free = 0;
        let mut line = first_line;
        let mut whole = false;
        // The buffer of the block before, for the block after the next.
        let mut spare = Vec::new();
        // What went wrong reading ahead, reported before the next block.
        let mut ahead: Option<std::io::Error> = None;
        loop {
            if let Some(e) = ahead.take() {
                return Err(LoadError::Io(e));
            }
            blocks.fill().map_err(LoadError::Io)?;
            let last = blocks.eof;
            let waiting = blocks.buf.get(blocks.pos..).unwrap_or_default();
            let end = if last {
                waiting.len()
            } else {
                match waiting.iter().rposition(|b| *b == b'\n') {
                    Some(lf) => lf + 1,
                    None if waiting.len() > MAX_LINE_BYTES => {
                        // The record has no line end within a row's limit:
                        // pass over it without keeping it.
                        let found =
                            self.skip_long_record(blocks, &mut columns, free, &mut line, quotes)?;
                        all = Some(match all.take() {
                            Some(mut all) => {
                                all.append(found);
                                all
                            }
                            None => found,
                        });
                        continue;
                    }
                    None => {
                        // Not one line end in a block: read more at a time.
                        blocks.want = blocks.want.saturating_mul(2);
                        continue;
                    }
                }
            };
            let block_base = blocks.consumed + blocks.pos as u64;
            let start = blocks.pos;
            let current = blocks.take(start + end, std::mem::take(&mut spare));
            let block = current.get(start..start + end).unwrap_or_default();
            let parts = if whole {
                Parts {
                    threads: 1,
                    ..self.parts
                }
            } else {
                self.parts
            };
            let base = free;
            let (mut found, stop) = self.read_block(
                block,
                block_base,
                line,
                last,
                quotes,
                parts,
                &mut columns,
                &mut free,
                &read,
                || {
                    if !last {
                        ahead = blocks.fill().err();
                    }
                },
            )?;
            columns.absorb(&std::mem::take(&mut found.wide), base);
            all = Some(match all.take() {
                Some(mut all) => {
                    all.append(found);
                    all
                }
                None => found,
            });
            // What the block's buffer holds from the cut on, if a part was cut.
            let mut from_cut = 0;
            if let Stop::Cut(at, _) = stop {
                // The next block starts at the cut, before what was read ahead.
                let cut = current.get(start + at..start + end).unwrap_or_default();
                blocks.put_back(cut);
                from_cut = current.len() - (start + at).min(current.len());
            }
            // Emptied when it next takes a block's leftover bytes.
            spare = current;
            match stop {
                Stop::End(lines) => {
                    line += lines as u64;
                    whole = false;
                    if last {
                        break;
                    }
                }
                Stop::Cut(at, at_line) => {
                    if last && parts.threads == 1 {
                        // Only parts that are not the last are cut.
                        break;
                    }
                    line = at_line;
                    if parts.threads == 1 && end - at > MAX_LINE_BYTES {
                        // Read in one piece, the record runs past the end of
                        // the block, more than a row's limit from its start.
                        let found =
                            self.skip_long_record(blocks, &mut columns, free, &mut line, quotes)?;
                        if let Some(all) = all.as_mut() {
                            all.append(found);
                        }
                        whole = false;
                        continue;
                    }
                    whole = true;
                    // When what is left is most of a block, the next block
                    // might end at the same line end: read more at a time,
                    // so that every block reaches further than the last.
                    if from_cut > blocks.want / 2 {
                        blocks.want = blocks.want.saturating_mul(2);
                    }
                }
            }
        }
        match all {
            Some(found) => Ok((found, columns)),
            None => Err(invalid(Vec::new())),
        }
    }

    /// Pass over the record at `blocks.pos`, longer than a row may be,
    /// without keeping more of it than an excerpt; `line`, its line, moves
    /// past it. What was found: the row, rejected as too long (D006), or, when
    /// the file ends inside a quoted field, that problem of the file (D005).
    pub(super) fn skip_long_record(
        &self,
        blocks: &mut Blocks<'_>,
        columns: &mut Columns,
        free: usize,
        line: &mut u64,
        quotes: bool,
    ) -> Result<Found, LoadError> {
        let skipped = blocks.skip_record(quotes).map_err(LoadError::Io)?;
        let out = columns.split(free, &[0]).into_iter().next();
        let Some(out) = out else {
            return Err(invalid(Vec::new()));
        };
        let mut rows = Rows::new(self.specs, self.targets, self.policy, out);
        if skipped.closed {
            rows.clear_values();
            rows.issues.push(DataProblem::new(
                Code::D006,
                *line,
                csv_fast::too_long(skipped.length),
                csv_fast::TOO_LONG_HELP,
            ));
            let row = At {
                row: *line,
                line: *line,
                offset: 0,
            };
            rows.finish(row, "", "", || {
                clip(&String::from_utf8_lossy(&skipped.excerpt))
            });
        } else {
            rows.file_problem(DataProblem::new(
                Code::D005,
                *line,
                "a quoted field that starts on this line is never closed",
                csv_fast::UNCLOSED_HELP,
            ));
        }
        *line += skipped.lines;
        Ok(rows.into_found())
    }

    /// Read one block (which starts on `first_line`) into `columns` from row
    /// `free` on, in parts on threads, running `meanwhile` on this thread;
    /// `free` moves past the rows stored.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn read_block<F>(
        &self,
        bytes: &[u8],
        base: u64,
        first_line: u64,
        last: bool,
        quotes: bool,
        parts: Parts,
        columns: &mut Columns,
        free: &mut usize,
        read: &F,
        meanwhile: impl FnOnce(),
    ) -> Result<(Found, Stop), LoadError>
    where
        F: Fn(&[u8], bool, u64, &mut Rows<'_, '_>) -> PartEnd + Sync,
    {
        let bounds = split_points(bytes, 0, parts, quotes);
        let ranges: Vec<(usize, usize)> = bounds
            .windows(2)
            .filter_map(|w| match w {
                [a, b] => Some((*a, *b)),
                _ => None,
            })
            .collect();
        let slice = |a: usize, b: usize| bytes.get(a..b).unwrap_or_default();
        let newlines: Vec<usize> = ranges
            .iter()
            .map(|&(a, b)| count_newlines(slice(a, b)))
            .collect();
        // Room for one row per line of each part: every part but the last
        // ends with an LF, so its rows fill its room and leave no gap.
        let sizes: Vec<usize> = newlines
            .iter()
            .enumerate()
            .map(|(i, n)| n + usize::from(i + 1 == ranges.len()))
            .collect();
        let first_lines: Vec<u64> = newlines
            .iter()
            .scan(first_line, |line, n| {
                let this = *line;
                *line += *n as u64;
                Some(this)
            })
            .collect();
        columns.ensure(*free + sizes.iter().sum::<usize>());
        let count = ranges.len();
        let results = {
            let outs = columns.split(*free, &sizes);
            std::thread::scope(|scope| {
                let work = ranges.iter().zip(&first_lines).zip(outs).enumerate().map(
                    |(i, ((&(a, b), &line), mut out))| {
                        out.base = base + a as u64;
                        move || {
                            let mut rows = Rows::new(self.specs, self.targets, self.policy, out);
                            let end = read(slice(a, b), last && i + 1 == count, line, &mut rows);
                            (rows.into_found(), end)
                        }
                    },
                );
                let handles: Vec<_> = work.map(|job| scope.spawn(job)).collect();
                meanwhile();
                let mut results = Vec::with_capacity(count);
                for handle in handles {
                    match handle.join() {
                        Ok(r) => results.push(r),
                        Err(_) => {
                            return Err(LoadError::Io(std::io::Error::other(
                                "a thread reading the data stopped unexpectedly",
                            )));
                        }
                    }
                }
                Ok(results)
            })?
        };
        let mut joined: Option<Found> = None;
        // The first row of the current part.
        let mut first = *free;
        for ((found, end), (&(a, _), &size)) in results.into_iter().zip(ranges.iter().zip(&sizes)) {
            columns.move_rows(first, *free, found.stored);
            *free += found.stored;
            first += size;
            let all = match joined.take() {
                Some(mut all) => {
                    all.append(found);
                    all
                }
                None => found,
            };
            if let Some((cut, line)) = end.cut {
                return Ok((all, Stop::Cut(a + cut, line)));
            }
            joined = Some(all);
        }
        match joined {
            Some(found) => Ok((found, Stop::End(newlines.iter().sum()))),
            None => Err(invalid(Vec::new())),
        }
    }
}

/// How reading a block ended: every part was read (with this many LFs), or
/// a part was cut at this offset of the block, on this line.
pub(super) enum Stop {
    End(usize),
    Cut(usize, u64),
}
