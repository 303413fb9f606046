//! The `verify` report: each published result beside what the simulator measures.

use serde_json::{Value, json};

use crate::verify::{Expect, Outcome};

use super::{Cell, Emphasis, Report, Table, document};

/// A measure as its published value is written: a share as a percentage.
fn measured(o: &Outcome) -> String {
    let e = &o.measured;
    if !e.mean.is_finite() {
        return "-".into();
    }
    let percent = o.published.ends_with('%')
        || matches!(o.expect, Expect::Below { .. } | Expect::Above { .. });
    let (scale, unit) = if percent { (100.0, "%") } else { (1.0, "") };
    let digits = crate::number::decimals(scale * e.mean).max(1);
    let mean = format!("{:.digits$}{unit}", scale * e.mean);
    if e.ci95.is_finite() {
        format!("{mean} ± {:.digits$}", scale * e.ci95)
    } else {
        mean
    }
}

pub fn verify(outcomes: &[Outcome], quick: bool) -> Report {
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let doc = document(json!({
        "quick": quick,
        "passed": passed,
        "failed": outcomes.len() - passed,
        "checks": outcomes,
    }));
    let records: Vec<Value> = outcomes
        .iter()
        .map(|o| serde_json::to_value(o).expect("outcomes serialize"))
        .collect();
    let mut table = Table::new([
        "check",
        "claim",
        "published",
        "measured",
        "error",
        "tolerance",
        "result",
    ])
    .numeric([2, 3, 4])
    .prose(["claim"]);
    for o in outcomes {
        table.row([
            Cell::new(o.id),
            Cell::new(o.claim.clone()),
            Cell::new(o.published.clone()),
            Cell::new(measured(o)),
            Cell::new(
                // No "-0.00%": an error below the last digit shown is none.
                o.error.map_or(String::new(), |e| {
                    let e = if (100.0 * e).abs() < 0.005 { 0.0 } else { e };
                    format!("{:+.2}%", 100.0 * e)
                }),
            ),
            Cell::new(o.tolerance.clone()),
            if o.passed {
                Cell::new("pass").with(Emphasis::Good)
            } else {
                Cell::new("FAIL").with(Emphasis::Bad)
            },
        ]);
    }
    let mut report = Report::new(doc).records(records).table(table);
    let sources: Vec<String> = outcomes
        .iter()
        .map(|o| format!("  {}: {}", o.id, o.source))
        .collect();
    report = report.text(format!("Sources:\n{}", sources.join("\n")));
    report.text(format!(
        "verify: {passed} of {} checks passed{}",
        outcomes.len(),
        if quick { " (--quick)" } else { "" }
    ))
}
