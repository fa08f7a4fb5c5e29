//! Reading only the column names of a data file, for `check --data`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::data::sniff::{Kind, SNIFF_BYTES, sniff};

/// The formats data files come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Json,
    Ndjson,
}

impl DataFormat {
    /// The format a file's extension names (CSV when unknown).
    pub fn from_path(path: &Path) -> DataFormat {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => DataFormat::Json,
            Some("ndjson" | "jsonl") => DataFormat::Ndjson,
            _ => DataFormat::Csv,
        }
    }
}

/// The header of a data file: its column names, and the text they were read from.
#[derive(Debug)]
pub struct Header {
    pub columns: Vec<String>,
    /// The first line (CSV, NDJSON) or the first object (JSON), for pointing at.
    pub text: String,
    /// Byte range of each column name within `text`.
    pub spans: Vec<(usize, usize)>,
}

impl Header {
    /// The header of a file whose column names are known (a workbook's
    /// first row, a Parquet file's schema): the names as one CSV line,
    /// each name's span in it.
    pub fn from_names(columns: Vec<String>) -> Header {
        let mut text = String::new();
        let mut spans = Vec::with_capacity(columns.len());
        for (i, name) in columns.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            let start = text.len();
            if name.contains([',', '"', '\n', '\r']) {
                text.push('"');
                text.push_str(&name.replace('"', "\"\""));
                text.push('"');
            } else {
                text.push_str(name);
            }
            spans.push((start, text.len()));
        }
        Header {
            columns,
            text,
            spans,
        }
    }
}

/// Why a header could not be read.
#[derive(Debug)]
pub enum HeaderError {
    Io(std::io::Error),
    /// The content is not a usable header: the reason, and the text read.
    Invalid(String, String),
    /// The file is not UTF-8 text: a binary format, or another encoding.
    NotText(Kind),
}

/// The longest first line read when looking for a header.
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// A first line read up to [`MAX_HEADER_BYTES`] without reaching its end: the
/// header goes on past the limit, and its names cannot all be known.
fn cut_at_the_limit(len: usize, last: Option<&u8>) -> bool {
    len as u64 >= MAX_HEADER_BYTES && last != Some(&b'\n')
}

fn too_long() -> HeaderError {
    HeaderError::Invalid(
        "the header row is longer than the 1 MiB line limit, so its column names cannot all be read".into(),
        String::new(),
    )
}

pub fn read_header(path: &Path, format: DataFormat) -> Result<Header, HeaderError> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(HeaderError::Io)?;
    if let Some(kind) = sniff(&head) {
        return Err(HeaderError::NotText(kind));
    }
    let file = std::fs::File::open(path).map_err(HeaderError::Io)?;
    match format {
        DataFormat::Csv => {
            let mut line = Vec::new();
            BufReader::new(file.take(MAX_HEADER_BYTES))
                .read_until(b'\n', &mut line)
                .map_err(HeaderError::Io)?;
            if cut_at_the_limit(line.len(), line.last()) {
                return Err(too_long());
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let text = text.trim_end_matches(['\n', '\r']).to_string();
            let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let offset = text.len() - body.len();
            if body.trim().is_empty() {
                return Err(HeaderError::Invalid(
                    "the file is empty: there is no header row".into(),
                    text,
                ));
            }
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(body.as_bytes());
            let mut record = csv::StringRecord::new();
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(HeaderError::Invalid(
                        "the file has no header row".into(),
                        text,
                    ));
                }
                Err(e) => {
                    return Err(HeaderError::Invalid(
                        format!("the header row is not valid CSV: {e}"),
                        text,
                    ));
                }
            }
            let columns: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
            let spans = locate(&text, offset, &columns);
            Ok(Header {
                columns,
                text,
                spans,
            })
        }
        DataFormat::Ndjson => {
            let mut line = String::new();
            BufReader::new(file.take(MAX_HEADER_BYTES))
                .read_line(&mut line)
                .map_err(HeaderError::Io)?;
            if cut_at_the_limit(line.len(), line.as_bytes().last()) {
                return Err(too_long());
            }
            let text = line.trim_end().to_string();
            object_keys(&text).map(|columns| {
                let spans = locate(&text, 0, &columns);
                Header {
                    columns,
                    text,
                    spans,
                }
            })
        }
        DataFormat::Json => {
            let value: serde_json::Value = serde_json::from_reader(BufReader::new(file))
                .map_err(|e| HeaderError::Invalid(format!("not valid JSON: {e}"), String::new()))?;
            let serde_json::Value::Array(items) = value else {
                return Err(HeaderError::Invalid(
                    "a JSON data file must be an array of objects".into(),
                    String::new(),
                ));
            };
            let Some(serde_json::Value::Object(first)) = items.first() else {
                return Err(HeaderError::Invalid(
                    "the JSON array has no object to take column names from".into(),
                    String::new(),
                ));
            };
            let columns: Vec<String> = first.keys().cloned().collect();
            let text = serde_json::to_string(first).unwrap_or_default();
            let spans = locate(&text, 0, &columns);
            Ok(Header {
                columns,
                text,
                spans,
            })
        }
    }
}

fn object_keys(text: &str) -> Result<Vec<String>, HeaderError> {
    if text.is_empty() {
        return Err(HeaderError::Invalid(
            "the file is empty".into(),
            String::new(),
        ));
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map.keys().cloned().collect()),
        Ok(_) => Err(HeaderError::Invalid(
            "the first line is not a JSON object".into(),
            text.to_string(),
        )),
        Err(e) => Err(HeaderError::Invalid(
            format!("the first line is not valid JSON: {e}"),
            text.to_string(),
        )),
    }
}

/// When `found` is `wanted` written with a look-alike character from another
/// alphabet (`rеvenue` with a Cyrillic `е`): which character, by code point.
pub fn look_alike(found: &str, wanted: &str) -> Option<String> {
    let c = found.chars().find(|c| !c.is_ascii())?;
    wanted.is_ascii().then(|| {
        format!(
            "whose `{c}` is the character U+{:04X}, not an ASCII letter: retype it",
            c as u32
        )
    })
}

/// Where each name stands in the header text (searching left to right).
fn locate(text: &str, start: usize, names: &[String]) -> Vec<(usize, usize)> {
    let mut at = start;
    names
        .iter()
        .map(
            |name| match text.get(at..).and_then(|rest| rest.find(name.as_str())) {
                Some(i) if !name.is_empty() => {
                    let s = at + i;
                    at = s + name.len();
                    (s, s + name.len())
                }
                _ => (at, at),
            },
        )
        .collect()
}
