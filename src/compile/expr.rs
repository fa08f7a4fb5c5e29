//! Plan expressions written as SQL expressions over the columns of the
//! stage before.

use super::quote::{bytewise, ident, number, text};
use super::{Dialect, Refusal, names};
use crate::data::table::{MISSING_BOOL, MISSING_LABEL};
use crate::model::{EnumId, Function, Model, ScoreStage, Type};
use crate::plan::{CExpr, CmpKind};
use crate::vocab::{BinOp, CmpOp};

/// What expressions are written against.
pub struct Writer<'a> {
    pub model: &'a Model,
    pub dialect: Dialect,
}

type Out = Result<String, Refusal>;

fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

impl Writer<'_> {
    fn id(&self, name: &str) -> String {
        ident(self.dialect, name)
    }

    /// The enum whose labels an expression's value is, when it is one.
    pub fn enum_of(&self, e: &CExpr) -> Option<EnumId> {
        match e {
            CExpr::Column(_, Type::Enum(id)) => Some(*id),
            CExpr::Segment(s) => self.model.segment(*s).map(|d| d.labels),
            CExpr::Tier(s) | CExpr::ComputedTier(s) => self
                .model
                .score(*s)
                .and_then(|d| d.tiers.as_ref())
                .map(|t| t.labels),
            CExpr::MetricValue(m) => match self.model.metric(*m).map(|d| d.value.ty) {
                Some(Type::Enum(id)) => Some(id),
                _ => None,
            },
            CExpr::If {
                ty: Type::Enum(id), ..
            } => Some(*id),
            _ => None,
        }
    }

    fn label(&self, enum_id: Option<EnumId>, l: u32) -> Out {
        if l == MISSING_LABEL {
            return Ok(format!(
                "CAST(NULL AS {})",
                super::quote::text_type(self.dialect)
            ));
        }
        let name = enum_id
            .and_then(|id| self.model.enum_type(id))
            .and_then(|t| t.labels.get(l as usize))
            .ok_or_else(|| Refusal::new("a label whose type is not known"))?;
        Ok(text(self.dialect, name))
    }

    /// An expression; `this` is the metric's own value inside `points = EXPR`.
    pub fn expr(&self, e: &CExpr, this: Option<&str>) -> Out {
        self.expr_in(e, this, None)
    }

    fn expr_in(&self, e: &CExpr, this: Option<&str>, labels: Option<EnumId>) -> Out {
        let d = self.dialect;
        Ok(match e {
            CExpr::Num(x) => number(d, *x),
            CExpr::Bool(b) => match *b {
                0 => "FALSE".into(),
                1 => "TRUE".into(),
                _ => "CAST(NULL AS BOOLEAN)".into(),
            },
            CExpr::Label(l) => self.label(labels, *l)?,
            CExpr::Text(t) if t.is_empty() => {
                format!("CAST(NULL AS {})", super::quote::text_type(d))
            }
            CExpr::Text(t) => text(d, t),
            CExpr::Column(c, _) => {
                let def = self
                    .model
                    .contract
                    .column(*c)
                    .ok_or_else(|| Refusal::new("an unknown column"))?;
                self.id(&def.name)
            }
            CExpr::MetricValue(m) => self.id(&names::metric(self.model, *m, "value")),
            CExpr::Points(m) => self.id(&names::metric(self.model, *m, "points")),
            CExpr::SelfValue => this
                .map(str::to_string)
                .ok_or_else(|| Refusal::new("the metric's own value outside its points"))?,
            CExpr::Score(s, stage) => self.id(&names::score(
                self.model,
                *s,
                match stage {
                    ScoreStage::Raw => "raw",
                    ScoreStage::Smoothed => "smoothed",
                    ScoreStage::Reported => "reported",
                },
            )),
            // Compiled SQL takes no overrides: the reported tier is the computed one.
            CExpr::Tier(s) | CExpr::ComputedTier(s) => {
                self.id(&names::score(self.model, *s, "tier"))
            }
            CExpr::Flag(f) => self.id(&names::flag(self.model, *f)),
            CExpr::Segment(s) => self.id(&names::segment(self.model, *s)),
            CExpr::PeriodsObserved => format!(
                "CAST({} AS {})",
                self.id(names::POSITION),
                super::quote::double_type(d)
            ),
            CExpr::Tenure => self.tenure(),
            CExpr::Actions => return Err(Refusal::new("`actions` inside an expression")),
            CExpr::Flags => return Err(Refusal::new("`flags` inside an expression")),
            CExpr::Neg(x) => format!("(- {})", self.expr(x, this)?),
            CExpr::Not(x) => format!("(NOT {})", self.expr(x, this)?),
            CExpr::Arith(op, a, b) => {
                let (a, b) = (self.expr(a, this)?, self.expr(b, this)?);
                match op {
                    BinOp::Add => format!("({a} + {b})"),
                    BinOp::Sub => format!("({a} - {b})"),
                    BinOp::Mul => format!("({a} * {b})"),
                    BinOp::Div => format!("({a} / NULLIF({b}, {}))", number(d, 0.0)),
                    _ => return Err(Refusal::new("a logical operator used as arithmetic")),
                }
            }
            CExpr::Cmp(op, kind, a, b) => self.compare(*op, *kind, a, b, this)?,
            CExpr::And(a, b) => format!("({} AND {})", self.expr(a, this)?, self.expr(b, this)?),
            CExpr::Or(a, b) => format!("({} OR {})", self.expr(a, this)?, self.expr(b, this)?),
            CExpr::In {
                value,
                set,
                kind,
                negated,
            } => {
                let mut parts = Vec::new();
                for member in set {
                    parts.push(self.compare(CmpOp::Eq, *kind, value, member, this)?);
                }
                let any = if parts.is_empty() {
                    "FALSE".to_string()
                } else {
                    format!("({})", parts.join(" OR "))
                };
                if *negated {
                    format!("(NOT {any})")
                } else {
                    any
                }
            }
            CExpr::IsMissing { value, negated } => {
                if matches!(**value, CExpr::Actions | CExpr::Flags) {
                    return Ok(if *negated { "TRUE" } else { "FALSE" }.into());
                }
                let v = self.expr(value, this)?;
                if *negated {
                    format!("({v} IS NOT NULL)")
                } else {
                    format!("({v} IS NULL)")
                }
            }
            CExpr::If {
                arms,
                otherwise,
                ty,
                ..
            } => {
                let labels = match ty {
                    Type::Enum(id) => Some(*id),
                    _ => None,
                };
                let mut out = String::from("CASE");
                for (c, v) in arms {
                    out.push_str(&format!(
                        " WHEN {} THEN {}",
                        self.expr(c, this)?,
                        self.expr_in(v, this, labels)?
                    ));
                }
                out.push_str(&format!(
                    " ELSE {} END",
                    self.expr_in(otherwise, this, labels)?
                ));
                out
            }
            CExpr::Call(f, args) => self.call(*f, args, this)?,
            CExpr::Site(i) => self.id(&names::site(*i)),
            CExpr::Provisional(scores) => {
                if scores.is_empty() {
                    "FALSE".into()
                } else {
                    let parts: Vec<String> = scores
                        .iter()
                        .map(|s| self.id(&names::score(self.model, *s, "provisional")))
                        .collect();
                    format!("({})", parts.join(" OR "))
                }
            }
        })
    }

    fn compare(&self, op: CmpOp, kind: CmpKind, a: &CExpr, b: &CExpr, this: Option<&str>) -> Out {
        let sym = cmp_symbol(op);
        match kind {
            CmpKind::Num | CmpKind::Bool => Ok(format!(
                "({} {sym} {})",
                self.expr(a, this)?,
                self.expr(b, this)?
            )),
            CmpKind::Label => {
                let labels = self.enum_of(a).or_else(|| self.enum_of(b));
                let (x, y) = (
                    self.expr_in(a, this, labels)?,
                    self.expr_in(b, this, labels)?,
                );
                // Labels are only equal or not.
                let sym = if op == CmpOp::Ne { "<>" } else { "=" };
                Ok(format!("({x} {sym} {y})"))
            }
            CmpKind::Text => {
                let labels = self.enum_of(a).or_else(|| self.enum_of(b));
                let (x, y) = (
                    self.expr_in(a, this, labels)?,
                    self.expr_in(b, this, labels)?,
                );
                let d = self.dialect;
                Ok(format!("({} {sym} {})", bytewise(d, &x), bytewise(d, &y)))
            }
        }
    }

    fn call(&self, f: Function, args: &[CExpr], this: Option<&str>) -> Out {
        let d = self.dialect;
        let mut xs = Vec::new();
        for a in args {
            xs.push(self.expr(a, this)?);
        }
        let arg = |k: usize| xs.get(k).cloned().unwrap_or_else(|| number(d, f64::NAN));
        let any_null = |xs: &[String]| {
            xs.iter()
                .map(|x| format!("{x} IS NULL"))
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        let transcendental = |name: &str| -> Result<(), Refusal> {
            if d == Dialect::Spark {
                // The JVM's logarithm and exponential may differ from the C
                // library's in the last bit.
                Err(Refusal::new(&format!("`{name}`")))
            } else {
                Ok(())
            }
        };
        Ok(match f {
            Function::Min | Function::Max => {
                if xs.len() < 2 {
                    return Ok(arg(0));
                }
                let name = if f == Function::Min {
                    "least"
                } else {
                    "greatest"
                };
                format!(
                    "CASE WHEN {} THEN NULL ELSE {name}({}) END",
                    any_null(&xs),
                    xs.join(", ")
                )
            }
            Function::Clamp => {
                let (x, lo, hi) = (arg(0), arg(1), arg(2));
                format!(
                    "CASE WHEN {} THEN NULL ELSE least(greatest({x}, {lo}), {hi}) END",
                    any_null(&xs)
                )
            }
            Function::Abs => format!("abs({})", arg(0)),
            Function::Log => {
                transcendental("log")?;
                let x = arg(0);
                format!("CASE WHEN {x} > 0 THEN ln({x}) ELSE NULL END")
            }
            Function::Log10 => {
                transcendental("log10")?;
                let x = arg(0);
                let f = if d == Dialect::Postgres {
                    "log"
                } else {
                    "log10"
                };
                format!("CASE WHEN {x} > 0 THEN {f}({x}) ELSE NULL END")
            }
            Function::Sqrt => {
                let x = arg(0);
                format!("CASE WHEN {x} >= 0 THEN sqrt({x}) ELSE NULL END")
            }
            Function::Exp => {
                transcendental("exp")?;
                format!("exp({})", arg(0))
            }
            Function::Round => {
                let digits = match args.get(1) {
                    None => 0.0,
                    Some(CExpr::Num(x)) => *x,
                    Some(_) => {
                        return Err(Refusal::new(
                            "`round` with a number of decimals that is not a constant",
                        ));
                    }
                };
                round(d, &arg(0), digits)
            }
            Function::Floor | Function::Ceil => {
                let name = if f == Function::Floor {
                    "floor"
                } else {
                    "ceil"
                };
                format!(
                    "CAST({name}({}) AS {})",
                    arg(0),
                    super::quote::double_type(d)
                )
            }
            Function::Coalesce => format!("coalesce({})", xs.join(", ")),
        })
    }

    fn contract_column(&self, c: Option<crate::model::ColumnId>) -> Result<String, Refusal> {
        c.and_then(|c| self.model.contract.column(c))
            .map(|c| self.id(&c.name))
            .ok_or_else(|| Refusal::new("`tenure` without a key and a period column"))
    }

    /// Periods since the partner's first row: the difference of the period
    /// numbers when both are a year, quarter or month, the rows before this
    /// one otherwise; missing when the periods are written in two formats.
    fn tenure(&self) -> String {
        let d = self.dialect;
        let (Ok(key), Ok(period)) = (
            self.contract_column(self.model.contract.key),
            self.contract_column(self.model.contract.period),
        ) else {
            return number(d, f64::NAN);
        };
        let p = &period;
        let int = |from: usize, len: usize| format!("CAST(substr({p}, {from}, {len}) AS BIGINT)");
        let year = int(1, 4);
        let index = format!(
            "CASE WHEN {y} THEN {year} WHEN {q} THEN {year} * 4 + {qn} - 1 \
             WHEN {m} THEN {year} * 12 + {mn} - 1 ELSE NULL END",
            y = full_match(d, p, "[0-9]{4}"),
            q = full_match(d, p, "[0-9]{4}[Qq][1-4]"),
            m = full_match(d, p, "[0-9]{4}-(0[1-9]|1[0-2])"),
            qn = int(6, 1),
            mn = int(6, 2),
        );
        let format = format!(
            "CASE WHEN {y} THEN 1 WHEN {q} THEN 2 WHEN {lq} THEN 3 WHEN {m} THEN 4 ELSE 5 END",
            y = full_match(d, p, "[0-9]{4}"),
            q = full_match(d, p, "[0-9]{4}Q[1-4]"),
            lq = full_match(d, p, "[0-9]{4}q[1-4]"),
            m = full_match(d, p, "[0-9]{4}-(0[1-9]|1[0-2])"),
        );
        let position = self.id(names::POSITION);
        let first = format!(
            "first_value({index}) OVER (PARTITION BY {key} ORDER BY {position} \
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
        );
        let dbl = super::quote::double_type(d);
        format!(
            "CASE WHEN min({format}) OVER () <> max({format}) OVER () THEN NULL \
             WHEN {first} IS NOT NULL AND {index} IS NOT NULL THEN CAST({index} - {first} AS {dbl}) \
             ELSE CAST({position} - 1 AS {dbl}) END"
        )
    }

    /// A truth value that is true (missing counts as false).
    pub fn holds(&self, sql: &str) -> String {
        format!("coalesce({sql}, FALSE)")
    }

    /// Whether a truth value literal is the missing one.
    pub fn is_missing_bool(b: u8) -> bool {
        b == MISSING_BOOL
    }
}

/// Whether the whole of `x` matches the regular expression `re` (ASCII
/// classes, no backslashes).
fn full_match(d: Dialect, x: &str, re: &str) -> String {
    match d {
        Dialect::DuckDb => format!("regexp_full_match({x}, '{re}')"),
        // Without newline-sensitive matching, `$` is the end of the text.
        Dialect::Postgres => format!("({x} ~ '^({re})$')"),
        // Java's `$` also matches before a final line break: compare the match.
        Dialect::Spark => format!("(regexp_extract({x}, '^({re})', 0) = {x})"),
    }
}

/// `round(x, digits)` as the engine rounds: the exact stored value of `x`
/// rounded half away from zero to `digits` decimals (an integer `k`, exact
/// in the engine's wide integers), then the binary64 nearest `k / 10^d`:
/// the decimal text `k e-d` read as a double, which each engine rounds
/// correctly, as `score` does.
fn round(d: Dialect, x: &str, digits: f64) -> String {
    let digits = if digits.is_nan() { -1 } else { digits as i32 };
    let Ok(decimals) = u32::try_from(digits) else {
        return number(d, f64::NAN);
    };
    if decimals > crate::ops::MAX_DECIMALS {
        return number(d, f64::NAN);
    }
    // `x` and its exponent are read many times: DuckDB and Spark bind each
    // once, as a lambda's parameter, so that a `round` of a `round` does not
    // write its argument hundreds of times (which Spark takes minutes to
    // analyse).
    let bind = |value: &str, name: &str, body: &str| match d {
        Dialect::DuckDb => format!("list_transform([{value}], lambda {name}: {body})[1]"),
        Dialect::Spark => format!("element_at(transform(array({value}), {name} -> {body}), 1)"),
        Dialect::Postgres => body.to_string(),
    };
    let (xv, ev) = match d {
        Dialect::Postgres => (x.to_string(), super::numbers::exponent(d, x)),
        Dialect::DuckDb | Dialect::Spark => ("sc_x".to_string(), "sc_e".to_string()),
    };
    let body = rounded(d, &xv, &ev, decimals);
    match d {
        Dialect::Postgres => body,
        Dialect::DuckDb | Dialect::Spark => bind(
            x,
            "sc_x",
            &bind(&super::numbers::exponent(d, "sc_x"), "sc_e", &body),
        ),
    }
}

/// [`round`] of `x` whose exponent is `e`.
fn rounded(d: Dialect, x: &str, e: &str, decimals: u32) -> String {
    let dbl = super::quote::double_type(d);
    let k = super::numbers::scaled(d, x, &format!("({e})"), decimals);
    // `0 - m` rather than `-m`: a value rounding to 0 is +0, as `score` gives.
    let magnitude = format!(
        "CAST(CAST({k} AS {t}) || 'e-{decimals}' AS {dbl})",
        t = super::quote::text_type(d),
    );
    format!(
        "CASE WHEN {x} IS NULL THEN NULL WHEN abs({x}) >= {big} THEN {x} \
         WHEN {x} < 0 THEN {zero} - {magnitude} ELSE {magnitude} END",
        zero = number(d, 0.0),
        big = number(d, 4_503_599_627_370_496.0),
    )
}
