//! Helpers shared by the integration tests.
// Each test file uses some of them.
#![allow(dead_code)]

use std::os::fd::AsRawFd;
use std::path::Path;

use cxmap_analytics::EventLog;

/// Runs `read` on the read end of a pipe (as `/dev/fd/N`, which is what a shell's
/// `<(zcat log.csv.gz)` hands over) while another thread writes `bytes` into it.
pub fn through_pipe<T>(bytes: Vec<u8>, read: impl FnOnce(&Path) -> T) -> T {
    let (reader, mut writer) = std::io::pipe().unwrap();
    let feeder = std::thread::spawn(move || {
        // The reader may stop early on bad input, which closes the pipe.
        let _ = std::io::Write::write_all(&mut writer, &bytes);
    });
    let path = format!("/dev/fd/{}", reader.as_raw_fd());
    let result = read(Path::new(&path));
    drop(reader);
    feeder.join().unwrap();
    result
}

/// (case, [(activity, ms)]) in log order.
pub fn traces(log: &EventLog) -> Vec<(String, Vec<(String, i64)>)> {
    log.cases()
        .map(|c| {
            let evs = c
                .activities
                .iter()
                .zip(c.timestamps)
                .map(|(&a, &t)| (log.activity_names()[a as usize].clone(), t))
                .collect();
            (c.id.to_owned(), evs)
        })
        .collect()
}
