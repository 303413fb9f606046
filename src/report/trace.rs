//! The `trace` report: what a request log says about the traffic, and the flags that make
//! the simulator draw the same. Every table fits 80 columns.

use crate::number::short;
use crate::trace::Summary;

use super::{Report, Table, document};

/// `12,345`: counts of requests read at a glance.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The rate over time in one line of block characters, highest bucket full.
fn sparkline(counts: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    counts
        .iter()
        .map(|&c| BARS[((c as f64 / max) * 7.0).round() as usize])
        .collect()
}

/// A p-value as a person reads it: below a thousandth, it says only that.
fn p_value(p: f64) -> String {
    if p < 0.001 { "<0.001".into() } else { short(p) }
}

/// Prose wrapped at 80 columns, continued lines indented by `indent` more spaces.
fn wrapped(text: &str, indent: usize) -> String {
    let lead = text.len() - text.trim_start().len();
    let mut lines = vec![" ".repeat(lead)];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line");
        if line.trim().is_empty() || line.chars().count() + 1 + word.chars().count() <= 80 {
            if !line.trim().is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        } else {
            lines.push(format!("{}{word}", " ".repeat(lead + indent)));
        }
    }
    lines.join("\n")
}

/// Flags folded at 78 columns, a flag and its value never apart.
fn folded(words: &[String]) -> String {
    let mut lines = vec![String::new()];
    for word in words {
        let line = lines.last_mut().expect("one line");
        if !line.is_empty() && line.len() + 1 + word.len() > 78 {
            lines.push(word.clone());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n")
}

pub fn trace(s: &Summary) -> Report {
    let doc = document(serde_json::to_value(s).expect("a summary serializes"));
    let mut report = Report::new(doc.clone()).records(vec![doc]);

    let mut how = vec![
        match s.format {
            crate::trace::Format::Csv => "CSV",
            crate::trace::Format::Jsonl => "JSON Lines",
        }
        .to_string(),
    ];
    if s.gzip {
        how.push("gzip".into());
    }
    report = report.text(format!("Trace {} ({})", s.path, how.join(", ")));
    let columns: Vec<String> = s.columns.iter().map(|(r, h)| format!("{r}={h}")).collect();
    report = report.text(format!("  columns: {}", columns.join(", ")));
    let rate = s
        .mean_rate
        .map_or("-".into(), |r| format!("{} requests/s", short(r)));
    report = report.text(format!(
        "  {} {} over {} s, {rate}",
        thousands(s.requests),
        if s.requests == 1 {
            "request"
        } else {
            "requests"
        },
        short(s.duration)
    ));
    if let Some(start) = &s.start {
        report = report.text(format!("  first request at {start}"));
    }
    if s.skipped > 0 {
        report = report.text(format!(
            "  {} bad rows skipped; the first {}:",
            thousands(s.skipped),
            s.skipped_errors.len()
        ));
        for e in &s.skipped_errors {
            report = report.text(wrapped(&format!("    {e}"), 2));
        }
    }

    let mut stats = Table::new(["column", "mean", "cv", "p50", "p90", "p99", "max"])
        .titled("Requests")
        .numeric(1..7);
    for (role, c) in &s.stats {
        stats.row([
            role.clone(),
            short(c.mean),
            short(c.cv),
            short(c.p50),
            short(c.p90),
            short(c.p99),
            short(c.max),
        ]);
    }
    if !stats.rows.is_empty() {
        report = report.table(stats);
    }
    if let Some(kinds) = &s.kinds {
        let mut table = Table::new(["kind", "requests", "share"])
            .titled("Kinds")
            .numeric([1, 2]);
        for (name, n) in kinds {
            table.row([
                name.clone(),
                thousands(*n),
                format!("{:.1}%", 100.0 * *n as f64 / s.requests as f64),
            ]);
        }
        report = report.table(table);
    }

    let per = |b: f64| {
        if b >= 60.0 {
            format!("{} min", short(b / 60.0))
        } else {
            format!("{} s", short(b))
        }
    };
    let r = &s.rate_over_time;
    let (lo, hi) = (
        r.counts.iter().copied().min().unwrap_or(0),
        r.counts.iter().copied().max().unwrap_or(0),
    );
    report = report.text(format!(
        "Arrivals per {}: {} to {} ({} to {} requests/s)",
        per(r.bucket),
        lo,
        hi,
        short(lo as f64 / r.bucket),
        short(hi as f64 / r.bucket)
    ));
    report = report.text(format!("  {}", sparkline(&r.counts)));

    if !s.dispersion.is_empty() {
        let mut table = Table::new(["window", "windows", "dispersion", "Poisson 95%"])
            .titled("Burstiness: variance over mean of the counts per window (1 if Poisson)")
            .numeric([1, 2, 3]);
        for d in &s.dispersion {
            table.row([
                format!("{} s", d.window),
                thousands(d.windows),
                short(d.index),
                format!("{}-{}", short(d.poisson_band[0]), short(d.poisson_band[1])),
            ]);
        }
        report = report.table(table);
    }
    if let Some(cv) = s.gap_cv {
        report = report.text(format!(
            "Gaps between requests: CV {} (1 if Poisson)",
            short(cv)
        ));
    }

    let mut fits = Table::new(["what", "fitted", "KS D", "p", "next best (D)"])
        .titled("Fitted to the simulator's distributions")
        .numeric([2, 3])
        .optional(["next best (D)"]);
    let a = &s.arrivals;
    fits.row([
        "arrivals".to_string(),
        a.process.to_string(),
        "-".into(),
        "-".into(),
        String::new(),
    ]);
    for (role, f) in &s.fits {
        let next = f.candidates.get(1).map_or(String::new(), |c| {
            format!("{} ({})", c.service, short(c.ks_d))
        });
        fits.row([
            role.clone(),
            f.service.to_string(),
            short(f.ks_d),
            p_value(f.ks_p),
            next,
        ]);
    }
    report = report.table(fits);
    let mut why = format!("arrivals: {}", a.reason);
    if let (Some(observed), Some(predicted), Some(w)) = (a.observed, a.predicted, a.window)
        && a.process != crate::sim::distribution::Arrivals::Poisson
    {
        why.push_str(&format!(
            "; the fit's own dispersion at {w} s is {} against {} observed",
            short(predicted),
            short(observed)
        ));
    }
    report = report.text(wrapped(&why, 2));
    if !s.flags.is_empty() {
        let words: Vec<String> = s
            .flags
            .split(" --")
            .map(|f| format!("--{}", f.trim_start_matches("--")))
            .collect();
        report = report.text("simulate flags for traffic like it (--format json: .flags):");
        report = report.text(format!("  {}", folded(&words).replace('\n', "\n  ")));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_write_for_people() {
        assert_eq!(thousands(19366), "19,366");
        assert_eq!(thousands(999), "999");
        assert_eq!(sparkline(&[0, 4, 8]), "▁▅█");
        assert_eq!(p_value(1e-9), "<0.001");
        let long = "word ".repeat(40);
        let text = wrapped(&format!("  {long}"), 2);
        assert!(
            text.lines().all(|l| l.len() <= 80 && l.starts_with("  ")),
            "{text}"
        );
        assert!(
            text.lines().nth(1).unwrap().starts_with("    word"),
            "{text}"
        );
        let words: Vec<String> = (0..30).map(|i| format!("--flag{i}")).collect();
        for line in folded(&words).lines() {
            assert!(line.len() <= 78, "{line}");
        }
    }
}
