//! A progress bar for long runs: on stderr, only when stderr is a terminal, and only once a
//! run has lasted a second, so quick runs and scripts never see it.

use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a run goes before its bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

pub struct Progress {
    bar: Option<ProgressBar>,
    shown: AtomicBool,
}

impl Progress {
    /// A bar counting `total` units of `unit` (such as "replications").
    pub fn new(total: u64, unit: &str) -> Self {
        let bar = io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(&format!(
                "{{elapsed_precise}} [{{wide_bar}}] {{human_pos}}/{{human_len}} {unit} (eta {{eta}})"
            ))
            .expect("the template is valid")
            .progress_chars("=> ");
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
                .with_style(style)
        });
        Progress {
            bar,
            shown: AtomicBool::new(false),
        }
    }

    /// A counter of `unit` whose total is not known in advance (a search).
    pub fn open(unit: &str) -> Self {
        let bar = io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(&format!(
                "{{elapsed_precise}} {{spinner}} {{human_pos}} {unit}"
            ))
            .expect("the template is valid");
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(style)
        });
        Progress {
            bar,
            shown: AtomicBool::new(false),
        }
    }

    /// One more unit done; safe to call from any thread.
    pub fn tick(&self) {
        self.advance(1);
    }

    /// `n` more units done; safe to call from any thread.
    pub fn advance(&self, n: u64) {
        let Some(bar) = &self.bar else { return };
        bar.inc(n);
        if bar.elapsed() >= SHOW_AFTER && !self.shown.swap(true, Ordering::Relaxed) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Removes the bar, so that what follows on stderr starts on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
