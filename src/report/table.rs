use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, CellAlignment, Color, ColumnConstraint, ContentArrangement};
use unicode_width::UnicodeWidthStr;

use super::{Block, Emphasis, Exporter, Report, Table};
use crate::names::short_name;

/// Boxed tables for people. Without colour, no escape codes at all.
///
/// A table wider than `width` is narrowed, in order, until it fits: prose columns moved
/// under the table, intervals in their compact form (`3.10±0.10`), optional columns hidden
/// (named under the table), and last the cells wrapped. `width: None` (`--wide`) shows
/// every column unwrapped.
pub struct TableExporter {
    pub color: bool,
    pub width: Option<usize>,
}

/// A table as it will be drawn, and what did not fit in it.
struct Layout {
    table: Table,
    /// `header:` then one `key: text` line per row, for each prose column moved out.
    under: Vec<String>,
    hidden: Vec<String>,
    /// Wrap cells to the width: nothing else made the table fit.
    wrap: bool,
}

/// Characters a table with these columns takes: each column's widest cell, plus a space
/// either side and one border, plus the last border.
fn drawn_width(table: &Table) -> usize {
    let columns = table.header.len();
    (0..columns)
        .map(|i| {
            let cells = table.rows.iter().filter_map(|r| r.get(i)).map(|c| &c.text);
            cells
                .chain(std::iter::once(&table.header[i]))
                .flat_map(|t| t.lines())
                .map(UnicodeWidthStr::width)
                .max()
                .unwrap_or(0)
                + 3
        })
        .sum::<usize>()
        + 1
}

/// `3.10 ± 0.10` as `3.10±0.10`, `≥ 60.0` as `≥60.0`.
fn compact(text: &str) -> String {
    text.replace(" ± ", "±").replace("≥ ", "≥")
}

/// Ids in their short form (`master_slave_001` as `master_slave`), column by column, where
/// that tells the rows apart as well: `pipeline_001` and `pipeline_002` stay whole.
fn shorten_ids(table: &mut Table) {
    for i in 0..table.header.len() {
        let cells = || table.rows.iter().filter_map(|r| r.get(i)).map(|c| &c.text);
        let mut pairs: Vec<(&str, &str)> = cells()
            .map(|t| (t.as_str(), short_name(t)))
            .filter(|(t, short)| t != short)
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut shorts: Vec<&str> = pairs.iter().map(|(_, s)| *s).collect();
        shorts.sort_unstable();
        shorts.dedup();
        let clash = shorts.len() < pairs.len() || cells().any(|t| shorts.contains(&t.as_str()));
        if pairs.is_empty() || clash {
            continue;
        }
        for row in &mut table.rows {
            if let Some(cell) = row.get_mut(i) {
                cell.text = short_name(&cell.text).to_string();
            }
        }
    }
}

/// Drops column `i` from a table, keeping its numeric columns and key in place.
fn drop_column(table: &mut Table, i: usize) {
    table.header.remove(i);
    for row in &mut table.rows {
        if i < row.len() {
            row.remove(i);
        }
    }
    table.numeric = table
        .numeric
        .iter()
        .filter(|&&c| c != i)
        .map(|&c| if c > i { c - 1 } else { c })
        .collect();
    table.key = table
        .keys()
        .into_iter()
        .filter(|&c| c != i)
        .map(|c| if c > i { c - 1 } else { c })
        .collect();
}

fn layout(table: &Table, width: Option<usize>) -> Layout {
    let mut out = Layout {
        table: table.clone(),
        under: Vec::new(),
        hidden: Vec::new(),
        wrap: false,
    };
    let Some(width) = width else { return out };
    if drawn_width(&out.table) <= width {
        return out;
    }
    for name in &table.prose {
        if drawn_width(&out.table) <= width {
            break;
        }
        let Some(i) = out.table.header.iter().position(|h| h == name) else {
            continue;
        };
        let keys = out.table.keys();
        let lines: Vec<String> = out
            .table
            .rows
            .iter()
            .filter_map(|r| {
                let text = r.get(i).map(|c| c.text.as_str()).unwrap_or("");
                (!text.is_empty() && text != "-").then(|| {
                    let label: Vec<&str> = keys
                        .iter()
                        .filter_map(|&k| r.get(k).map(|c| c.text.as_str()))
                        .collect();
                    let label = label.join(" / ");
                    format!("  {label}: {text}")
                })
            })
            .collect();
        if !lines.is_empty() {
            out.under.push(format!("{name}:"));
            out.under.extend(lines);
        }
        drop_column(&mut out.table, i);
    }
    if drawn_width(&out.table) > width {
        for row in &mut out.table.rows {
            for cell in row {
                cell.text = compact(&cell.text);
            }
        }
        shorten_ids(&mut out.table);
    }
    // A column with one value in every row says nothing row to row: it goes first, and
    // the note says its value.
    if out.table.rows.len() > 1 {
        while drawn_width(&out.table) > width {
            // The rows' names stay while prose under the table is labelled by them.
            let keys = if out.under.is_empty() {
                Vec::new()
            } else {
                out.table.keys()
            };
            let Some(i) = (0..out.table.header.len()).rev().find(|&i| {
                !keys.contains(&i) && {
                    let first = out.table.rows[0].get(i).map(|c| &c.text);
                    out.table
                        .rows
                        .iter()
                        .all(|r| r.get(i).map(|c| &c.text) == first)
                }
            }) else {
                break;
            };
            let value = out.table.rows[0].get(i).map_or("", |c| c.text.as_str());
            out.hidden
                .push(format!("{} ({value} in every row)", out.table.header[i]));
            drop_column(&mut out.table, i);
        }
    }
    for name in &table.optional {
        if drawn_width(&out.table) <= width {
            break;
        }
        if let Some(i) = out.table.header.iter().position(|h| h == name) {
            drop_column(&mut out.table, i);
            out.hidden.push(name.clone());
        }
    }
    // Then the intervals, before any number is broken across lines.
    if drawn_width(&out.table) > width {
        let mut dropped = false;
        for row in &mut out.table.rows {
            for (i, cell) in row.iter_mut().enumerate() {
                if out.table.numeric.contains(&i)
                    && let Some((mean, _)) = cell.text.split_once('±')
                {
                    cell.text = mean.trim_end().to_string();
                    dropped = true;
                }
            }
        }
        if dropped {
            out.hidden.push("the ± intervals".into());
        }
    }
    out.wrap = drawn_width(&out.table) > width;
    // Text that must wrap breaks between words: a snake_case word too long for any narrow
    // column reads as words.
    if out.wrap {
        let keep = out.table.keys();
        for row in &mut out.table.rows {
            for (i, cell) in row.iter_mut().enumerate() {
                if !keep.contains(&i) && !out.table.numeric.contains(&i) {
                    cell.text = split_long_words(&cell.text);
                }
            }
        }
    }
    out
}

/// Words longer than this are split at their underscores when cells wrap.
const LONG_WORD: usize = 20;

fn split_long_words(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            if w.chars().count() > LONG_WORD {
                w.replace('_', " ")
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl TableExporter {
    fn render(&self, layout: &Layout) -> comfy_table::Table {
        let table = &layout.table;
        let mut out = comfy_table::Table::new();
        out.load_style(UTF8_FULL_CONDENSED.with_rounded_corners());
        if self.color {
            out.enforce_styling();
        } else {
            out.force_no_tty();
        }
        match self.width {
            Some(width) if layout.wrap => {
                out.set_content_arrangement(ContentArrangement::Dynamic);
                out.set_width(u16::try_from(width).unwrap_or(u16::MAX));
            }
            _ => {
                out.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        out.set_header(table.header.iter().map(|h| {
            let cell = comfy_table::Cell::new(h);
            if self.color {
                cell.add_attribute(Attribute::Bold)
            } else {
                cell
            }
        }));
        for row in &table.rows {
            out.add_row(row.iter().enumerate().map(|(i, c)| {
                let mut cell = comfy_table::Cell::new(&c.text);
                if table.numeric.contains(&i) {
                    cell = cell.set_alignment(CellAlignment::Right);
                }
                if self.color {
                    cell = match c.emphasis {
                        Emphasis::Plain => cell,
                        Emphasis::Strong => cell.add_attribute(Attribute::Bold),
                        Emphasis::Good => cell.fg(Color::Green),
                        Emphasis::Bad => cell.fg(Color::Red),
                    };
                }
                cell
            }));
        }
        for i in &table.numeric {
            if let Some(column) = out.column_mut(*i) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        // When cells must wrap, numbers and the rows' names never break: only text does.
        if layout.wrap {
            for i in table.numeric.iter().copied().chain(table.keys()) {
                if let Some(column) = out.column_mut(i) {
                    column.set_constraint(ColumnConstraint::ContentWidth);
                }
            }
        }
        out
    }
}

impl Exporter for TableExporter {
    fn export(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        for (i, block) in report.blocks.iter().enumerate() {
            if i > 0 && matches!(block, Block::Table(_)) {
                writeln!(out)?;
            }
            match block {
                Block::Text(line) => writeln!(out, "{line}")?,
                Block::Table(table) => {
                    if let Some(title) = &table.title {
                        if self.color {
                            writeln!(out, "\x1b[1m{title}\x1b[0m")?;
                        } else {
                            writeln!(out, "{title}")?;
                        }
                    }
                    let layout = layout(table, self.width);
                    writeln!(out, "{}", self.render(&layout))?;
                    if !layout.hidden.is_empty() {
                        writeln!(
                            out,
                            "(hidden to fit {} columns: {}; --wide shows all)",
                            self.width.unwrap_or_default(),
                            layout.hidden.join(", ")
                        )?;
                    }
                    for line in &layout.under {
                        writeln!(out, "{line}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide_table() -> Table {
        let mut t = Table::new(["name", "p50 (s)", "p99 (s)", "why"])
            .numeric([1, 2])
            .prose(["why"])
            .optional(["p50 (s)"]);
        t.row([
            "least_connections",
            "1.94 ± 0.53",
            "8.39 ± 2.26",
            "the work varies a great deal from one request to the next",
        ]);
        t.row(["random", "-", "≥ 38.5", "-"]);
        t
    }

    fn lines(width: Option<usize>) -> Vec<String> {
        let report = Report::new(serde_json::Value::Null).table(wide_table());
        let mut out = Vec::new();
        TableExporter {
            color: false,
            width,
        }
        .export(&report, &mut out)
        .unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn wide_shows_everything_unchanged() {
        let all = lines(None).join("\n");
        assert!(all.contains("1.94 ± 0.53") && all.contains("the work varies a great deal"));
        assert!(!all.contains("hidden to fit"));
    }

    #[test]
    fn narrow_moves_prose_then_compacts_then_hides() {
        let at_60 = lines(Some(60));
        let drawn = |l: &&String| l.starts_with(['│', '╭', '╞', '╰']);
        assert!(
            at_60.iter().filter(drawn).all(|l| l.chars().count() <= 60),
            "{at_60:#?}"
        );
        let text = at_60.join("\n");
        assert!(text.contains("1.94 ± 0.53"), "{text}");
        assert!(
            text.contains("why:\n  least_connections: the work varies"),
            "{text}"
        );
        assert!(!text.contains("  random: -"), "{text}");
        assert!(!text.contains("hidden"), "{text}");

        let text = lines(Some(45)).join("\n");
        assert!(
            text.contains("1.94±0.53") && text.contains("≥38.5"),
            "{text}"
        );
        assert!(!text.contains("hidden"), "{text}");

        let at_40 = lines(Some(40));
        assert!(at_40.iter().filter(drawn).all(|l| l.chars().count() <= 40));
        let text = at_40.join("\n");
        assert!(!text.contains("1.94"), "{text}");
        assert!(text.contains("hidden to fit 40 columns: p50 (s)"), "{text}");
    }

    #[test]
    fn ids_are_shortened_only_where_the_rows_stay_apart() {
        let mut t = Table::new(["pattern", "other"]);
        t.row(["master_slave_001", "pipeline_001"]);
        t.row(["peer_to_peer_001", "pipeline_002"]);
        shorten_ids(&mut t);
        assert_eq!(t.rows[0][0].text, "master_slave");
        assert_eq!(t.rows[1][0].text, "peer_to_peer");
        assert_eq!(t.rows[0][1].text, "pipeline_001");
        assert_eq!(t.rows[1][1].text, "pipeline_002");
    }

    #[test]
    fn too_narrow_never_breaks_a_number_or_a_name() {
        // At 20 columns nothing fits: the intervals go, then the table overflows rather
        // than split a row's name or a number across lines.
        let text = lines(Some(20)).join("\n");
        assert!(
            text.contains("least_connections") && text.contains("8.39"),
            "{text}"
        );
        assert!(text.contains("the ± intervals"), "{text}");
    }
}
