//! The registry of diagnostic codes: one enum, never reused.
//!
//! The letter says the stage: P syntax, N names, T types, S scorecard
//! semantics, L lints, D data, E evaluation and tests. The long documentation of each code lives in
//! `docs/diagnostics.md` (printed by `scorecard explain-code`); a test fails
//! when a code lacks documentation or a fixture.

use super::Severity;

macro_rules! codes {
    ($( $code:ident $name:literal $severity:ident $summary:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $code, )* }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[ $( Code::$code, )* ];

            /// `P001`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$code => stringify!($code), )* }
            }

            /// The kebab-case name: `unknown-name`.
            pub fn name(self) -> &'static str {
                match self { $( Code::$code => $name, )* }
            }

            /// The severity a diagnostic of this code has.
            pub fn severity(self) -> Severity {
                match self { $( Code::$code => Severity::$severity, )* }
            }

            /// One line saying what the code is about.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$code => $summary, )* }
            }
        }
    };
}

codes! {
    P001 "syntax-error" Error "the text does not follow the scorecard grammar";
    P002 "invalid-number" Error "a number literal is too large or malformed";
    P003 "unterminated-string" Error "a string literal has no closing quote";
    P004 "too-deeply-nested" Error "an expression or block is nested or chained beyond the limit";
    P005 "not-text" Error "the file is not UTF-8 text";
    P006 "file-too-large" Error "the file is larger than the limit";
    P007 "unclosed-block" Error "a `{` is never closed";
    N001 "unknown-name" Error "a name that no declaration defines";
    N002 "duplicate-name" Error "two declarations share a name";
    N003 "unknown-label" Error "a label that is not one of the allowed labels";
    N004 "unknown-function" Error "a call to a function that does not exist";
    N005 "wrong-kind-of-name" Error "a name of the wrong kind for this place";
    N006 "ambiguous-name" Error "a name that is both a metric and the column it scores, where either could be meant";
    T001 "type-mismatch" Error "a value of the wrong type";
    T002 "wrong-argument-count" Error "a function called with the wrong number of arguments";
    T003 "not-a-condition" Error "a condition that is not true or false";
    T004 "not-a-constant" Error "an argument that must be a constant number is not";
    S001 "cycle" Error "definitions that depend on themselves";
    S002 "no-input-key" Error "scores without an input contract that names a key column";
    S003 "metric-without-value" Error "a metric with no `value` clause";
    S004 "duplicate-clause" Error "a clause given twice where only one is allowed";
    S005 "invalid-range" Error "a range or scale whose ends are out of order or equal";
    S006 "history-without-period" Error "a history function in a scorecard whose input has no period column";
    S007 "import-outside-tree" Error "an import that leaves the scorecard's directory tree";
    S008 "import-cycle" Error "files that import each other";
    S009 "import-not-found" Error "an import of a file that cannot be read";
    S010 "score-definition" Error "a score with no definition, or with two";
    S011 "invalid-setting" Error "a setting whose value is outside what it allows";
    S012 "invalid-test" Error "a test case that cannot be run as written";
    S020 "path-outside-tree" Error "a data file named by a test or snapshot outside the scorecard's directory tree";
    S021 "path-not-a-file" Error "a data file named by a test or snapshot that is not a regular file";
    S028 "duplicate-defaults" Error "a second `defaults` block in one file";
    S029 "not-a-default" Error "a setting in `defaults` that each metric must give itself";
    S030 "override-without-weights" Error "`override weights` where there are no weights to override";
    S031 "override-outside-layers" Error "an override that does not say which layer group a weight is in";
    S050 "not-expressible-in-sql" Error "a construct that `scorecard compile` cannot write exactly in the chosen SQL dialect";
    L001 "weights-not-100" Warning "weights that do not add up to 100";
    L002 "overlapping-bands" Warning "intervals of a band table that overlap";
    L003 "gap-between-bands" Warning "values that no interval of a band table covers";
    L004 "unreachable-band" Warning "a band that no value can reach";
    L005 "constant-condition" Warning "a rule or flag whose condition is always the same";
    L006 "unused-metric" Warning "a metric that no score, rule, flag or output uses";
    L007 "unused-segment" Warning "a segment that nothing uses";
    L008 "tiers-not-covering" Warning "scores that fall in no tier";
    L009 "missing-governance" Warning "a metric without an owner or a source";
    L010 "layer-mismatch" Warning "a metric weighted under a layer other than its own";
    L011 "segment-not-exhaustive" Warning "partners that fall in no label of a segment";
    L012 "missing-version" Warning "a scorecard without a name and version";
    L013 "unreachable-tier" Warning "a tier that no score can reach";
    L014 "empty-file" Warning "a scorecard file that declares nothing";
    D001 "missing-column" Error "a contract column that the data file lacks";
    D002 "unknown-column" Warning "a data column that the contract does not declare";
    D003 "unreadable-header" Error "a data file whose header cannot be read";
    D004 "not-utf8" Error "a data file that is not UTF-8 text";
    D005 "malformed-data" Error "a data file that is not well-formed CSV, JSON or NDJSON";
    D006 "line-too-long" Error "a data row longer than the limit";
    D007 "wrong-field-count" Error "a CSV row with more or fewer fields than the header";
    D008 "missing-value" Error "an empty value in a column that is not optional";
    D009 "invalid-value" Error "a value that is not of its column's type";
    D010 "out-of-range" Error "a value outside the bounds its column allows";
    D011 "duplicate-row" Error "two rows for the same key and period";
    D012 "binary-data" Error "a data file that is a spreadsheet, archive or other binary format, not text";
    D040 "invalid-correction" Error "a correction to the data that cannot be applied as written";
    D041 "conflicting-corrections" Error "two corrections of the same value";
    D042 "no-op-correction" Warning "a correction whose value the data already holds";
    D043 "correction-not-allowed" Error "a correction the scorecard's governance policy does not allow";
    D044 "invalid-override" Error "a tier override that cannot be applied as written";
    D045 "expired-override" Warning "a tier override that ended before the partner's latest period";
    D046 "override-not-allowed" Error "a tier override the scorecard's governance policy does not allow";
    D025 "mixed-period-formats" Error "period labels written in more than one form";
    E001 "expectation-not-met" Error "a test's expectation that the scores do not meet";
    E002 "test-not-run" Error "a test that cannot be run on the rows it gives";
    E003 "snapshot-differs" Error "scored output that differs from its recorded snapshot";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Code {
    /// Look a code up by its text (`P001`) or its name (`syntax-error`), any case.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text) || c.name().eq_ignore_ascii_case(text))
    }
}
