//! A uniform view of catalog entries, so that list, show and search work on every section alike.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use super::model::Catalog;
use super::value::fmt_number;
use crate::names::{normalize, short_name};

/// The sections of the source document, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Patterns,
    LoadBalancing,
    ConflictResolution,
    Caching,
    Scaling,
    Monitoring,
    ErrorHandling,
    Communication,
    DataFlow,
    BestPractices,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Section::Patterns,
        Section::LoadBalancing,
        Section::ConflictResolution,
        Section::Caching,
        Section::Scaling,
        Section::Monitoring,
        Section::ErrorHandling,
        Section::Communication,
        Section::DataFlow,
        Section::BestPractices,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Section::Patterns => "patterns",
            Section::LoadBalancing => "load_balancing",
            Section::ConflictResolution => "conflict_resolution",
            Section::Caching => "caching",
            Section::Scaling => "scaling",
            Section::Monitoring => "monitoring",
            Section::ErrorHandling => "error_handling",
            Section::Communication => "communication",
            Section::DataFlow => "data_flow",
            Section::BestPractices => "best_practices",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Patterns => "Core orchestration patterns",
            Section::LoadBalancing => "Load balancing algorithms",
            Section::ConflictResolution => "Conflict resolution strategies",
            Section::Caching => "Caching strategies",
            Section::Scaling => "Scaling patterns",
            Section::Monitoring => "Monitoring and observability",
            Section::ErrorHandling => "Error handling patterns",
            Section::Communication => "Communication patterns",
            Section::DataFlow => "Data flow patterns",
            Section::BestPractices => "Best practices",
        }
    }

    /// The key of this section in the catalog file.
    pub fn file_keys(self) -> &'static [&'static str] {
        match self {
            Section::Patterns => &["patterns"],
            Section::LoadBalancing => &["load_balancing_algorithms"],
            Section::ConflictResolution => &["conflict_resolution_strategies"],
            Section::Caching => &["caching_strategies"],
            Section::Scaling => &["scaling_patterns"],
            Section::Monitoring => &["monitoring_patterns"],
            Section::ErrorHandling => &["error_handling_patterns"],
            Section::Communication => &["communication_patterns"],
            Section::DataFlow => &["data_flow_patterns"],
            Section::BestPractices => &["performance_best_practices", "reliability_best_practices"],
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Section {
    type Err = ();
    fn from_str(name: &str) -> Result<Self, ()> {
        let wanted = normalize(name);
        Section::ALL
            .into_iter()
            .find(|s| s.id() == wanted || s.file_keys().contains(&wanted.as_str()))
            .ok_or(())
    }
}

/// One entry of any section: its place, its names, and its typed data as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub section: Section,
    /// The sub-heading the entry sits under, where the source has one (`retry_patterns`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub id: String,
    pub name: String,
    pub data: Value,
}

impl Entry {
    /// Names this entry answers to besides its id: the id without `_001` or `_patterns`.
    pub fn aliases(&self) -> Vec<String> {
        let mut names = vec![self.id.clone()];
        for short in [
            short_name(&self.id),
            self.id.strip_suffix("_patterns").unwrap_or(&self.id),
        ] {
            if !names.iter().any(|n| n == short) {
                names.push(short.to_string());
            }
        }
        names
    }

    /// Every leaf field as a dotted path and its display text, in source order.
    pub fn fields(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        flatten("", &self.data, false, &mut out);
        out
    }

    /// As [`Entry::fields`], with each list item on its own (`use_cases[2]`), so a match names the item.
    pub fn items(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        flatten("", &self.data, true, &mut out);
        out
    }
}

fn is_typed_value(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("text") && map.len() > 1
}

/// Renders a typed value's original wording, adding its reading where that says more.
fn typed_display(map: &serde_json::Map<String, Value>) -> String {
    let text = map["text"].as_str().unwrap_or_default();
    let reading = if let Some(s) = map.get("seconds").and_then(Value::as_f64) {
        format!("{} s", fmt_number(s))
    } else if let Some(c) = map.get("count").and_then(Value::as_f64) {
        fmt_number(c)
    } else if let Some(p) = map.get("percent").and_then(Value::as_f64) {
        format!("{}%", fmt_number(p))
    } else {
        return text.to_string();
    };
    if reading == text {
        text.to_string()
    } else {
        format!("{text} ({reading})")
    }
}

/// Displays a scalar, list or typed value on one line.
pub fn display_value(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "enabled" } else { "disabled" }.to_string(),
        Value::Number(n) => n.as_f64().map(fmt_number).unwrap_or_else(|| n.to_string()),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(display_value)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) if is_typed_value(map) => typed_display(map),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", display_value(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn flatten(prefix: &str, value: &Value, split_lists: bool, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !is_typed_value(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, child, split_lists, out);
            }
        }
        Value::Array(items) if split_lists => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), item, split_lists, out);
            }
        }
        _ => out.push((prefix.to_string(), display_value(value))),
    }
}

fn title_case(id: &str) -> String {
    id.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn entry(section: Section, group: Option<&str>, id: &str, data: Value) -> Entry {
    Entry {
        section,
        group: group.map(str::to_string),
        id: id.to_string(),
        name: title_case(id),
        data,
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("catalog types serialize to JSON")
}

/// Entries of a JSON object whose members are themselves entries.
fn members(section: Section, group: Option<&str>, object: &Value, out: &mut Vec<Entry>) {
    if let Value::Object(map) = object {
        for (id, data) in map {
            out.push(entry(section, group, id, data.clone()));
        }
    }
}

impl Catalog {
    /// Every entry of every section, in source order.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        for p in &self.patterns {
            out.push(Entry {
                section: Section::Patterns,
                group: None,
                id: p.pattern_id.clone(),
                name: p.pattern_name.clone(),
                data: to_value(p),
            });
        }
        let flat = [
            (
                Section::LoadBalancing,
                to_value(&self.load_balancing_algorithms),
            ),
            (
                Section::ConflictResolution,
                to_value(&self.conflict_resolution_strategies),
            ),
            (Section::Caching, to_value(&self.caching_strategies)),
            (Section::Scaling, to_value(&self.scaling_patterns)),
            (Section::DataFlow, to_value(&self.data_flow_patterns)),
        ];
        for (section, object) in &flat {
            members(*section, None, object, &mut out);
        }
        let grouped = [
            (Section::Monitoring, to_value(&self.monitoring_patterns)),
            (
                Section::Communication,
                to_value(&self.communication_patterns),
            ),
        ];
        for (section, object) in &grouped {
            if let Value::Object(groups) = object {
                for (group, members_of_group) in groups {
                    members(*section, Some(group), members_of_group, &mut out);
                }
            }
        }
        let errors = &self.error_handling_patterns;
        members(
            Section::ErrorHandling,
            Some("retry_patterns"),
            &to_value(&errors.retry_patterns),
            &mut out,
        );
        out.push(entry(
            Section::ErrorHandling,
            None,
            "circuit_breaker_patterns",
            to_value(&errors.circuit_breaker_patterns),
        ));
        out.push(entry(
            Section::ErrorHandling,
            None,
            "bulkhead_patterns",
            to_value(&errors.bulkhead_patterns),
        ));
        for (group, practices) in [
            (
                "performance_best_practices",
                &self.performance_best_practices,
            ),
            (
                "reliability_best_practices",
                &self.reliability_best_practices,
            ),
        ] {
            members(
                Section::BestPractices,
                Some(group),
                &to_value(practices),
                &mut out,
            );
        }
        out.sort_by_key(|e| e.section);
        out
    }

    pub fn section_entries(&self, section: Section) -> Vec<Entry> {
        self.entries()
            .into_iter()
            .filter(|e| e.section == section)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_values_display_wording_and_reading() {
        assert_eq!(
            display_value(&json!({"seconds": 30.0, "text": "30_seconds"})),
            "30_seconds (30 s)"
        );
        assert_eq!(
            display_value(&json!({"min": 5, "max": 20, "text": "5-20"})),
            "5-20"
        );
        assert_eq!(display_value(&json!(["a", "b"])), "a, b");
        assert_eq!(display_value(&json!(true)), "enabled");
    }

    #[test]
    fn sections_resolve_by_id_and_file_key() {
        assert_eq!("load-balancing".parse(), Ok(Section::LoadBalancing));
        assert_eq!("caching_strategies".parse(), Ok(Section::Caching));
        assert_eq!("Best Practices".parse(), Ok(Section::BestPractices));
        assert!("nothing".parse::<Section>().is_err());
    }
}
