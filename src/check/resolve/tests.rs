//! Tests and snapshots: test rows and their values under the contract, and
//! each expectation's subject.
//!
//! Raises: `N003`, `S004`, `S012`, `T001`.

use super::state::*;
use crate::diag::fuzzy;
use crate::diag::{Code, Diagnostic};
use crate::model::*;
use crate::source::FileId;
use crate::syntax::ast::{self, CmpOp, Decl, Span};

impl<'p> Resolver<'p> {
    pub(super) fn resolve_snapshots(&mut self) {
        let root = self.program.root;
        for (file, _, decl) in self.decls() {
            let Decl::Snapshot(s) = decl else { continue };
            if Some(file) != root {
                continue;
            }
            let period = match &s.period {
                None => None,
                Some(l) if !l.quoted && l.text == "latest" => None,
                Some(l) if !l.quoted && l.text == "all" => Some(None),
                Some(l) if l.quoted => Some(Some(l.text.clone())),
                Some(l) => {
                    self.bad_word(file, l.span, "snapshot period", &l.text, &["latest", "all"]);
                    None
                }
            };
            if self
                .model
                .snapshots
                .iter()
                .any(|x| x.data == s.data.value && x.period == period)
            {
                self.push(
                    Diagnostic::new(
                        Code::S004,
                        file,
                        s.span,
                        "the same snapshot is declared twice",
                    )
                    .label("second declaration")
                    .help("keep one"),
                );
                continue;
            }
            let mut corrections = None;
            let mut overrides = None;
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            for g in &s.governance {
                self.once(&mut seen, file, g.kind.file_keyword(), g.span);
                let slot = match g.kind {
                    ast::GovernKind::Corrections => &mut corrections,
                    ast::GovernKind::Overrides => &mut overrides,
                };
                if slot.is_none() {
                    *slot = Some((g.path.value.clone(), loc(file, g.path.span)));
                }
            }
            self.model.snapshots.push(SnapshotDef {
                data: s.data.value.clone(),
                period,
                corrections,
                overrides,
                loc: loc(file, s.span),
            });
        }
    }

    pub(super) fn resolve_tests(&mut self) {
        let root = self.program.root;
        // The root file's `defaults { given { … } }`, checked once.
        let shared: Vec<(ColumnId, TestValue)> = match root {
            Some(r) => {
                let fields = self.file_defaults(r).map_or(&[][..], |d| d.given);
                self.test_fields(r, fields)
            }
            None => Vec::new(),
        };
        for (file, _, decl) in self.decls() {
            let Decl::Test(t) = decl else { continue };
            if Some(file) != root {
                continue;
            }
            let ctx = Ctx {
                file,
                points_of: None,
            };
            let mut def = TestDef {
                name: t.name.value.clone(),
                loc: loc(file, t.span),
                rows: Vec::new(),
                files: Vec::new(),
                partner: None,
                period: None,
                corrections: GovernInput::default(),
                overrides: GovernInput::default(),
                expects: Vec::new(),
            };
            // Values for the rows that do not give them: the test's own
            // `defaults`, then the file's.
            let mut fill: Vec<(ColumnId, TestValue)> = Vec::new();
            let mut seen: Vec<(&'static str, Span)> = Vec::new();
            for clause in &t.clauses {
                if let ast::TestClause::Defaults(fields, span) = clause {
                    self.once(&mut seen, file, "defaults", *span);
                    if fill.is_empty() {
                        fill = self.test_fields(file, fields);
                    }
                }
            }
            for (c, v) in &shared {
                if !fill.iter().any(|(x, _)| x == c) {
                    fill.push((*c, v.clone()));
                }
            }
            for clause in &t.clauses {
                match clause {
                    ast::TestClause::GivenRow(fields, span) => {
                        let row = self.test_row(file, fields, *span, &fill);
                        def.rows.push(row);
                    }
                    ast::TestClause::Defaults(..) => {}
                    ast::TestClause::GivenFile(path, _) => {
                        def.files.push((path.value.clone(), loc(file, path.span)))
                    }
                    ast::TestClause::Partner(p, _) => def.partner = Some(p.value.clone()),
                    ast::TestClause::Period(p, _) => def.period = Some(p.value.clone()),
                    ast::TestClause::GovernFile(g) => {
                        self.once(&mut seen, file, g.kind.file_keyword(), g.span);
                        let input = match g.kind {
                            ast::GovernKind::Corrections => &mut def.corrections,
                            ast::GovernKind::Overrides => &mut def.overrides,
                        };
                        if input.file.is_none() {
                            input.file = Some((g.path.value.clone(), loc(file, g.path.span)));
                        }
                    }
                    ast::TestClause::GovernRow(kind, fields, span) => {
                        let row = self.govern_row(file, *kind, fields, *span);
                        match kind {
                            ast::GovernKind::Corrections => def.corrections.rows.push(row),
                            ast::GovernKind::Overrides => def.overrides.rows.push(row),
                        }
                    }
                    ast::TestClause::Expect(e) => {
                        if let Some(x) = self.expectation(file, e, ctx) {
                            def.expects.push(x);
                        }
                    }
                }
            }
            for (kind, input) in [
                (ast::GovernKind::Corrections, &def.corrections),
                (ast::GovernKind::Overrides, &def.overrides),
            ] {
                if let (Some((path, at)), Some(row)) = (&input.file, input.rows.first()) {
                    self.push(
                        Diagnostic::new(
                            Code::S012,
                            file,
                            row.loc.span,
                            format!(
                                "this test reads its {} from `{path}` and also writes `{}` lines",
                                kind.file_keyword(),
                                kind.row_keyword()
                            ),
                        )
                        .label("a line written in the test")
                        .note(at.span, "the file")
                        .help(format!(
                            "give the {} in the file or in the test, not both",
                            kind.file_keyword()
                        )),
                    );
                }
            }
            if def.rows.is_empty() && def.files.is_empty() {
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        t.name.span,
                        format!("the test {:?} has no partner rows", t.name.value),
                    )
                    .label("this test")
                    .help("add `given { column: value, … }` or `given file \"data.csv\"`"),
                );
            }
            if def.partner.is_none() && def.files.is_empty() {
                if let Some(key) = self.model.contract.key {
                    let mut keys: Vec<String> = Vec::new();
                    for row in &def.rows {
                        if let Some((_, TestValue::Text(k))) =
                            row.values.iter().find(|(c, _)| *c == key)
                        {
                            if !keys.contains(k) {
                                keys.push(k.clone());
                            }
                        }
                    }
                    if keys.len() > 1 {
                        self.push(
                            Diagnostic::new(
                                Code::S012,
                                file,
                                t.name.span,
                                "this test has rows of several partners but no `partner`",
                            )
                            .label("which partner do the expectations describe?")
                            .help(format!(
                                "add `partner {:?}`",
                                keys.first().cloned().unwrap_or_default()
                            )),
                        );
                    }
                }
            }
            if def.expects.is_empty() {
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        t.name.span,
                        format!("the test {:?} expects nothing", t.name.value),
                    )
                    .label("this test")
                    .help("add `expect …`, for example `expect tier(overall) == good`"),
                );
            }
            self.model.tests.push(def);
        }
    }

    /// `correction { … }` or `override { … }`: each field a column of the
    /// file's header, given once; the values are checked when the test runs,
    /// as a file's would be.
    fn govern_row(
        &mut self,
        file: FileId,
        kind: ast::GovernKind,
        fields: &[ast::Field],
        span: Span,
    ) -> GovernRow {
        let header: &[&str] = match kind {
            ast::GovernKind::Corrections => &CORRECTION_COLUMNS,
            ast::GovernKind::Overrides => &OVERRIDE_COLUMNS,
        };
        let mut out: Vec<(String, String)> = Vec::new();
        for field in fields {
            let name = field.name.name.as_str();
            if !header.contains(&name) {
                let help = match fuzzy::closest(name, header.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the fields are: {}", header.join(", ")),
                };
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        field.name.span,
                        format!("`{name}` is not a field of `{}`", kind.row_keyword()),
                    )
                    .label("unknown field")
                    .help(help),
                );
                continue;
            }
            if out.iter().any(|(n, _)| n == name) {
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        field.span,
                        format!("`{name}` is given twice in this line"),
                    )
                    .label("second value")
                    .help("give each field once"),
                );
                continue;
            }
            let value = match &field.value.kind {
                ast::LiteralKind::Number(n) => n.text.clone(),
                ast::LiteralKind::Str(s) | ast::LiteralKind::Name(s) => s.clone(),
                ast::LiteralKind::Bool(b) => b.to_string(),
                ast::LiteralKind::Missing => String::new(),
            };
            out.push((name.to_string(), value));
        }
        GovernRow {
            fields: out,
            loc: loc(file, span),
        }
    }

    /// A `given` row: its own values, then those of `fill` for the columns it
    /// does not give.
    pub(super) fn test_row(
        &mut self,
        file: FileId,
        fields: &[ast::Field],
        span: Span,
        fill: &[(ColumnId, TestValue)],
    ) -> TestRow {
        let mut values = self.test_fields(file, fields);
        for (c, v) in fill {
            if !values.iter().any(|(x, _)| x == c) {
                values.push((*c, v.clone()));
            }
        }
        let missing: Vec<String> = self
            .model
            .contract
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| !c.optional && !values.iter().any(|(v, _)| v.index() == *i))
            .map(|(_, c)| c.name.clone())
            .collect();
        if !missing.is_empty() {
            let shown: Vec<String> = missing.iter().take(6).map(|m| format!("`{m}`")).collect();
            let more = if missing.len() > 6 {
                format!(" and {} more", missing.len() - 6)
            } else {
                String::new()
            };
            self.push(
                Diagnostic::new(
                    Code::S012,
                    file,
                    span,
                    format!(
                        "this row lacks required columns: {}{more}",
                        shown.join(", ")
                    ),
                )
                .label("incomplete row")
                .help("give every column the input block does not mark `optional`, in the row or in `defaults`"),
            );
        }
        TestRow {
            values,
            loc: loc(file, span),
        }
    }

    /// The `column: value` fields of a row or of `defaults`, checked against
    /// the contract.
    pub(super) fn test_fields(
        &mut self,
        file: FileId,
        fields: &[ast::Field],
    ) -> Vec<(ColumnId, TestValue)> {
        let mut values: Vec<(ColumnId, TestValue)> = Vec::new();
        for field in fields {
            let Some(column) = self.model.contract.find(&field.name.name) else {
                let names: Vec<String> = self
                    .model
                    .contract
                    .columns
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                let help = match fuzzy::closest(&field.name.name, names.iter().map(String::as_str))
                {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "given rows hold input columns only".to_string(),
                };
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        field.name.span,
                        format!("`{}` is not an input column", field.name.name),
                    )
                    .label("unknown column")
                    .help(help),
                );
                continue;
            };
            if values.iter().any(|(c, _)| *c == column) {
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        field.span,
                        format!("`{}` is given twice in this row", field.name.name),
                    )
                    .label("second value")
                    .help("give each column once per row"),
                );
                continue;
            }
            let ty = self
                .model
                .contract
                .column(column)
                .map_or(Type::Any, |c| c.ty);
            match self.test_value(file, &field.value, ty) {
                Some(v) => values.push((column, v)),
                None => continue,
            }
        }
        values
    }

    pub(super) fn test_value(
        &mut self,
        file: FileId,
        literal: &ast::Literal,
        ty: Type,
    ) -> Option<TestValue> {
        let value = match &literal.kind {
            ast::LiteralKind::Number(n) => TestValue::Number(n.value),
            ast::LiteralKind::Str(s) => TestValue::Text(s.clone()),
            ast::LiteralKind::Name(s) => TestValue::Text(s.clone()),
            ast::LiteralKind::Bool(b) => TestValue::Bool(*b),
            ast::LiteralKind::Missing => TestValue::Missing,
        };
        let fits = match (&value, ty) {
            (TestValue::Missing, _) | (_, Type::Any) => true,
            (TestValue::Number(n), Type::Integer) => n.fract() == 0.0,
            (TestValue::Number(_), Type::Number) => true,
            (TestValue::Text(_), Type::Text) => true,
            (TestValue::Text(t), Type::Enum(e)) => self
                .model
                .enum_type(e)
                .is_some_and(|x| x.labels.contains(t)),
            (TestValue::Number(n), Type::Enum(e)) => self
                .model
                .enum_type(e)
                .is_some_and(|x| x.labels.contains(&format_number(*n))),
            (TestValue::Bool(_), Type::Bool) => true,
            _ => false,
        };
        if !fits {
            let expected = self.type_name(ty);
            self.push(
                Diagnostic::new(
                    Code::S012,
                    file,
                    literal.span,
                    format!("this value is not {expected}"),
                )
                .label("wrong kind of value")
                .help(format!("give {expected} here")),
            );
            return None;
        }
        if let (TestValue::Number(n), Type::Enum(_)) = (&value, ty) {
            return Some(TestValue::Text(format_number(*n)));
        }
        Some(value)
    }

    pub(super) fn expectation(
        &mut self,
        file: FileId,
        e: &ast::Expect,
        ctx: Ctx,
    ) -> Option<ExpectDef> {
        let l = loc(file, e.span);
        let kind = match &e.kind {
            ast::ExpectKind::List {
                subject,
                negated,
                label,
            } => self.expect_list(file, subject, *negated, label)?,
            ast::ExpectKind::State {
                subject,
                negated,
                state,
            } => self.expect_state(file, subject, *negated, state, ctx)?,
            ast::ExpectKind::Compare { .. } => self.expect_compare(file, e, ctx)?,
        };
        Some(ExpectDef { kind, loc: l })
    }

    /// `expect actions contain "…"` or `expect flags contain …` (`N003` for
    /// an action no rule gives).
    fn expect_list(
        &mut self,
        file: FileId,
        subject: &ast::ListSubject,
        negated: bool,
        label: &ast::Label,
    ) -> Option<ExpectKindDef> {
        match subject {
            ast::ListSubject::Actions => {
                let known = self
                    .model
                    .rules
                    .iter()
                    .any(|r| r.actions.contains(&label.text));
                if !known {
                    let all: Vec<String> = self
                        .model
                        .rules
                        .iter()
                        .flat_map(|r| r.actions.clone())
                        .collect();
                    let help = match fuzzy::closest(&label.text, all.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean {s:?}?"),
                        None => "name an action that a rule gives".to_string(),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::N003,
                            file,
                            label.span,
                            format!("no rule gives the action {:?}", label.text),
                        )
                        .label("unknown action")
                        .help(help),
                    );
                    return None;
                }
                Some(ExpectKindDef::Actions {
                    negated,
                    label: label.text.clone(),
                })
            }
            ast::ListSubject::Flags => {
                let ident = ast::Ident {
                    name: label.text.clone(),
                    span: label.span,
                };
                let flag = self.expect_symbol(file, &ident, "flag", |s| match s {
                    Symbol::Flag(id) => Some(id),
                    _ => None,
                })?;
                Some(ExpectKindDef::Flags { negated, flag })
            }
        }
    }

    /// `expect X is provisional` and the like (`S012` when X is not a score).
    fn expect_state(
        &mut self,
        file: FileId,
        subject: &ast::Subject,
        negated: bool,
        state: &ast::StateWord,
        ctx: Ctx,
    ) -> Option<ExpectKindDef> {
        let target = self.subject(file, subject, ctx)?;
        if matches!(
            state,
            ast::StateWord::Provisional | ast::StateWord::Insufficient
        ) && !matches!(
            target.kind,
            ExprKind::Score(..) | ExprKind::Tier(_) | ExprKind::ComputedTier(_)
        ) {
            self.push(
                Diagnostic::new(
                    Code::S012,
                    file,
                    subject.span,
                    "only scores can be provisional or insufficient",
                )
                .label("not a score")
                .help("name a score here"),
            );
            return None;
        }
        Some(ExpectKindDef::State {
            target,
            negated,
            state: *state,
        })
    }

    /// `expect X == value` (within a tolerance): the value under X's type
    /// (`N003` for an unknown label, `S012` for a tolerance on what is not a
    /// number, `T001` for an order comparison of what is not a number).
    fn expect_compare(&mut self, file: FileId, e: &ast::Expect, ctx: Ctx) -> Option<ExpectKindDef> {
        let ast::ExpectKind::Compare {
            subject,
            op,
            expected,
            tolerance,
        } = &e.kind
        else {
            return None;
        };
        let target = self.subject(file, subject, ctx)?;
        let expected_value = match (&expected.kind, target.ty) {
            (ast::LiteralKind::Name(n) | ast::LiteralKind::Str(n), Type::Enum(e)) => {
                let labels = self
                    .model
                    .enum_type(e)
                    .map(|t| t.labels.clone())
                    .unwrap_or_default();
                if !labels.contains(n) {
                    let help = match fuzzy::closest(n, labels.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("the labels are: {}", labels.join(", ")),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::N003,
                            file,
                            expected.span,
                            format!("`{n}` is not one of the labels here"),
                        )
                        .label("unknown label")
                        .help(help),
                    );
                    return None;
                }
                TestValue::Text(n.clone())
            }
            _ => self.test_value(file, expected, target.ty)?,
        };
        if let Some(t) = tolerance {
            if !target.ty.is_numeric() || t.value < 0.0 {
                self.push(
                    Diagnostic::new(
                        Code::S012,
                        file,
                        t.span,
                        "a tolerance needs a number on both sides",
                    )
                    .label("tolerance here")
                    .help("use `within` only when comparing numbers"),
                );
            }
        }
        if !target.ty.is_numeric() && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            self.push(
                Diagnostic::new(
                    Code::T001,
                    file,
                    e.span,
                    format!(
                        "`{}` compares numbers, but this is {}",
                        op.symbol(),
                        self.type_name(target.ty)
                    ),
                )
                .label("not a number")
                .help("use `==` or `!=`"),
            );
            return None;
        }
        Some(ExpectKindDef::Compare {
            target,
            op: *op,
            expected: expected_value,
            tolerance: tolerance.as_ref().map(|t| t.value),
        })
    }

    pub(super) fn subject(
        &mut self,
        _file: FileId,
        subject: &ast::Subject,
        ctx: Ctx,
    ) -> Option<Expr> {
        let name_expr = ast::Expr {
            kind: ast::ExprKind::Name(subject.name.clone()),
            span: subject.name.span,
        };
        let e = match &subject.function {
            Some(f) => ast::Expr {
                kind: ast::ExprKind::Call {
                    function: f.clone(),
                    args: vec![name_expr],
                    within: Vec::new(),
                },
                span: subject.span,
            },
            None => name_expr,
        };
        let before = self.diagnostics.error_count();
        let out = self.expr(&e, ctx);
        (self.diagnostics.error_count() == before).then_some(out)
    }
}
