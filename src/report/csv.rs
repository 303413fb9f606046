use std::io::{self, Write};

use super::{Exporter, Report};

/// The report's data table (or its first table) as RFC 4180 CSV with a header row.
pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn export(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let Some(table) = report.csv_table() else {
            return Ok(());
        };
        // Rendered in memory, so that a closed stdout surfaces as the io::Error it is.
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&table.header)?;
        for row in &table.rows {
            writer.write_record(row.iter().map(|c| c.text.as_str()))?;
        }
        let bytes = writer.into_inner().map_err(|e| e.into_error())?;
        out.write_all(&bytes)
    }
}
