use std::io::{self, Write};

use super::{Block, Exporter, Report};

/// GitHub-flavoured Markdown: each table under a heading, prose as paragraphs.
pub struct MarkdownExporter;

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

impl Exporter for MarkdownExporter {
    fn export(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        for (i, block) in report.blocks.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            match block {
                Block::Text(line) => writeln!(out, "{}", escape(line))?,
                Block::Table(table) => {
                    if let Some(title) = &table.title {
                        writeln!(out, "### {}\n", escape(title))?;
                    }
                    let cells = |row: Vec<String>| format!("| {} |", row.join(" | "));
                    writeln!(
                        out,
                        "{}",
                        cells(table.header.iter().map(|h| escape(h)).collect())
                    )?;
                    let rule = (0..table.header.len())
                        .map(|i| {
                            if table.numeric.contains(&i) {
                                "---:"
                            } else {
                                "---"
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" | ");
                    writeln!(out, "| {rule} |")?;
                    for row in &table.rows {
                        writeln!(
                            out,
                            "{}",
                            cells(row.iter().map(|c| escape(&c.text)).collect())
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}
