use std::io::{self, Write};

use super::{Exporter, Report};

/// One pretty-printed JSON document.
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn export(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &report.document)?;
        writeln!(out)
    }
}

/// One compact JSON object per line.
pub struct JsonlExporter;

impl Exporter for JsonlExporter {
    fn export(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        for record in &report.records {
            serde_json::to_writer(&mut *out, record)?;
            writeln!(out)?;
        }
        Ok(())
    }
}
