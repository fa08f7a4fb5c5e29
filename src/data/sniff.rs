//! Recognising files that are not UTF-8 text by their first bytes: a
//! spreadsheet, an archive, a columnar format, a PDF, UTF-16 or UTF-32 text.
//!
//! A data file given by mistake (a workbook instead of its CSV export) is
//! named for what it is (D012), and text in UTF-16 or UTF-32 is called that
//! (D004), instead of a list of bytes that are not UTF-8. Nothing of such a
//! file is ever echoed: its bytes are not text.

use crate::data::problem::DataProblem;
use crate::diag::Code;

/// How many bytes of the start of a file are looked at.
pub const SNIFF_BYTES: usize = 4096;

/// What the first bytes of a file say it is, when it is not UTF-8 text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A binary format: what it is, and how to get CSV from it.
    Binary {
        what: &'static str,
        fix: &'static str,
    },
    /// Text in another Unicode encoding.
    Encoding(&'static str),
}

const SPREADSHEET_FIX: &str =
    "open it in the spreadsheet tool and save the sheet as \"CSV UTF-8\", then score that file";
const EXTRACT_FIX: &str = "extract the data file from it and score that file";
const EXPORT_FIX: &str = "export the data as CSV, JSON or NDJSON and score that file";

/// Signatures at the start of a file. None is text a CSV header could start
/// with (`MZ`, `ORC`, `BZh` are left out for that reason).
const SIGNATURES: &[(&[u8], &str, &str)] = &[
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (.xls) or another OLE2 compound file",
        SPREADSHEET_FIX,
    ),
    (
        b"PK\x03\x04",
        "a ZIP archive, such as an Excel workbook (.xlsx) or an OpenDocument spreadsheet (.ods)",
        SPREADSHEET_FIX,
    ),
    (b"PK\x05\x06", "an empty ZIP archive", EXTRACT_FIX),
    // Text-like signatures carry the binary byte that follows them.
    (b"PAR1\x15", "a Parquet file", EXPORT_FIX),
    (b"ARROW1\x00", "an Arrow IPC file", EXPORT_FIX),
    (b"Obj\x01", "an Avro file", EXPORT_FIX),
    (b"SQLite format 3\x00", "an SQLite database", EXPORT_FIX),
    (
        b"\x1f\x8b",
        "gzip-compressed data (.gz)",
        "decompress it (`gunzip FILE`) and score the file inside",
    ),
    (
        b"\xfd7zXZ\x00",
        "xz-compressed data (.xz)",
        "decompress it (`unxz FILE`) and score the file inside",
    ),
    (
        b"\x28\xb5\x2f\xfd",
        "zstd-compressed data (.zst)",
        "decompress it (`unzstd FILE`) and score the file inside",
    ),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", EXTRACT_FIX),
    (b"Rar!\x1a\x07", "a RAR archive", EXTRACT_FIX),
    (b"%PDF-", "a PDF document", EXPORT_FIX),
    (b"\x7fELF", "an executable program", EXPORT_FIX),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", EXPORT_FIX),
    (b"\xff\xd8\xff", "a JPEG image", EXPORT_FIX),
];

/// What `head`, the first bytes of a file, says the file is, if it is
/// recognisably not UTF-8 text. UTF-8 text (with or without a byte order
/// mark) is `None`, and so are bytes that merely hold a stray invalid byte.
pub fn sniff(head: &[u8]) -> Option<Kind> {
    // UTF-32 first: its little-endian mark starts like UTF-16's.
    if head.starts_with(b"\xff\xfe\x00\x00") {
        return Some(Kind::Encoding("UTF-32 (little-endian)"));
    }
    if head.starts_with(b"\x00\x00\xfe\xff") {
        return Some(Kind::Encoding("UTF-32 (big-endian)"));
    }
    if head.starts_with(b"\xff\xfe") {
        return Some(Kind::Encoding("UTF-16 (little-endian)"));
    }
    if head.starts_with(b"\xfe\xff") {
        return Some(Kind::Encoding("UTF-16 (big-endian)"));
    }
    if head.starts_with(b"\xef\xbb\xbf") {
        return None;
    }
    for (signature, what, fix) in SIGNATURES {
        if head.starts_with(signature) {
            return Some(Kind::Binary { what, fix });
        }
    }
    // UTF-16 without a mark: ASCII text with a NUL before or after every byte.
    let sample = head.get(..head.len().min(512) & !1).unwrap_or_default();
    if sample.len() >= 4 {
        let pairs = || sample.chunks_exact(2);
        let count = pairs().count();
        if pairs().all(|p| p.get(1) == Some(&0) && p.first() != Some(&0)) {
            return Some(Kind::Encoding("UTF-16 (little-endian)"));
        }
        if count > 0 && pairs().all(|p| p.first() == Some(&0) && p.get(1) != Some(&0)) {
            return Some(Kind::Encoding("UTF-16 (big-endian)"));
        }
    }
    if head.iter().take(SNIFF_BYTES).any(|b| *b == 0) {
        return Some(Kind::Binary {
            what: "binary data (it holds NUL bytes), not text",
            fix: EXPORT_FIX,
        });
    }
    None
}

impl Kind {
    /// The problem of a data file of this kind: one line, naming what it is.
    pub fn problem(self) -> DataProblem {
        match self {
            Kind::Binary { what, fix } => DataProblem::new(
                Code::D012,
                1,
                format!("the file is {what}, not CSV, JSON or NDJSON text"),
                fix,
            ),
            Kind::Encoding(encoding) => DataProblem::new(
                Code::D004,
                1,
                format!("the file is {encoding} text, not UTF-8"),
                format!(
                    "save it as UTF-8 (spreadsheet tools call it \"CSV UTF-8\"), or convert it, for example with `iconv -f {} -t UTF-8`",
                    encoding.get(..6).unwrap_or(encoding)
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_named_by_their_signature() {
        let named = |bytes: &[u8]| match sniff(bytes) {
            Some(Kind::Binary { what, .. }) => what.to_string(),
            Some(Kind::Encoding(e)) => e.to_string(),
            None => "text".to_string(),
        };
        assert!(named(b"PK\x03\x04\x14\x00\x06\x00").contains(".xlsx"));
        assert!(named(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00").contains(".xls)"));
        assert_eq!(named(b"PAR1\x15\x04"), "a Parquet file");
        assert!(named(b"\x1f\x8b\x08\x00").contains("gzip"));
        assert_eq!(named(b"%PDF-1.7\n"), "a PDF document");
        assert_eq!(named(b"\xff\xfep\x00a\x00"), "UTF-16 (little-endian)");
        assert_eq!(named(b"\xfe\xff\x00p\x00a"), "UTF-16 (big-endian)");
        assert_eq!(
            named(b"\xff\xfe\x00\x00p\x00\x00\x00"),
            "UTF-32 (little-endian)"
        );
        assert_eq!(
            named(b"p\x00a\x00r\x00t\x00,\x00"),
            "UTF-16 (little-endian)"
        );
        assert_eq!(named(b"\x00p\x00a\x00r\x00t\x00,"), "UTF-16 (big-endian)");
        assert!(named(b"id,x\n1,\x00\x01\x02\n").contains("NUL"));
        for text in [
            &b"partner_id,revenue\nP1,1\n"[..],
            b"\xef\xbb\xbfpartner_id\n",
            b"[{\"a\": 1}]",
            b"id,city\n1,M\xfcnchen\n",
            b"",
            b"P",
            b"PK,name\n",
            b"PAR1,PAR2\n",
            b"ORCID,MZ\n",
        ] {
            assert_eq!(sniff(text), None, "{text:?}");
        }
    }
}
