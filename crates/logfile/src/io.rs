//! Reader adapters: progress reporting and a line-length guard.

use std::io::{self, Read};

/// Counts bytes read from the raw file and reports the running total.
pub(crate) struct Progress<'p, R> {
    inner: R,
    total: u64,
    callback: Option<&'p mut dyn FnMut(u64)>,
}

impl<'p, R: Read> Progress<'p, R> {
    pub(crate) fn new(inner: R, callback: Option<&'p mut dyn FnMut(u64)>) -> Self {
        Progress {
            inner,
            total: 0,
            callback,
        }
    }
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if let Some(cb) = self.callback.as_mut() {
            cb(self.total);
        }
        Ok(n)
    }
}

/// The error payload a [`LineLimit`] reader raises, recognised by the CSV reader.
#[derive(Debug)]
pub(crate) struct LineTooLong {
    /// 1-based line number of the offending line.
    pub(crate) line: u64,
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} is too long", self.line)
    }
}

impl std::error::Error for LineTooLong {}

/// Fails with [`LineTooLong`] as soon as more than `limit` bytes pass without
/// a newline, so a file without line breaks cannot exhaust memory.
pub(crate) struct LineLimit<R> {
    inner: R,
    limit: usize,
    current: usize,
    line: u64,
}

impl<R: Read> LineLimit<R> {
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        LineLimit {
            inner,
            limit,
            current: 0,
            line: 1,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or(&[]);
        let Some(first) = chunk.iter().position(|&b| b == b'\n') else {
            self.current += n;
            if self.current > self.limit {
                return Err(io::Error::other(LineTooLong { line: self.line }));
            }
            return Ok(n);
        };
        if self.current + first > self.limit {
            return Err(io::Error::other(LineTooLong { line: self.line }));
        }
        let last = chunk.iter().rposition(|&b| b == b'\n').unwrap_or(first);
        // Whole lines inside the chunk are shorter than the chunk; only scan
        // them one by one when the chunk itself is longer than the limit.
        if chunk.len() > self.limit {
            let mut start = first + 1;
            let mut line = self.line + 1;
            for (i, &b) in chunk.iter().enumerate().take(last + 1).skip(first + 1) {
                if b == b'\n' {
                    if i - start > self.limit {
                        return Err(io::Error::other(LineTooLong { line }));
                    }
                    start = i + 1;
                    line += 1;
                }
            }
        }
        // Counting with a plain filter vectorises well.
        self.line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        self.current = n - last - 1;
        if self.current > self.limit {
            return Err(io::Error::other(LineTooLong { line: self.line }));
        }
        Ok(n)
    }
}

/// Parallel readers and the thread waiting for them. Each reader spawned through
/// [`Readers::spawn`] holds a [`Done`] guard while it works; dropping it (also by a panic)
/// counts the reader finished and wakes the waiting thread, which would otherwise sleep out
/// the rest of its 50 ms progress interval after the last reader ended.
pub(crate) struct Readers {
    spawned: std::sync::atomic::AtomicUsize,
    finished: std::sync::atomic::AtomicUsize,
    waiter: std::thread::Thread,
}

/// See [`Readers`].
struct Done<'a>(&'a Readers);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0
            .finished
            .fetch_add(1, std::sync::atomic::Ordering::Release);
        self.0.waiter.unpark();
    }
}

impl Readers {
    /// Readers that the current thread will wait for.
    pub(crate) fn new() -> Self {
        Readers {
            spawned: std::sync::atomic::AtomicUsize::new(0),
            finished: std::sync::atomic::AtomicUsize::new(0),
            waiter: std::thread::current(),
        }
    }

    /// Runs `work` as one of these readers on a thread of `scope`.
    pub(crate) fn spawn<'scope, 'env, T: Send + 'scope>(
        &'scope self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        work: impl FnOnce() -> T + Send + 'scope,
    ) -> std::thread::ScopedJoinHandle<'scope, T> {
        self.spawned
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        scope.spawn(move || {
            let _done = Done(self);
            work()
        })
    }

    /// Waits until every reader spawned so far has finished, reporting the bytes they have
    /// read so far every 50 ms.
    pub(crate) fn wait_reporting(
        &self,
        read_bytes: &std::sync::atomic::AtomicU64,
        progress: &mut Option<&mut dyn FnMut(u64)>,
    ) {
        let spawned = self.spawned.load(std::sync::atomic::Ordering::Relaxed);
        while self.finished.load(std::sync::atomic::Ordering::Acquire) < spawned {
            if let Some(cb) = progress.as_mut() {
                cb(read_bytes.load(std::sync::atomic::Ordering::Relaxed));
            }
            std::thread::park_timeout(std::time::Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_limit_passes_short_lines_and_stops_long_ones() {
        let mut ok = String::new();
        LineLimit::new("ab\ncd\n".as_bytes(), 2)
            .read_to_string(&mut ok)
            .unwrap();
        assert_eq!(ok, "ab\ncd\n");
        let mut sink = Vec::new();
        let err = LineLimit::new("ab\nabcdef\n".as_bytes(), 3)
            .read_to_end(&mut sink)
            .unwrap_err();
        let inner = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<LineTooLong>())
            .unwrap();
        assert_eq!(inner.line, 2);
    }

    #[test]
    fn waiting_ends_when_every_reader_has_finished_even_by_a_panic() {
        let readers = Readers::new();
        let read_bytes = std::sync::atomic::AtomicU64::new(7);
        let mut seen = Vec::new();
        std::thread::scope(|scope| {
            let ok = readers.spawn(scope, || 1);
            let failed = readers.spawn(scope, || panic!("a reader fails"));
            let mut cb = |n: u64| seen.push(n);
            readers.wait_reporting(&read_bytes, &mut Some(&mut cb));
            assert_eq!(
                readers.finished.load(std::sync::atomic::Ordering::Acquire),
                2
            );
            assert_eq!(ok.join().unwrap(), 1);
            assert!(failed.join().is_err());
        });
        assert!(seen.iter().all(|&n| n == 7), "{seen:?}");
    }

    #[test]
    fn progress_reports_running_total() {
        let mut seen = Vec::new();
        {
            let mut cb = |n: u64| seen.push(n);
            let mut r = Progress::new("hello".as_bytes(), Some(&mut cb));
            let mut s = String::new();
            r.read_to_string(&mut s).unwrap();
        }
        assert_eq!(seen.last(), Some(&5));
    }
}
