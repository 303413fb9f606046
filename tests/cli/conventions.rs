//! Conventions every command keeps: exit codes, one-line errors, colour rules, broken pipes.

use std::process::{Command, Stdio};

use crate::{bad_input, jaegis, stdout};

#[test]
fn bad_numbers_and_levels_name_the_flag_and_the_accepted_values() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["recommend", "--agents", "0"], &["--agents", "from 1 to"]),
        (&["recommend", "--agents", "-3"], &["--agents", "from 1 to"]),
        (
            &["recommend", "--agents", "many"],
            &["--agents", "whole number"],
        ),
        (
            &["recommend", "--agents", "4", "--top", "0"],
            &["--top", "from 1 to"],
        ),
        (
            &["recommend", "--agents", "4", "--fault-tolerance", "extreme"],
            &[
                "--fault-tolerance",
                "low, medium, medium_to_high, high, very_high",
            ],
        ),
        (
            &["recommend", "--agents", "4", "--max-complexity", "huge"],
            &["--max-complexity", "very_high"],
        ),
        (
            &["list", "--format", "yaml"],
            &["--format", "table, json, jsonl, csv, markdown"],
        ),
        (
            &["list", "--color", "sometimes"],
            &["--color", "auto, always, never"],
        ),
        (&["recommend"], &["--agents"]),
        (&["search"], &["TEXT"]),
    ];
    for (args, needles) in cases {
        let err = bad_input(args);
        for needle in *needles {
            assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
        }
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let escape = "\x1b[";
    let piped = stdout(&["recommend", "--agents", "10"]);
    assert!(!piped.contains(escape), "piped output is coloured");
    let forced = stdout(&["recommend", "--agents", "10", "--color", "always"]);
    assert!(forced.contains(escape), "--color always has no colour");
    let never = stdout(&["recommend", "--agents", "10", "--color", "never"]);
    assert!(!never.contains(escape));
    let out = jaegis()
        .env("NO_COLOR", "1")
        .args(["recommend", "--agents", "10"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(escape));
    let json = stdout(&["list", "--format", "json", "--color", "always"]);
    assert!(!json.contains(escape), "JSON must never be coloured");
}

/// Runs `args` with stdout already closed when it writes, as a `| head` that has exited.
fn close_early(args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jaegis"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn closing_stdout_early_is_not_an_error() {
    for args in crate::commands::COMMANDS {
        for format in crate::commands::FORMATS {
            let mut full = args.to_vec();
            full.extend(["--format", format]);
            close_early(&full);
        }
    }
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        close_early(&["completions", shell]);
    }
    close_early(&["man"]);
    let status = Command::new("bash")
        .args([
            "-c",
            &format!(
                "set -o pipefail; '{}' list --format jsonl | head -1 > /dev/null",
                env!("CARGO_BIN_EXE_jaegis")
            ),
        ])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn unknown_subcommands_and_flags_exit_2() {
    bad_input(&["frobnicate"]);
    bad_input(&["list", "--frobnicate"]);
    let err = bad_input(&[]);
    assert!(err.contains("jaegis needs a command: list, show"), "{err}");
    let err = bad_input(&["catalog"]);
    assert!(err.contains("export, validate, schema"), "{err}");
    let err = bad_input(&["man", "--format", "json"]);
    assert!(err.contains("--format does not apply"), "{err}");
    let err = bad_input(&["show", "nowhere/pipeline"]);
    assert!(err.contains("unknown section 'nowhere'"), "{err}");
}

#[test]
fn version_and_help_exit_0() {
    assert!(stdout(&["--version"]).starts_with("jaegis "));
    assert!(stdout(&["list", "--help"]).contains("Usage:"));
}

/// Lines of a table's drawing (not the prose around it).
fn drawn(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with(['│', '╭', '╞', '╰']))
        .collect()
}

#[test]
fn tables_fit_the_width_and_wide_shows_every_column() {
    let args = [
        "simulate",
        "--pattern",
        "master_slave",
        "--balancer",
        "least_connections,round_robin",
        "--tasks",
        "500",
        "--replications",
        "2",
        "--slo",
        "5s@99%",
    ];
    let narrow = jaegis().args(args).env("COLUMNS", "80").output().unwrap();
    let narrow = String::from_utf8(narrow.stdout).unwrap();
    assert!(
        drawn(&narrow).iter().all(|l| l.chars().count() <= 80),
        "{narrow}"
    );
    assert!(
        narrow.contains("hidden to fit 80 columns: coordination"),
        "{narrow}"
    );
    assert!(
        drawn(&narrow).iter().all(|l| !l.contains("p99.9")),
        "{narrow}"
    );

    let mut wide_args = args.to_vec();
    wide_args.push("--wide");
    let wide = jaegis()
        .args(&wide_args)
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let wide = String::from_utf8(wide.stdout).unwrap();
    assert!(wide.contains("p99.9 (s)") && wide.contains(" ± "), "{wide}");
    assert!(!wide.contains("hidden to fit"), "{wide}");
    assert!(drawn(&wide).iter().any(|l| l.chars().count() > 80));

    // Off a terminal with no COLUMNS, tables fit 100 columns; the reasons go under them.
    let advice = stdout(&["recommend", "--agents", "40", "--fault-tolerance", "high"]);
    assert!(
        drawn(&advice).iter().all(|l| l.chars().count() <= 100),
        "{advice}"
    );
    assert!(
        advice.contains("where it lost points:\n  peer_to_peer_001: "),
        "{advice}"
    );

    // Machine formats carry every column whatever the width.
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "csv"]);
    let csv_narrow = jaegis()
        .args(&json_args)
        .env("COLUMNS", "40")
        .output()
        .unwrap();
    json_args.push("--wide");
    let csv_wide = jaegis().args(&json_args).output().unwrap();
    assert_eq!(csv_narrow.stdout, csv_wide.stdout);
}
