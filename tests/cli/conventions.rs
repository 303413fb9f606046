//! Conventions every command keeps: exit codes, one-line errors, colour rules, broken pipes.

use std::io::Read;
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

#[test]
fn closing_stdout_early_is_not_an_error() {
    for args in [
        &["list", "--format", "jsonl"][..],
        &["catalog", "export", "--format", "table"][..],
        &["catalog", "export", "--format", "jsonl"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jaegis"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        let _ = stdout.read(&mut first);
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
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
}

#[test]
fn version_and_help_exit_0() {
    assert!(stdout(&["--version"]).starts_with("jaegis "));
    assert!(stdout(&["list", "--help"]).contains("Usage:"));
}
