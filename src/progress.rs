//! A spinner with the current stage on stderr for long runs (huge specs take seconds), shown only
//! when stderr is a terminal and output is not quiet, so logs and CI output stay clean.

use std::io::IsTerminal;
use std::time::Duration;

/// The spinner, or nothing.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// Starts a spinner unless `quiet` or stderr is not a terminal.
    pub fn start(quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(100));
        Self(Some(bar))
    }

    /// Shows what is being done now.
    pub fn stage(&self, message: impl Into<String>) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.into());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
