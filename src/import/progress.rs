//! How an import shows that it is moving: a bar with rows per second on a terminal, a plain
//! line every few seconds otherwise (a log file, a pipe, the admin page's dry run).

use std::time::{Duration, Instant};

pub trait Progress: Send {
    fn file(&mut self, _name: &str) {}
    fn rows(&mut self, _done: u64) {}
    fn finish(&mut self, _done: u64) {}
}

/// Shows nothing (tests, the admin page).
pub struct Quiet;

impl Progress for Quiet {}

/// A spinner with the count and rate, on standard error.
pub struct Bar {
    bar: indicatif::ProgressBar,
}

impl Bar {
    pub fn new() -> Self {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {human_pos} rows ({per_sec}) {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar { bar }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Bar {
    fn file(&mut self, name: &str) {
        self.bar.set_message(name.to_string());
    }

    fn rows(&mut self, done: u64) {
        self.bar.set_position(done);
    }

    fn finish(&mut self, done: u64) {
        self.bar.set_position(done);
        self.bar.finish_with_message("done");
    }
}

/// A line on standard error every `every`, when there is no terminal to draw a bar on.
pub struct Lines {
    started: Instant,
    last: Instant,
    every: Duration,
    file: String,
}

impl Lines {
    pub fn new(every: Duration) -> Self {
        let now = Instant::now();
        Lines { started: now, last: now, every, file: String::new() }
    }

    fn line(&self, done: u64) {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        eprintln!("import: {done} rows, {:.0} rows/s, {:.1} s ({})", done as f64 / secs, secs, self.file);
    }
}

impl Progress for Lines {
    fn file(&mut self, name: &str) {
        self.file = name.to_string();
    }

    fn rows(&mut self, done: u64) {
        if self.last.elapsed() >= self.every {
            self.last = Instant::now();
            self.line(done);
        }
    }

    fn finish(&mut self, done: u64) {
        self.line(done);
    }
}
