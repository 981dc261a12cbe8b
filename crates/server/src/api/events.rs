//! Customer events in: the batch API (JSON array or NDJSON, idempotent per key) and uploads of
//! whole CSV / XES / XES.gz logs.

use std::io::Cursor;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use cxmap_domain::{Role, WorkspaceId};
use cxmap_logfile::{Format, ReadOptions, TextEncoding};
use cxmap_store::{BatchKey, User};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Principal};
use crate::ingest::{BodyFormat, parse_batch};

/// Bodies at least this large are parsed on the blocking pool, off the async threads.
const PARSE_OFF_THREAD_BYTES: usize = 128 * 1024;
/// The longest accepted `Idempotency-Key`.
const MAX_KEY_CHARS: usize = 255;

/// Where the events go.
#[derive(Deserialize, IntoParams)]
pub struct IngestQuery {
    /// The workspace; default: the one named in the body, else the caller's first.
    workspace_id: Option<WorkspaceId>,
}

/// What a stored (or replayed) batch answers.
#[derive(Serialize, ToSchema)]
pub struct IngestReceipt {
    workspace_id: WorkspaceId,
    /// Events stored by the batch.
    events: u64,
    /// When the batch was first stored.
    received_at: DateTime<Utc>,
    /// True when the Idempotency-Key had been seen: nothing was stored again.
    replayed: bool,
}

/// Reads a body of at most `limit` bytes, answering 413 (in JSON) beyond it.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("cannot read the body: {e}")))?;
        if out.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.into())
}

/// The workspace a request writes to: the query's, else the body's, else the caller's first;
/// the caller must be an editor there.
async fn target_workspace(
    state: &AppState,
    user: &User,
    query: Option<WorkspaceId>,
    body: Option<WorkspaceId>,
) -> ApiResult<WorkspaceId> {
    let workspace = match (query, body) {
        (Some(q), Some(b)) if q != b => {
            return Err(ApiError::invalid_field(
                "workspace_id",
                "the query and the body name different workspaces",
            ));
        }
        (Some(w), _) | (None, Some(w)) => w,
        (None, None) => state
            .store
            .workspaces_of(user.id)
            .await?
            .into_iter()
            .next()
            .map(|(w, _)| w.id)
            .ok_or_else(|| ApiError::not_found("you belong to no workspace"))?,
    };
    access::workspace(state, user, workspace, Role::Editor).await?;
    Ok(workspace)
}

fn body_format(headers: &HeaderMap) -> ApiResult<BodyFormat> {
    let mime = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match mime.as_str() {
        "application/json" => Ok(BodyFormat::Json),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines" => Ok(BodyFormat::Ndjson),
        _ => Err(ApiError::unsupported_media_type_of(
            "application/json (an array of events) or application/x-ndjson (one event per line)",
        )),
    }
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_CHARS)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY_CHARS} visible ASCII characters"),
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// Stores a batch of customer events (editor), durable when answered.
///
/// The body is a JSON array of `{case_id|customer_id, event|activity, timestamp (RFC 3339),
/// attributes: {…}}`, an envelope `{"workspace_id": …, "events": […]}`, or the same events as
/// NDJSON (`Content-Type: application/x-ndjson`). The batch is stored whole or not at all; an
/// error names the event (`[3].timestamp`, `line 4.case_id`). With an `Idempotency-Key`
/// header, a retried batch answers the first receipt and stores nothing twice.
#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    params(IngestQuery, ("Idempotency-Key" = Option<String>, Header, description = "one key per batch; retries reuse it")),
    request_body(content = Vec<Object>, content_type = "application/json"),
    responses((status = 201, body = IngestReceipt), (status = 413, body = crate::api::ErrorBody),
        (status = 422, body = crate::api::ErrorBody)))]
pub async fn ingest_events(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiQuery(query): ApiQuery<IngestQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let format = body_format(&headers)?;
    let key = idempotency_key(&headers)?;
    let body = read_body(&headers, body, state.config.body_limit).await?;
    let fingerprint = key.as_ref().map(|_| hex::encode(Sha256::digest(&body)));
    let batch = if body.len() >= PARSE_OFF_THREAD_BYTES {
        tokio::task::spawn_blocking(move || parse_batch(&body, format))
            .await
            .map_err(ApiError::internal)??
    } else {
        parse_batch(&body, format)?
    };
    let workspace = target_workspace(&state, &user, query.workspace_id, batch.workspace_id).await?;
    let batch_key = key
        .as_deref()
        .zip(fingerprint.as_deref())
        .map(|(key, fingerprint)| BatchKey { key, fingerprint });
    let receipt = state
        .store
        .append_events(workspace, batch_key, &batch.events(), cxmap_domain::now())
        .await?;
    if let (Some(key), Some(fingerprint)) = (&key, &fingerprint)
        && receipt.replayed
        && &receipt.fingerprint != fingerprint
    {
        return Err(ApiError::idempotency_key_reused(key));
    }
    let mut response = (
        StatusCode::CREATED,
        Json(IngestReceipt {
            workspace_id: workspace,
            events: receipt.events,
            received_at: receipt.received_at,
            replayed: receipt.replayed,
        }),
    )
        .into_response();
    if receipt.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// How to read an uploaded event log.
#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// The workspace; default: the caller's first.
    workspace_id: Option<WorkspaceId>,
    /// `csv`, `xes` or `xes.gz`; default: detected from the content.
    format: Option<String>,
    /// CSV column with the case id (default `case_id`).
    case: Option<String>,
    /// CSV column with the event name (default `activity`).
    activity: Option<String>,
    /// CSV column with the timestamp (default `timestamp`).
    timestamp: Option<String>,
    /// CSV text encoding, e.g. `cp949`; default: UTF-8, CP949 when the bytes are not UTF-8.
    encoding: Option<String>,
}

/// What an import answers.
#[derive(Serialize, ToSchema)]
pub struct ImportReceipt {
    workspace_id: WorkspaceId,
    /// Events stored.
    events: u64,
    /// Distinct cases in the file.
    cases: u64,
}

fn read_options(q: &ImportQuery) -> ApiResult<ReadOptions> {
    let format = match q.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => None,
        Some("csv") => Some(Format::Csv),
        Some("xes" | "xes.gz") => Some(Format::Xes),
        Some(other) => {
            return Err(ApiError::invalid_field(
                "format",
                format!("unknown format {other:?}; use csv, xes or xes.gz"),
            ));
        }
    };
    let mut options = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    if let Some(label) = &q.encoding {
        let encoding = cxmap_logfile::encoding_from_label(label)
            .map_err(|e| ApiError::invalid_field("encoding", e.to_string()))?;
        options.encoding = TextEncoding::Fixed(encoding);
    }
    for (value, column) in [
        (&q.case, &mut options.case_column),
        (&q.activity, &mut options.activity_column),
        (&q.timestamp, &mut options.timestamp_column),
    ] {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            v.clone_into(column);
        }
    }
    Ok(options)
}

/// Imports an event-log file (editor): the body is the CSV, XES or gzip-compressed XES file.
/// The whole file lands in one transaction or nothing does; a malformed file is answered 422
/// naming the line.
#[utoipa::path(post, path = "/api/v1/events/import", tag = "events",
    params(ImportQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ImportReceipt), (status = 413, body = crate::api::ErrorBody),
        (status = 422, body = crate::api::ErrorBody)))]
pub async fn import_events(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let options = read_options(&query)?;
    let workspace = target_workspace(&state, &user, query.workspace_id, None).await?;
    let body = read_body(&headers, body, state.config.import_limit).await?;
    let log = tokio::task::spawn_blocking(move || {
        let size = body.len() as u64;
        cxmap_logfile::read(Cursor::new(body), size, &options, None)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::invalid_log_file(e.to_string()))?;
    let events =
        crate::event_import::store_log(&*state.store, workspace, &log, &mut |_| {}).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImportReceipt {
            workspace_id: workspace,
            events,
            cases: log.case_count() as u64,
        }),
    )
        .into_response())
}
