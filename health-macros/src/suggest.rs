//! "Did you mean ...?" for misspelled arguments and values.

/// The candidate closest to `found`, if it is close enough to be a likely typo: a small
/// edit distance (`timout_ms`), or a long shared beginning (`ready` for `readiness`).
pub(crate) fn closest<'a>(found: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let by_distance = candidates
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(found, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate);
    by_distance.or_else(|| by_prefix(found, candidates))
}

/// The only candidate sharing a beginning of at least four characters with `found`.
fn by_prefix<'a>(found: &str, candidates: &[&'a str]) -> Option<&'a str> {
    const MIN_SHARED: usize = 4;
    let shared = |candidate: &str| {
        found
            .chars()
            .zip(candidate.chars())
            .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
            .count()
    };
    let mut matching = candidates.iter().filter(|c| shared(c) >= MIN_SHARED);
    match (matching.next(), matching.next()) {
        (Some(only), None) => Some(*only),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::closest;

    const ARGUMENTS: &[&str] = &["name", "timeout_ms", "probe", "critical", "tags"];
    const PROBES: &[&str] = &["liveness", "readiness", "startup"];

    #[test]
    fn typos() {
        assert_eq!(closest("timout_ms", ARGUMENTS), Some("timeout_ms"));
        assert_eq!(closest("tag", ARGUMENTS), Some("tags"));
        assert_eq!(closest("probes", ARGUMENTS), Some("probe"));
        assert_eq!(closest("readines", PROBES), Some("readiness"));
    }

    #[test]
    fn shortened_words() {
        assert_eq!(closest("ready", PROBES), Some("readiness"));
        assert_eq!(closest("live", PROBES), Some("liveness"));
        assert_eq!(closest("started", PROBES), Some("startup"));
        assert_eq!(closest("timeout_secs", ARGUMENTS), Some("timeout_ms"));
    }

    #[test]
    fn unrelated_words() {
        assert_eq!(closest("interval", ARGUMENTS), None);
        assert_eq!(closest("health", PROBES), None);
    }
}
