//! The outline of a document: its input columns, metrics, segments, scores,
//! tiers, flags, rules, output and tests.

use lsp_types::{DocumentSymbol, SymbolKind};

use super::analysis::Analysis;
use super::text::{Encoding, LineIndex};
use crate::syntax::ast::{Decl, InputEntry, Span};

/// One entry before it is placed: name, detail, kind, whole span, name span.
type Entry = (String, &'static str, SymbolKind, Span, Span);

pub fn document_symbols(analysis: &Analysis, encoding: Encoding) -> Vec<DocumentSymbol> {
    let root = analysis.root();
    let Some(loaded) = analysis.program.files.iter().find(|l| l.file == root) else {
        return Vec::new();
    };
    let lines = analysis.lines(root, encoding);
    let mut out = Vec::new();
    for decl in &loaded.tree.decls {
        let (entry, children): (Entry, Vec<Entry>) = match decl {
            Decl::Input(input) => {
                let columns = input
                    .entries
                    .iter()
                    .filter_map(|e| match e {
                        InputEntry::Key(i, span) => {
                            Some((i.name.clone(), "key", SymbolKind::KEY, *span, i.span))
                        }
                        InputEntry::Period(i, span) => {
                            Some((i.name.clone(), "period", SymbolKind::FIELD, *span, i.span))
                        }
                        InputEntry::Column(c) => Some((
                            c.name.name.clone(),
                            "column",
                            SymbolKind::FIELD,
                            c.span,
                            c.name.span,
                        )),
                        InputEntry::OthersIgnored(_) => None,
                    })
                    .collect();
                (
                    (
                        "input".into(),
                        "input contract",
                        SymbolKind::STRUCT,
                        input.span,
                        input.span,
                    ),
                    columns,
                )
            }
            Decl::Tiers(t) => {
                let tiers = t
                    .tiers
                    .iter()
                    .map(|tier| {
                        (
                            tier.label.name.clone(),
                            "tier",
                            SymbolKind::ENUM_MEMBER,
                            tier.span,
                            tier.label.span,
                        )
                    })
                    .collect();
                (
                    (
                        format!("tiers {}", t.score.name),
                        "tiers",
                        SymbolKind::ENUM,
                        t.span,
                        t.score.span,
                    ),
                    tiers,
                )
            }
            Decl::Metric(m) => (
                (
                    m.name.name.clone(),
                    "metric",
                    SymbolKind::VARIABLE,
                    m.span,
                    m.name.span,
                ),
                Vec::new(),
            ),
            Decl::Segment(s) => (
                (
                    s.name.name.clone(),
                    "segment",
                    SymbolKind::ENUM,
                    s.span,
                    s.name.span,
                ),
                Vec::new(),
            ),
            Decl::Score(s) => (
                (
                    s.name.name.clone(),
                    "score",
                    SymbolKind::FUNCTION,
                    s.span,
                    s.name.span,
                ),
                Vec::new(),
            ),
            Decl::Flag(f) => (
                (
                    f.name.name.clone(),
                    "flag",
                    SymbolKind::BOOLEAN,
                    f.span,
                    f.name.span,
                ),
                Vec::new(),
            ),
            Decl::Rule(r) => (
                (
                    r.name.name.clone(),
                    "rule",
                    SymbolKind::EVENT,
                    r.span,
                    r.name.span,
                ),
                Vec::new(),
            ),
            Decl::Governance(g) => {
                let blocks = g
                    .blocks
                    .iter()
                    .map(|b| {
                        (
                            b.subject.keyword().to_string(),
                            "policy",
                            SymbolKind::OBJECT,
                            b.span,
                            b.span,
                        )
                    })
                    .collect();
                (
                    (
                        "governance".into(),
                        "corrections and overrides policy",
                        SymbolKind::STRUCT,
                        g.span,
                        g.span,
                    ),
                    blocks,
                )
            }
            Decl::Output(o) => (
                (
                    "output".into(),
                    "output columns",
                    SymbolKind::STRUCT,
                    o.span,
                    o.span,
                ),
                Vec::new(),
            ),
            Decl::Test(t) => (
                (
                    t.name.value.clone(),
                    "test",
                    SymbolKind::METHOD,
                    t.span,
                    t.name.span,
                ),
                Vec::new(),
            ),
            Decl::Snapshot(s) => (
                (
                    s.data.value.clone(),
                    "snapshot",
                    SymbolKind::FILE,
                    s.span,
                    s.data.span,
                ),
                Vec::new(),
            ),
            Decl::Import(i) => (
                (
                    i.path.value.clone(),
                    "import",
                    SymbolKind::MODULE,
                    i.span,
                    i.path.span,
                ),
                Vec::new(),
            ),
            Decl::Defaults(d) => (
                (
                    "defaults".into(),
                    "defaults",
                    SymbolKind::NAMESPACE,
                    d.span,
                    d.span,
                ),
                Vec::new(),
            ),
        };
        let children = children
            .into_iter()
            .map(|c| symbol(&lines, c, Vec::new()))
            .collect();
        out.push(symbol(&lines, entry, children));
    }
    out
}

#[allow(deprecated)] // `deprecated` is a field the type still requires.
fn symbol(
    lines: &LineIndex<'_>,
    (name, detail, kind, range, selection): Entry,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    DocumentSymbol {
        // An empty name is refused by some clients (a test named "").
        name: if name.is_empty() {
            " ".to_string()
        } else {
            name
        },
        detail: Some(detail.to_string()),
        kind,
        tags: None,
        deprecated: None,
        range: lines.range(range),
        selection_range: lines.range(selection),
        children: (!children.is_empty()).then_some(children),
    }
}
