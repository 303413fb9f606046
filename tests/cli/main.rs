//! Integration tests: each runs the built `jaegis` binary as a user would.

mod catalog_data;
mod commands;
mod conventions;
mod evidence;
mod examples;
mod fuzz;
mod json;
mod lint;
mod plan;
mod plot;
mod readme;
mod simulate;
mod sweep;
mod trace;
mod verify;

use assert_cmd::Command;

/// The binary under test, with colour and terminal detection neutralised.
pub fn jaegis() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jaegis"));
    cmd.env_remove("NO_COLOR").env_remove("COLUMNS");
    cmd
}

/// Runs the binary and returns stdout, asserting success.
pub fn stdout(args: &[&str]) -> String {
    outputs(args).0
}

/// Runs the binary and returns stdout and stderr (its warnings), asserting success.
pub fn outputs(args: &[&str]) -> (String, String) {
    let out = jaegis().args(args).output().expect("jaegis runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "jaegis {args:?} failed: {stderr}");
    (
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr,
    )
}

/// Runs the binary, asserts exit code 2 and a one- or two-line message, returns stderr.
pub fn bad_input(args: &[&str]) -> String {
    let out = jaegis().args(args).output().expect("jaegis runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "jaegis {args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "jaegis {args:?} wrote to stdout");
    let lines = stderr.lines().count();
    assert!(
        (1..=2).contains(&lines),
        "jaegis {args:?}: {lines} lines:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Asserts that the output is well-formed in the given format, and returns the JSON values found.
pub fn check_format(format: &str, out: &str) -> Vec<serde_json::Value> {
    match format {
        "json" => vec![serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))],
        "jsonl" => out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect(),
        "csv" => {
            let mut reader = csv::Reader::from_reader(out.as_bytes());
            let width = reader.headers().expect("csv has a header").len();
            assert!(width >= 2, "csv header too narrow: {out}");
            for record in reader.records() {
                assert_eq!(record.expect("csv parses").len(), width);
            }
            Vec::new()
        }
        "markdown" => {
            assert!(
                out.lines()
                    .any(|l| l.starts_with("| ---") || l.starts_with("| ---:")),
                "no markdown table rule in:\n{out}"
            );
            Vec::new()
        }
        "table" => {
            assert!(
                out.contains('│') && out.contains('╭'),
                "no table in:\n{out}"
            );
            Vec::new()
        }
        other => panic!("unknown format {other}"),
    }
}
