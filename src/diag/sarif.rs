//! SARIF 2.1.0 for code-scanning services (`check --format sarif`): one run,
//! a rule for every code reported, a result for every diagnostic.

use serde_json::{Value, json};

use super::{Code, Diagnostic, Severity, docs};
use crate::source::SourceMap;

/// The SARIF log of `diagnostics`, pretty-printed.
pub fn sarif(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<Value> = codes.iter().map(|c| rule(*c)).collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let index = codes.iter().position(|c| *c == d.code).unwrap_or(0);
            result(d, index, sources)
        })
        .collect();
    let log = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "scorecard",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": docs::url_base(),
                    "rules": rules,
                }
            },
            // Columns count characters, as every other output of `check` does.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_string()) + "\n"
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(code: Code) -> Value {
    let mut rule = json!({
        "id": code.as_str(),
        "name": code.name(),
        "shortDescription": { "text": code.summary() },
        "helpUri": docs::url(code),
        "defaultConfiguration": { "level": level(code.severity()) },
    });
    if let (Some(text), Some(map)) = (docs::documentation(code), rule.as_object_mut()) {
        map.insert("help".into(), json!({ "text": text, "markdown": text }));
    }
    rule
}

fn region(sources: &SourceMap, d: &Diagnostic, span: crate::source::Span) -> Value {
    let file = sources.get(d.file);
    let (line, column) = file.map_or((1, 1), |f| f.line_col(span.start));
    let (end_line, end_column) = file.map_or((1, 1), |f| f.line_col(span.end));
    // An empty span still marks one character, as SARIF regions must not be empty lines.
    let end_column = if (end_line, end_column) == (line, column) {
        column + 1
    } else {
        end_column
    };
    json!({
        "startLine": line,
        "startColumn": column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

fn location(sources: &SourceMap, d: &Diagnostic, span: crate::source::Span) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(sources.name(d.file)) },
            "region": region(sources, d, span),
        }
    })
}

fn result(d: &Diagnostic, rule_index: usize, sources: &SourceMap) -> Value {
    let mut text = d.message.clone();
    if !d.help.is_empty() {
        text.push_str("\nhelp: ");
        text.push_str(&d.help);
    }
    let mut result = json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": { "text": text },
        "locations": [location(sources, d, d.span)],
    });
    if !d.notes.is_empty() {
        let related: Vec<Value> = d
            .notes
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let mut l = location(sources, d, n.span);
                if let Some(map) = l.as_object_mut() {
                    map.insert("id".into(), json!(k));
                    map.insert("message".into(), json!({ "text": n.message }));
                }
                l
            })
            .collect();
        if let Some(map) = result.as_object_mut() {
            map.insert("relatedLocations".into(), Value::Array(related));
        }
    }
    result
}

/// A file name as a relative URI reference: `/` separators, and every byte
/// outside the unreserved characters percent-encoded.
pub fn uri(name: &str) -> String {
    let name = name.replace('\\', "/");
    let name = name.strip_prefix("./").unwrap_or(&name);
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
