//! "Did you mean" suggestions: the closest known name to an unknown one.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
///
/// Closeness is the Damerau–Levenshtein distance, case-insensitive; a candidate
/// qualifies when the distance is at most a third of the longer name (and at
/// least 1 edit is allowed). Ties go to the earliest candidate, so results are
/// deterministic.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&lower, &candidate.to_lowercase());
        let allowed = (word.chars().count().max(candidate.chars().count()) / 3).max(1);
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_a_typo() {
        assert_eq!(closest("revnue", ["revenue", "region"]), Some("revenue"));
        assert_eq!(closest("Revenue", ["revenue"]), Some("revenue"));
    }

    #[test]
    fn ignores_distant_names() {
        assert_eq!(closest("x", ["revenue", "region"]), None);
        assert_eq!(closest("pipeline", ["deals_won"]), None);
    }
}
