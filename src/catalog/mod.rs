//! The pattern database: typed model, loading (embedded or overlaid by a user file),
//! validation, and lookups by name.

mod entry;
mod model;
mod search;
mod simulation;
pub mod value;

use std::path::Path;

use serde_json::Value;

pub use crate::names::{closest, normalize, short_name, suggest};
pub use entry::{Entry, Section, display_value};
pub use model::*;
pub use search::{Hit, search};
pub use value::{AgentRange, Count, Duration, Level, Pace, Param, Percent, PercentRange, Toggle};

/// The database as shipped, in the source document's wording.
const EMBEDDED: &str = include_str!("../../data/catalog.json");

/// Where catalog data came from, for error messages.
const EMBEDDED_NAME: &str = "embedded catalog";

/// Why a catalog could not be loaded or a name not resolved.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read catalog file {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {field}: {message}")]
    Invalid {
        path: String,
        field: String,
        message: String,
    },
    #[error("unknown {kind} '{name}'{}", suggest(.suggestions))]
    Unknown {
        kind: &'static str,
        name: String,
        suggestions: Vec<String>,
    },
    #[error("'{name}' matches several entries: {}; give one of them", .matches.join(", "))]
    Ambiguous { name: String, matches: Vec<String> },
}

/// What a user catalog file changed, for `catalog validate`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OverlaySummary {
    pub added: Vec<String>,
    pub overridden: Vec<String>,
}

/// The most retries a catalog's retry pattern may allow.
pub const MAX_RETRIES: u32 = 100;

impl Catalog {
    /// The database compiled into the binary.
    pub fn embedded() -> Catalog {
        let value: Value = serde_json::from_str(EMBEDDED).expect("embedded catalog is JSON");
        Catalog::from_value(value, EMBEDDED_NAME).expect("embedded catalog is valid")
    }

    /// The embedded database with the entries of a user file added or overriding.
    pub fn with_overlay(path: &Path) -> Result<(Catalog, OverlaySummary), CatalogError> {
        let name = path.display().to_string();
        let text = crate::file::read_text(path, crate::file::MAX_CATALOG_BYTES, "catalog file")
            .map_err(|source| CatalogError::Read {
                path: name.clone(),
                source,
            })?;
        Catalog::with_overlay_text(&text, &name)
    }

    /// As [`Catalog::with_overlay`], from the file's text; `name` is used in messages.
    pub fn with_overlay_text(
        text: &str,
        name: &str,
    ) -> Result<(Catalog, OverlaySummary), CatalogError> {
        let overlay: Value = serde_json::from_str(text).map_err(|e| CatalogError::Syntax {
            path: name.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string().split(" at line").next().unwrap_or("").into(),
        })?;
        let mut merged: Value = serde_json::from_str(EMBEDDED).expect("embedded catalog is JSON");
        merge_catalog(&mut merged, overlay, name)?;
        let base = Catalog::embedded();
        let catalog = Catalog::from_value(merged, name)?;
        Ok((catalog.clone(), summarize(&base, &catalog)))
    }

    fn from_value(value: Value, name: &str) -> Result<Catalog, CatalogError> {
        let pattern_ids: Vec<String> = value["patterns"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| p["pattern_id"].as_str().unwrap_or("?").to_string())
                    .collect()
            })
            .unwrap_or_default();
        let catalog: Catalog = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = name_pattern_indices(&e.path().to_string(), &pattern_ids);
            CatalogError::Invalid {
                path: name.to_string(),
                field: if field == "." {
                    "top level".into()
                } else {
                    field
                },
                message: e.into_inner().to_string(),
            }
        })?;
        catalog.validate(name)?;
        Ok(catalog)
    }

    /// Checks what the types alone cannot: ranges in order, references that resolve,
    /// and simulator parameters of the right kind.
    fn validate(&self, name: &str) -> Result<(), CatalogError> {
        let invalid = |field: String, message: String| CatalogError::Invalid {
            path: name.to_string(),
            field,
            message,
        };
        let mut seen = std::collections::HashSet::new();
        for p in &self.patterns {
            let at = |field: &str| format!("patterns[{}].{field}", p.pattern_id);
            if p.pattern_id.is_empty()
                || !p
                    .pattern_id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(invalid(
                    at("pattern_id"),
                    "expected lower-case letters, digits and underscores".into(),
                ));
            }
            if !seen.insert(p.pattern_id.as_str()) {
                return Err(invalid(at("pattern_id"), "appears twice".into()));
            }
            for (field, rating) in [
                ("scalability_rating", p.scalability_rating),
                ("reliability_rating", p.reliability_rating),
            ] {
                if !(1..=10).contains(&rating) {
                    return Err(invalid(
                        at(field),
                        format!("expected a rating from 1 to 10, got {rating}"),
                    ));
                }
            }
            let range = &p.optimal_agent_count;
            if range.min == 0 || range.min > range.max {
                return Err(invalid(
                    at("optimal_agent_count"),
                    format!("expected 1 <= min <= max, got {}-{}", range.min, range.max),
                ));
            }
            for (param, kind) in SIMULATOR_PARAMETERS {
                let Some(value) = p.configuration_parameters.get(*param) else {
                    continue;
                };
                let field = at(&format!("configuration_parameters.{param}"));
                if value.kind() != *kind {
                    return Err(invalid(
                        field,
                        format!(
                            "expected {kind} such as {}, got {} ({value})",
                            example(kind),
                            value.kind()
                        ),
                    ));
                }
                if value.as_duration().is_some_and(|d| d.seconds <= 0.0) {
                    return Err(invalid(field, "expected a duration above 0".into()));
                }
            }
        }
        for (id, c) in &self.caching_strategies {
            if c.improvements.is_empty() {
                return Err(invalid(
                    format!("caching_strategies.{id}"),
                    "expected at least one improvement such as cache_hit_improvement: 40-80%"
                        .into(),
                ));
            }
            for (metric, range) in &c.improvements {
                if range.min > range.max {
                    return Err(invalid(
                        format!("caching_strategies.{id}.{metric}"),
                        format!("min {} is above max {}", range.min, range.max),
                    ));
                }
            }
        }
        let retry = &self.error_handling_patterns.retry_patterns;
        let retry_names = ["exponential_backoff", "linear_backoff", "immediate_retry"];
        let e = &retry.exponential_backoff;
        if e.backoff_multiplier < 1.0 || !e.backoff_multiplier.is_finite() {
            return Err(invalid(
                "error_handling_patterns.retry_patterns.exponential_backoff.backoff_multiplier"
                    .into(),
                format!("expected a number >= 1, got {}", e.backoff_multiplier),
            ));
        }
        for (policy, initial, max) in [
            ("exponential_backoff", &e.initial_delay, &e.max_delay),
            (
                "linear_backoff",
                &retry.linear_backoff.initial_delay,
                &retry.linear_backoff.max_delay,
            ),
        ] {
            if max.seconds < initial.seconds {
                return Err(invalid(
                    format!("error_handling_patterns.retry_patterns.{policy}.max_delay"),
                    format!("{max} is below the initial delay {initial}"),
                ));
            }
        }
        // Every attempt is simulated, and a retry storm multiplies them: the same cap as a
        // request's attempts anywhere else.
        for (policy, retries) in [
            ("exponential_backoff", e.max_retries),
            ("linear_backoff", retry.linear_backoff.max_retries),
            ("immediate_retry", retry.immediate_retry.max_retries),
        ] {
            if retries > MAX_RETRIES {
                return Err(invalid(
                    format!("error_handling_patterns.retry_patterns.{policy}.max_retries"),
                    format!("expected at most {MAX_RETRIES} retries, got {retries}"),
                ));
            }
        }
        if !retry_names.contains(&retry.immediate_retry.fallback_strategy.as_str()) {
            return Err(invalid(
                "error_handling_patterns.retry_patterns.immediate_retry.fallback_strategy".into(),
                format!("expected one of {}", retry_names.join(", ")),
            ));
        }
        let request_response = &self
            .communication_patterns
            .synchronous_patterns
            .request_response;
        if !retry_names.contains(&request_response.retry_policy.as_str()) {
            return Err(invalid(
                "communication_patterns.synchronous_patterns.request_response.retry_policy".into(),
                format!("expected one of {}", retry_names.join(", ")),
            ));
        }
        let breaker = &self.error_handling_patterns.circuit_breaker_patterns;
        for (field, value) in [
            ("failure_threshold", breaker.failure_threshold.count),
            ("success_threshold", breaker.success_threshold.count),
            (
                "half_open_test_requests",
                u64::from(breaker.half_open_test_requests),
            ),
        ] {
            if value == 0 {
                return Err(invalid(
                    format!("error_handling_patterns.circuit_breaker_patterns.{field}"),
                    "expected at least 1".into(),
                ));
            }
        }
        let heartbeat = &self
            .monitoring_patterns
            .health_check_patterns
            .heartbeat_monitoring;
        if heartbeat.frequency.seconds <= 0.0 {
            return Err(invalid(
                "monitoring_patterns.health_check_patterns.heartbeat_monitoring.frequency".into(),
                "expected a positive interval".into(),
            ));
        }
        if heartbeat.failure_threshold.count == 0 {
            return Err(invalid(
                "monitoring_patterns.health_check_patterns.heartbeat_monitoring.failure_threshold"
                    .into(),
                "expected at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The pattern with this id or, if unambiguous, short name.
    pub fn pattern(&self, name: &str) -> Result<&Pattern, CatalogError> {
        let wanted = normalize(name);
        if let Some(p) = self.patterns.iter().find(|p| p.pattern_id == wanted) {
            return Ok(p);
        }
        let matches: Vec<&Pattern> = self
            .patterns
            .iter()
            .filter(|p| p.short_name() == wanted)
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(CatalogError::Unknown {
                kind: "pattern",
                name: name.to_string(),
                suggestions: closest(
                    name,
                    self.patterns
                        .iter()
                        .flat_map(|p| [p.pattern_id.as_str(), p.short_name()]),
                )
                .into_iter()
                .map(|s| self.pattern_id_of(&s))
                .fold(Vec::new(), dedup),
            }),
            many => Err(CatalogError::Ambiguous {
                name: name.to_string(),
                matches: many.iter().map(|p| p.pattern_id.clone()).collect(),
            }),
        }
    }

    fn pattern_id_of(&self, name: &str) -> String {
        self.patterns
            .iter()
            .find(|p| p.pattern_id == name || p.short_name() == name)
            .map_or_else(|| name.to_string(), |p| p.pattern_id.clone())
    }

    /// Any entry of any section by id, short name or `section/id`, in any case, dashes or
    /// underscores. An exact id wins over a short name.
    pub fn find(&self, name: &str) -> Result<Entry, CatalogError> {
        let (section, wanted) = match name.split_once('/') {
            Some((section, rest)) => {
                let parsed = section
                    .parse::<Section>()
                    .map_err(|()| CatalogError::Unknown {
                        kind: "section",
                        name: section.to_string(),
                        suggestions: closest(section, Section::ALL.iter().map(|s| s.id())),
                    })?;
                (Some(parsed), rest)
            }
            None => (None, name),
        };
        let wanted = normalize(wanted);
        let entries: Vec<Entry> = self
            .entries()
            .into_iter()
            .filter(|e| section.is_none_or(|s| e.section == s))
            .collect();
        let exact: Vec<&Entry> = entries.iter().filter(|e| e.id == wanted).collect();
        let matches = if exact.is_empty() {
            entries
                .iter()
                .filter(|e| e.aliases().contains(&wanted))
                .collect()
        } else {
            exact
        };
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => {
                let names: Vec<String> = entries.iter().flat_map(|e| e.aliases()).collect();
                let suggestions = closest(wanted.as_str(), names.iter().map(String::as_str))
                    .into_iter()
                    .filter_map(|alias| {
                        entries
                            .iter()
                            .find(|e| e.aliases().contains(&alias))
                            .map(|e| e.id.clone())
                    })
                    .fold(Vec::new(), dedup);
                Err(CatalogError::Unknown {
                    kind: "entry",
                    name: name.to_string(),
                    suggestions,
                })
            }
            many => Err(CatalogError::Ambiguous {
                name: name.to_string(),
                matches: many
                    .iter()
                    .map(|e| format!("{}/{}", e.section, e.id))
                    .collect(),
            }),
        }
    }

    /// The catalog as the JSON file format, readable back with `--catalog`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("catalog types serialize to JSON")
    }

    /// The JSON Schema of the catalog file format.
    pub fn json_schema() -> Value {
        serde_json::to_value(schemars::schema_for!(Catalog)).expect("schema serializes")
    }
}

fn dedup(mut acc: Vec<String>, item: String) -> Vec<String> {
    if !acc.contains(&item) {
        acc.push(item);
    }
    acc
}

/// Pattern parameters the simulator reads, with the kind each must have.
const SIMULATOR_PARAMETERS: &[(&str, &str)] = &[
    ("failure_detection_timeout", "a duration"),
    ("heartbeat_interval", "a duration"),
    ("leader_election_timeout", "a duration"),
    ("stage_buffer_size", "a count"),
    ("checkpoint_frequency", "a count"),
    ("pipeline_monitoring_interval", "a duration"),
    ("gather_timeout", "a duration"),
    ("failure_threshold", "a percentage"),
];

fn example(kind: &str) -> &'static str {
    match kind {
        "a duration" => "30_seconds",
        "a count" => "1000_items",
        _ => "20_percent",
    }
}

/// Rewrites `patterns[3]` into `patterns[scatter_gather_001]`, which a user can find in their file.
fn name_pattern_indices(path: &str, ids: &[String]) -> String {
    let Some(rest) = path.strip_prefix("patterns[") else {
        return path.to_string();
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return path.to_string();
    };
    match index.parse::<usize>().ok().and_then(|i| ids.get(i)) {
        Some(id) => format!("patterns[{id}]{tail}"),
        None => path.to_string(),
    }
}

/// An object holding a `text` key is a typed value and is replaced whole, never merged field by field.
fn is_leaf(value: &Value) -> bool {
    !matches!(value, Value::Object(map) if !map.contains_key("text"))
}

fn deep_merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) if !base.contains_key("text") => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(slot) if !is_leaf(slot) && !is_leaf(&value) => deep_merge(slot, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

/// Merges a user file into the embedded data: patterns by `pattern_id`, everything else key by key.
fn merge_catalog(base: &mut Value, overlay: Value, name: &str) -> Result<(), CatalogError> {
    let invalid = |field: &str, message: &str| CatalogError::Invalid {
        path: name.to_string(),
        field: field.to_string(),
        message: message.to_string(),
    };
    let Value::Object(sections) = overlay else {
        return Err(invalid(
            "top level",
            "expected an object whose keys are catalog sections (patterns, load_balancing_algorithms, ...)",
        ));
    };
    for (key, value) in sections {
        match key.as_str() {
            "schema_version" => {
                if value != 1 {
                    return Err(invalid(
                        "schema_version",
                        "this jaegis reads schema_version 1",
                    ));
                }
            }
            "patterns" => {
                let Value::Array(patterns) = value else {
                    return Err(invalid("patterns", "expected a list of patterns"));
                };
                let base_patterns = base["patterns"]
                    .as_array_mut()
                    .expect("embedded patterns are a list");
                let mut seen = std::collections::HashSet::new();
                for (i, pattern) in patterns.into_iter().enumerate() {
                    let Some(id) = pattern.get("pattern_id").and_then(Value::as_str) else {
                        return Err(invalid(
                            &format!("patterns[{i}].pattern_id"),
                            "missing: every pattern needs a pattern_id such as my_pattern_001",
                        ));
                    };
                    let id = id.to_string();
                    if !seen.insert(id.clone()) {
                        return Err(invalid(
                            &format!("patterns[{id}].pattern_id"),
                            "appears twice in this file",
                        ));
                    }
                    match base_patterns.iter_mut().find(|p| p["pattern_id"] == *id) {
                        Some(existing) => deep_merge(existing, pattern),
                        None => base_patterns.push(pattern),
                    }
                }
            }
            _ => match base.get_mut(&key) {
                Some(slot) => deep_merge(slot, value),
                None => {
                    base.as_object_mut()
                        .expect("embedded catalog is an object")
                        .insert(key, value);
                }
            },
        }
    }
    Ok(())
}

fn summarize(base: &Catalog, merged: &Catalog) -> OverlaySummary {
    let before = base.entries();
    let mut summary = OverlaySummary::default();
    for entry in merged.entries() {
        let qualified = format!("{}/{}", entry.section, entry.id);
        match before
            .iter()
            .find(|b| b.section == entry.section && b.id == entry.id)
        {
            None => summary.added.push(qualified),
            Some(old) if old.data != entry.data => summary.overridden.push(qualified),
            Some(_) => {}
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_loads() {
        let catalog = Catalog::embedded();
        assert_eq!(catalog.patterns.len(), 4);
    }

    #[test]
    fn suggestions_read_naturally() {
        assert_eq!(suggest(&[]), "");
        assert_eq!(suggest(&["a".into()]), "; did you mean a?");
        assert_eq!(
            suggest(&["a".into(), "b".into(), "c".into()]),
            "; did you mean a, b or c?"
        );
    }

    #[test]
    fn overlay_overrides_a_field_and_adds_a_pattern() {
        let text = r#"{
            "patterns": [
                {"pattern_id": "pipeline_001", "optimal_agent_count": "2-30"}
            ],
            "error_handling_patterns": {"circuit_breaker_patterns": {"failure_threshold": "7_consecutive_failures"}}
        }"#;
        let (catalog, summary) = Catalog::with_overlay_text(text, "user.json").unwrap();
        let pipeline = catalog.pattern("pipeline").unwrap();
        assert_eq!(pipeline.optimal_agent_count.max, 30);
        assert_eq!(pipeline.pattern_name, "Sequential Processing Pipeline");
        assert_eq!(
            catalog
                .error_handling_patterns
                .circuit_breaker_patterns
                .failure_threshold
                .count,
            7
        );
        assert_eq!(
            summary.overridden,
            vec![
                "patterns/pipeline_001",
                "error_handling/circuit_breaker_patterns"
            ]
        );
        assert!(summary.added.is_empty());
    }

    #[test]
    fn overlay_errors_name_the_entry_and_field() {
        let cases = [
            (
                r#"{"patterns": [{"pattern_id": "pipeline_001", "optimal_agent_count": "many"}]}"#,
                "patterns[pipeline_001].optimal_agent_count: expected an agent range",
            ),
            (
                r#"{"patterns": [{"pattern_id": "mine_001", "pattern_name": "Mine"}]}"#,
                "patterns[mine_001]: missing field",
            ),
            (
                r#"{"load_balancing_algorithms": {"round_robin": {"fairness": "extreme"}}}"#,
                "load_balancing_algorithms.round_robin.fairness",
            ),
            (r#"{"patern": []}"#, "unknown field `patern`"),
            (
                r#"{"patterns": [{"pattern_id": "pipeline_001", "configuration_parameters": {"gather_timeout": "soon"}}]}"#,
                "configuration_parameters.gather_timeout: expected a duration",
            ),
            (
                r#"{"patterns": [{"pattern_id": "pipeline_001", "optimal_agent_count": "20-5"}]}"#,
                "expected 1 <= min <= max",
            ),
            (
                r#"{"patterns": [{"pattern_id": "pipeline_001"}, {"pattern_id": "pipeline_001"}]}"#,
                "patterns[pipeline_001].pattern_id: appears twice in this file",
            ),
            (
                r#"{"caching_strategies": {"result_caching": {"memory_overhed": "low"}}}"#,
                "unknown field `memory_overhed`",
            ),
            (
                r#"{"patterns": [{"pattern_id": "peer_to_peer_001", "configuration_parameters": {"heartbeat_interval": "0_seconds"}}]}"#,
                "heartbeat_interval: expected a duration above 0",
            ),
            // Once passed, a million retries ran a storm to 5.8 GB.
            (
                r#"{"error_handling_patterns": {"retry_patterns": {"immediate_retry": {"max_retries": 1000000}}}}"#,
                "immediate_retry.max_retries: expected at most 100 retries, got 1000000",
            ),
        ];
        for (text, expected) in cases {
            let err = Catalog::with_overlay_text(text, "user.json")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("user.json: "), "{err}");
            assert!(err.contains(expected), "{err}\nshould contain {expected}");
        }
        let err = Catalog::with_overlay_text("{\n  \"patterns\": [,]\n}", "user.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("user.json:2:"), "{err}");
    }

    #[test]
    fn find_resolves_names_and_suggests() {
        let catalog = Catalog::embedded();
        for name in [
            "scatter_gather_001",
            "scatter_gather",
            "Scatter-Gather",
            "SCATTER_GATHER",
            "patterns/scatter_gather",
        ] {
            assert_eq!(catalog.find(name).unwrap().id, "scatter_gather_001");
        }
        assert_eq!(
            catalog.find("circuit-breaker").unwrap().id,
            "circuit_breaker_patterns"
        );
        let err = catalog.find("scater_gather").unwrap_err().to_string();
        assert!(err.contains("did you mean scatter_gather_001"), "{err}");
        let err = catalog
            .find("nonexistent/pipeline")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "unknown section 'nonexistent'");
    }

    #[test]
    fn short_names_shared_by_two_patterns_are_ambiguous_but_ids_are_not() {
        let merged: Value = {
            let mut base: Value = serde_json::from_str(EMBEDDED).unwrap();
            let mut second = base["patterns"][2].clone();
            second["pattern_id"] = "pipeline_002".into();
            merge_catalog(&mut base, serde_json::json!({"patterns": [second]}), "x").unwrap();
            base
        };
        let catalog = Catalog::from_value(merged, "x").unwrap();
        let err = catalog.find("pipeline").unwrap_err().to_string();
        assert!(
            err.contains("patterns/pipeline_001, patterns/pipeline_002"),
            "{err}"
        );
        assert!(catalog.pattern("pipeline").is_err());
        assert_eq!(catalog.find("pipeline_002").unwrap().id, "pipeline_002");
        assert_eq!(
            catalog.pattern("pipeline_001").unwrap().pattern_id,
            "pipeline_001"
        );
    }
}
