//! Full-text search over every entry: every query word must begin a word of the entry
//! (`time` finds `timeout`, `low` does not find `workflow`), and entries where the words
//! appear in the name or description rank first.

use serde::Serialize;

use super::entry::{Entry, Section};
use super::model::Catalog;

/// One matching entry, with the field that matched best.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub section: Section,
    pub id: String,
    pub name: String,
    pub score: f64,
    /// Dotted path of the best-matching field (`description`, `configuration_parameters.gather_timeout`).
    pub field: String,
    pub text: String,
}

/// Lower-case words, each preceded by a space, so that `contains(" word")` tests for
/// the start of a word.
fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for word in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push(' ');
        out.push_str(word);
    }
    out
}

/// How much a match in this field says about the entry.
fn weight(path: &str) -> f64 {
    let top = path.split(['.', '[']).next().unwrap_or(path);
    match top {
        "id" | "name" | "pattern_id" | "pattern_name" => 10.0,
        "description" => 6.0,
        "use_cases" | "advantages" | "best_for" | "optimal_for" => 4.0,
        _ => 2.0,
    }
}

/// Entries whose text contains every word of `query`, best first.
pub fn search(catalog: &Catalog, query: &str) -> Vec<Hit> {
    let phrase = words(query);
    let tokens: Vec<String> = phrase.split_whitespace().map(|t| format!(" {t}")).collect();
    if tokens.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<Hit> = catalog
        .entries()
        .iter()
        .filter_map(|entry| score(entry, &phrase, &tokens))
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.section.cmp(&b.section))
            .then(a.id.cmp(&b.id))
    });
    hits
}

fn score(entry: &Entry, phrase: &str, tokens: &[String]) -> Option<Hit> {
    let mut fields = vec![
        ("id".to_string(), entry.id.clone()),
        ("name".to_string(), entry.name.clone()),
    ];
    if let Some(group) = &entry.group {
        fields.push(("group".to_string(), group.clone()));
    }
    fields.extend(entry.items());
    let searchable: Vec<(f64, String)> = fields
        .iter()
        .map(|(path, text)| {
            let key = path.rsplit('.').next().unwrap_or(path);
            let key = key.split('[').next().unwrap_or(key);
            (weight(path), words(&format!("{key} {text}")))
        })
        .collect();
    let mut total = 0.0;
    for token in tokens {
        let best = searchable
            .iter()
            .filter(|(_, text)| text.contains(token.as_str()))
            .map(|(w, _)| *w)
            .fold(0.0, f64::max);
        if best == 0.0 {
            return None;
        }
        total += best;
    }
    // The field to show is the one covering the most words, the whole phrase if possible,
    // then the weightiest; the first such field on ties.
    let (best_index, _) = searchable
        .iter()
        .enumerate()
        .map(|(i, (w, text))| {
            let covered = tokens.iter().filter(|t| text.contains(t.as_str())).count();
            (i, (covered, text.contains(phrase), *w))
        })
        .max_by(|a, b| {
            let ((ca, pa, wa), (cb, pb, wb)) = (a.1, b.1);
            ca.cmp(&cb)
                .then(pa.cmp(&pb))
                .then(wa.total_cmp(&wb))
                .then(b.0.cmp(&a.0))
        })?;
    let phrase_bonus = searchable
        .iter()
        .filter(|(_, text)| text.contains(phrase))
        .map(|(w, _)| *w)
        .fold(0.0, f64::max);
    let (field, text) = &fields[best_index];
    Some(Hit {
        section: entry.section,
        id: entry.id.clone(),
        name: entry.name.clone(),
        score: total + phrase_bonus,
        field: field.clone(),
        text: text.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_must_match_and_names_rank_first() {
        let catalog = Catalog::embedded();
        let hits = search(&catalog, "round robin");
        assert_eq!(hits[0].id, "round_robin");
        assert!(hits.iter().any(|h| h.id == "scatter_gather_001"));
        assert!(search(&catalog, "round robin zebra").is_empty());
    }

    #[test]
    fn field_names_are_searchable() {
        let catalog = Catalog::embedded();
        let hits = search(&catalog, "gather timeout");
        assert_eq!(hits[0].id, "scatter_gather_001");
        assert_eq!(hits[0].field, "configuration_parameters.gather_timeout");
    }

    #[test]
    fn words_match_at_their_start_only() {
        let catalog = Catalog::embedded();
        assert!(
            search(&catalog, "low")
                .iter()
                .all(|h| h.id != "workflow_template_caching")
        );
        assert!(
            search(&catalog, "time")
                .iter()
                .any(|h| h.id == "request_response")
        );
    }

    #[test]
    fn empty_query_finds_nothing() {
        assert!(search(&Catalog::embedded(), "  ").is_empty());
    }
}
