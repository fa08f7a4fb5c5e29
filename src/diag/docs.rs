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

/// Where `docs/diagnostics.md` is published, for links from editors and CI
/// reports. `SCORECARD_DOCS_URL` overrides it with the address of a copy.
pub const DIAGNOSTICS_URL: &str = "https://scorecard.invalid/docs/diagnostics.md";

/// The address of one code's section: `…/diagnostics.md#n001-unknown-name`.
pub fn url(code: Code) -> String {
    format!("{}#{}", url_base(), anchor(code))
}

/// `SCORECARD_DOCS_URL` when set, else [`DIAGNOSTICS_URL`].
pub fn url_base() -> String {
    std::env::var("SCORECARD_DOCS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DIAGNOSTICS_URL.to_string())
}

/// The heading's anchor as Markdown renderers write it: lowercase, spaces as `-`.
pub fn anchor(code: Code) -> String {
    format!("{}-{}", code.as_str().to_lowercase(), code.name())
}
