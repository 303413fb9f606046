use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, CellAlignment, Color, ContentArrangement};

use super::{Block, Emphasis, Exporter, Report};

/// Boxed tables for people. Without colour, no escape codes at all; off a terminal,
/// columns are not wrapped, so piped output keeps whole lines.
pub struct TableExporter {
    pub color: bool,
    /// Fit the table to the terminal's width.
    pub fit: bool,
}

impl TableExporter {
    fn render(&self, table: &super::Table) -> comfy_table::Table {
        let mut out = comfy_table::Table::new();
        out.load_style(UTF8_FULL_CONDENSED.with_rounded_corners());
        if self.color {
            out.enforce_styling();
        } else {
            out.force_no_tty();
        }
        out.set_content_arrangement(if self.fit {
            ContentArrangement::Dynamic
        } else {
            ContentArrangement::Disabled
        });
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
                    writeln!(out, "{}", self.render(table))?;
                }
            }
        }
        Ok(())
    }
}
