//! A partner whose rows were rejected by the input contract: finding its rows
//! among the rejected ones, so `explain` can say which line was rejected and
//! why instead of "no such partner".

use crate::data::header::DataFormat;
use crate::data::load::Rejected;

/// Where the key and period sit in a rejected row.
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    pub format: DataFormat,
    /// The CSV header's column names, when they could be read (not from
    /// standard input): without them any field equal to the partner matches.
    pub header: Option<&'a [String]>,
    pub key: &'a str,
    pub period: Option<&'a str>,
}

/// A rejected row of the partner, with its period when it could be read.
#[derive(Clone, Debug, PartialEq)]
pub struct RejectedRow<'a> {
    pub row: &'a Rejected,
    pub period: Option<String>,
}

/// The rejected rows whose key is `partner`, in line order.
pub fn rows_of<'a>(
    rejected: &'a [Rejected],
    fields: &Fields<'_>,
    partner: &str,
) -> Vec<RejectedRow<'a>> {
    let mut out = Vec::new();
    for row in rejected {
        match fields.format {
            DataFormat::Csv => {
                let values = csv_fields(&row.row_text);
                let at = |name: &str| {
                    let header = fields.header?;
                    let i = header.iter().position(|h| h == name)?;
                    values.get(i).cloned()
                };
                let matches = match fields.header {
                    Some(_) => at(fields.key).as_deref() == Some(partner),
                    None => values.iter().any(|v| v == partner),
                };
                if matches {
                    out.push(RejectedRow {
                        row,
                        period: fields.period.and_then(at),
                    });
                }
            }
            DataFormat::Json | DataFormat::Ndjson => {
                let Ok(serde_json::Value::Object(object)) =
                    serde_json::from_str::<serde_json::Value>(&row.row_text)
                else {
                    continue;
                };
                let text = |name: &str| match object.get(name)? {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                if text(fields.key).as_deref() == Some(partner) {
                    out.push(RejectedRow {
                        row,
                        period: fields.period.and_then(text),
                    });
                }
            }
        }
    }
    out
}

/// The fields of one CSV record (RFC 4180: `""` in a quoted field is a quote).
/// Values are compared as the loader compares keys: spaces around an unquoted
/// field removed.
fn csv_fields(record: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                out.push(finish(&mut field, was_quoted));
                was_quoted = false;
            }
            (false, c) => field.push(c),
        }
    }
    out.push(finish(&mut field, was_quoted));
    out
}

fn finish(field: &mut String, quoted: bool) -> String {
    let value = std::mem::take(field);
    if quoted {
        value
    } else {
        value.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::csv_fields;

    #[test]
    fn csv_fields_follow_rfc_4180() {
        assert_eq!(
            csv_fields(r#"P1, 2025Q1,"a, ""b""",,x"#),
            ["P1", "2025Q1", r#"a, "b""#, "", "x"]
        );
        assert_eq!(csv_fields(r#""P 1 ""#), ["P 1 "]);
    }
}
