//! The engine's semantics, one rule of docs/language.md per test: a scorecard,
//! rows given in it, and the CSV it produces for every row.

use crate::support::*;

const INPUT: &str = "scorecard \"t\" version \"1\"\ninput {\n  key id\n  period q\n  kind: enum(a, b)\n  x: number, optional\n  y: number, optional\n}\n";

fn rows(values: &[(&str, &str, &str, &str, &str)]) -> String {
    let mut t = String::from("test \"rows\" {\n");
    for (id, q, kind, x, y) in values {
        t.push_str(&format!(
            "  given {{ id: \"{id}\", q: \"{q}\", kind: {kind}, x: {x}, y: {y} }}\n"
        ));
    }
    t.push_str("  partner \"p1\"\n  expect x is not missing\n}\n");
    t
}

#[test]
fn missing_values_propagate_and_division_by_zero_is_missing() {
    let text = format!(
        "{INPUT}output {{ id q sum = x + y  ratio = x / y  filled = coalesce(x, 0) + 1  known = x is not missing  big = x > 1 }}\n{}",
        rows(&[
            ("p1", "1", "a", "4", "0"),
            ("p1", "2", "a", "missing", "2"),
            ("p1", "3", "a", "6", "3")
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,sum,ratio,filled,known,big\np1,1,4.00,,5.00,true,true\np1,2,,,1.00,false,\np1,3,9.00,2.00,7.00,true,true\n"
    );
}

#[test]
fn three_valued_logic_fires_only_on_true() {
    let text = format!(
        "{INPUT}flag f {{ when x > 1 or y > 1 }}\nflag g {{ when x > 1 and y > 1 }}\noutput {{ id q f g  n = not (x > 1) }}\n{}",
        rows(&[
            ("p1", "1", "a", "missing", "5"),
            ("p1", "2", "a", "missing", "0"),
            ("p1", "3", "a", "0", "missing")
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,f,g,n\np1,1,true,false,\np1,2,false,false,\np1,3,false,false,true\n"
    );
}

#[test]
fn percentile_is_mid_rank_with_shared_ties_within_period_and_group() {
    let text = format!(
        "{INPUT}metric m {{ owner \"o\" source \"s\" value x points percentile within kind }}\nscore s {{ weights {{ m 100 }} }}\noutput {{ id q kind p = points(m) }}\n{}",
        rows(&[
            ("p1", "1", "a", "10", "0"),
            ("p2", "1", "a", "20", "0"),
            ("p3", "1", "a", "20", "0"),
            ("p4", "1", "a", "30", "0"),
            ("p5", "1", "b", "99", "0"),
            ("p6", "2", "a", "5", "0"),
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,kind,p\np1,1,a,12.50\np2,1,a,50.00\np3,1,a,50.00\np4,1,a,87.50\np5,1,b,50.00\np6,2,a,50.00\n"
    );
}

#[test]
fn interval_ends_are_as_written() {
    let text = format!(
        "{INPUT}metric m {{ owner \"o\" source \"s\" value x points {{ [0, 10) => 1  [10, 20] => 2  (20, 30] => 3  else => 9  missing => -1 }} }}\nscore s {{ weights {{ m 100 }} }}\noutput {{ id p = points(m) decimals 0 }}\n{}",
        rows(&[
            ("p1", "1", "a", "0", "0"),
            ("p2", "1", "a", "10", "0"),
            ("p3", "1", "a", "20", "0"),
            ("p4", "1", "a", "20.5", "0"),
            ("p5", "1", "a", "-1", "0"),
            ("p6", "1", "a", "missing", "0")
        ])
    );
    assert_eq!(score(&text), "id,p\np1,1\np2,2\np3,2\np4,3\np5,9\np6,-1\n");
}

#[test]
fn scale_is_linear_and_clamped_either_way_round() {
    let text = format!(
        "{INPUT}metric up {{ owner \"o\" source \"s\" value x points scale 0 => 0, 0.6 => 100 }}\nmetric down {{ owner \"o\" source \"s\" value x points scale 180 => 0, 30 => 100 }}\nscore s {{ weights {{ up 50 down 50 }} }}\noutput {{ id up = points(up) down = points(down) }}\n{}",
        rows(&[
            ("p1", "1", "a", "0.3", "0"),
            ("p2", "1", "a", "-5", "0"),
            ("p3", "1", "a", "105", "0"),
            ("p4", "1", "a", "1000", "0")
        ])
    );
    assert_eq!(
        score(&text),
        "id,up,down\np1,50.00,100.00\np2,0.00,100.00\np3,100.00,50.00\np4,100.00,0.00\n"
    );
}

#[test]
fn guardrails_smooth_then_limit_change_then_floor_and_cap() {
    // x: 40, 100, 100, 100, 0. Moving average over 3 (shorter at the start):
    // 40, 70, 80, 100, 66.67. Moved at most 15 per period from the reported
    // value: 40, 55, 70, 85, 70. The cap of 80 then holds 85 at 80, and the
    // next period moves from 80.
    let text = format!(
        "{INPUT}metric m {{ owner \"o\" source \"s\" value x }}\nscore s {{ weights {{ m 100 }} smooth moving_average(3) max_change 15 per period cap 80 min_periods 2 }}\ntiers s {{ hi >= 60  lo otherwise }}\noutput {{ id q raw = raw(s) sm = smoothed(s) s tier = tier(s) }}\n{}",
        rows(&[
            ("p1", "1", "a", "40", "0"),
            ("p1", "2", "a", "100", "0"),
            ("p1", "3", "a", "100", "0"),
            ("p1", "4", "a", "100", "0"),
            ("p1", "5", "a", "0", "0")
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,raw,sm,s,tier\np1,1,40.00,40.00,40.00,provisional\np1,2,100.00,70.00,55.00,lo\np1,3,100.00,80.00,70.00,hi\np1,4,100.00,100.00,80.00,hi\np1,5,0.00,66.67,66.67,hi\n"
    );
}

#[test]
fn exponential_smoothing_starts_from_the_first_value() {
    let text = format!(
        "{INPUT}metric m {{ owner \"o\" source \"s\" value x }}\nscore s {{ weights {{ m 100 }} smooth exponential(0.5) }}\noutput {{ id q s }}\n{}",
        rows(&[
            ("p1", "1", "a", "10", "0"),
            ("p1", "2", "a", "30", "0"),
            ("p1", "3", "a", "30", "0"),
            ("p2", "1", "a", "8", "0")
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,s\np1,1,10.00\np1,2,20.00\np1,3,25.00\np2,1,8.00\n"
    );
}

#[test]
fn history_functions_follow_each_partner() {
    let text = format!(
        "{INPUT}output {{ id q prev = previous(x) ch = change(x) pct = pct_change(x) ma = moving_average(x, 2) n = periods_observed t = tenure }}\n{}",
        rows(&[
            ("p1", "2024Q3", "a", "10", "0"),
            ("p1", "2024Q4", "a", "15", "0"),
            ("p1", "2025Q2", "a", "0", "0"),
            ("p2", "2025Q1", "a", "4", "0")
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,prev,ch,pct,ma,n,t\np1,2024Q3,,,,10.00,1,0\np1,2024Q4,10.00,5.00,0.50,12.50,2,1\np1,2025Q2,15.00,-15.00,-1.00,7.50,3,3\np2,2025Q1,,,,4.00,1,0\n"
    );
}

#[test]
fn running_aggregates_look_at_the_whole_history_and_skip_missing_values() {
    // The example of docs/language.md, "Running aggregates", and a second
    // partner that starts afresh: its streak is unknown after a missing
    // first value, which may have been a third true one.
    let text = format!(
        "{INPUT}output {{ id q sum = running_sum(x) n = running_count(x) lo = running_min(x) hi = running_max(x) since = periods_since(x >= 200) run = streak(x >= 200) }}\n{}",
        rows(&[
            ("p1", "2025Q1", "a", "100", "0"),
            ("p1", "2025Q2", "a", "300", "0"),
            ("p1", "2025Q3", "a", "missing", "0"),
            ("p1", "2025Q4", "a", "240", "0"),
            ("p1", "2026Q1", "a", "150", "0"),
            ("p2", "2025Q1", "a", "missing", "0"),
            ("p2", "2025Q2", "a", "250", "0"),
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,sum,n,lo,hi,since,run\n\
         p1,2025Q1,100.00,1,100.00,100.00,,0\n\
         p1,2025Q2,400.00,2,100.00,300.00,0,1\n\
         p1,2025Q3,400.00,2,100.00,300.00,,\n\
         p1,2025Q4,640.00,3,100.00,300.00,0,\n\
         p1,2026Q1,790.00,4,100.00,300.00,1,0\n\
         p2,2025Q1,,0,,,,\n\
         p2,2025Q2,250.00,1,250.00,250.00,0,\n"
    );
}

#[test]
fn a_running_sum_is_exact_where_adding_in_order_is_not() {
    let text = format!(
        "{INPUT}output {{ id q sum = running_sum(x) decimals 0 }}\n{}",
        rows(&[
            ("p1", "1", "a", "1e16", "0"),
            ("p1", "2", "a", "1", "0"),
            ("p1", "3", "a", "-1e16", "0"),
            ("p1", "4", "a", "1", "0"),
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,sum\np1,1,10000000000000000\np1,2,10000000000000000\np1,3,1\np1,4,2\n"
    );
}

#[test]
fn streaks_count_rows_and_missing_conditions_leave_them_unknown() {
    let text = format!(
        "{INPUT}output {{ id q run = streak(x > 0) known = streak(coalesce(x > 0, false)) since = periods_since(x > 0) }}\n{}",
        rows(&[
            ("p1", "2024Q1", "a", "1", "0"),
            ("p1", "2024Q2", "a", "2", "0"),
            ("p1", "2024Q4", "a", "3", "0"),
            ("p1", "2025Q1", "a", "0", "0"),
            ("p1", "2025Q2", "a", "0", "0"),
            ("p1", "2025Q3", "a", "missing", "0"),
            ("p1", "2025Q4", "a", "5", "0"),
            ("p1", "2026Q1", "a", "5", "0"),
            ("p1", "2026Q2", "a", "-1", "0"),
        ])
    );
    assert_eq!(
        score(&text),
        "id,q,run,known,since\n\
         p1,2024Q1,1,1,0\n\
         p1,2024Q2,2,2,0\n\
         p1,2024Q4,3,3,0\n\
         p1,2025Q1,0,0,1\n\
         p1,2025Q2,0,0,2\n\
         p1,2025Q3,,0,\n\
         p1,2025Q4,,1,0\n\
         p1,2026Q1,,2,0\n\
         p1,2026Q2,0,0,1\n"
    );
}

#[test]
fn override_weights_change_only_the_weights_they_list() {
    let text = format!(
        "{INPUT}segment k from kind\n\
         metric mx {{ owner \"o\" source \"s\" value x }}\n\
         metric my {{ owner \"o\" source \"s\" value y }}\n\
         score whole {{ weights {{ mx 60  my 40 }}  for k b {{ weights {{ mx 20  my 80 }} }} }}\n\
         score all {{ weights {{ mx 60  my 40 }}  for k b {{ override weights {{ mx 20  my 80 }} }} }}\n\
         score replaced {{ weights {{ mx 60  my 40 }}  for k b {{ weights {{ my 100 }} }} }}\n\
         score dropped {{ weights {{ mx 60  my 40 }}  for k b {{ override weights {{ my 0 }} }} }}\n\
         score added {{ weights {{ mx 50 }}  for k b {{ override weights {{ my 50 }} }} }}\n\
         score layered {{ weights {{ layer strategy 40 {{ mx 100 }}  layer results 60 {{ my 100 }} }}\n\
           for k b {{ override weights {{ layer strategy 20 {{ mx 100 }}  layer results 80 {{}} }} }} }}\n\
         score in_layer {{ weights {{ layer strategy 40 {{ mx 50  my 50 }}  layer results 60 {{ my 100 }} }}\n\
           for k b {{ override weights {{ mx 100 }} }} }}\n\
         output {{ id whole all replaced dropped added layered in_layer }}\n{}",
        rows(&[("p1", "1", "a", "10", "20"), ("p2", "1", "b", "10", "20"),])
    );
    // A `for` block that lists every weight means the same with or without
    // `override`; a plain `weights` block still replaces them all.
    assert_eq!(
        score(&text),
        "id,whole,all,replaced,dropped,added,layered,in_layer\n\
         p1,14.00,14.00,14.00,14.00,5.00,16.00,18.00\n\
         p2,18.00,18.00,20.00,6.00,15.00,18.00,20.00\n"
    );
}

#[test]
fn rows_are_reported_in_key_then_period_order_whatever_the_input_order() {
    let text = format!(
        "{INPUT}output {{ id q }}\n{}",
        rows(&[
            ("p2", "2", "a", "1", "0"),
            ("p1", "2", "a", "1", "0"),
            ("p2", "1", "a", "1", "0"),
            ("p1", "1", "a", "1", "0")
        ])
    );
    assert_eq!(score(&text), "id,q\np1,1\np1,2\np2,1\np2,2\n");
}

#[test]
fn segment_weights_and_adjustments() {
    let text = format!(
        "{INPUT}segment k from kind\nmetric mx {{ owner \"o\" source \"s\" value x }}\nmetric my {{ owner \"o\" source \"s\" value y }}\nscore s {{ weights {{ mx 50 my 50 }} for k b {{ weights {{ mx 100 }} }} adjust \"boost\" by 2 when y > 50 }}\noutput {{ id k s }}\n{}",
        rows(&[
            ("p1", "1", "a", "10", "20"),
            ("p2", "1", "b", "10", "20"),
            ("p3", "1", "a", "10", "60")
        ])
    );
    assert_eq!(score(&text), "id,k,s\np1,a,15.00\np2,b,10.00\np3,a,70.00\n");
}

#[test]
fn actions_by_priority_without_repeats() {
    let text = format!(
        "{INPUT}rule low_one {{ when x > 0 action \"call\" priority low }}\nrule high_one {{ when x > 0 action \"coach\" action \"call\" priority high }}\nrule never {{ when x < 0 action \"audit\" }}\noutput {{ id actions if empty \"none\" }}\n{}",
        rows(&[("p1", "1", "a", "1", "0"), ("p2", "1", "a", "0", "0")])
    );
    assert_eq!(score(&text), "id,actions\np1,coach;call\np2,none\n");
}

#[test]
fn insufficient_data_empties_the_score_and_names_the_tier() {
    let text = format!(
        "{INPUT}metric mx {{ owner \"o\" source \"s\" value x missing points 0 }}\nmetric my {{ owner \"o\" source \"s\" value y missing points 0 }}\nscore s {{ weights {{ mx 50 my 50 }} insufficient data if more than 1 missing }}\ntiers s {{ hi >= 50  lo otherwise }}\noutput {{ id s tier = tier(s) }}\n{}",
        rows(&[
            ("p1", "1", "a", "missing", "missing"),
            ("p2", "1", "a", "missing", "40"),
            ("p3", "1", "a", "80", "40")
        ])
    );
    assert_eq!(
        score(&text),
        "id,s,tier\np1,,insufficient_data\np2,20.00,lo\np3,60.00,hi\n"
    );
}

#[test]
fn a_credit_style_sum_is_exact() {
    let text = format!(
        "{INPUT}metric age {{ owner \"o\" source \"s\" value x points {{ < 25 => -10 [25, 35) => 15 >= 35 => 30 }} }}\nmetric inc {{ owner \"o\" source \"s\" value y points {{ < 1000 => 5 else => 40 }} }}\nscore credit {{ base 600 sum {{ age inc }} }}\noutput {{ id credit decimals 0 }}\n{}",
        rows(&[
            ("p1", "1", "a", "20", "500"),
            ("p2", "1", "a", "30", "5000"),
            ("p3", "1", "a", "40", "5000")
        ])
    );
    assert_eq!(score(&text), "id,credit\np1,595\np2,655\np3,670\n");
}

#[test]
fn provisional_passes_to_scores_computed_from_it() {
    let text = format!(
        "{INPUT}metric m {{ owner \"o\" source \"s\" value x }}\nscore a {{ weights {{ m 100 }} min_periods 2 }}\nscore b {{ value a * 2 }}\ntiers b {{ hi >= 10  lo otherwise }}\noutput {{ id q b tier = tier(b) }}\n{}",
        rows(&[("p1", "1", "a", "10", "0"), ("p1", "2", "a", "10", "0")])
    );
    assert_eq!(
        score(&text),
        "id,q,b,tier\np1,1,20.00,provisional\np1,2,20.00,hi\n"
    );
}

#[test]
fn default_columns_without_an_output_block() {
    let text = format!(
        "{INPUT}segment k from kind\nmetric m {{ owner \"o\" source \"s\" value x }}\nscore s {{ weights {{ m 100 }} min_periods 2 }}\ntiers s {{ hi >= 50  lo otherwise }}\nrule r {{ when s > 50 action \"go\" }}\nflag f {{ when x > 90 }}\n{}",
        rows(&[("p1", "1", "a", "95", "0")])
    );
    assert_eq!(
        score(&text),
        "id,q,k,s,s_tier,provisional,actions,flags\np1,1,a,95.00,provisional,true,go,f\n"
    );
}

mod determinism {
    //! The same inputs give the same bytes: whatever the row order of the
    //! input, and whatever the number of threads.

    use proptest::prelude::*;
    use scorecard::data::given::table_from_rows;
    use scorecard::data::table::Table;
    use scorecard::eval;
    use scorecard::model::{Model, TestRow, TestValue};

    use crate::support::*;

    const CARD: &str = "scorecard \"d\" version \"1\"
input { key id  period q  kind: enum(a, b, c)  x: number, optional  y: integer in 0..100 }
segment k from kind
metric mx { owner \"o\" source \"s\" value x  missing value 0  points percentile within kind }
metric my { owner \"o\" source \"s\" value y  points scale 0 => 0, 100 => 100 }
metric mz { owner \"o\" source \"s\" value x / (y + 1)  points { >= 1 => 100  >= 0.5 => 50  else => 0  missing => 10 } }
score s { weights { mx 40  my 30  mz 30 }  for k b { weights { mx 20  my 40  mz 40 } }  smooth moving_average(3)  max_change 15 min_periods 2 }
score t { value 0.5 * s + 0.5 * points(my) + running_sum(x) / (1 + running_count(x)) - running_min(y) }
tiers s { hi >= 60  mid >= 30  lo otherwise }
flag spike { when pct_change(x) > 100% or streak(x > 100) >= 2 }
rule r { when s >= 60 and not spike and periods_since(y > 50) < 2 action \"keep\" }
test \"shape\" { given { id: \"p\", q: \"1\", kind: a, x: 1, y: 1 } expect s >= 0 }
";

    fn model() -> Model {
        let (_, checked) = check_str(CARD);
        assert!(
            checked.diagnostics.is_empty(),
            "{:?}",
            checked
                .diagnostics
                .iter()
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        );
        checked.model.unwrap()
    }

    /// `partners` partners with 1..=4 periods each, values from a seed.
    fn rows(model: &Model, partners: usize, seed: u64) -> Vec<TestRow> {
        let col = |name: &str| model.contract.find(name).unwrap();
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut out = Vec::new();
        for p in 0..partners {
            let periods = 1 + (next() % 4) as usize;
            let kind = ["a", "b", "c"][(next() % 3) as usize];
            for q in 0..periods {
                let x = if next() % 10 == 0 {
                    TestValue::Missing
                } else {
                    TestValue::Number((next() % 1000) as f64 / 7.0)
                };
                out.push(TestRow {
                    values: vec![
                        (col("id"), TestValue::Text(format!("P{p:05}"))),
                        (col("q"), TestValue::Text(format!("2025Q{}", q + 1))),
                        (col("kind"), TestValue::Text(kind.into())),
                        (col("x"), x),
                        (col("y"), TestValue::Number((next() % 101) as f64)),
                    ],
                    loc: Default::default(),
                });
            }
        }
        out
    }

    /// The CSV output, scored from a thread of a pool of `threads` (batches
    /// computed in windows).
    fn output(model: &Model, table: &Table, threads: usize) -> String {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| score_table(model, table))
    }

    #[test]
    fn thread_counts_give_the_same_bytes() {
        let model = model();
        // Enough rows for many batches, so the batches really run in parallel.
        let table = table_from_rows(&model, &rows(&model, 12_000, 7));
        let one = output(&model, &table, 1);
        assert!(one.lines().count() > 20_000);
        assert_eq!(one, output(&model, &table, 2));
        assert_eq!(one, output(&model, &table, 8));
    }

    #[test]
    fn batches_finished_out_of_order_are_written_in_order() {
        let model = model();
        // More batches than are kept in flight, so that finished batches
        // start others while earlier ones are still being computed.
        let table = table_from_rows(&model, &rows(&model, 40_000, 11));
        assert!(table.rows > 24 * eval::BATCH_ROWS);
        assert!(rayon::current_thread_index().is_none());
        // From this thread, outside the pool, as `scorecard score` scores.
        assert_eq!(score_table(&model, &table), output(&model, &table, 1));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn shuffling_input_rows_changes_no_byte(seed in 1u64..u64::MAX, swaps in proptest::collection::vec((0usize..10_000, 0usize..10_000), 1..200)) {
            let model = model();
            let original = rows(&model, 300, seed);
            let mut shuffled = original.clone();
            let n = shuffled.len();
            for (a, b) in swaps {
                shuffled.swap(a % n, b % n);
            }
            let a = output(&model, &table_from_rows(&model, &original), 2);
            let b = output(&model, &table_from_rows(&model, &shuffled), 2);
            prop_assert_eq!(a, b);
        }
    }
}

#[test]
fn percentile_within_a_segment_computed_from_metrics() {
    // The segment reads a metric, which reads a column: peers are grouped by it.
    let text = format!(
        "{INPUT}metric big {{ owner \"o\" source \"s\" value y }}\nsegment size {{ large when big >= 10  small otherwise }}\nmetric m {{ owner \"o\" source \"s\" value x points percentile within size }}\nscore s {{ weights {{ m 50 big 50 }} }}\noutput {{ id size p = points(m) }}\n{}",
        rows(&[
            ("p1", "1", "a", "1", "20"),
            ("p2", "1", "a", "2", "20"),
            ("p3", "1", "a", "3", "1"),
            ("p4", "1", "a", "4", "1")
        ])
    );
    assert_eq!(
        score(&text),
        "id,size,p\np1,large,25.00\np2,large,75.00\np3,small,25.00\np4,small,75.00\n"
    );
}
