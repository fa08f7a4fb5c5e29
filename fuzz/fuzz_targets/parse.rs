//! Any text: the parser returns a tree or diagnostics, never a panic, a hang or
//! a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scorecard::source::FileId;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (tree, diagnostics) = scorecard::syntax::parse(FileId(0), &text);
    // A parse that gives no tree says why.
    assert!(tree.is_some() || !diagnostics.is_empty() || text.trim().is_empty());
    for d in &diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end <= text.len());
    }
});
