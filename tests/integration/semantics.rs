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
