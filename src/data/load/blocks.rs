//! Blocks and parts: the input read in blocks that end at a line end, a record
//! longer than a block passed over, and a block split into parts for threads
//! at line ends outside quoted fields.

use super::*;

/// No more threads than this read one file.
pub(super) const MAX_THREADS: usize = 8;

/// A block is split only into parts at least this large.
pub(super) const MIN_PART_BYTES: usize = 1 << 20;

/// The bytes read at a time (more when one record is longer).
pub(super) const BLOCK_BYTES: usize = 16 << 20;

/// How a file is read: in blocks of about `block_bytes`, each split into at
/// most `threads` parts of at least `min_bytes`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Parts {
    pub(super) threads: usize,
    pub(super) min_bytes: usize,
    pub(super) block_bytes: usize,
}

impl Parts {
    pub(super) fn for_machine() -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Parts {
            threads: threads.min(MAX_THREADS),
            min_bytes: MIN_PART_BYTES,
            block_bytes: BLOCK_BYTES,
        }
    }
}

/// Room for the rows of a file of `size` bytes, guessed from the lines of
/// its first block (room never written takes no memory; more is made when
/// the guess is short).
pub(super) fn estimate_rows(size: Option<usize>, blocks: &Blocks<'_>) -> usize {
    let head = blocks.head();
    let lines = count_newlines(head) + 1;
    if blocks.eof {
        return lines;
    }
    match size {
        Some(size) => (size as f64 / head.len().max(1) as f64 * lines as f64 * 1.1) as usize + 1024,
        None => lines * 4,
    }
}

/// A data file read block by block: `buf[pos..]` is read and not yet taken.
pub(super) struct Blocks<'r> {
    pub(super) input: &'r mut dyn Read,
    pub(super) buf: Vec<u8>,
    pub(super) pos: usize,
    /// The input's bytes dropped before `buf[0]`.
    pub(super) consumed: u64,
    /// How many bytes a block should have.
    pub(super) want: usize,
    /// The input has no more bytes.
    pub(super) eof: bool,
    /// Some byte read so far is not ASCII white space.
    pub(super) content: bool,
    /// The size of a block, which `want` returns to after a long record.
    pub(super) block_bytes: usize,
}

impl<'r> Blocks<'r> {
    pub(super) fn new(input: &'r mut dyn Read, want: usize) -> Self {
        Blocks {
            input,
            buf: Vec::new(),
            pos: 0,
            consumed: 0,
            want: want.max(1),
            eof: false,
            content: false,
            block_bytes: want.max(1),
        }
    }

    /// Everything read so far (the first block, before any is taken).
    pub(super) fn head(&self) -> &[u8] {
        &self.buf
    }

    /// Drop the bytes taken, then read until a block's worth is waiting or
    /// the input ends.
    pub(super) fn fill(&mut self) -> std::io::Result<()> {
        if self.pos > 0 {
            self.consumed += self.pos as u64;
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let start = self.buf.len();
        while !self.eof && self.buf.len() < self.want {
            let need = self.want - self.buf.len();
            self.buf.reserve(need.min(BLOCK_BYTES));
            let input: &mut dyn Read = &mut *self.input;
            let got = input.take(need as u64).read_to_end(&mut self.buf)?;
            if got == 0 {
                self.eof = true;
            }
        }
        if !self.content {
            self.content = !self
                .buf
                .get(start..)
                .unwrap_or_default()
                .iter()
                .all(u8::is_ascii_whitespace);
        }
        Ok(())
    }
}

impl Blocks<'_> {
    /// Take the buffer, whose bytes up to `upto` are the block to read, and
    /// go on with `spare` holding the bytes after it, so that the next block
    /// can be read while this one is.
    pub(super) fn take(&mut self, upto: usize, mut spare: Vec<u8>) -> Vec<u8> {
        let upto = upto.min(self.buf.len());
        spare.clear();
        spare.extend_from_slice(self.buf.get(upto..).unwrap_or_default());
        self.consumed += upto as u64;
        self.pos = 0;
        std::mem::replace(&mut self.buf, spare)
    }

    /// Put `bytes`, which came just before what is waiting, back in front of it.
    pub(super) fn put_back(&mut self, bytes: &[u8]) {
        self.consumed -= bytes.len() as u64;
        self.buf.splice(self.pos..self.pos, bytes.iter().copied());
    }
}

/// A record passed over by [`Blocks::skip_record`].
pub(super) struct Skipped {
    /// Its length in bytes, without its line end.
    pub(super) length: usize,
    /// The LFs in it and ending it.
    pub(super) lines: u64,
    /// Its first bytes.
    pub(super) excerpt: Vec<u8>,
    /// Whether it ended at a line end or at the end of the input outside
    /// quotes (otherwise a quoted field is never closed).
    pub(super) closed: bool,
}

impl Blocks<'_> {
    /// Read past the record at `pos` (a CSV record when `quotes`, otherwise
    /// a line), keeping only its first bytes: the buffer never holds more
    /// than a block. A CSV record ends at the first LF after an even number
    /// of quotes.
    pub(super) fn skip_record(&mut self, quotes: bool) -> std::io::Result<Skipped> {
        let mut skipped = Skipped {
            length: 0,
            lines: 0,
            excerpt: Vec::new(),
            closed: true,
        };
        let mut open = false;
        let mut last = 0u8;
        self.want = self.block_bytes;
        loop {
            let waiting = self.buf.get(self.pos..).unwrap_or_default();
            let room = EXCERPT_BYTES + 4 - skipped.excerpt.len().min(EXCERPT_BYTES + 4);
            skipped
                .excerpt
                .extend_from_slice(waiting.get(..room.min(waiting.len())).unwrap_or_default());
            let mut end = None;
            for (i, &c) in waiting.iter().enumerate() {
                if c == b'\n' {
                    skipped.lines += 1;
                    if !open {
                        end = Some(i);
                        break;
                    }
                } else if quotes && c == b'"' {
                    open = !open;
                }
            }
            match end {
                Some(i) => {
                    let before = if i == 0 {
                        last
                    } else {
                        waiting.get(i - 1).copied().unwrap_or(0)
                    };
                    skipped.length += i - usize::from(quotes && before == b'\r');
                    skipped.excerpt.truncate(skipped.length);
                    self.pos += i + 1;
                    return Ok(skipped);
                }
                None => {
                    skipped.length += waiting.len();
                    last = waiting.last().copied().unwrap_or(last);
                    self.pos = self.buf.len();
                    if self.eof {
                        skipped.closed = !open;
                        return Ok(skipped);
                    }
                    self.fill()?;
                }
            }
        }
    }
}

pub(super) fn count_newlines(bytes: &[u8]) -> usize {
    count_byte(bytes, b'\n')
}

/// How many times `byte` occurs, counted in byte-wide lanes the compiler vectorizes.
pub(super) fn count_byte(bytes: &[u8], byte: u8) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            usize::from(
                chunk
                    .iter()
                    .fold(0u8, |n, b| n.wrapping_add(u8::from(*b == byte))),
            )
        })
        .sum()
}

/// Part boundaries of `bytes[start..]`: just after an LF outside quoted
/// fields (when `quotes`), near equal sizes.
pub(super) fn split_points(bytes: &[u8], start: usize, parts: Parts, quotes: bool) -> Vec<usize> {
    let len = bytes.len();
    let size = len.saturating_sub(start);
    let count = parts.threads.min(size / parts.min_bytes.max(1)).max(1);
    let mut bounds = vec![start];
    let mut pos = start;
    // Whether an odd number of quotes lies in bytes[start..pos].
    let mut odd = false;
    for k in 1..count {
        let target = start + size / count * k;
        if target > pos {
            if quotes {
                let found = bytes.get(pos..target).map_or(0, |b| count_byte(b, b'"'));
                odd ^= found % 2 == 1;
            }
            pos = target;
        }
        let mut split = None;
        while let Some(&c) = bytes.get(pos) {
            pos += 1;
            if c == b'\n' && !odd {
                split = Some(pos);
                break;
            }
            if quotes && c == b'"' {
                odd = !odd;
            }
        }
        match split {
            Some(p) if p < len => bounds.push(p),
            _ => break,
        }
    }
    bounds.push(len);
    bounds
}
