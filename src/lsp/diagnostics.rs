//! The checker's diagnostics as the editor shows them: code, link to the
//! code's documentation, message with its help line, related notes.

use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, NumberOrString,
    PublishDiagnosticsParams,
};

use super::analysis::Analysis;
use super::text::Encoding;
use crate::diag::{Severity, docs};
use crate::source::FileId;

/// Every diagnostic `check` reports in one file of the analysis' program.
pub fn in_file(
    analysis: &Analysis,
    file: FileId,
    encoding: Encoding,
) -> Option<(lsp_types::Uri, Vec<Diagnostic>)> {
    let lines = analysis.lines(file, encoding);
    let uri: lsp_types::Uri = analysis.uri(file).parse().ok()?;
    let items = analysis
        .checked
        .diagnostics
        .iter()
        .filter(|d| d.file == file)
        .map(|d| {
            let mut message = d.message.clone();
            if !d.help.is_empty() {
                message.push_str("\nhelp: ");
                message.push_str(&d.help);
            }
            let related: Vec<DiagnosticRelatedInformation> = d
                .notes
                .iter()
                .map(|n| DiagnosticRelatedInformation {
                    location: lsp_types::Location::new(uri.clone(), lines.range(n.span)),
                    message: n.message.clone(),
                })
                .collect();
            Diagnostic {
                range: lines.range(d.span),
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.code.as_str().to_string())),
                code_description: docs::url(d.code)
                    .parse()
                    .ok()
                    .map(|href| CodeDescription { href }),
                source: Some("scorecard".to_string()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                tags: None,
                data: None,
            }
        })
        .collect();
    Some((uri, items))
}

/// The notification for a URI.
pub fn params(
    uri: lsp_types::Uri,
    diagnostics: Vec<Diagnostic>,
    version: Option<i32>,
) -> PublishDiagnosticsParams {
    PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    }
}
