use anyhow::Result;

use jaegis::catalog::Catalog;
use jaegis::report::{self, Format};
use jaegis::verify;

use super::progress::Progress;
use super::{Failed, Output};

pub fn run(catalog: &Catalog, quick: bool, output: &Output) -> Result<()> {
    let progress = Progress::new(
        verify::count(quick) as u64 * u64::from(verify::REPLICATIONS),
        "replications",
    );
    let outcomes = verify::verify(catalog, quick, &|| progress.tick());
    progress.finish();
    let outcomes = outcomes?;
    output.emit(&report::verify(&outcomes, quick), Format::Table)?;
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    if failed > 0 {
        return Err(Failed(format!("{failed} of {} checks failed", outcomes.len())).into());
    }
    Ok(())
}
