//! The progress bar shown while a log file is read.

use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar for reading `path`, labelled `label`: the share read of a file whose size is known, or
/// the bytes read so far of a pipe or device (`/dev/stdin`, `<(zcat log.csv.gz)`), which has none.
pub fn reading(path: &Path, label: &str) -> ProgressBar {
    let size = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let template = if size.is_some() {
        "{spinner} {msg} {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})"
    } else {
        "{spinner} {msg} {bytes} ({bytes_per_sec})"
    };
    bar(size, template, label)
}

/// A bar of `len` steps (`None`: unknown) drawn on stderr with `template`.
pub fn bar(len: Option<u64>, template: &str, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message.to_owned());
    bar
}
