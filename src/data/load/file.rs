//! Reading a file: counting the bytes read, and noticing a file that changed
//! while it was read (truncated, grown, rewritten, replaced).

use super::*;

/// A reader that counts the bytes it gives.
pub(super) struct Counted<'f> {
    pub(super) file: &'f mut std::fs::File,
    pub(super) bytes: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// How a regular file differs from what it was when opened: its size or
/// modification time (through the open file, and at its path), or which
/// file the path names. `read` is the number of bytes read, when the whole
/// file was read. `None` when nothing changed, or the file is not a
/// regular file (a pipe, a terminal), which has nothing to compare.
pub(super) fn changed(
    path: &Path,
    file: &std::fs::File,
    opened: &std::fs::Metadata,
    read: Option<u64>,
) -> Option<String> {
    if !opened.is_file() {
        return None;
    }
    if let Some(read) = read.filter(|r| *r != opened.len()) {
        return Some(format!(
            "{read} bytes were read of the {} it had when it was opened",
            opened.len()
        ));
    }
    let differs = |now: &std::fs::Metadata| {
        if now.len() != opened.len() {
            Some(format!(
                "its size went from {} to {} bytes",
                opened.len(),
                now.len()
            ))
        } else if now.modified().ok() != opened.modified().ok() {
            Some("it was written to".to_string())
        } else {
            None
        }
    };
    match file.metadata() {
        Ok(now) => {
            if let Some(change) = differs(&now) {
                return Some(change);
            }
        }
        Err(e) => return Some(format!("it can no longer be examined: {e}")),
    }
    match std::fs::metadata(path) {
        Ok(now) => {
            if !same_file(opened, &now) {
                return Some("another file was put in its place".to_string());
            }
            differs(&now)
        }
        Err(_) => Some("it was removed or renamed".to_string()),
    }
}

/// Whether two metadata describe the same file (device and inode; on other
/// systems, only size and time are compared).
#[cfg(unix)]
pub(super) fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
pub(super) fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}
