//! Interruption: the command line asks the engine to stop (SIGINT, SIGTERM)
//! and output files are left as they were.
//!
//! A run stops at its next batch boundary and removes what it was writing.
//! A run that cannot reach a boundary — blocked reading standard input or a
//! pipe — is ended after a short grace period, its unfinished temporary files
//! removed first, so an interrupt always ends the process promptly.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Unfinished temporary files; `None` once the process is ending.
static TEMPORARIES: Mutex<Option<Vec<PathBuf>>> = Mutex::new(Some(Vec::new()));

/// How long a run has to stop by itself before it is ended.
pub const GRACE: Duration = Duration::from_millis(500);

/// The exit code of an interrupted run.
pub const EXIT_CODE: i32 = 130;

/// Ask every running evaluation to stop at its next batch boundary.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The signal handler: ask the run to stop; if it has not ended after
/// [`GRACE`], remove its unfinished files and end the process.
pub fn on_signal() {
    request();
    std::thread::sleep(GRACE);
    let pending = match TEMPORARIES.lock() {
        Ok(mut guard) => guard.take().unwrap_or_default(),
        Err(poisoned) => poisoned.into_inner().take().unwrap_or_default(),
    };
    for path in pending {
        let _ = std::fs::remove_file(path);
    }
    eprintln!("interrupted: no output file was written");
    std::process::exit(EXIT_CODE);
}

/// Remove `path` if the process is ended by an interrupt before
/// [`keep_on_interrupt`] is called for it.
pub fn remove_on_interrupt(path: &Path) {
    let mut guard = TEMPORARIES.lock().unwrap_or_else(|p| p.into_inner());
    match guard.as_mut() {
        Some(list) => list.push(path.to_path_buf()),
        // The process is ending: the file would outlive it.
        None => {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `path` was completed or removed: an interrupt leaves it alone.
pub fn keep_on_interrupt(path: &Path) {
    let mut guard = TEMPORARIES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(list) = guard.as_mut() {
        list.retain(|p| p != path);
    }
}
