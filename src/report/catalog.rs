//! Reports for the catalog commands: list, show, search and `catalog export|schema|validate`.

use serde_json::{Value, json};

use crate::catalog::{Catalog, Entry, Hit, OverlaySummary, Section, display_value};

use super::{Report, Table, document, number};

/// The columns `list` shows for a section, as (header, JSON pointer into the entry's data).
/// Sections whose entries differ in shape show a summary of their fields instead.
fn columns(section: Section) -> &'static [(&'static str, &'static str)] {
    match section {
        Section::Patterns => &[
            ("name", "/pattern_name"),
            ("complexity", "/implementation_complexity"),
            ("scalability", "/scalability_rating"),
            ("reliability", "/reliability_rating"),
            ("optimal agents", "/optimal_agent_count"),
            (
                "fault tolerance",
                "/performance_characteristics/fault_tolerance",
            ),
            ("latency", "/performance_characteristics/latency"),
            ("throughput", "/performance_characteristics/throughput"),
        ],
        Section::LoadBalancing => &[
            ("complexity", "/complexity"),
            ("fairness", "/fairness"),
            ("overhead", "/performance_overhead"),
            ("best for", "/best_for"),
        ],
        Section::ConflictResolution => &[
            ("resolution time", "/resolution_time"),
            ("fairness", "/fairness"),
            ("complexity", "/complexity"),
            ("success rate", "/success_rate"),
            ("use cases", "/use_cases"),
        ],
        Section::Caching => &[
            ("memory overhead", "/memory_overhead"),
            ("complexity", "/implementation_complexity"),
            ("invalidation", "/invalidation_strategy"),
        ],
        Section::Scaling => &[
            ("scaling factor", "/scaling_factor"),
            ("efficiency", "/resource_efficiency"),
            ("complexity", "/complexity"),
            ("coordination overhead", "/coordination_overhead"),
            ("optimal for", "/optimal_for"),
        ],
        _ => &[],
    }
}

/// Fields already shown in their own column, or the section's improvement figures for caching.
fn summary(entry: &Entry) -> String {
    let shown: Vec<&str> = columns(entry.section)
        .iter()
        .map(|(_, p)| p.trim_start_matches('/'))
        .collect();
    entry
        .fields()
        .into_iter()
        .filter(|(path, _)| !shown.contains(&path.as_str()) && path != "description")
        .map(|(path, text)| format!("{path}: {text}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `list SECTION`: one row per entry.
pub fn section_list(catalog: &Catalog, section: Section) -> Report {
    let entries = catalog.section_entries(section);
    let cols = columns(section);
    let grouped = entries.iter().any(|e| e.group.is_some());
    let mut header = vec!["id"];
    if grouped {
        header.push("group");
    }
    header.extend(cols.iter().map(|(h, _)| *h));
    let summarized = section != Section::Patterns;
    if summarized {
        header.push(if cols.is_empty() {
            "settings"
        } else {
            "other fields"
        });
    }
    let mut table = Table::new(header)
        .titled(format!("{} ({} entries)", section.title(), entries.len()))
        .prose([
            "other fields",
            "settings",
            "use cases",
            "optimal for",
            "best for",
            "name",
        ])
        .optional(["throughput", "latency", "scalability"]);
    if section == Section::Patterns {
        table = table.numeric([3, 4]);
    }
    for e in &entries {
        let mut row = vec![e.id.clone()];
        if grouped {
            row.push(e.group.clone().unwrap_or_default());
        }
        for (_, pointer) in cols {
            row.push(
                e.data
                    .pointer(pointer)
                    .map(display_value)
                    .unwrap_or_default(),
            );
        }
        if summarized {
            row.push(summary(e));
        }
        table.row(row);
    }
    let records: Vec<Value> = entries.iter().map(|e| json!(e)).collect();
    Report::new(document(json!({ "section": section, "entries": records })))
        .records(records)
        .table(table)
}

/// `list sections`: what there is to list.
pub fn sections(catalog: &Catalog) -> Report {
    let entries = catalog.entries();
    let rows: Vec<Value> = Section::ALL
        .iter()
        .map(|s| {
            json!({
                "section": s,
                "title": s.title(),
                "entries": entries.iter().filter(|e| e.section == *s).count(),
            })
        })
        .collect();
    let mut table = Table::new(["section", "title", "entries"]).numeric([2]);
    for r in &rows {
        table.row([
            r["section"].as_str().unwrap_or_default().to_string(),
            r["title"].as_str().unwrap_or_default().to_string(),
            r["entries"].to_string(),
        ]);
    }
    Report::new(document(json!({ "sections": rows })))
        .records(rows)
        .table(table)
}

/// `show NAME`: every field of one entry.
pub fn entry(entry: &Entry) -> Report {
    let title = match &entry.group {
        Some(group) => format!("{}: {} ({} / {group})", entry.id, entry.name, entry.section),
        None => format!("{}: {} ({})", entry.id, entry.name, entry.section),
    };
    let mut table = Table::new(["field", "value"]).titled(title);
    for (path, text) in entry.fields() {
        table.row([path, text]);
    }
    Report::new(document(json!({ "entry": entry }))).table(table)
}

/// `search TEXT`: matching entries, best first.
pub fn search(query: &str, hits: &[Hit]) -> Report {
    let mut table = Table::new(["score", "section", "id", "field", "match"])
        .prose(["match"])
        .key([2])
        .titled(match hits.len() {
            1 => format!("1 entry matches \"{query}\""),
            n => format!("{n} entries match \"{query}\""),
        })
        .numeric([0]);
    for h in hits {
        table.row([
            number(h.score, 1),
            h.section.to_string(),
            h.id.clone(),
            h.field.clone(),
            h.text.clone(),
        ]);
    }
    let records: Vec<Value> = hits.iter().map(|h| json!(h)).collect();
    Report::new(document(json!({ "query": query, "hits": records })))
        .records(records)
        .table(table)
}

/// `catalog export`: the catalog file as JSON; every field of every entry as rows otherwise.
pub fn export(catalog: &Catalog) -> Report {
    let entries = catalog.entries();
    let mut table = Table::new(["section", "group", "id", "field", "value"]);
    for e in &entries {
        for (path, text) in e.fields() {
            table.row([
                e.section.to_string(),
                e.group.clone().unwrap_or_default(),
                e.id.clone(),
                path,
                text,
            ]);
        }
    }
    let mut report = Report::new(catalog.to_json())
        .records(entries.iter().map(|e| json!(e)).collect())
        .table(table);
    report.blocks.push(super::Block::Text(format!(
        "{} entries; `--format json` gives the catalog file, readable back with --catalog",
        entries.len()
    )));
    report
}

/// A short type for a schema node: its `type`, the name of a `$ref`, or the alternatives.
fn schema_type(node: &Value) -> String {
    if let Some(r) = node.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(alternatives) = node.get("anyOf").and_then(Value::as_array) {
        return alternatives
            .iter()
            .map(schema_type)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(display_value)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    match node.get("type").and_then(Value::as_str) {
        Some("array") => format!(
            "list of {}",
            node.get("items").map(schema_type).unwrap_or_default()
        ),
        Some("object") => match node.get("additionalProperties") {
            Some(inner) if inner.is_object() => format!("map of {}", schema_type(inner)),
            _ => "object".into(),
        },
        Some(t) => t.to_string(),
        None => node
            .get("oneOf")
            .and_then(Value::as_array)
            .map(|alts| alts.iter().map(schema_type).collect::<Vec<_>>().join(" | "))
            .unwrap_or_else(|| "any".into()),
    }
}

/// `catalog schema`: the JSON Schema; as a table, one row per field of each definition.
pub fn schema() -> Report {
    let schema = Catalog::json_schema();
    let mut table = Table::new(["definition", "field", "type", "required", "description"]);
    let mut definitions: Vec<(String, &Value)> = vec![("Catalog".into(), &schema)];
    if let Some(Value::Object(defs)) = schema.get("$defs") {
        definitions.extend(defs.iter().map(|(name, def)| (name.clone(), def)));
    }
    for (name, def) in definitions {
        let required: Vec<&str> = def
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match def.get("properties").and_then(Value::as_object) {
            Some(properties) => {
                for (field, node) in properties {
                    table.row([
                        name.clone(),
                        field.clone(),
                        schema_type(node),
                        if required.contains(&field.as_str()) {
                            "yes"
                        } else {
                            "no"
                        }
                        .to_string(),
                        node.get("description")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    ]);
                }
            }
            None => table.row([
                name.clone(),
                String::new(),
                schema_type(def),
                String::new(),
                def.get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ]),
        }
    }
    Report::new(schema).table(table)
}

/// `catalog validate FILE`: what the file adds and overrides.
pub fn validation(file: &str, summary: &OverlaySummary, catalog: &Catalog) -> Report {
    let mut table = Table::new(["change", "entry"]);
    for added in &summary.added {
        table.row(["added", added.as_str()]);
    }
    for overridden in &summary.overridden {
        table.row(["overridden", overridden.as_str()]);
    }
    let line = format!(
        "{file} is valid: {} added, {} overridden, {} entries in all",
        summary.added.len(),
        summary.overridden.len(),
        catalog.entries().len()
    );
    let report = Report::new(document(json!({
        "file": file,
        "valid": true,
        "added": summary.added,
        "overridden": summary.overridden,
    })))
    .text(line);
    // csv writes the table even when it is empty: a header, not nothing.
    let mut report = if table.rows.is_empty() {
        report
    } else {
        report.table(table.clone())
    };
    report.data = Some(table);
    report
}
