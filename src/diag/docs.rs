//! The documentation of each diagnostic code, taken from `docs/diagnostics.md`.

use super::Code;

/// The reference every explanation is taken from.
const DIAGNOSTICS_MD: &str = include_str!("../../docs/diagnostics.md");

/// The section of `docs/diagnostics.md` for one code.
pub fn documentation(code: Code) -> Option<&'static str> {
    let heading = format!("## {} {}", code.as_str(), code.name());
    let start = DIAGNOSTICS_MD.find(&heading)?;
    let rest = DIAGNOSTICS_MD.get(start..)?;
    let end = rest
        .get(heading.len()..)
        .and_then(|r| r.find("\n## "))
        .map_or(rest.len(), |e| e + heading.len());
    rest.get(..end).map(str::trim_end)
}
