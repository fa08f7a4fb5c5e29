//! Output files: written whole or not at all, never onto an input, never
//! replacing what the path really names (a device, a link's target, a mode).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Temporary files end with this, after the writer's process id, so a
/// later run can recognise (and remove) those a killed run left behind.
const TEMP_SUFFIX: &str = ".scorecard.tmp";

/// Symbolic links followed before giving up (as the kernel's `ELOOP`).
const MAX_LINKS: usize = 40;

/// A file written under a temporary name and renamed into place when complete,
/// so an interrupted run leaves the previous file or none, never half a file.
///
/// The path is resolved first: a symbolic link is written through (its target
/// is replaced, the link stays), a file being replaced keeps its permissions,
/// and a path that is not a regular file (`/dev/null`, a FIFO) is written
/// directly, since renaming onto it would replace the device with a file.
/// A large file's bytes go to the disk while it is written, so that
/// completing it waits only for the last of them.
pub struct AtomicFile {
    /// The temporary file, when writing to a regular file.
    temp: Option<PathBuf>,
    target: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    /// Bytes written since the last write-back was started.
    unsynced: usize,
    /// How many bytes start a write-back ([`SYNC_EVERY`]).
    sync_every: usize,
    /// The write-back under way, if any (see `sync_in_background`).
    syncing: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    /// How a write-back failed, reported when the file is completed.
    failed: Option<std::io::Error>,
}

/// A temporary file's bytes start going to the disk every this many bytes
/// written, so that syncing the complete file waits only for the last ones.
const SYNC_EVERY: usize = 32 << 20;

impl AtomicFile {
    pub fn create(path: &Path) -> std::io::Result<AtomicFile> {
        let target = resolve_links(path)?;
        let existing = match std::fs::metadata(&target) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if let Some(meta) = &existing {
            if meta.is_dir() {
                return Err(std::io::Error::other("it is a directory"));
            }
            if !meta.is_file() {
                let file = std::fs::OpenOptions::new().write(true).open(&target)?;
                return Ok(AtomicFile {
                    temp: None,
                    target,
                    file: Some(std::io::BufWriter::with_capacity(1 << 20, file)),
                    unsynced: 0,
                    sync_every: SYNC_EVERY,
                    syncing: None,
                    failed: None,
                });
            }
        }
        let dir = parent_dir(&target);
        let name = file_name(&target);
        remove_stale_temporaries(dir, &name);
        let temp = dir.join(format!(".{name}.{}{TEMP_SUFFIX}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    // Left by an earlier process with this id: not ours to keep.
                    std::fs::remove_file(&temp)?;
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&temp)
                } else {
                    Err(e)
                }
            })?;
        crate::interrupt::remove_on_interrupt(&temp);
        let mut out = AtomicFile {
            temp: Some(temp),
            target,
            file: None,
            unsynced: 0,
            sync_every: SYNC_EVERY,
            syncing: None,
            failed: None,
        };
        if let (Some(meta), Some(temp)) = (&existing, &out.temp) {
            // Dropping `out` on failure removes the temporary file.
            std::fs::set_permissions(temp, meta.permissions())?;
        }
        out.file = Some(std::io::BufWriter::with_capacity(1 << 20, file));
        Ok(out)
    }
}

impl AtomicFile {
    /// Wait for the write-back under way, if any: its error, if it failed.
    fn synced(&mut self) -> std::io::Result<()> {
        match self.syncing.take().map(std::thread::JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(std::io::Error::other(
                "syncing the file stopped unexpectedly",
            )),
        }
    }

    /// Once [`SYNC_EVERY`] bytes have been written since the last time and
    /// no write-back is under way, start one on another thread: the bytes
    /// written so far go to the disk while the rest is computed and written.
    /// A write-back that failed is reported when the file is completed.
    fn sync_in_background(&mut self) {
        if self.temp.is_none() || self.unsynced < self.sync_every || self.failed.is_some() {
            return;
        }
        if self.syncing.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        if let Err(e) = self.synced() {
            self.failed = Some(e);
            return;
        }
        // Without a second handle or a thread, the file is synced once,
        // when complete.
        if let Some(Ok(file)) = self.file.as_ref().map(|f| f.get_ref().try_clone()) {
            self.unsynced = 0;
            self.syncing = std::thread::Builder::new()
                .spawn(move || file.sync_data())
                .ok();
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = match &mut self.file {
            Some(f) => f.write(buf)?,
            None => return Err(std::io::Error::other("already closed")),
        };
        self.unsynced += written;
        self.sync_in_background();
        Ok(written)
    }

    /// Flushing completes the file: it is synced and renamed into place (a
    /// file that is not regular is only flushed, and a failure is reported).
    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(mut f) = self.file.take() {
            f.flush()?;
            let file = f.into_inner().map_err(|e| e.into_error())?;
            self.synced()?;
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
            if let Some(temp) = &self.temp {
                file.sync_all()?;
                std::fs::rename(temp, &self.target)?;
                crate::interrupt::keep_on_interrupt(temp);
                self.temp = None;
            }
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not completed: leave the previous file as it was.
        if let Some(temp) = self.temp.take() {
            drop(self.file.take());
            // A write-back under way is left to finish on its own.
            let _ = std::fs::remove_file(&temp);
            crate::interrupt::keep_on_interrupt(&temp);
        }
    }
}

/// Write a whole file atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.flush()
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned())
}

/// The path a write to `path` really reaches: symbolic links followed (also
/// a link to a file that does not exist yet, which the write creates).
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = parent_dir(&current).join(link);
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Remove the temporary files of `name` that a killed run left in `dir`: those
/// of a process that no longer runs.
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let entry_name = entry.file_name();
        let Some(entry_name) = entry_name.to_str() else {
            continue;
        };
        let pid = entry_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !process_runs(pid) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Whether a process with this id runs (where `/proc` says; elsewhere it is
/// assumed to, and its temporary file is left alone).
fn process_runs(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// What makes two paths the same file: device and inode for a file that
/// exists, the real directory and name for one that does not yet.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity {
    Inode(u64, u64),
    Planned(PathBuf, std::ffi::OsString),
}

fn identity_of_meta(meta: &std::fs::Metadata) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(Identity::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

fn identity(path: &Path) -> Option<Identity> {
    if path == Path::new("-") {
        return stdin_identity();
    }
    match std::fs::metadata(path) {
        Ok(meta) => identity_of_meta(&meta).or_else(|| {
            path.canonicalize()
                .ok()
                .map(|p| Identity::Planned(p, std::ffi::OsString::new()))
        }),
        Err(_) => {
            let target = resolve_links(path).ok()?;
            let dir = parent_dir(&target).canonicalize().ok()?;
            Some(Identity::Planned(dir, target.file_name()?.to_os_string()))
        }
    }
}

/// Standard input, when it is a file (`< data.csv`).
fn stdin_identity() -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let meta = std::fs::File::from(fd).metadata().ok()?;
        if meta.is_file() {
            identity_of_meta(&meta)
        } else {
            None
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The files a checked scorecard was read from, described for
/// [`check_distinct`]: the scorecard itself, then each imported file.
pub fn source_files(map: &crate::source::SourceMap) -> Vec<(&'static str, &Path)> {
    let files = (0..).map_while(|k| map.get(crate::source::FileId(k)));
    files
        .enumerate()
        .filter_map(|(k, file)| {
            let what = if k == 0 {
                "the scorecard"
            } else {
                "the imported file"
            };
            Some((what, file.path.as_deref()?))
        })
        .collect()
}

/// Refuse outputs that would overwrite an input or each other: each output
/// (its flag and path) against every input (described, with its path) and
/// every earlier output. Paths that are not regular files, such as
/// `/dev/null`, may be named more than once.
pub fn check_distinct(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<(), String> {
    let mut seen: Vec<(String, &Path, Identity)> = inputs
        .iter()
        .filter_map(|&(what, path)| Some((what.to_string(), path, identity(path)?)))
        .collect();
    for &(flag, path) in outputs {
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            continue;
        }
        let Some(id) = identity(path) else { continue };
        if let Some((what, other, _)) = seen.iter().find(|(_, _, other)| *other == id) {
            let other = if *other == Path::new("-") {
                "(standard input)".to_string()
            } else {
                format!("`{}`", other.display())
            };
            return Err(format!(
                "`{flag} {}` is the same file as {what} {other}; writing it would destroy that file",
                path.display(),
            ));
        }
        seen.push((format!("the `{flag}` file"), path, id));
    }
    Ok(())
}

/// Refuse an input path that is not a regular file (a directory, FIFO,
/// device or socket) before it is opened: reading one could block for ever.
/// `-` (standard input) is allowed.
pub fn regular_input(path: &Path) -> Result<(), String> {
    if path == Path::new("-") {
        return Ok(());
    }
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Err(format!(
            "cannot read `{}`: it is {}, not a regular file (use `--data -` to read standard input)",
            path.display(),
            crate::check::load::kind_of(&meta)
        )),
        _ => Ok(()),
    }
}

/// Refuse a file the tool itself names next to a scorecard (a snapshot) that
/// is a link leading outside `root`'s tree, or that is not a regular file:
/// a scorecard from elsewhere must not make the tool read or write other files.
pub fn confined_file(path: &Path, root: &Path) -> Result<(), String> {
    let target = resolve_links(path).map_err(|e| e.to_string())?;
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let root = root.canonicalize().map_err(|e| e.to_string())?;
    let inside = parent_dir(&target)
        .canonicalize()
        .is_ok_and(|dir| dir.starts_with(&root));
    if !inside {
        return Err(format!(
            "`{}` is a link that leads outside the scorecard's directory",
            path.display()
        ));
    }
    match std::fs::metadata(&target) {
        Ok(meta) if !meta.is_file() => Err(format!(
            "`{}` is {}, not a regular file",
            path.display(),
            crate::check::load::kind_of(&meta)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file written while write-backs run is complete once flushed, and
    /// one abandoned leaves the previous file as it was and no temporary.
    #[test]
    fn write_backs_under_way_change_nothing_written() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("scorecard-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let target = dir.join("out.csv");
        std::fs::write(&target, "before\n")?;
        let bytes: Vec<u8> = (0..1u32 << 20).map(|i| b'a' + (i % 26) as u8).collect();
        let write = |out: &mut AtomicFile| -> std::io::Result<()> {
            out.sync_every = 4096;
            for chunk in bytes.chunks(1000) {
                out.write_all(chunk)?;
            }
            // Write-backs were started along the way.
            assert!(out.unsynced < bytes.len(), "no write-back was started");
            Ok(())
        };
        let temporaries = || -> std::io::Result<usize> {
            Ok(std::fs::read_dir(&dir)?
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(TEMP_SUFFIX))
                })
                .count())
        };

        let mut abandoned = AtomicFile::create(&target)?;
        write(&mut abandoned)?;
        drop(abandoned);
        assert_eq!(std::fs::read(&target)?, b"before\n");
        assert_eq!(temporaries()?, 0);

        let mut out = AtomicFile::create(&target)?;
        write(&mut out)?;
        assert_eq!(std::fs::read(&target)?, b"before\n");
        out.flush()?;
        assert!(
            std::fs::read(&target)? == bytes,
            "the file is not what was written"
        );
        assert_eq!(temporaries()?, 0);
        std::fs::remove_dir_all(&dir)
    }
}
