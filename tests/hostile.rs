//! Hostile input: random scenario files of nasty values through every door of the library
//! (reading, building, linting, simulating). Whatever comes in, nothing panics, a file is
//! either refused with the key or built, and a built scenario simulates with every request
//! accounted for and lints with no NaN in its numbers.

use jaegis::catalog::Catalog;
use jaegis::sim::{self, Scenario, ScenarioInput};
use proptest::prelude::*;

/// Values that have broken parsers and models before, for any key.
const NASTY: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "0.5",
    "1e-9",
    "1e300",
    "-0.0",
    "4294967295",
    "18446744073709551615",
    "\"\"",
    "[]",
    "[0]",
    "[1, 0.25]",
    "\"nan\"",
    "\"inf\"",
    "true",
    "\"all\"",
    "\"none\"",
    "\"exp:1\"",
    "\"lognormal:1e6:100\"",
    "\"pareto:1.01:1\"",
    "\"det:0\"",
    "\"0@0+1e9\"",
    "[\"0@10+1800\"]",
    "[\"0+1e9:100\"]",
    "\"2s@99.9%\"",
    "\"bursty:1:0:1:1\"",
    "\"a:1,b:0\"",
    "\"unbounded\"",
    "\"shared\"",
    "\"failure-rate\"",
    "\"rpm=1\"",
    "\"rpm=1,tpm=1\"",
    "\"tpm=1e11\"",
    "\"ttft=1e9\"",
    "\"ttft=0.35,in=0.0002,out=0.025\"",
    "\"in=3,out=15\"",
    "\"exp:1e7\"",
];

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(ScenarioInput::KEYS.to_vec())
}

proptest! {
    // PROPTEST_CASES runs more before a release.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(3000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_scenario_file_panics_or_loses_a_request(
        pairs in prop::collection::vec((key(), prop::sample::select(NASTY.to_vec())), 0..10),
    ) {
        let mut toml = String::new();
        let mut seen = std::collections::HashSet::new();
        for (k, v) in &pairs {
            if seen.insert(*k) {
                toml += &format!("{k} = {v}\n");
            }
        }
        let Ok(mut input) = ScenarioInput::from_toml(&toml, "hostile.toml") else {
            return Ok(());
        };
        // Keep each run small: the question is whether it breaks, not what it measures.
        input.tasks = Some(input.tasks.unwrap_or(300).min(300));
        input.duration = None;
        input.replications = Some(1);
        input.agents = Some(input.agents.unwrap_or(8).min(64));
        input.timeline = None;
        let Ok(scenario) = Scenario::build(input.clone(), &Catalog::embedded().simulation_defaults()) else {
            return Ok(());
        };
        for f in jaegis::lint::lint(&scenario, &input) {
            for q in &f.numbers {
                prop_assert!(!q.value.is_nan(), "{toml}: {f:?}");
            }
        }
        match sim::simulate(&scenario, &|| ()) {
            Ok(sim) => {
                for r in &sim.results {
                    prop_assert!(r.tasks.conserved(), "{toml}: {:?}", r.tasks);
                }
            }
            Err(sim::SimError::Scenario(_)) => {}
            Err(e) => prop_assert!(false, "{toml}: {e}"),
        }
    }
}
