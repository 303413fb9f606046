use std::io::{self, Write};

use super::{Exporter, Report};

/// The report's first table as RFC 4180 CSV with a header row.
pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn export(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let Some(table) = report.first_table() else {
            return Ok(());
        };
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(&table.header)?;
        for row in &table.rows {
            writer.write_record(row.iter().map(|c| c.text.as_str()))?;
        }
        writer.flush()
    }
}
