//! `whatif`: a scorecard's text with some of its parameters changed.
//!
//! Each `--set PATH=VALUE` is resolved against the parsed root file to the
//! span of one number literal; the new literal is put in its place and the
//! changed text goes through the normal parse and check, so a change that
//! breaks the scorecard gets the same diagnostics as an edit would, at the
//! same place.

use super::params::{self, Parameter, SetError, Setting};
use crate::source::FileId;

/// The root file's text with `sets` (`PATH=VALUE` each) applied, and the
/// settings applied; or every `--set` that could not be applied.
pub fn apply(text: &str, sets: &[String]) -> Result<(String, Vec<Setting>), Vec<SetError>> {
    let parameters = parameters_of(text);
    let mut settings = Vec::new();
    let mut errors = Vec::new();
    for set in sets {
        match params::setting(set, &parameters) {
            Ok(s) => settings.push(s),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match params::splice(text, &settings) {
        Ok(changed) => Ok((changed, settings)),
        Err(e) => Err(vec![e]),
    }
}

/// Every parameter of a scorecard's text (none when it does not parse).
pub fn parameters_of(text: &str) -> Vec<Parameter> {
    match crate::syntax::parse(FileId(0), text) {
        (Some(tree), _) => params::parameters(&tree),
        (None, _) => Vec::new(),
    }
}

/// `a=1, b=2`: the settings as one line, for a report's title.
pub fn describe(settings: &[Setting]) -> String {
    settings
        .iter()
        .map(|s| format!("{}={}", s.parameter.path, s.text))
        .collect::<Vec<_>>()
        .join(", ")
}
