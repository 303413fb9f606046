//! Output: every command builds one [`Report`], and an [`Exporter`] writes it in the
//! format the user chose. The report holds the JSON document, the JSON lines and the
//! tables side by side, so all formats show the same result.

mod advice;
mod calibration;
mod catalog;
mod csv;
mod json;
mod lint;
mod markdown;
mod plan;
pub mod plot;
mod simulation;
mod sweep;
mod table;
mod trace;
mod verdict;
mod verify;

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use serde_json::Value;

pub use self::advice::recommendation;
pub use self::calibration::calibration;
pub use self::catalog::{entry, export, schema, search, section_list, sections, validation};
pub use self::csv::CsvExporter;
pub use self::json::{JsonExporter, JsonlExporter};
pub use self::lint::lint;
pub use self::markdown::MarkdownExporter;
pub use self::plan::plan;
pub use self::simulation::{simulation, summary};
pub use self::sweep::sweep;
pub use self::table::TableExporter;
pub use self::trace::trace;
pub use self::verify::verify;

pub use crate::number::number;
pub use crate::schema::SCHEMA_VERSION;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Csv,
    Markdown,
}

impl Format {
    pub const NAMES: [&'static str; 5] = ["table", "json", "jsonl", "csv", "markdown"];
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "table" => Format::Table,
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "csv" => Format::Csv,
            "markdown" | "md" => Format::Markdown,
            _ => return Err(format!("expected one of {}", Format::NAMES.join(", "))),
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
        })
    }
}

/// How a cell should stand out when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Emphasis {
    #[default]
    Plain,
    Strong,
    Good,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    pub emphasis: Emphasis,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            emphasis: Emphasis::Plain,
        }
    }

    pub fn with(mut self, emphasis: Emphasis) -> Self {
        self.emphasis = emphasis;
        self
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(text: T) -> Self {
        Cell::new(text)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub title: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Columns holding numbers, aligned right in terminal tables.
    pub numeric: Vec<usize>,
    /// Columns of prose (reasons) that a narrow terminal shows under the table, each line
    /// labelled by the row's `key` column.
    pub prose: Vec<String>,
    /// Columns a narrow terminal may hide, by header, the first hidden first.
    pub optional: Vec<String>,
    /// The columns that name a row, to label its prose under the table; the first if none.
    pub key: Vec<usize>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    pub fn numeric(mut self, columns: impl IntoIterator<Item = usize>) -> Self {
        self.numeric = columns.into_iter().collect();
        self
    }

    pub fn prose<S: Into<String>>(mut self, headers: impl IntoIterator<Item = S>) -> Self {
        self.prose = headers.into_iter().map(Into::into).collect();
        self
    }

    pub fn optional<S: Into<String>>(mut self, headers: impl IntoIterator<Item = S>) -> Self {
        self.optional = headers.into_iter().map(Into::into).collect();
        self
    }

    pub fn key(mut self, columns: impl IntoIterator<Item = usize>) -> Self {
        self.key = columns.into_iter().collect();
        self
    }

    /// The columns that name a row.
    pub fn keys(&self) -> Vec<usize> {
        if self.key.is_empty() {
            vec![0]
        } else {
            self.key.clone()
        }
    }

    pub fn row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }
}

/// A piece of human-readable output, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Table(Table),
    /// A line of prose, such as a verdict under a table.
    Text(String),
}

/// A command's result, ready for any format.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The `--format json` document.
    pub document: Value,
    /// The `--format jsonl` lines: one object per item where the result is a list.
    pub records: Vec<Value>,
    /// What `table` and `markdown` show; `csv` writes the first table.
    pub blocks: Vec<Block>,
    /// The table `csv` writes instead, when the displayed tables are not the best data form
    /// (estimates as separate mean and interval columns, several tables as one).
    pub data: Option<Table>,
}

impl Report {
    pub fn new(document: Value) -> Self {
        Self {
            records: vec![document.clone()],
            document,
            blocks: Vec::new(),
            data: None,
        }
    }

    pub fn records(mut self, records: Vec<Value>) -> Self {
        self.records = records;
        self
    }

    pub fn table(mut self, table: Table) -> Self {
        self.blocks.push(Block::Table(table));
        self
    }

    pub fn text(mut self, line: impl Into<String>) -> Self {
        self.blocks.push(Block::Text(line.into()));
        self
    }

    /// The table `csv` writes: the data table if there is one, else the first displayed table.
    pub fn csv_table(&self) -> Option<&Table> {
        self.data.as_ref().or_else(|| {
            self.blocks.iter().find_map(|b| match b {
                Block::Table(t) => Some(t),
                Block::Text(_) => None,
            })
        })
    }
}

/// Writes a report in one format.
pub trait Exporter {
    fn export(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// The exporter for a format; `color` and `width` (None: every column, unwrapped) matter
/// only to tables.
pub fn exporter(format: Format, color: bool, width: Option<usize>) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(TableExporter { color, width }),
        Format::Json => Box::new(JsonExporter),
        Format::Jsonl => Box::new(JsonlExporter),
        Format::Csv => Box::new(CsvExporter),
        Format::Markdown => Box::new(MarkdownExporter),
    }
}

/// Wraps a command's payload with the document header every JSON output carries.
pub fn document(fields: Value) -> Value {
    let mut doc = serde_json::Map::new();
    doc.insert("schema_version".into(), Value::from(SCHEMA_VERSION));
    doc.insert(
        "tool_version".into(),
        Value::from(crate::schema::TOOL_VERSION),
    );
    if let Value::Object(fields) = fields {
        doc.extend(fields);
    }
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name() {
        assert_eq!("JSONL".parse(), Ok(Format::Jsonl));
        assert_eq!("md".parse(), Ok(Format::Markdown));
        assert!(
            "yaml"
                .parse::<Format>()
                .unwrap_err()
                .contains("table, json")
        );
    }
}
