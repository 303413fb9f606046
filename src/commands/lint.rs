use anyhow::Result;

use jaegis::catalog::Catalog;
use jaegis::lint::{self, Finding, Severity};
use jaegis::report::{self, Format};
use jaegis::sim::{Scenario, ScenarioInput};

use super::progress::Progress;
use super::{Failed, Output};
use crate::cli::{LintArgs, ScenarioFile};

pub fn run(catalog: &Catalog, args: LintArgs, output: &Output) -> Result<()> {
    let file = ScenarioFile {
        scenario: args.path.or(args.file.scenario),
    };
    let subject = file
        .scenario
        .as_ref()
        .map_or("the flags".to_string(), |p| p.display().to_string());
    let input = file.with(args.input)?;
    let defaults = catalog.simulation_defaults();
    let scenario = Scenario::build(input.clone(), &defaults)?;
    let findings = lint::lint(&scenario, &input);
    let backing = if args.simulate {
        let runs = findings.iter().filter(|f| f.remedy.is_some()).count() as u64;
        let progress = Progress::new(2 * runs * u64::from(scenario.replications), "replications");
        let backing = lint::back(&input, &scenario, &findings, &defaults, &|| progress.tick());
        progress.finish();
        backing?
    } else {
        Vec::new()
    };
    output.emit(&report::lint(&subject, &findings, &backing), Format::Table)?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if errors > 0 {
        return Err(Failed(format!(
            "{subject}: {errors} error-level finding{}",
            if errors == 1 { "" } else { "s" }
        ))
        .into());
    }
    Ok(())
}

/// Error-level findings on what a command is about to run, for stderr. Overloaded stations
/// and a binding quota are left out: the scenario's own warnings name them. `fleet` false
/// also leaves out the rules whose verdict depends on the fleet's size, for a command that
/// chooses it.
pub fn warn(scenario: &Scenario, input: &ScenarioInput, fleet: bool) {
    for f in lint::lint(scenario, input)
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter(|f| f.id != lint::OVERLOAD.id && f.id != lint::QUOTA.id)
        .filter(|f| fleet || !lint::FLEET_RULES.iter().any(|r| r.id == f.id))
    {
        eprintln!("{}", warning(f));
    }
}

fn warning(f: &Finding) -> String {
    format!(
        "warning: {} ({}); fix: {} (see {})",
        f.message, f.id, f.fix, f.doc
    )
}
