//! The catalogue as one self-contained HTML page (inline CSS, no scripts, no
//! network); every text is escaped here, in elements and attributes alike.

use super::markdown::anchor_id;
use super::{Block, Doc, Inline, Text};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1f2328}\
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;vertical-align:top}\
th{background:#f6f8fa}code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px;font-size:90%}\
h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}ul.fields{list-style:none;padding-left:0}";

/// The document as a complete HTML page.
pub fn html(doc: &Doc) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>");
    out.push_str(&escape(&doc.title));
    out.push_str("</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    for block in &doc.blocks {
        match block {
            Block::Heading {
                level,
                anchor,
                text,
            } => {
                let level = (*level).clamp(1, 6);
                out.push_str(&format!("<h{level} id=\"{}\">", anchor_id(anchor)));
                out.push_str(&line(text));
                out.push_str(&format!("</h{level}>"));
            }
            Block::Paragraph(text) => {
                out.push_str("<p>");
                out.push_str(&line(text));
                out.push_str("</p>");
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str("<li>");
                    out.push_str(&line(item));
                    out.push_str("</li>\n");
                }
                out.push_str("</ul>");
            }
            Block::Fields(fields) => {
                out.push_str("<ul class=\"fields\">\n");
                for (label, value) in fields {
                    out.push_str("<li><strong>");
                    out.push_str(&escape(label));
                    out.push_str(":</strong> ");
                    out.push_str(&line(value));
                    out.push_str("</li>\n");
                }
                out.push_str("</ul>");
            }
            Block::Table { head, rows } => {
                out.push_str("<table>\n<thead><tr>");
                for h in head {
                    out.push_str("<th>");
                    out.push_str(&escape(h));
                    out.push_str("</th>");
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        out.push_str("<td>");
                        out.push_str(&line(cell));
                        out.push_str("</td>");
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>");
            }
        }
        out.push('\n');
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn line(text: &Text) -> String {
    let mut out = String::new();
    for piece in &text.0 {
        match piece {
            Inline::Plain(s) => out.push_str(&escape(s)),
            Inline::Code(s) => {
                out.push_str("<code>");
                out.push_str(&escape(s));
                out.push_str("</code>");
            }
            Inline::Link { name, anchor } => {
                out.push_str("<a href=\"#");
                out.push_str(&anchor_id(anchor));
                out.push_str("\"><code>");
                out.push_str(&escape(name));
                out.push_str("</code></a>");
            }
            Inline::Strong(s) => {
                out.push_str("<strong>");
                out.push_str(&escape(s));
                out.push_str("</strong>");
            }
        }
    }
    out
}

/// Text safe in an element or a quoted attribute.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Escaped text has no character that could open a tag or close an
        /// attribute, and reads back as what was written.
        #[test]
        fn escaped_text_is_inert_and_faithful(s in "\\PC*") {
            let e = escape(&s);
            proptest::prop_assert!(!e.contains(['<', '>', '"', '\'']));
            let back = e
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            proptest::prop_assert_eq!(back, s);
        }
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }
}
