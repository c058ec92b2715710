//! Progress while polling: a spinner with elapsed time and the current status on a
//! terminal, one line per change otherwise. Always on stderr, never a token.

use std::sync::Mutex;
use std::time::Duration;

use authcloud::{StatusUpdate, WaitObserver};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Reports a wait's progress to a person.
pub struct Progress {
    bar: Option<ProgressBar>,
    last_status: Mutex<String>,
    silent: bool,
}

impl Progress {
    /// A spinner when stderr is a terminal, plain lines otherwise; nothing at all when
    /// `quiet` (scripts asked for only the result).
    pub fn new(quiet: bool) -> Self {
        let bar = (!quiet && console::Term::stderr().is_term()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .expect("static template")
                    .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
            );
            bar.set_message("waiting for the user (status: pending)");
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Self { bar, last_status: Mutex::new(String::new()), silent: quiet }
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl WaitObserver for Progress {
    fn on_status(&self, update: &StatusUpdate) {
        if self.silent {
            return;
        }
        let status = update.status.status.as_str();
        match &self.bar {
            Some(bar) => bar.set_message(format!("waiting for the user (status: {status}, poll {})", update.poll)),
            None => {
                // Without a terminal, one line per change keeps logs short.
                let mut last = self.last_status.lock().unwrap_or_else(|e| e.into_inner());
                if *last != status {
                    eprintln!("status: {status} after {:.1} s (poll {})", update.elapsed.as_secs_f64(), update.poll);
                    *last = status.to_owned();
                }
            }
        }
    }

    fn on_transient_error(&self, error: &authcloud::Error, retry_in: Duration) {
        if self.silent {
            return;
        }
        let line = format!("transient error: {error}; next poll in {:.1} s", retry_in.as_secs_f64());
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}
