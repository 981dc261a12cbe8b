//! Helpers shared by the integration tests.

use std::os::fd::AsRawFd;

use cxmap_analytics::EventLog;
use cxmap_logfile::{LogFileError, ReadOptions, read_path};

/// Reads `bytes` with [`read_path`] from the read end of a pipe (as `/dev/fd/N`, which is what
/// a shell's `<(zcat log.csv.gz)` hands over), written by another thread as it is read.
pub fn read_through_pipe(bytes: Vec<u8>, options: &ReadOptions) -> Result<EventLog, LogFileError> {
    let (reader, mut writer) = std::io::pipe().unwrap();
    let feeder = std::thread::spawn(move || {
        // The reader may stop early on bad input, which closes the pipe.
        let _ = std::io::Write::write_all(&mut writer, &bytes);
    });
    let path = format!("/dev/fd/{}", reader.as_raw_fd());
    let log = read_path(std::path::Path::new(&path), options, None);
    drop(reader);
    feeder.join().unwrap();
    log
}
