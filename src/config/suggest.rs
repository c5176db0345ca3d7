//! "Did you mean ...?" suggestions for misspelt keys and values.

/// The candidate most similar to `word`, if any is similar enough to be a
/// plausible typo: Jaro-Winkler similarity of at least 0.8 to the whole
/// candidate, or of at least 0.9 to one of its `_`-separated words (so
/// `intervall` still finds `prompt_interval`).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter_map(|c| {
            let whole = strsim::jaro_winkler(word, c);
            if whole >= 0.8 {
                return Some((whole, c));
            }
            let part = c
                .split('_')
                .filter(|p| p.len() >= 4 && c.contains('_'))
                .map(|p| strsim::jaro_winkler(word, p))
                .fold(0.0, f64::max);
            // Ranked below any whole-word match.
            (part >= 0.9).then_some((part - 0.5, c))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `did you mean `x`?` for the closest candidate.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_but_not_unrelated_words() {
        let keys = ["prompt_interval", "work_hours_only", "timezone"];
        assert_eq!(closest("prompt_intervall", keys), Some("prompt_interval"));
        assert_eq!(closest("intervall", keys), Some("prompt_interval"));
        assert_eq!(closest("hours", keys), Some("work_hours_only"));
        assert_eq!(closest("time_zone", keys), Some("timezone"));
        assert_eq!(closest("colour", keys), None);
        assert_eq!(
            did_you_mean("timezon", keys).as_deref(),
            Some("did you mean `timezone`?")
        );
    }
}
