//! Parsing event batches (a JSON array, an `{"events": […]}` envelope, or NDJSON) into a
//! compact [`EventBatch`]: every string copied once into one arena, timestamps already in
//! microseconds. Errors name the event (`[3].timestamp`, `line 4.case_id`) and the field.
//!
//! Pure and synchronous, so large bodies can be parsed off the async threads.

use std::borrow::Cow;
use std::ops::Range;

use cxmap_domain::WorkspaceId;
use cxmap_store::NewEvent;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::ApiError;

/// The largest accepted event (one NDJSON line or one array element), in bytes.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// The longest accepted case id or event name, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;

/// The wire format of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json`: an array of events, or `{"workspace_id":…, "events":[…]}`.
    Json,
    /// `application/x-ndjson`: one event object per line.
    Ndjson,
}

/// One event as clients send it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEvent<'a> {
    #[serde(borrow, default, alias = "customer_id")]
    case_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, alias = "activity")]
    event: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(default)]
    workspace_id: Option<WorkspaceId>,
    #[serde(borrow)]
    events: Vec<WireEvent<'a>>,
}

struct Row {
    case_id: Range<usize>,
    activity: Range<usize>,
    ts_us: i64,
    attributes: Option<Range<usize>>,
}

/// A parsed, validated batch.
#[derive(Default)]
pub struct EventBatch {
    arena: String,
    rows: Vec<Row>,
    /// The workspace named in a JSON envelope, if any.
    pub workspace_id: Option<WorkspaceId>,
}

impl EventBatch {
    /// The events, borrowing from the batch.
    pub fn events(&self) -> Vec<NewEvent<'_>> {
        let text = |r: &Range<usize>| self.arena.get(r.clone()).unwrap_or_default();
        self.rows
            .iter()
            .map(|r| NewEvent {
                case_id: text(&r.case_id),
                activity: text(&r.activity),
                ts_us: r.ts_us,
                attributes: r.attributes.as_ref().map(text),
            })
            .collect()
    }

    fn push_str(&mut self, s: &str) -> Range<usize> {
        let start = self.arena.len();
        self.arena.push_str(s);
        start..self.arena.len()
    }

    /// Validates one wire event and appends it; `at` names it in errors (`[3]`, `line 4`).
    fn push(&mut self, e: WireEvent<'_>, at: &dyn Fn() -> String) -> Result<(), ApiError> {
        let field = |name: &str| format!("{}.{name}", at());
        let required = |v: Option<Cow<'_, str>>, name: &str| -> Result<String, ApiError> {
            let v = v.ok_or_else(|| ApiError::invalid_field(field(name), "is missing"))?;
            if v.trim().is_empty() {
                return Err(ApiError::invalid_field(field(name), "must not be empty"));
            }
            if v.len() > MAX_NAME_BYTES {
                return Err(ApiError::invalid_field(
                    field(name),
                    format!("is longer than {MAX_NAME_BYTES} bytes"),
                ));
            }
            Ok(v.into_owned())
        };
        let case_id = required(e.case_id, "case_id")?;
        let activity = required(e.event, "event")?;
        let raw_ts = e
            .timestamp
            .ok_or_else(|| ApiError::invalid_field(field("timestamp"), "is missing"))?;
        let ts_us = chrono::DateTime::parse_from_rfc3339(raw_ts.trim())
            .map_err(|_| {
                ApiError::invalid_field(
                    field("timestamp"),
                    format!(
                        "{:?} is not an RFC 3339 time like 2024-05-01T09:30:00+09:00",
                        raw_ts.chars().take(60).collect::<String>()
                    ),
                )
            })?
            .timestamp_micros();
        let attributes = match e.attributes.map(RawValue::get) {
            None | Some("null") => None,
            Some(raw) if raw.starts_with('{') => {
                if raw.len() > MAX_EVENT_BYTES {
                    return Err(ApiError::invalid_field(
                        field("attributes"),
                        format!("is larger than {MAX_EVENT_BYTES} bytes"),
                    ));
                }
                (raw != "{}").then_some(raw)
            }
            Some(_) => {
                return Err(ApiError::invalid_field(
                    field("attributes"),
                    "must be a JSON object",
                ));
            }
        };
        let row = Row {
            case_id: self.push_str(&case_id),
            activity: self.push_str(&activity),
            ts_us,
            attributes: attributes.map(|a| self.push_str(a)),
        };
        self.rows.push(row);
        Ok(())
    }
}

/// Turns a serde error on the whole body into one naming the element and field.
fn json_error(body: &[u8], array: bool) -> ApiError {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let result: Result<Envelope<'_>, _> = if !array {
        serde_path_to_error::deserialize(de)
    } else {
        serde_path_to_error::deserialize::<_, Vec<WireEvent<'_>>>(de).map(|events| Envelope {
            workspace_id: None,
            events,
        })
    };
    match result {
        Ok(_) => ApiError::bad_request("invalid JSON"),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let message = inner.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned();
            if inner.is_data() {
                ApiError::invalid_field(path.trim_start_matches('.'), message)
            } else {
                ApiError::bad_request(format!(
                    "invalid JSON at line {}, column {}: {message}",
                    inner.line(),
                    inner.column()
                ))
            }
        }
    }
}

/// Parses and validates a whole batch; nothing of a bad batch is kept.
pub fn parse_batch(body: &[u8], format: BodyFormat) -> Result<EventBatch, ApiError> {
    let mut batch = EventBatch {
        arena: String::with_capacity(body.len() / 2),
        rows: Vec::with_capacity(body.len() / 96),
        workspace_id: None,
    };
    match format {
        BodyFormat::Json => {
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            let envelope = if first == Some(&b'{') {
                serde_json::from_slice::<Envelope<'_>>(body).map_err(|_| json_error(body, false))?
            } else {
                let events = serde_json::from_slice::<Vec<WireEvent<'_>>>(body)
                    .map_err(|_| json_error(body, true))?;
                Envelope {
                    workspace_id: None,
                    events,
                }
            };
            batch.workspace_id = envelope.workspace_id;
            let at_prefix = if first == Some(&b'{') { "events" } else { "" };
            for (i, e) in envelope.events.into_iter().enumerate() {
                batch.push(e, &|| format!("{at_prefix}[{i}]"))?;
            }
        }
        BodyFormat::Ndjson => {
            for (i, line) in body.split(|&b| b == b'\n').enumerate() {
                let n = i + 1;
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if line.len() > MAX_EVENT_BYTES {
                    return Err(ApiError::invalid_field(
                        format!("line {n}"),
                        format!(
                            "the line is {} bytes, over the limit of {MAX_EVENT_BYTES} bytes per event",
                            line.len()
                        ),
                    ));
                }
                let event: WireEvent<'_> = serde_json::from_slice(line).map_err(|e| {
                    let message = e.to_string();
                    let message = message.split(" at line ").next().unwrap_or_default();
                    if e.is_data() {
                        ApiError::invalid_field(format!("line {n}"), message)
                    } else {
                        ApiError::bad_request(format!(
                            "line {n}: invalid JSON at column {}: {message}",
                            e.column()
                        ))
                    }
                })?;
                batch.push(event, &|| format!("line {n}"))?;
            }
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_envelopes_and_ndjson_parse_to_the_same_events() {
        let ws = WorkspaceId::new();
        let array = r#"[{"case_id":"c1","event":"\uAD11\uACE0 \uD074\uB9AD","timestamp":"2024-05-01T09:30:00.123456+09:00","attributes":{"channel":"app"}},
                        {"customer_id":"c2","activity":"검색","timestamp":"2024-05-01T00:30:00Z"}]"#;
        let envelope = format!(
            r#"{{"workspace_id":"{ws}","events":[{{"case_id":"c1","event":"광고 클릭","timestamp":"2024-05-01T00:30:00.123456Z","attributes":{{"channel":"app"}}}},{{"case_id":"c2","event":"검색","timestamp":"2024-05-01T00:30:00Z","attributes":null}}]}}"#
        );
        let ndjson = "{\"case_id\":\"c1\",\"event\":\"광고 클릭\",\"timestamp\":\"2024-05-01T00:30:00.123456Z\",\"attributes\":{\"channel\":\"app\"}}\r\n\n{\"case_id\":\"c2\",\"event\":\"검색\",\"timestamp\":\"2024-05-01T00:30:00Z\"}\n";
        let a = parse_batch(array.as_bytes(), BodyFormat::Json).unwrap();
        let b = parse_batch(envelope.as_bytes(), BodyFormat::Json).unwrap();
        let c = parse_batch(ndjson.as_bytes(), BodyFormat::Ndjson).unwrap();
        assert_eq!(b.workspace_id, Some(ws));
        assert_eq!(a.events(), b.events());
        assert_eq!(a.events(), c.events());
        let e = a.events();
        assert_eq!(e[0].activity, "광고 클릭");
        assert_eq!(e[0].ts_us, 1_714_523_400_123_456);
        assert_eq!(e[0].attributes, Some(r#"{"channel":"app"}"#));
        assert_eq!(e[1].attributes, None);
    }

    #[test]
    fn errors_name_the_event_and_field() {
        let bad_ts = br#"[{"case_id":"c","event":"e","timestamp":"2024-05-01T00:00:00Z"},{"case_id":"c","event":"e","timestamp":"yesterday"}]"#;
        let err = parse_batch(bad_ts, BodyFormat::Json).err().unwrap();
        assert_eq!(err.field.as_deref(), Some("[1].timestamp"));
        assert!(err.message.contains("yesterday"), "{}", err.message);

        let missing = br#"[{"case_id":"c","timestamp":"2024-05-01T00:00:00Z"}]"#;
        let err = parse_batch(missing, BodyFormat::Json).err().unwrap();
        assert_eq!(err.field.as_deref(), Some("[0].event"));

        let wrong_type = br#"[{"case_id":"c","event":"e","timestamp":"2024-05-01T00:00:00Z"},{"case_id":7,"event":"e","timestamp":"x"}]"#;
        let err = parse_batch(wrong_type, BodyFormat::Json).err().unwrap();
        assert_eq!(err.field.as_deref(), Some("[1].case_id"), "{}", err.message);

        let unknown = br#"{"events":[{"case_id":"c","event":"e","timestamp":"2024-05-01T00:00:00Z","evnet":"typo"}]}"#;
        let err = parse_batch(unknown, BodyFormat::Json).err().unwrap();
        assert_eq!(
            err.field.as_deref(),
            Some("events[0].evnet"),
            "{}",
            err.message
        );

        let nd = b"{\"case_id\":\"c\",\"event\":\"e\",\"timestamp\":\"2024-05-01T00:00:00Z\"}\n{\"case_id\":\"c\",\"event\":\"e\",\"timestamp\":\"2024-13-01\"}\n";
        let err = parse_batch(nd, BodyFormat::Ndjson).err().unwrap();
        assert_eq!(err.field.as_deref(), Some("line 2.timestamp"));

        let huge = format!(
            "{{\"case_id\":\"c\",\"event\":\"e\",\"timestamp\":\"2024-05-01T00:00:00Z\"}}\n{{\"case_id\":\"{}\"}}\n",
            "x".repeat(MAX_EVENT_BYTES)
        );
        let err = parse_batch(huge.as_bytes(), BodyFormat::Ndjson)
            .err()
            .unwrap();
        assert_eq!(err.field.as_deref(), Some("line 2"));

        let attrs =
            br#"[{"case_id":"c","event":"e","timestamp":"2024-05-01T00:00:00Z","attributes":[1]}]"#;
        let err = parse_batch(attrs, BodyFormat::Json).err().unwrap();
        assert_eq!(err.field.as_deref(), Some("[0].attributes"));

        let syntax = b"[{\"case_id\":";
        assert_eq!(
            parse_batch(syntax, BodyFormat::Json).err().unwrap().code,
            "bad_request"
        );
    }
}
