//! Storing a whole event log (read from a CSV or XES file by `cxmap-logfile`) in one
//! all-or-nothing import; shared by `POST /api/v1/events/import` and `cxmap events import`.

use cxmap_analytics::EventLog;
use cxmap_domain::WorkspaceId;
use cxmap_store::{NewEvent, Store, StoreResult};

/// Events per chunk handed to the store.
const CHUNK: usize = 20_000;

/// Stores every event of `log` in `workspace`: all of them land or none do. `progress` is
/// called with the number of events written so far. Answers the number of events stored.
///
/// Events go in case by case, in time order within a case (ties in file order), so the stored
/// order breaks timestamp ties the way the file did.
pub async fn store_log(
    store: &dyn Store,
    workspace: WorkspaceId,
    log: &EventLog,
    progress: &mut (dyn FnMut(u64) + Send),
) -> StoreResult<u64> {
    let names = log.activity_names();
    let mut import = store.begin_event_import(workspace).await?;
    let mut chunk: Vec<NewEvent<'_>> = Vec::with_capacity(CHUNK.min(log.event_count()));
    let mut written = 0u64;
    for case in log.cases() {
        for (&activity, &ts_ms) in case.activities.iter().zip(case.timestamps) {
            chunk.push(NewEvent {
                case_id: case.id,
                activity: names.get(activity as usize).map_or("", String::as_str),
                ts_us: ts_ms.saturating_mul(1000),
                attributes: None,
            });
            if chunk.len() == CHUNK {
                import.append(&chunk).await?;
                written += chunk.len() as u64;
                chunk.clear();
                progress(written);
            }
        }
    }
    if !chunk.is_empty() {
        import.append(&chunk).await?;
        written += chunk.len() as u64;
        progress(written);
    }
    import.commit().await
}
