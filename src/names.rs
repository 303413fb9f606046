//! How names typed by a user are matched: any case, dashes or underscores, ids with or
//! without their numeric suffix, and "did you mean" for the ones that match nothing.

/// Lower case, with dashes and spaces as underscores: the form names are compared in.
pub fn normalize(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c == '-' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Strips a trailing `_NNN` from an id: `scatter_gather_001` is `scatter_gather`.
pub fn short_name(id: &str) -> &str {
    match id.rsplit_once('_') {
        Some((stem, digits))
            if !stem.is_empty()
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            stem
        }
        _ => id,
    }
}

/// Formats "; did you mean a or b?" for a list of suggestions.
pub fn suggest(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [rest @ .., last] => format!("; did you mean {} or {last}?", rest.join(", ")),
    }
}

/// The names closest to `wanted`, best first, for "did you mean".
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted = normalize(wanted);
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| {
            let similarity = strsim::jaro_winkler(&wanted, &normalize(c));
            let contains = !wanted.is_empty() && normalize(c).contains(&wanted);
            (
                if contains {
                    similarity.max(0.9)
                } else {
                    similarity
                },
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, name) in scored {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out.truncate(3);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_the_numeric_suffix_only() {
        assert_eq!(short_name("scatter_gather_001"), "scatter_gather");
        assert_eq!(short_name("round_robin"), "round_robin");
        assert_eq!(short_name("p2p_v2"), "p2p_v2");
        assert_eq!(short_name("_001"), "_001");
    }

    #[test]
    fn names_compare_in_any_case_with_dashes() {
        assert_eq!(normalize(" Scatter-Gather "), "scatter_gather");
        assert_eq!(
            closest("scater", ["scatter_gather", "pipeline"]),
            ["scatter_gather"]
        );
        assert_eq!(suggest(&["a".into(), "b".into()]), "; did you mean a or b?");
    }
}
