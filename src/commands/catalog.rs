use anyhow::Result;

use jaegis::catalog::{self, Catalog, Section, closest, suggest};
use jaegis::report::{self, Format};

use super::{NoMatch, Output, Usage};
use crate::cli::CatalogCommand;

pub fn list(catalog: &Catalog, section: Option<&str>, output: &Output) -> Result<()> {
    let report = match section {
        None => report::section_list(catalog, Section::Patterns),
        Some(name) if catalog::normalize(name) == "sections" => report::sections(catalog),
        Some(name) => {
            let section: Section = name.parse().map_err(|()| {
                let names: Vec<&str> = Section::ALL.iter().map(|s| s.id()).collect();
                let hint = suggest(&closest(name, names.iter().copied()));
                Usage(format!(
                    "unknown section '{name}'{hint}; sections are: sections, {}",
                    names.join(", ")
                ))
            })?;
            report::section_list(catalog, section)
        }
    };
    output.emit(&report, Format::Table)
}

pub fn show(catalog: &Catalog, name: &str, output: &Output) -> Result<()> {
    let entry = catalog.find(name)?;
    output.emit(&report::entry(&entry), Format::Table)
}

pub fn search(catalog: &Catalog, text: &str, output: &Output) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Usage("search text is empty: give one or more words".into()).into());
    }
    let hits = catalog::search(catalog, text);
    output.emit(&report::search(text, &hits), Format::Table)?;
    // As grep and ripgrep: no match is exit 1.
    if hits.is_empty() {
        return Err(NoMatch.into());
    }
    Ok(())
}

pub fn catalog(
    action: CatalogCommand,
    load: &dyn Fn() -> Result<Catalog>,
    output: &Output,
) -> Result<()> {
    match action {
        CatalogCommand::Export => output.emit(&report::export(&load()?), Format::Json),
        CatalogCommand::Schema => output.emit(&report::schema(), Format::Json),
        CatalogCommand::Validate { file } => {
            let (merged, summary) = Catalog::with_overlay(&file)?;
            let name = file.display().to_string();
            output.emit(&report::validation(&name, &summary, &merged), Format::Table)
        }
    }
}
