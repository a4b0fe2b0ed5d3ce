//! "Did you mean ...?" for misspelled arguments and values.

/// The candidate closest to `found`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(found: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(found, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `did you mean `x`? ` when a close candidate exists, else an empty string.
pub(crate) fn did_you_mean(found: &str, candidates: &[&str]) -> String {
    closest(found, candidates)
        .map(|candidate| format!("did you mean `{candidate}`? "))
        .unwrap_or_default()
}

/// "`a`, `b` and `c`".
pub(crate) fn list(candidates: &[&str]) -> String {
    match candidates {
        [] => String::new(),
        [only] => format!("`{only}`"),
        [init @ .., last] => {
            let init: Vec<_> = init.iter().map(|c| format!("`{c}`")).collect();
            format!("{} and `{last}`", init.join(", "))
        }
    }
}
