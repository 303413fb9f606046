//! The `jaegis` binary: parse the command line, run the command, map errors to exit codes.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

/// Exit code for bad input: an unknown name, a malformed value or file.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a failure while running.
const EXIT_FAILURE: u8 = 1;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if commands::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if commands::is_silent(&err) => ExitCode::from(EXIT_FAILURE),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(if commands::is_bad_input(&err) {
                EXIT_BAD_INPUT
            } else {
                EXIT_FAILURE
            })
        }
    }
}

/// Prints help and version as asked, and usage errors in at most two lines.
fn usage_error(err: clap::Error) -> ExitCode {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("{}", missing_command(&err.render().to_string()));
            ExitCode::from(EXIT_BAD_INPUT)
        }
        _ => {
            eprintln!("{}", compact(&err.render().to_string()));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Names the commands that could follow, instead of printing the whole help.
fn missing_command(rendered: &str) -> String {
    let usage = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("Usage:"))
        .unwrap_or(" jaegis <COMMAND>")
        .trim();
    let mut command = <cli::Cli as clap::CommandFactory>::command();
    for word in usage.split_whitespace().skip(1) {
        match command.find_subcommand(word) {
            Some(sub) => command = sub.clone(),
            None => break,
        }
    }
    let names: Vec<String> = command
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .map(|s| s.get_name().to_string())
        .collect();
    let path = usage
        .split_whitespace()
        .take_while(|w| !w.starts_with('<') && !w.starts_with('['))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "error: {path} needs a command: {}\nusage: {usage} (see {path} --help)",
        names.join(", ")
    )
}

/// Folds clap's multi-line error into two lines: the error (with what it lists) and the usage.
fn compact(rendered: &str) -> String {
    let mut message = String::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("Usage:") {
            usage = Some(format!("usage:{rest}"));
        } else if line.starts_with("For more information") {
            continue;
        } else if message.is_empty() {
            message.push_str(line);
        } else if message.ends_with(':') || line.starts_with('[') || line.starts_with("tip:") {
            message.push(' ');
            message.push_str(line);
        }
    }
    match usage {
        Some(usage) => format!("{message}\n{usage}"),
        None => message,
    }
}
