//! Settings checked analytically, in milliseconds, before anything is simulated or deployed:
//! each rule reads the validated scenario (the work's distribution, the fleet, the rate, the
//! resilience settings) and reports a [`Finding`] with the numbers behind it and the fix.
//! `docs/lint.md` explains each rule under its id.

mod backing;
mod rules;

use serde::Serialize;

use crate::sim::{Scenario, ScenarioInput};

pub use backing::{Backing, TASKS, back};
pub use rules::{FLEET_RULES, OVERLOAD, QUOTA, RULES};

/// How bad a finding is: errors fail `jaegis lint` (exit 1), as a linter's do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A rule: its stable id and name, for findings and the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
}

impl Rule {
    /// The section of docs/lint.md that explains the rule.
    pub fn doc(self) -> String {
        format!(
            "docs/lint.md#{}-{}",
            self.id.to_ascii_lowercase(),
            self.name
        )
    }
}

/// A number behind a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    pub name: &'static str,
    #[serde(serialize_with = "rounded")]
    pub value: f64,
    pub unit: &'static str,
}

fn rounded<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(crate::number::round_sig(*x))
}

/// One problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub rule: &'static str,
    pub severity: Severity,
    /// The patterns it concerns; empty when it concerns every one simulated.
    pub patterns: Vec<String>,
    pub message: String,
    pub numbers: Vec<Quantity>,
    pub fix: String,
    pub doc: String,
    /// The fix as settings to lay over the configuration, when flags can express it: what
    /// `lint --simulate` runs beside the configuration as given.
    #[serde(skip)]
    pub remedy: Option<ScenarioInput>,
}

impl Finding {
    fn new(rule: Rule, severity: Severity, message: String) -> Finding {
        Finding {
            id: rule.id,
            rule: rule.name,
            severity,
            patterns: Vec::new(),
            message,
            numbers: Vec::new(),
            fix: String::new(),
            doc: rule.doc(),
            remedy: None,
        }
    }

    fn number(mut self, name: &'static str, value: f64, unit: &'static str) -> Finding {
        self.numbers.push(Quantity { name, value, unit });
        self
    }

    fn fix(mut self, text: String, remedy: Option<ScenarioInput>) -> Finding {
        self.fix = text;
        self.remedy = remedy;
        self
    }

    fn patterns(mut self, patterns: Vec<String>) -> Finding {
        self.patterns = patterns;
        self
    }
}

/// Every finding on `scenario`, errors first, then by rule. `given` is what the user set,
/// so that a rule about a default can say so.
pub fn lint(scenario: &Scenario, given: &ScenarioInput) -> Vec<Finding> {
    let mut findings = rules::check(scenario, given);
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.id.cmp(b.id)));
    findings
}

/// True when a finding is error-level: the configuration is wrong, not just risky.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
