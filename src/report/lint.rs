//! The `lint` report: findings in a compiler's form, each with its numbers, its fix, its
//! doc section and, with `--simulate`, what the fix changes.

use serde_json::{Value, json};

use crate::lint::{Backing, Finding, Quantity, Severity};
use crate::sim::Estimate;
use crate::sim::judgement::Standing;

use super::{Report, Table, document};

/// "attainment 61.2% ± 1.3" or "goodput 7.95/s ± 0.02".
fn measured(measure: &str, e: &Estimate) -> String {
    let percent = measure == "attainment";
    let (scale, unit) = if percent { (100.0, "%") } else { (1.0, "/s") };
    let digits = if percent {
        2
    } else {
        crate::number::decimals(e.mean)
    };
    let mean = format!("{:.digits$}", scale * e.mean);
    if e.ci95.is_finite() {
        format!("{mean}{unit} ± {:.digits$}", scale * e.ci95)
    } else {
        format!("{mean}{unit}")
    }
}

fn difference(measure: &str, e: &Estimate) -> String {
    let sign = if e.mean >= 0.0 { "+" } else { "" };
    let text = measured(measure, e);
    let text = if measure == "attainment" {
        text.replacen('%', " points", 1)
    } else {
        text
    };
    format!("{sign}{text}")
}

/// Why a run's number is no verdict, if it is not.
fn unsound(standing: Standing) -> Option<&'static str> {
    match standing {
        Standing::Collapsed => Some("collapsed"),
        Standing::FellBehind => Some("fell behind its arrivals"),
        Standing::Overloaded => Some("overloads a station"),
        Standing::Judged | Standing::Censored | Standing::Failing => None,
    }
}

fn quantity(q: &Quantity) -> String {
    let value = crate::number::number(q.value, crate::number::decimals(q.value));
    match q.unit {
        "" => format!("{} {value}", q.name),
        "share" => format!("{} {}%", q.name, crate::number::number(100.0 * q.value, 1)),
        unit => format!("{} {value} {unit}", q.name),
    }
}

/// One finding as a compiler prints a diagnostic.
fn diagnostic(f: &Finding, backing: Option<&Backing>) -> String {
    let mut text = format!("{}[{}]: {}", f.severity.name(), f.id, f.message);
    if !f.patterns.is_empty() {
        text.push_str(&format!("\n  --> {}", f.patterns.join(", ")));
    }
    let numbers: Vec<String> = f.numbers.iter().map(quantity).collect();
    text.push_str(&format!("\n   = numbers: {}", numbers.join(", ")));
    text.push_str(&format!("\n   = fix: {}", f.fix));
    if let Some(b) = backing {
        text.push_str(&format!(
            "\n   = simulated ({} under {}, {} replications): {} as given, {} with the fix ({})",
            b.pattern,
            b.balancer,
            b.replications,
            measured(b.measure, &b.as_given),
            measured(b.measure, &b.with_fix),
            difference(b.measure, &b.difference),
        ));
        for (run, standing) in [
            ("as given", b.as_given_standing),
            ("with the fix", b.with_fix_standing),
        ] {
            if let Some(why) = unsound(standing) {
                text.push_str(&format!(
                    "\n   = note: {run}, the run {why}: its number depends on the run's length"
                ));
            }
        }
    }
    text.push_str(&format!("\n   = see: {}", f.doc));
    text
}

fn count(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The findings on `subject` (a file name, or "the flags"); `backing` is empty without
/// `--simulate`, else one entry per finding.
pub fn lint(subject: &str, findings: &[Finding], backing: &[Option<Backing>]) -> Report {
    let of = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, notes) = (
        of(Severity::Error),
        of(Severity::Warning),
        of(Severity::Note),
    );
    let backed = |i: usize| backing.get(i).and_then(Option::as_ref);
    let entries: Vec<Value> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut v = serde_json::to_value(f).expect("findings serialize");
            if let Some(b) = backed(i) {
                v["simulated"] = serde_json::to_value(b).expect("backings serialize");
            }
            v
        })
        .collect();
    let doc = document(json!({
        "subject": subject,
        "errors": errors,
        "warnings": warnings,
        "notes": notes,
        "findings": entries,
    }));
    let mut report = Report::new(doc).records(entries);
    for (i, f) in findings.iter().enumerate() {
        report = report.text(diagnostic(f, backed(i)) + "\n");
    }
    report = report.text(if findings.is_empty() {
        format!("lint: {subject}: no findings")
    } else {
        format!(
            "lint: {subject}: {}, {}, {}",
            count(errors, "error"),
            count(warnings, "warning"),
            count(notes, "note")
        )
    });
    let mut data = Table::new([
        "id", "severity", "rule", "patterns", "message", "fix", "doc",
    ]);
    for f in findings {
        data.row([
            f.id.to_string(),
            f.severity.name().to_string(),
            f.rule.to_string(),
            f.patterns.join(" "),
            f.message.clone(),
            f.fix.clone(),
            f.doc.clone(),
        ]);
    }
    report.data = Some(data);
    report
}
