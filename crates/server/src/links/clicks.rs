//! Making clicks durable before the redirect is answered, without one commit per click.
//!
//! Handlers hand a click to [`ClickWriter::record`] and wait. One writer task takes everything
//! waiting (up to [`MAX_BATCH`]), stores it in ONE transaction and acknowledges the whole batch:
//! a commit (an fsync) is shared by every request that arrived meanwhile, so throughput grows
//! with load while each answered click is on disk.
//!
//! When the database fails or is too slow, the batch is appended to a local spool file
//! (JSON lines, fsync'd) instead and acknowledged from there; the writer then keeps spooling
//! until a replay task has moved the whole spool into the database. Replays are idempotent
//! because every click has its own id. A torn last line (a crash mid-append) was never
//! acknowledged and is skipped.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cxmap_store::{Click, Store};
use tokio::sync::{mpsc, oneshot};

/// The most clicks committed in one transaction.
pub const MAX_BATCH: usize = 1024;
/// How long a commit may take before the batch goes to the spool instead.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the spool is offered back to the database.
const REPLAY_EVERY: Duration = Duration::from_millis(500);
/// Clicks per replay transaction.
const REPLAY_CHUNK: usize = 2000;

struct Pending {
    click: Click,
    ack: oneshot::Sender<bool>,
}

/// The click could not be made durable anywhere (database and spool both failed).
#[derive(Debug, thiserror::Error)]
#[error("the click could not be stored")]
pub struct NotDurable;

/// The handle handlers use.
#[derive(Clone)]
pub struct ClickWriter {
    tx: mpsc::Sender<Pending>,
    spool: Arc<Spool>,
}

impl ClickWriter {
    /// Starts the writer and replay tasks on the current runtime.
    pub fn start(store: Arc<dyn Store>, spool_path: Option<PathBuf>) -> Self {
        let (tx, rx) = mpsc::channel(64 * 1024);
        let spool = Arc::new(Spool::new(spool_path));
        let degraded = Arc::new(AtomicBool::new(false));
        tokio::spawn(write_loop(
            rx,
            store.clone(),
            spool.clone(),
            degraded.clone(),
        ));
        if spool.path.is_some() {
            tokio::spawn(replay_loop(store, spool.clone(), degraded));
        }
        Self { tx, spool }
    }

    /// Returns once `click` is durable (committed, or fsync'd to the spool).
    pub async fn record(&self, click: Click) -> Result<(), NotDurable> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Pending { click, ack })
            .await
            .map_err(|_| NotDurable)?;
        match done.await {
            Ok(true) => Ok(()),
            _ => Err(NotDurable),
        }
    }

    /// Clicks waiting in the spool for the database (0 when healthy).
    pub fn spooled_bytes(&self) -> u64 {
        self.spool.len()
    }
}

async fn write_loop(
    mut rx: mpsc::Receiver<Pending>,
    store: Arc<dyn Store>,
    spool: Arc<Spool>,
    degraded: Arc<AtomicBool>,
) {
    let mut clicks = Vec::with_capacity(MAX_BATCH);
    let mut acks = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        clicks.push(first.click);
        acks.push(first.ack);
        while clicks.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => {
                    clicks.push(p.click);
                    acks.push(p.ack);
                }
                Err(_) => break,
            }
        }
        let durable = persist(&*store, &spool, &degraded, &clicks).await;
        for ack in acks.drain(..) {
            let _ = ack.send(durable);
        }
        clicks.clear();
    }
}

async fn persist(
    store: &dyn Store,
    spool: &Arc<Spool>,
    degraded: &AtomicBool,
    clicks: &[Click],
) -> bool {
    // While the spool holds clicks, new ones follow them there: the database is known to be
    // failing, and trying it first would make every redirect wait for the timeout.
    if !degraded.load(Ordering::Acquire) {
        match tokio::time::timeout(COMMIT_TIMEOUT, store.record_clicks(clicks)).await {
            Ok(Ok(())) => return true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, n = clicks.len(), "click commit failed; spooling")
            }
            Err(_) => tracing::warn!(n = clicks.len(), "click commit timed out; spooling"),
        }
        if spool.path.is_none() {
            return false;
        }
        degraded.store(true, Ordering::Release);
    }
    let spool = spool.clone();
    let lines = clicks
        .iter()
        .filter_map(|c| serde_json::to_string(c).ok())
        .collect::<Vec<_>>();
    match tokio::task::spawn_blocking(move || spool.append(&lines)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "click spool append failed");
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "click spool task failed");
            false
        }
    }
}

async fn replay_loop(store: Arc<dyn Store>, spool: Arc<Spool>, degraded: Arc<AtomicBool>) {
    loop {
        if spool.len() > 0 {
            match replay_once(&*store, &spool).await {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(clicks = n, "replayed spooled clicks into the database");
                    }
                    if spool.len() == 0 {
                        degraded.store(false, Ordering::Release);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "spool replay not possible yet"),
            }
        } else if degraded.load(Ordering::Acquire) {
            degraded.store(false, Ordering::Release);
        }
        tokio::time::sleep(REPLAY_EVERY).await;
    }
}

#[derive(Debug, thiserror::Error)]
enum ReplayError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] cxmap_store::StoreError),
    #[error("database timed out")]
    Timeout,
    #[error("spool task failed: {0}")]
    Task(String),
}

async fn replay_once(store: &dyn Store, spool: &Arc<Spool>) -> Result<usize, ReplayError> {
    let reader = spool.clone();
    let (clicks, upto) = tokio::task::spawn_blocking(move || reader.read_all())
        .await
        .map_err(|e| ReplayError::Task(e.to_string()))??;
    for chunk in clicks.chunks(REPLAY_CHUNK) {
        tokio::time::timeout(COMMIT_TIMEOUT * 5, store.record_clicks(chunk))
            .await
            .map_err(|_| ReplayError::Timeout)??;
    }
    let cutter = spool.clone();
    tokio::task::spawn_blocking(move || cutter.drop_prefix(upto))
        .await
        .map_err(|e| ReplayError::Task(e.to_string()))??;
    Ok(clicks.len())
}

/// The append-only local click log used while the database is unavailable.
struct Spool {
    path: Option<PathBuf>,
    file: Mutex<Option<File>>,
}

impl Spool {
    fn new(path: Option<PathBuf>) -> Self {
        Self {
            path,
            file: Mutex::new(None),
        }
    }

    fn len(&self) -> u64 {
        self.path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len())
    }

    fn lock(&self) -> std::io::Result<std::sync::MutexGuard<'_, Option<File>>> {
        self.file
            .lock()
            .map_err(|_| std::io::Error::other("spool lock poisoned"))
    }

    /// Opens the file for appending; a torn last line from a crash is closed with a newline
    /// so the next record starts on a line of its own.
    fn open(path: &PathBuf) -> std::io::Result<File> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(file)
    }

    fn append(&self, lines: &[String]) -> std::io::Result<()> {
        let path = self
            .path
            .as_ref()
            .ok_or_else(|| std::io::Error::other("no click spool configured"))?;
        let mut guard = self.lock()?;
        if guard.is_none() {
            *guard = Some(Self::open(path)?);
        }
        let file = guard
            .as_mut()
            .ok_or_else(|| std::io::Error::other("spool not open"))?;
        let mut buf = String::with_capacity(lines.len() * 256);
        for line in lines {
            buf.push_str(line);
            buf.push('\n');
        }
        file.write_all(buf.as_bytes())?;
        file.sync_data()
    }

    /// Every complete record and the byte length they were read up to.
    fn read_all(&self) -> std::io::Result<(Vec<Click>, u64)> {
        let Some(path) = &self.path else {
            return Ok((Vec::new(), 0));
        };
        let _guard = self.lock()?;
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) => return Err(e),
        };
        let mut reader = BufReader::new(file);
        let mut clicks = Vec::new();
        let mut upto = 0u64;
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line)?;
            if n == 0 || !line.ends_with('\n') {
                break; // end, or a torn tail that was never acknowledged
            }
            upto += n as u64;
            match serde_json::from_str::<Click>(line.trim_end()) {
                Ok(click) => clicks.push(click),
                Err(e) => tracing::warn!(error = %e, "skipping an unreadable spool line"),
            }
        }
        Ok((clicks, upto))
    }

    /// Removes the first `upto` bytes (already in the database), keeping anything appended
    /// since, atomically by rename.
    fn drop_prefix(&self, upto: u64) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut guard = self.lock()?;
        let len = std::fs::metadata(path)?.len();
        let mut rest = Vec::new();
        if len > upto {
            let mut file = File::open(path)?;
            file.seek(SeekFrom::Start(upto))?;
            file.read_to_end(&mut rest)?;
        }
        let tmp = path.with_extension("spool-tmp");
        {
            let mut out = File::create(&tmp)?;
            out.write_all(&rest)?;
            out.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable.
            File::open(dir)?.sync_all()?;
        }
        *guard = None; // reopen the new file on the next append
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cxmap_domain::LinkId;
    use cxmap_store::ClickSource;

    fn click() -> Click {
        Click {
            id: uuid::Uuid::now_v7(),
            link_id: LinkId::new(),
            at: cxmap_domain::now(),
            source: ClickSource::Link,
            bot: false,
            device: "mobile".into(),
            browser: "Safari".into(),
            referrer_host: None,
            country: None,
            visitor: None,
        }
    }

    #[test]
    fn spool_round_trips_skips_a_torn_tail_and_keeps_later_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clicks.spool");
        let spool = Spool::new(Some(path.clone()));
        let (a, b) = (click(), click());
        spool.append(&[serde_json::to_string(&a).unwrap()]).unwrap();
        // A crash mid-append leaves half a line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"id\":\"0190")
            .unwrap();
        let reopened = Spool::new(Some(path.clone()));
        let (read, upto) = reopened.read_all().unwrap();
        assert_eq!(read, vec![a.clone()]);
        reopened
            .append(&[serde_json::to_string(&b).unwrap()])
            .unwrap();
        let (read, _) = reopened.read_all().unwrap();
        assert_eq!(
            read,
            vec![a, b.clone()],
            "the torn line is closed, not merged"
        );
        reopened.drop_prefix(upto).unwrap();
        let (read, _) = reopened.read_all().unwrap();
        assert_eq!(read, vec![b]);
    }
}
