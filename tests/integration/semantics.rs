//! What the checker concludes about specific scorecards: resolution, types,
//! ordering and lints, beyond the one fixture each code has.

use scorecard::model::{Definition, ExprKind, Node, PointsRule, Type};

use crate::support::*;

const HEAD: &str = "scorecard \"t\" version \"1\"\ninput {\n  key partner_id\n  period period\n  partner_type: enum(reseller, msp, technology)\n  revenue: number >= 0\n  reps: integer >= 1\n  nps: integer in -100..100, optional\n}\n";

fn check(body: &str) -> (Vec<&'static str>, scorecard::check::Checked) {
    let (_, checked) = check_str(&format!("{HEAD}{body}"));
    let codes = codes(&checked);
    (codes, checked)
}

const METRIC: &str =
    "metric m { owner \"o\" source \"s\" value revenue / reps points scale 0 => 0, 100 => 100 }\n";

#[test]
fn declarations_may_come_in_any_order() {
    let (codes, checked) = check(&format!("score s {{ weights {{ m 100 }} }}\n{METRIC}"));
    assert_eq!(codes, Vec::<&str>::new());
    let model = checked.model.unwrap();
    let metric = model
        .order
        .iter()
        .position(|n| *n == Node::Metric(scorecard::model::MetricId(0)));
    let score = model
        .order
        .iter()
        .position(|n| *n == Node::Score(scorecard::model::ScoreId(0)));
    assert!(
        metric < score,
        "metrics are ordered before the scores that weigh them: {:?}",
        model.order
    );
}

#[test]
fn weights_become_exact_fractions() {
    let (_, checked) = check(&format!(
        "{METRIC}metric n {{ owner \"o\" source \"s\" value revenue }}\nscore s {{ weights {{ m 15  n 85 }} }}\n"
    ));
    let model = checked.model.unwrap();
    let Definition::Weighted(terms) = &model.scores[0].definition else {
        panic!()
    };
    assert_eq!(terms[0].fraction, 0.15);
    assert_eq!(terms[1].fraction, 0.85);
}

#[test]
fn bare_labels_resolve_against_the_enum_they_are_compared_with() {
    let (codes, checked) = check(&format!(
        "{METRIC}score s {{ weights {{ m 100 }} }}\nrule r {{ when partner_type == technology and partner_type in [msp, \"reseller\"] action \"a\" }}\n"
    ));
    assert_eq!(codes, Vec::<&str>::new());
    let model = checked.model.unwrap();
    let mut labels = 0;
    model.rules[0].condition.walk(&mut |e| {
        if matches!(e.kind, ExprKind::Label(..)) {
            labels += 1;
        }
    });
    assert_eq!(labels, 3);
}

#[test]
fn a_misspelled_label_is_suggested() {
    let (_, diags) = check_str(&format!(
        "{HEAD}{METRIC}score s {{ weights {{ m 100 }} }}\nrule r {{ when partner_type == technolgy action \"a\" }}\n"
    ));
    let d = diags
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "N003")
        .expect("N003");
    assert_eq!(d.help, "did you mean `technology`?");
}

#[test]
fn a_cycle_is_reported_once_with_its_path() {
    let (codes, checked) = check(
        "metric a { owner \"o\" source \"s\" value b + 1 }\nmetric b { owner \"o\" source \"s\" value a * 2 }\nscore s { weights { a 50 b 50 } }\n",
    );
    assert_eq!(codes, vec!["S001"]);
    assert!(
        checked
            .diagnostics
            .iter()
            .next()
            .unwrap()
            .message
            .contains("a → b → a")
    );
    assert!(checked.model.unwrap().order.is_empty());
}

#[test]
fn a_score_referring_to_itself_is_a_cycle() {
    let (codes, _) = check("score s { value s + 1 }\n");
    assert_eq!(codes, vec!["S001"]);
}

#[test]
fn history_is_allowed_with_a_period_column() {
    let (codes, _) = check(&format!(
        "{METRIC}score s {{ weights {{ m 100 }} smooth moving_average(3) max_change 15 min_periods 2 }}\nflag f {{ kind anomaly when pct_change(revenue) > 200% and previous(revenue) > 0 }}\n"
    ));
    assert_eq!(codes, Vec::<&str>::new());
}

#[test]
fn history_needs_a_period_column() {
    let text = "scorecard \"t\" version \"1\"\ninput { key k revenue: number }\nmetric m { owner \"o\" source \"s\" value previous(revenue) }\nscore s { weights { m 100 } min_periods 2 }\n";
    let (_, checked) = check_str(text);
    assert_eq!(codes(&checked), vec!["S006", "S006"]);
}

#[test]
fn running_aggregates_are_typed_and_need_history() {
    let (codes, checked) = check(&format!(
        "{METRIC}score s {{ weights {{ m 100 }} }}\noutput {{ a = running_sum(revenue) b = running_count(partner_type) c = running_min(reps) d = running_max(revenue) e = periods_since(nps > 0) f = streak(revenue > 0) }}\n"
    ));
    assert_eq!(codes, Vec::<&str>::new());
    let types: Vec<_> = checked
        .model
        .unwrap()
        .output
        .unwrap()
        .columns
        .iter()
        .map(|c| c.expr.ty)
        .collect();
    assert_eq!(
        types,
        vec![
            Type::Number,
            Type::Integer,
            Type::Integer,
            Type::Number,
            Type::Integer,
            Type::Integer
        ]
    );
    // A streak is of a condition; a sum is of numbers.
    let (codes, _) = check(&format!(
        "{METRIC}score s {{ weights {{ m 100 }} }}\nflag f {{ when streak(revenue) > 2 or running_sum(revenue > 0) > 1 }}\n"
    ));
    assert_eq!(codes, vec!["T001", "T001"]);
    let text = "scorecard \"t\" version \"1\"\ninput { key k revenue: number }\nmetric m { owner \"o\" source \"s\" value running_sum(revenue) }\nscore s { weights { m 100 } }\n";
    let (_, checked) = check_str(text);
    assert_eq!(crate::support::codes(&checked), vec!["S006"]);
}

#[test]
fn metrics_take_the_metadata_and_missing_policy_they_do_not_give_from_defaults() {
    let (codes, checked) = check(
        "defaults { owner \"revops\" source \"CRM\" layer results kind lagging unit \"USD\" missing value 0 missing points 10 }\n\
         metric a { value revenue points { >= 1 => 100 } }\n\
         metric b { owner \"finance\" layer strategy value revenue missing value 5 missing points 1 points { >= 1 => 100 } for pt reseller { points { >= 2 => 50 } } }\n\
         metric c { value partner_type }\n\
         segment pt from partner_type\n\
         score s { weights { a 50 b 50 } }\noutput { c }\n",
    );
    assert_eq!(codes, Vec::<&str>::new());
    let model = checked.model.unwrap();
    let metric = |n: &str| model.metrics.iter().find(|m| m.name == n).unwrap().clone();
    let a = metric("a");
    assert_eq!(a.meta.owner.as_deref(), Some("revops"));
    assert_eq!(a.meta.source.as_deref(), Some("CRM"));
    assert_eq!(a.meta.unit.as_deref(), Some("USD"));
    assert_eq!(a.meta.layer, Some(scorecard::model::Layer::Results));
    assert_eq!(a.meta.kind, Some(scorecard::model::IndicatorKind::Lagging));
    assert_eq!(
        (a.missing_value, a.rubric.missing_points),
        (Some(0.0), Some(10.0))
    );
    let b = metric("b");
    assert_eq!(b.meta.owner.as_deref(), Some("finance"));
    assert_eq!(b.meta.source.as_deref(), Some("CRM"));
    assert_eq!(b.meta.layer, Some(scorecard::model::Layer::Strategy));
    assert_eq!(
        (b.missing_value, b.rubric.missing_points),
        (Some(5.0), Some(1.0))
    );
    // A `for` block without `missing points` takes the file's.
    assert_eq!(b.segment_rubrics[0].rubric.missing_points, Some(10.0));
    // A number cannot stand in for a missing label.
    assert_eq!(metric("c").missing_value, None);
}

#[test]
fn defaults_belong_to_their_own_file_and_are_checked() {
    // No defaults: the governance lint still speaks.
    let (codes, _) = check("metric a { value revenue }\nscore s { weights { a 100 } }\n");
    assert!(codes.contains(&"L009"), "{codes:?}");
    let (codes, _) = check(
        "defaults { owner \"x\" source \"y\" }\nmetric a { value revenue }\nscore s { weights { a 100 } }\n",
    );
    assert!(!codes.contains(&"L009"), "{codes:?}");
    let (codes, _) = check(
        "defaults { owner \"x\" owner \"y\" description \"d\" }\ndefaults { source \"s\" }\n",
    );
    assert_eq!(codes, vec!["S004", "S029", "S028"]);
    let (codes, _) = check(
        "defaults { given { revenue: \"lots\", colour: 1 } }\ntest \"t\" { defaults { reps: 1.5 } given { partner_id: \"P\", period: \"1\", partner_type: msp } expect revenue > 0 }\n",
    );
    assert_eq!(codes, vec!["S012", "S012", "S012", "S012"]);
    let (codes, _) = check(
        "test \"t\" { defaults { partner_id: \"P\" } defaults { period: \"1\" } given { partner_type: msp, revenue: 1, reps: 1 } expect revenue > 0 }\n",
    );
    assert_eq!(codes, vec!["S004", "S012"]);
}

#[test]
fn override_weights_need_weights_and_layers_to_merge_with() {
    let head = "segment pt from partner_type\nmetric a { owner \"o\" source \"s\" value revenue }\nmetric b { owner \"o\" source \"s\" value reps }\n";
    let (codes, _) = check(&format!(
        "{head}score s {{ override weights {{ a 100 }} }}\nscore t {{ sum {{ a }} for pt msp {{ override weights {{ a 1 }} }} }}\n"
    ));
    assert_eq!(codes, vec!["S030", "S030"]);
    // A score without a definition is reported once, not again by its override.
    let (codes, _) = check(&format!(
        "{head}score s {{ for pt msp {{ override weights {{ a 100 }} }} }}\n"
    ));
    assert_eq!(codes, vec!["S010"]);
    let (codes, _) = check(&format!(
        "{head}score s {{ weights {{ layer strategy 50 {{ a 100 }} layer results 50 {{ a 100 }} }} for pt msp {{ override weights {{ b 10 }} }} }}\nscore t {{ weights {{ a 100 }} for pt msp {{ override weights {{ layer results 100 {{ a 100 }} }} }} }}\n"
    ));
    assert_eq!(codes, vec!["S031", "S031"]);
    // The merged weights are linted like any others.
    let (codes, _) = check(&format!(
        "{head}score s {{ weights {{ a 50  b 50 }} for pt msp {{ override weights {{ a 60 }} }} }}\n"
    ));
    assert_eq!(codes, vec!["L001"]);
}

#[test]
fn type_errors_do_not_cascade() {
    // One unknown name: one diagnostic, though the expression goes on to be used.
    let (codes, _) = check(
        "metric m { owner \"o\" source \"s\" value revnue / reps * 2 points scale 0 => 0, 1 => 100 }\nscore s { weights { m 100 } }\n",
    );
    assert_eq!(codes, vec!["N001"]);
}

#[test]
fn arithmetic_on_text_is_a_type_error() {
    let (codes, _) = check(
        "metric m { owner \"o\" source \"s\" value revenue + partner_type }\nscore s { weights { m 100 } }\n",
    );
    assert_eq!(codes, vec!["T001"]);
}

#[test]
fn a_condition_must_be_true_or_false() {
    let (codes, _) = check(&format!(
        "{METRIC}score s {{ weights {{ m 100 }} }}\nflag f {{ when revenue }}\n"
    ));
    assert_eq!(codes, vec!["T003"]);
}

#[test]
fn wrong_argument_counts_are_reported() {
    let (codes, _) = check(
        "metric m { owner \"o\" source \"s\" value clamp(revenue, 0) }\nscore s { weights { m 100 } }\n",
    );
    assert_eq!(codes, vec!["T002"]);
}

#[test]
fn a_window_must_be_constant() {
    let (codes, _) = check(
        "metric m { owner \"o\" source \"s\" value moving_average(revenue, reps) }\nscore s { weights { m 100 } }\n",
    );
    assert_eq!(codes, vec!["T004"]);
}

#[test]
fn percent_insufficient_limits_are_kept_in_percent() {
    let (codes, checked) = check(&format!(
        "{METRIC}score s {{ weights {{ m 100 }} insufficient data if more than 30% missing }}\n"
    ));
    assert_eq!(codes, Vec::<&str>::new());
    let rule = checked.model.unwrap().scores[0].insufficient.unwrap();
    assert_eq!((rule.limit, rule.percent), (30.0, true));
}

#[test]
fn missing_band_after_else_is_fine() {
    let (codes, checked) = check(
        "metric m { owner \"o\" source \"s\" value nps points { >= 50 => 100 else => 0 missing => 10 } }\nscore s { weights { m 100 } }\n",
    );
    assert_eq!(codes, Vec::<&str>::new());
    let PointsRule::Bands(bands) = &checked.model.unwrap().metrics[0].rubric.points else {
        panic!()
    };
    assert_eq!(bands.len(), 3);
}

#[test]
fn reachability_uses_declared_ranges() {
    let (codes, _) = check(
        "metric m { owner \"o\" source \"s\" value nps points { >= 150 => 100 else => 0 } }\nscore s { weights { m 100 } }\n",
    );
    assert_eq!(codes, vec!["L004"]);
}

#[test]
fn tiers_of_a_bounded_score_need_no_otherwise_when_they_reach_its_minimum() {
    let (codes, _) = check(&format!(
        "{METRIC}score s {{ weights {{ m 100 }} }}\ntiers s {{ high >= 50  low >= 0 }}\n"
    ));
    assert_eq!(codes, Vec::<&str>::new());
}

#[test]
fn tier_thresholds_above_the_maximum_are_unreachable() {
    let (codes, _) = check(&format!(
        "{METRIC}score s {{ weights {{ m 100 }} }}\ntiers s {{ impossible >= 120  fine otherwise }}\n"
    ));
    assert_eq!(codes, vec!["L013"]);
}

#[test]
fn names_share_one_namespace() {
    let (codes, _) = check(&format!(
        "{METRIC}score revenue {{ weights {{ m 100 }} }}\n"
    ));
    assert_eq!(codes, vec!["N002"]);
}

#[test]
fn every_diagnostic_has_a_help_line_and_a_span_inside_its_file() {
    let errors = format!(
        "{HEAD}metric m {{ value revnue }}\nmetric n {{ value revenue + partner_type }}\nrule r {{ when partner_type == resller action \"x\" }}\nflag f {{ when revenue }}\nscore m {{ value 1 }}\n"
    );
    let warnings = format!(
        "{HEAD}metric m {{ value revenue points {{ [0, 1) => 1 [2, 3) => 2 }} }}\nscore s {{ weights {{ m 90 }} }}\ntiers s {{ a >= 10 }}\nrule r {{ when 1 > 2 action \"x\" }}\nsegment g {{ x when revenue > 1 }}\noutput {{ partner_id }}\n"
    );
    for text in [errors, warnings] {
        let (sources, checked) = check_str(&text);
        assert!(
            checked.diagnostics.len() >= 4,
            "{}",
            human(&sources, &checked)
        );
        for d in checked.diagnostics.iter() {
            assert!(!d.help.is_empty(), "{}: no help", d.code);
            assert!(!d.message.is_empty());
            assert!(d.span.end <= text.len(), "{}: span out of the file", d.code);
            assert!(
                d.message.chars().next().is_some_and(|c| !c.is_uppercase()),
                "{}: messages are lowercase: {}",
                d.code,
                d.message
            );
        }
    }
}

#[test]
fn two_scorecards_importing_one_file_in_one_run_both_see_it() {
    // `check bench/` reads the shared file as a root and through both imports.
    let mut sources = scorecard::source::SourceMap::new();
    for path in [
        "bench/shared/partners.scorecard",
        "bench/w1.scorecard",
        "bench/w2.scorecard",
    ] {
        let checked =
            scorecard::check::check_path(std::path::Path::new(path), &mut sources).unwrap();
        assert!(
            checked.diagnostics.is_empty(),
            "{path}: {:?}",
            checked
                .diagnostics
                .iter()
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn defaults_apply_to_the_metrics_of_their_own_file_only() {
    let mut sources = scorecard::source::SourceMap::new();
    let checked = scorecard::check::check_path(
        std::path::Path::new("tests/fixtures/defaults/main.scorecard"),
        &mut sources,
    )
    .unwrap();
    assert_eq!(codes(&checked), Vec::<&str>::new());
    let model = checked.model.unwrap();
    let meta = |n: &str| {
        model
            .metrics
            .iter()
            .find(|m| m.name == n)
            .unwrap()
            .meta
            .clone()
    };
    let (here, there) = (meta("here"), meta("there"));
    assert_eq!(
        (
            here.owner.as_deref(),
            here.source.as_deref(),
            here.unit.as_deref()
        ),
        (Some("revops"), Some("CRM"), None)
    );
    assert_eq!(
        (
            there.owner.as_deref(),
            there.source.as_deref(),
            there.unit.as_deref()
        ),
        (Some("finance"), Some("billing"), Some("USD"))
    );
}

#[test]
fn lints_wait_for_errors_to_be_fixed() {
    // An unknown name makes the score's range unknowable; no tier lint follows.
    let (codes, _) =
        check("metric m { value revnue }\nscore s { weights { m 100 } }\ntiers s { a >= 80 }\n");
    assert_eq!(codes, vec!["N001"]);
}

/// The colourless report of a scorecard, snapshotted under `snapshots/semantics`.
fn snapshot_report(name: &str, text: &str) {
    let (sources, checked) = check_str(text);
    let report = human(&sources, &checked);
    insta::with_settings!({
        snapshot_path => "../snapshots/semantics",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, report);
    });
}

const BAND_TYPO: &str = "segment type from partner_type\nmetric fit { owner \"o\" source \"s\" value partner_type points { resseller => 20  msp => 10  else => 0 } }\nmetric seg_fit { owner \"o\" source \"s\" value type points { \"technolgy\" => 5  else => 0 } }\nmetric rev { owner \"o\" source \"s\" value revenue for type reseller { points { \"resseller\" => 1  else => 0 } } }\nscore s { weights { fit 40  seg_fit 30  rev 30 } }\n";

#[test]
fn every_label_of_a_band_table_resolves_against_the_value() {
    let (codes, checked) = check(BAND_TYPO);
    assert_eq!(codes, vec!["N003", "N003", "T001"]);
    let helps: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.help.as_str())
        .collect();
    assert_eq!(helps[0], "did you mean `reseller`?");
    assert_eq!(helps[1], "did you mean `technology`?");
    snapshot_report("band_label_typos", &format!("{HEAD}{BAND_TYPO}"));
}

#[test]
fn band_labels_are_checked_whichever_clause_comes_first() {
    // `for` and `points` before `value`, and a value that is another metric declared later.
    let (codes, _) = check(
        "segment type from partner_type\nmetric a { owner \"o\" source \"s\" for type msp { points { resller => 1 else => 0 } } points { msp => 2 else => 0 } value b }\nmetric b { owner \"o\" source \"s\" value partner_type }\nscore s { weights { a 100 } }\n",
    );
    assert_eq!(codes, vec!["N003"]);
}

#[test]
fn band_labels_that_can_match_are_accepted() {
    let (codes, _) = check(
        "segment type from partner_type\nmetric a { owner \"o\" source \"s\" value partner_type points { reseller, msp => 2  \"technology\" => 1 } }\nmetric b { owner \"o\" source \"s\" value revenue > 0 points { \"true\" => 1  \"false\" => 0 } }\nmetric c { owner \"o\" source \"s\" value reps points { \"1\" => 1  \"2\" => 2  else => 3 } }\nscore s { weights { a 40  b 30  c 30 } }\n",
    );
    assert_eq!(codes, Vec::<&str>::new());
}

const BOOL_METRIC: &str = "metric big { owner \"o\" source \"s\" value revenue > 1000 points { \"true\" => 1  \"false\" => 0 } }\n";
const USES_BOOL: &str = "flag f \"big\" { when big and reps > 1 }\nsegment size { large when big  small otherwise }\nrule r { when not big action \"a\" }\nmetric doubled { owner \"o\" source \"s\" value if big then revenue * 2 else revenue }\nscore s { weights { big 50  doubled 50 } }\n";

#[test]
fn a_metric_has_its_type_wherever_it_is_declared() {
    let (before, _) = check(&format!("{USES_BOOL}{BOOL_METRIC}"));
    let (after, _) = check(&format!("{BOOL_METRIC}{USES_BOOL}"));
    assert_eq!(before, Vec::<&str>::new());
    assert_eq!(after, Vec::<&str>::new());
}

#[test]
fn a_metric_is_typed_through_a_chain_declared_backwards() {
    // c uses b uses a, declared in the opposite order; a is a label, b and c compare it.
    let (codes, checked) = check(
        "metric c { owner \"o\" source \"s\" value if b then 1 else 0 }\nmetric b { owner \"o\" source \"s\" value a == msp }\nmetric a { owner \"o\" source \"s\" value partner_type }\nscore s { weights { c 100 } }\nrule r { when a == technology action \"x\" }\n",
    );
    assert_eq!(codes, Vec::<&str>::new());
    let model = checked.model.unwrap();
    assert_eq!(model.metrics[1].value.ty, scorecard::model::Type::Bool);
    assert!(matches!(
        model.metrics[2].value.ty,
        scorecard::model::Type::Enum(_)
    ));
}

#[test]
fn a_metric_that_uses_itself_is_one_cycle_error() {
    let (codes, _) = check(
        "metric a { owner \"o\" source \"s\" value a and true }\nscore s { weights { a 100 } }\n",
    );
    assert_eq!(codes, vec!["S001"]);
}

#[test]
fn an_imported_metric_has_its_type_in_the_importing_file() {
    let dir = temp_dir("imported-bool-metric");
    std::fs::write(
        dir.join("shared.scorecard"),
        "metric big { owner \"o\" source \"s\" value revenue > 1000 points { \"true\" => 1  \"false\" => 0 } }\n",
    )
    .unwrap();
    let main = format!(
        "{HEAD}import \"shared.scorecard\"\nsegment size {{ large when big  small otherwise }}\nmetric bonus {{ owner \"o\" source \"s\" value if big then 10 else 0 }}\nflag f \"big\" {{ when big }}\nscore s {{ weights {{ big 50  bonus 50 }} }}\n"
    );
    std::fs::write(dir.join("main.scorecard"), main).unwrap();
    let (sources, checked) = check_file(&dir.join("main.scorecard"));
    assert_eq!(
        codes(&checked),
        Vec::<&str>::new(),
        "{}",
        human(&sources, &checked)
    );
}

const LINTS_BESIDE_AN_ERROR: &str = "metric good { owner \"o\" source \"s\" value revenue points { [0, 10] => 1  [5, 20] => 2 } }\nmetric other { owner \"o\" source \"s\" value reps }\nmetric broken { owner \"o\" source \"s\" value revnue points { [0, 10] => 1  [5, 20] => 2 } }\nmetric lonely { value revenue }\nscore s { weights { good 50  other 40 } }\nscore t { weights { broken 50  other 50 } }\ntiers t { top >= 200  rest otherwise }\nscore u { weights { bogus 50  other 40 } }\n";

#[test]
fn an_error_hides_only_the_lints_that_depend_on_it() {
    let (codes, checked) = check(LINTS_BESIDE_AN_ERROR);
    // Kept: the overlap in `good`, the weights of `s` (90), the governance of
    // `lonely`. Held back: the overlap in `broken` and the unreachable tier of
    // `t` (they read the error), the weights of `u` (a weight names nothing)
    // and `lonely` being unused (a typo may be the use).
    assert_eq!(codes, vec!["L002", "N001", "L009", "L001", "N001"]);
    let lines: Vec<usize> = checked.diagnostics.iter().map(|d| d.span.start).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]));
    snapshot_report(
        "lints_beside_an_error",
        &format!("{HEAD}{LINTS_BESIDE_AN_ERROR}"),
    );
}

#[test]
fn an_error_in_the_input_holds_back_every_lint_but_the_header() {
    let (_, checked) = check_str(
        "input {\n  key partner_id\n  revenue: number >= 0\n  revenue: integer\n}\nmetric m { value revenue points { [0, 10] => 1  [5, 20] => 2 } }\nscore s { weights { m 90 } }\n",
    );
    assert_eq!(codes(&checked), vec!["L012", "N002"]);
}

#[test]
fn without_errors_every_lint_is_reported() {
    let (codes, _) = check(
        "metric m { value revenue points { [0, 10] => 1  [5, 20] => 2 } }\nmetric unused_one { owner \"o\" source \"s\" value reps }\nscore s { weights { m 90 } }\n",
    );
    assert_eq!(codes, vec!["L009", "L002", "L006", "L001"]);
}

#[test]
fn a_file_that_declares_nothing_is_a_warning() {
    for text in [
        "",
        "\n\n",
        "// to do: the metrics\n",
        "/* nothing */\n",
        "scorecard \"t\" version \"1\"\n",
    ] {
        let (_, checked) = check_str(text);
        let codes = codes(&checked);
        // `/* */` is not a comment in this language: that one is a syntax error.
        if text.starts_with("/*") {
            assert_eq!(codes, vec!["P001"], "{text:?}");
        } else {
            assert_eq!(codes, vec!["L014"], "{text:?}");
        }
    }
    let (sources, checked) = check_str("");
    snapshot_report("empty_file", "");
    assert!(human(&sources, &checked).contains("this scorecard declares nothing"));
}

#[test]
fn an_imported_file_that_declares_nothing_is_a_warning() {
    let dir = temp_dir("empty-import");
    std::fs::write(dir.join("empty.scorecard"), "// later\n").unwrap();
    std::fs::write(
        dir.join("main.scorecard"),
        format!("{HEAD}import \"empty.scorecard\"\n{METRIC}score s {{ weights {{ m 100 }} }}\n"),
    )
    .unwrap();
    let (_, checked) = check_file(&dir.join("main.scorecard"));
    let found: Vec<(&str, &str)> = checked
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(found, vec![("L014", "this imported file declares nothing")]);
}

#[test]
fn every_constant_limit_message_says_the_limit() {
    let cases = [
        (
            "metric m { owner \"o\" source \"s\" value moving_average(revenue, 1_000_000) }\nscore s { weights { m 100 } }\n",
            "the window of `moving_average` must be a whole number of periods from 1 to 10,000, not `1_000_000`",
        ),
        (
            "metric m { owner \"o\" source \"s\" value trend(revenue, reps) }\nscore s { weights { m 100 } }\n",
            "the window of `trend` must be a constant number of periods from 1 to 10,000",
        ),
        (
            "metric m { owner \"o\" source \"s\" value revenue }\nscore s { weights { m 100 } smooth moving_average(20000) }\n",
            "the moving-average window must be a whole number from 1 to 10,000, not `20000`",
        ),
        (
            "metric m { owner \"o\" source \"s\" value revenue }\nscore s { weights { m 100 } min_periods 0 }\n",
            "`min_periods` must be a whole number from 1 to 10,000, not `0`",
        ),
        (
            "metric m { owner \"o\" source \"s\" value round(revenue, 12) }\nscore s { weights { m 100 } }\n",
            "the digits of `round` must be a whole number from 0 to 9",
        ),
    ];
    for (body, message) in cases {
        let (_, checked) = check(body);
        let messages: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(messages, vec![message], "{body}");
        let d = checked.diagnostics.iter().next().unwrap();
        assert!(
            d.help.contains("10,000") || d.help.contains("round(x, 2)"),
            "{}",
            d.help
        );
    }
}

const CREDIT: &str = "scorecard \"credit\" version \"1\"\ninput {\n  key applicant_id\n  age: integer in 18..100\n  income: number >= 0\n  housing: enum(own, rent, free)\n}\nsegment home from housing\nmetric age \"Applicant age\" {\n  owner \"risk\" source \"application\"\n  value age\n  points {\n    [18, 25) => 10\n    [25, 40) => 20\n    [40, 100] => 30\n  }\n}\nmetric income { owner \"risk\" source \"application\" value income / 1000 points scale 0 => 0, 100 => 40 }\nmetric housing { owner \"risk\" source \"application\" value housing for home rent { points { rent => 15 else => 0 } } points { own => 30  rent => 10  free => 0 } }\nscore total { weights { age 40  income 30  housing 30 } }\nflag young { when age < 25 }\noutput { applicant_id  age  age_points = points(age)  income  total  young }\ntest \"a young owner\" {\n  given { applicant_id: \"T1\", age: 22, income: 50000, housing: own }\n  expect points(age) == 10\n  expect age == 22\n  expect income == 50\n  expect total == 19\n}\n";

#[test]
fn a_metric_may_be_named_after_the_column_it_scores() {
    let (sources, checked) = check_str(CREDIT);
    assert_eq!(
        codes(&checked),
        Vec::<&str>::new(),
        "{}",
        human(&sources, &checked)
    );
    let model = checked.model.unwrap();
    // In its own value the name is the column; elsewhere the metric.
    let income = &model.metrics[1];
    let mut column_read = false;
    income.value.walk(&mut |e| {
        column_read |= matches!(e.kind, ExprKind::Column(_));
    });
    assert!(column_read, "{:?}", income.value);
    let mut metric_read = false;
    model.flags[0].condition.walk(&mut |e| {
        metric_read |= matches!(e.kind, ExprKind::Metric(_));
    });
    assert!(metric_read, "{:?}", model.flags[0].condition);
}

#[test]
fn a_metric_named_after_its_column_scores_end_to_end() {
    let dir = temp_dir("metric-named-after-column");
    let card = dir.join("credit.scorecard");
    std::fs::write(&card, CREDIT).unwrap();
    let data = dir.join("applicants.csv");
    std::fs::write(
        &data,
        "applicant_id,age,income,housing\nA1,22,50000,own\nA2,45,120000,rent\nA3,30,0,free\n",
    )
    .unwrap();
    let (card, data) = (card.to_str().unwrap(), data.to_str().unwrap());
    let out = scorecard(&["score", card, "--data", data, "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    // income is the column / 1000 scaled to 40 at 100; rent scores 15 by its own rubric.
    assert_eq!(
        stdout(&out),
        "applicant_id,age,age_points,income,total,young\nA1,22,10.00,50.00,19.00,true\nA2,45,30.00,120.00,28.50,false\nA3,30,20.00,0.00,8.00,false\n"
    );
    let explained = scorecard(&["explain", card, "--data", data, "--partner", "A2"]);
    assert_eq!(explained.status.code(), Some(0));
    assert!(
        stdout(&explained).contains("age      45"),
        "{}",
        stdout(&explained)
    );
    let tested = scorecard(&["test", card]);
    assert!(
        stdout(&tested).contains("1 passed, 0 failed"),
        "{}",
        stdout(&tested)
    );
}

#[test]
fn a_metric_name_shared_with_its_column_is_refused_where_either_could_be_meant() {
    let (codes, _) = check(
        "metric revenue { owner \"o\" source \"s\" value revenue points = revenue * 2 }\nscore s { weights { revenue 100 } }\n",
    );
    assert_eq!(codes, vec!["N006"]);
    // Any other kind of declaration still cannot take a column's name.
    let (codes, _) = check(
        "metric m { owner \"o\" source \"s\" value revenue }\nscore reps { weights { m 100 } }\n",
    );
    assert_eq!(codes, vec!["N002"]);
}

mod order {
    use proptest::prelude::*;

    use super::*;

    /// Declarations whose types flow from one to the next: a label, a
    /// comparison of it, a condition on that, and uses in every kind of
    /// declaration, including a band table on the label.
    const DECLS: &[&str] = &[
        "segment type from partner_type\n",
        "metric kind { owner \"o\" source \"s\" value partner_type points { reseller => 10  msp => 5  else => 0 } }\n",
        "metric is_msp { owner \"o\" source \"s\" value kind == msp points { \"true\" => 10  \"false\" => 0 } }\n",
        "metric boost { owner \"o\" source \"s\" value if is_msp then revenue * 2 else revenue points scale 0 => 0, 100 => 100 }\n",
        "segment size { msp_large when is_msp and boost > 100  other otherwise }\n",
        "flag msp_flag \"an msp\" { when is_msp }\n",
        "rule r { when not is_msp and kind != technology action \"call\" }\n",
        "score s { weights { kind 30  is_msp 30  boost 40 } }\n",
        "output { partner_id  type  size  s }\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the order of the declarations, the scorecard is clean and
        /// every metric has the same type.
        #[test]
        fn types_do_not_depend_on_declaration_order(
            order in Just((0..DECLS.len()).collect::<Vec<usize>>()).prop_shuffle()
        ) {
            let body: String = order.iter().map(|&i| DECLS[i]).collect();
            let (codes, checked) = check(&body);
            prop_assert_eq!(codes, Vec::<&str>::new(), "{}", body);
            let model = checked.model.unwrap();
            let types: Vec<(String, String)> = model
                .metrics
                .iter()
                .map(|m| (m.name.clone(), format!("{:?}", m.value.ty)))
                .collect();
            let mut sorted = types.clone();
            sorted.sort();
            let is = |name: &str, ty: &str| sorted.iter().any(|(n, t)| n == name && t.starts_with(ty));
            prop_assert!(is("kind", "Enum"), "{:?}", types);
            prop_assert!(is("is_msp", "Bool"), "{:?}", types);
            prop_assert!(is("boost", "Number"), "{:?}", types);
        }
    }
}

#[test]
fn a_long_chain_of_metrics_declared_in_reverse_is_typed_without_deep_recursion() {
    let n = 5_000;
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!(
            "metric m{i} {{ owner \"o\" source \"s\" value m{} > 0 or true }}\n",
            i + 1
        ));
    }
    body.push_str(&format!(
        "metric m{n} {{ owner \"o\" source \"s\" value revenue }}\nflag f {{ when m0 }}\nscore s {{ weights {{ m{n} 100 }} }}\n"
    ));
    // `m{i} > 0` needs m{i+1} to be a number: only m{n} is; the others are true/false.
    let (codes, _) = check(&body);
    assert_eq!(
        codes.len(),
        n - 1,
        "one T001 per comparison of a true/false metric"
    );
    assert!(codes.iter().all(|c| *c == "T001"));
}

#[test]
fn a_long_cycle_of_metrics_is_one_error() {
    let n = 2_000;
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!(
            "metric m{i} {{ owner \"o\" source \"s\" value m{} + 1 }}\n",
            (i + 1) % n
        ));
    }
    body.push_str("score s { weights { m0 100 } }\n");
    let (codes, _) = check(&body);
    assert_eq!(codes, vec!["S001"]);
}
