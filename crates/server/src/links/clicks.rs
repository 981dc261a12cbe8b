//! Making a click durable before its redirect is answered, at the cost of one `write(2)`.
//!
//! A redirect appends its click to this process's journal (one JSON line, written under a
//! mutex) and only then answers 302. Once `write(2)` has returned, the bytes belong to the
//! kernel, so a process that is killed (SIGKILL, OOM, panic) loses no answered click. An
//! ingest task moves the journal into the database in large batches every [`INGEST_EVERY`]
//! (the database commit, `synchronous=FULL` on SQLite, is what puts them on the disk; while
//! the database is unavailable the journal is fsync'd instead). A click's id makes a replay a
//! no-op, so a journal may be ingested twice after a crash but never counts a click twice.
//!
//! Layout: the journal is a directory. Each process writes segments
//! `<process>-<seq>.clicks` and holds an exclusive lock on `<process>.lock` for as long as it
//! lives. A lock that can be taken belongs to a process that has died: whoever takes it adopts
//! that process's segments (ingests, then deletes them). So several processes may share one
//! directory, and a restart picks up what the previous run left.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use cxmap_store::{Click, Store};

/// How often the journal is moved into the database.
pub const INGEST_EVERY: Duration = Duration::from_millis(250);
/// A segment is closed and a new one started beyond this size.
const SEGMENT_BYTES: u64 = 16 * 1024 * 1024;
/// Clicks per database call while ingesting (one transaction each).
const INGEST_CHUNK: usize = 8192;
/// How long one database call may take before the pass is abandoned and retried later.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The click could not be written to the journal.
#[derive(Debug, thiserror::Error)]
#[error("the click could not be stored")]
pub struct NotDurable;

/// Why an ingest pass stopped early (it is retried on the next tick).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Reading or deleting journal files.
    #[error("click journal: {0}")]
    Io(#[from] std::io::Error),
    /// The database refused or failed.
    #[error(transparent)]
    Store(#[from] cxmap_store::StoreError),
    /// The database did not answer in time.
    #[error("the database did not answer within {0:?}")]
    Timeout(Duration),
    /// The blocking file work panicked.
    #[error("click journal task failed: {0}")]
    Task(String),
}

/// The segment being appended to.
struct Active {
    file: File,
    seq: u64,
    /// Bytes of whole records in the segment; the ingester never reads past it.
    written: u64,
    /// Set after a failed write: the segment may end in a torn record, so the next append
    /// starts a new one.
    broken: bool,
}

/// How far this process's own segments are in the database.
#[derive(Default)]
struct Ingested {
    seq: u64,
    offset: u64,
}

/// A process's append-only click journal and its ingest into the database.
pub struct ClickJournal {
    dir: PathBuf,
    process: String,
    /// Held (locked) for the life of the process: it tells others this journal is alive.
    _lock: File,
    /// A temporary directory of this process alone, removed when the journal is dropped.
    private: bool,
    active: Mutex<Active>,
    /// One ingest pass at a time (the periodic one, or a flush before a stats read).
    ingested: tokio::sync::Mutex<Ingested>,
    store: Arc<dyn Store>,
}

impl ClickJournal {
    /// Opens a new journal for this process in `dir` (created if missing).
    pub fn open(dir: &Path, store: Arc<dyn Store>) -> std::io::Result<Self> {
        Self::open_in(dir, false, store)
    }

    /// Opens a journal in a new temporary directory that no other process will look at.
    pub fn open_private(store: Arc<dyn Store>) -> std::io::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("cxmap-clicks-{}", uuid::Uuid::now_v7().simple()));
        Self::open_in(&dir, true, store)
    }

    fn open_in(dir: &Path, private: bool, store: Arc<dyn Store>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let process = uuid::Uuid::now_v7().simple().to_string();
        // Locked before it is visible under its name, so no one can mistake it for a dead
        // process's lock in between.
        let pending = dir.join(format!("{process}.lock-new"));
        let lock = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&pending)?;
        lock.lock()?;
        std::fs::rename(&pending, dir.join(format!("{process}.lock")))?;
        let file = open_segment(&segment_path(dir, &process, 0))?;
        Ok(Self {
            dir: dir.to_owned(),
            process,
            _lock: lock,
            private,
            active: Mutex::new(Active {
                file,
                seq: 0,
                written: 0,
                broken: false,
            }),
            ingested: tokio::sync::Mutex::new(Ingested::default()),
            store,
        })
    }

    /// Starts the periodic ingest on the current runtime (adopting what a previous run left).
    pub fn spawn_ingest(self: &Arc<Self>) {
        let journal = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(journal) = journal.upgrade() else {
                    return;
                };
                if let Err(e) = journal.ingest().await {
                    tracing::warn!(error = %e, "clicks stay in the journal until the next try");
                }
                drop(journal);
                tokio::time::sleep(INGEST_EVERY).await;
            }
        });
    }

    fn lock_active(&self) -> Result<MutexGuard<'_, Active>, NotDurable> {
        self.active.lock().map_err(|_| NotDurable)
    }

    /// Appends one click; when this returns `Ok` the click survives the process being killed.
    pub fn append(&self, click: &Click) -> Result<(), NotDurable> {
        let mut line = Vec::with_capacity(320);
        serde_json::to_writer(&mut line, click).map_err(|_| NotDurable)?;
        line.push(b'\n');
        let mut active = self.lock_active()?;
        if active.broken || active.written >= SEGMENT_BYTES {
            let next = active.seq + 1;
            let file =
                open_segment(&segment_path(&self.dir, &self.process, next)).map_err(|e| {
                    tracing::error!(error = %e, "cannot start a click journal segment");
                    NotDurable
                })?;
            *active = Active {
                file,
                seq: next,
                written: 0,
                broken: false,
            };
        }
        match active.file.write_all(&line) {
            Ok(()) => {
                active.written += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "click journal write failed");
                active.broken = true;
                Err(NotDurable)
            }
        }
    }

    /// Moves everything journaled so far into the database: segments of dead processes, then
    /// this process's closed segments, then the open one up to its last whole record.
    pub async fn ingest(&self) -> Result<usize, IngestError> {
        let mut ingested = self.ingested.lock().await;
        let mut moved = self.adopt_orphans().await?;
        let (active_seq, written) = {
            let active = self.active.lock().map_err(|_| {
                IngestError::Io(std::io::Error::other("click journal lock poisoned"))
            })?;
            (active.seq, active.written)
        };
        while ingested.seq < active_seq {
            let path = segment_path(&self.dir, &self.process, ingested.seq);
            moved += self.ingest_file(&path, ingested.offset, None).await?;
            remove(&path)?;
            *ingested = Ingested {
                seq: ingested.seq + 1,
                offset: 0,
            };
        }
        if written > ingested.offset {
            let path = segment_path(&self.dir, &self.process, active_seq);
            match self
                .ingest_file(&path, ingested.offset, Some(written))
                .await
            {
                Ok(n) => {
                    moved += n;
                    ingested.offset = written;
                }
                Err(e) => {
                    // The database is failing: at least make the journal survive a power cut.
                    if let Ok(active) = self.active.lock() {
                        let _ = active.file.sync_data();
                    }
                    return Err(e);
                }
            }
        }
        if moved > 0 {
            tracing::debug!(clicks = moved, "click journal moved into the database");
        }
        Ok(moved)
    }

    /// Ingests and deletes the segments of every process whose lock can be taken (it died).
    async fn adopt_orphans(&self) -> Result<usize, IngestError> {
        let mut moved = 0;
        for process in self.other_processes()? {
            let lock_path = self.dir.join(format!("{process}.lock"));
            let lock = match File::open(&lock_path) {
                Ok(lock) => match lock.try_lock() {
                    Ok(()) => Some(lock),
                    Err(std::fs::TryLockError::WouldBlock) => continue, // alive
                    Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
                },
                // Segments without a lock file: their owner is gone for good.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e.into()),
            };
            for path in self.segments_of(&process)? {
                let n = self.ingest_file(&path, 0, None).await?;
                remove(&path)?;
                moved += n;
            }
            if lock.is_some() {
                remove(&lock_path)?;
            }
        }
        if moved > 0 {
            tracing::info!(
                clicks = moved,
                "clicks journaled by an ended process stored"
            );
        }
        Ok(moved)
    }

    /// Ids of the other processes that have a lock or segments in the directory.
    fn other_processes(&self) -> std::io::Result<BTreeSet<String>> {
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            let process = name.strip_suffix(".lock").or_else(|| {
                name.strip_suffix(".clicks")
                    .and_then(|s| s.split('-').next())
            });
            if let Some(process) = process
                && process != self.process
            {
                found.insert(process.to_owned());
            }
        }
        Ok(found)
    }

    /// `process`'s segments in the order they were written.
    fn segments_of(&self, process: &str) -> std::io::Result<Vec<PathBuf>> {
        let mut segments = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(seq) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".clicks"))
                .and_then(|n| n.strip_prefix(process))
                .and_then(|n| n.strip_prefix('-'))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            segments.push((seq, entry.path()));
        }
        segments.sort();
        Ok(segments.into_iter().map(|(_, path)| path).collect())
    }

    /// Stores the whole records of `path` between `from` and `to` (or the end).
    async fn ingest_file(
        &self,
        path: &Path,
        from: u64,
        to: Option<u64>,
    ) -> Result<usize, IngestError> {
        let path = path.to_owned();
        let clicks = tokio::task::spawn_blocking(move || read_records(&path, from, to))
            .await
            .map_err(|e| IngestError::Task(e.to_string()))??;
        for chunk in clicks.chunks(INGEST_CHUNK) {
            tokio::time::timeout(COMMIT_TIMEOUT, self.store.record_clicks(chunk))
                .await
                .map_err(|_| IngestError::Timeout(COMMIT_TIMEOUT))??;
        }
        Ok(clicks.len())
    }
}

impl Drop for ClickJournal {
    /// A journal whose every click is in the database leaves no files behind.
    fn drop(&mut self) {
        let Ok(ingested) = self.ingested.try_lock() else {
            return;
        };
        let Ok(active) = self.active.lock() else {
            return;
        };
        if ingested.seq != active.seq || ingested.offset != active.written {
            return;
        }
        let _ = remove(&segment_path(&self.dir, &self.process, active.seq));
        let _ = remove(&self.dir.join(format!("{}.lock", self.process)));
        if self.private {
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

fn segment_path(dir: &Path, process: &str, seq: u64) -> PathBuf {
    dir.join(format!("{process}-{seq:010}.clicks"))
}

fn open_segment(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    // The new name must survive a power cut as soon as records are in it.
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(file)
}

fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The clicks in `path` from byte `from` up to `to` (or the end). A torn last record (a write
/// cut short) was never acknowledged and is left out; an unreadable line is skipped and logged.
fn read_records(path: &Path, from: u64, to: Option<u64>) -> std::io::Result<Vec<Click>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    file.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    match to {
        Some(to) => file.take(to.saturating_sub(from)).read_to_end(&mut bytes)?,
        None => file.read_to_end(&mut bytes)?,
    };
    let whole = bytes
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |last| last + 1);
    let mut clicks = Vec::with_capacity(whole / 256);
    for line in bytes[..whole].split(|b| *b == b'\n') {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Click>(line) {
            Ok(click) => clicks.push(click),
            Err(e) => {
                tracing::warn!(error = %e, file = %path.display(), "skipping an unreadable click record")
            }
        }
    }
    Ok(clicks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_tail_and_garbage_lines_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p-0000000000.clicks");
        let click = Click {
            id: uuid::Uuid::now_v7(),
            link_id: cxmap_domain::LinkId::new(),
            at: cxmap_domain::now(),
            source: cxmap_store::ClickSource::Link,
            bot: false,
            device: "mobile".into(),
            browser: "Safari".into(),
            referrer_host: None,
            country: None,
            visitor: None,
        };
        let mut bytes = serde_json::to_vec(&click).unwrap();
        bytes.extend_from_slice(b"\nnot json\n{\"id\":\"0190");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_records(&path, 0, None).unwrap(), vec![click.clone()]);
        // Reading up to a bound stops there.
        let first_line = bytes.iter().position(|b| *b == b'\n').unwrap() as u64 + 1;
        assert_eq!(
            read_records(&path, 0, Some(first_line)).unwrap(),
            vec![click]
        );
        assert!(read_records(&path, first_line, None).unwrap().is_empty());
    }
}
