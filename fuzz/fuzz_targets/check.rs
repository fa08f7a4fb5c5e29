//! Any text: parse and check return a model or diagnostics (and the
//! diagnostics render), never a panic, a hang or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scorecard::source::SourceMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    let checked = scorecard::check::check_text("fuzz.scorecard", &text, &mut sources);
    let diagnostics: Vec<_> = checked.diagnostics.iter().cloned().collect();
    for d in &diagnostics {
        let _ = scorecard::diag::render::plain_line(d, &sources);
    }
    let _ = scorecard::diag::render::json(&diagnostics, &sources);
    if let Some(model) = checked.clean_model() {
        let _ = scorecard::plan::compile(model);
    }
});
