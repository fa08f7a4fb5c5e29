//! `scorecard explain-code CODE`: the documentation of a diagnostic code.

use clap::Args;

use super::Exit;
use crate::diag::Code;
use crate::diag::docs::documentation;

#[derive(Debug, Args)]
pub struct ExplainCodeArgs {
    /// A code such as `L001`, or its name such as `weights-not-100`. Without one, every code is listed.
    pub code: Option<String>,
}

pub fn run(args: &ExplainCodeArgs) -> Exit {
    let Some(text) = &args.code else {
        let mut out = String::new();
        for code in Code::ALL {
            out.push_str(&format!(
                "{}  {:<8} {:<24} {}\n",
                code.as_str(),
                code.severity().as_str(),
                code.name(),
                code.summary()
            ));
        }
        super::print(&out);
        return Exit::Clean;
    };
    let Some(code) = Code::parse(text) else {
        let names = Code::ALL.iter().flat_map(|c| [c.as_str(), c.name()]);
        let hint = match crate::diag::fuzzy::closest(text, names) {
            Some(s) => format!("; did you mean `{s}`?"),
            None => "; `scorecard explain-code` lists every code".to_string(),
        };
        return super::fail(&format!("unknown diagnostic code `{text}`{hint}"));
    };
    match documentation(code) {
        Some(doc) => {
            super::print(&format!("{doc}\n"));
            Exit::Clean
        }
        None => super::fail(&format!("{} has no documentation", code.as_str())),
    }
}
