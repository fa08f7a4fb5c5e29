#[test]
fn w1_parses() {
    let text = std::fs::read_to_string("bench/w1.scorecard").unwrap();
    let (tree, diags) = scorecard::syntax::parse(scorecard::source::FileId(0), &text);
    for d in &diags {
        eprintln!("{:?} {} {}", d.code, d.message, &text[d.span.start..]);
    }
    assert!(diags.is_empty());
    let tree = tree.unwrap();
    eprintln!("{:#?}", tree.decls.last());
    assert_eq!(tree.decls.len(), 28);
}
