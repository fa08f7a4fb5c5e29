//! Any text that parses cleanly formats; the result is a fixed point
//! (`fmt(fmt(x)) == fmt(x)`) and parses to an equal tree (spans aside).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scorecard::source::FileId;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (tree, found) = scorecard::syntax::parse(FileId(0), &text);
    let formatted = scorecard::fmt::format(FileId(0), &text);
    let tree = match tree {
        Some(tree) if found.is_empty() => tree,
        _ => {
            assert!(
                formatted.is_err(),
                "a text that does not parse cleanly was formatted"
            );
            return;
        }
    };
    let formatted = match formatted {
        Ok(f) => f,
        Err(d) => panic!("a text that parses cleanly did not format: {d:?}"),
    };
    let (again, found) = scorecard::syntax::parse(FileId(0), &formatted);
    assert!(
        found.is_empty(),
        "the formatted text has diagnostics: {found:?}\n{formatted}"
    );
    assert!(
        again.as_ref() == Some(&tree),
        "the formatted text means something else:\n{formatted}"
    );
    match scorecard::fmt::format(FileId(0), &formatted) {
        Ok(twice) => assert_eq!(twice, formatted, "formatting is not idempotent"),
        Err(d) => panic!("the formatted text did not format: {d:?}\n{formatted}"),
    }
});
