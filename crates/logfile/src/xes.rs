//! XES event logs, streamed with quick-xml.
//!
//! Only direct attribute children of `<trace>` and `<event>` are read: the
//! trace's `concept:name` (case id), the event's `concept:name` (activity) and
//! `time:timestamp`, and when a segment is collected, the trace's or event's
//! attribute of that key whatever its type. `<global>`, `<extension>`,
//! `<classifier>` and nested attributes are skipped. Events keep their order in the file; the builder
//! then orders each case by timestamp (stable).

use std::io::BufRead;

use cxmap_analytics::{EventLog, EventLogBuilder};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::LogFileError;
use crate::attribute::CaseAttribute;
use crate::timestamp::parse_timestamp_ms;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Log,
    Trace,
    Event,
    Other,
}

#[derive(Default)]
struct PendingEvent {
    activity: Option<String>,
    timestamp: Option<i64>,
    segment: Option<String>,
}

/// An event of the current trace seen before the trace's `concept:name`.
struct Buffered {
    activity: String,
    timestamp: i64,
    segment: Option<String>,
}

struct State<'a> {
    builder: EventLogBuilder,
    case: Option<String>,
    buffered: Vec<Buffered>,
    event: PendingEvent,
    segment: Option<&'a mut CaseAttribute>,
    /// The current trace's own value of the segment attribute.
    trace_segment: Option<String>,
}

fn xes_err(position: u64, message: impl Into<String>) -> LogFileError {
    LogFileError::Xes {
        position,
        message: message.into(),
    }
}

/// Reads `key` and `value` of an attribute element.
fn key_value(
    e: &BytesStart<'_>,
    position: u64,
) -> Result<(Option<String>, Option<String>), LogFileError> {
    let mut key = None;
    let mut value = None;
    for a in e.attributes() {
        let a = a.map_err(|err| xes_err(position, format!("bad attribute: {err}")))?;
        match a.key.local_name().as_ref() {
            "key" => key = Some(a.value.into_owned()),
            "value" => {
                value = Some(
                    a.normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|err| xes_err(position, format!("bad attribute value: {err}")))?
                        .into_owned(),
                )
            }
            _ => {}
        }
    }
    Ok((key, value))
}

impl State<'_> {
    /// An attribute element directly inside a trace or event.
    fn attribute(
        &mut self,
        parent: Scope,
        e: &BytesStart<'_>,
        position: u64,
    ) -> Result<(), LogFileError> {
        let tag = e.local_name();
        let tag = tag.as_ref();
        let typed_value = matches!(tag, "string" | "id" | "int" | "float" | "boolean" | "date");
        let wanted = matches!(
            (parent, tag),
            (Scope::Trace, "string" | "id" | "int") | (Scope::Event, "string" | "date")
        ) || (self.segment.is_some() && typed_value);
        if !wanted {
            return Ok(());
        }
        let (key, value) = key_value(e, position)?;
        let (Some(key), Some(value)) = (key, value) else {
            return Ok(());
        };
        if typed_value && self.segment.as_ref().is_some_and(|s| s.column() == key) {
            match parent {
                Scope::Trace => self.trace_segment = Some(value.clone()),
                Scope::Event => self.event.segment = Some(value.clone()),
                Scope::Log | Scope::Other => {}
            }
        }
        match (parent, key.as_str()) {
            (Scope::Trace, "concept:name") => {
                if value.is_empty() {
                    return Err(LogFileError::EmptyCaseId {
                        line: position,
                        field: "trace concept:name".to_owned(),
                    });
                }
                for event in std::mem::take(&mut self.buffered) {
                    if let (Some(segment), Some(v)) = (self.segment.as_deref_mut(), &event.segment)
                    {
                        segment.offer(&value, event.timestamp, v);
                    }
                    self.builder
                        .push(&value, &event.activity, event.timestamp)?;
                }
                self.case = Some(value);
            }
            (Scope::Event, "concept:name") if tag == "string" => self.event.activity = Some(value),
            (Scope::Event, "time:timestamp") if tag == "date" => {
                let t = parse_timestamp_ms(&value).ok_or_else(|| {
                    xes_err(
                        position,
                        format!("bad timestamp {value:?} in event time:timestamp"),
                    )
                })?;
                self.event.timestamp = Some(t);
            }
            _ => {}
        }
        Ok(())
    }

    fn end_event(&mut self, position: u64) -> Result<(), LogFileError> {
        let ev = std::mem::take(&mut self.event);
        let activity = ev
            .activity
            .ok_or_else(|| xes_err(position, "event without concept:name"))?;
        let ts = ev
            .timestamp
            .ok_or_else(|| xes_err(position, "event without time:timestamp"))?;
        match &self.case {
            Some(c) => {
                if let (Some(segment), Some(v)) = (self.segment.as_deref_mut(), &ev.segment) {
                    segment.offer(c, ts, v);
                }
                self.builder.push(c, &activity, ts)?;
            }
            None => self.buffered.push(Buffered {
                activity,
                timestamp: ts,
                segment: ev.segment,
            }),
        }
        Ok(())
    }

    fn end_trace(&mut self, position: u64) -> Result<(), LogFileError> {
        let trace_segment = self.trace_segment.take();
        match self.case.take() {
            None if !self.buffered.is_empty() => {
                return Err(xes_err(position, "trace without concept:name"));
            }
            Some(case) => {
                if let (Some(segment), Some(v)) = (self.segment.as_deref_mut(), trace_segment) {
                    segment.set_for_case(&case, &v);
                }
            }
            None => {}
        }
        self.buffered.clear();
        Ok(())
    }
}

fn child_scope(parent: Scope, tag: &str) -> Scope {
    match (parent, tag) {
        (Scope::Log, "trace") => Scope::Trace,
        (Scope::Trace, "event") => Scope::Event,
        _ => Scope::Other,
    }
}

/// Reads an XES document; with `segment`, that attribute is collected per case as well.
pub(crate) fn read_xes<R: BufRead>(
    input: R,
    gzip: bool,
    segment: Option<&mut CaseAttribute>,
) -> Result<EventLog, LogFileError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::with_capacity(4096);
    let mut stack: Vec<Scope> = Vec::with_capacity(16);
    let mut st = State {
        builder: EventLogBuilder::new(),
        case: None,
        buffered: Vec::new(),
        event: PendingEvent::default(),
        segment,
        trace_segment: None,
    };
    let mut seen_log = false;
    loop {
        let position = reader.buffer_position();
        let ev = reader.read_event_into(&mut buf).map_err(|err| {
            let at = reader.error_position();
            match err {
                quick_xml::Error::Io(io) if gzip => {
                    LogFileError::Gzip(std::io::Error::new(io.kind(), io.to_string()))
                }
                other => xes_err(at, other.to_string()),
            }
        })?;
        match ev {
            Event::Start(e) => {
                let tag = e.local_name();
                let tag = tag.as_ref();
                let scope = match stack.last() {
                    None if tag == "log" => {
                        seen_log = true;
                        Scope::Log
                    }
                    None => {
                        return Err(xes_err(
                            position,
                            format!("root element is <{tag}>, expected <log>"),
                        ));
                    }
                    Some(&parent) => {
                        if matches!(parent, Scope::Trace | Scope::Event) {
                            st.attribute(parent, &e, position)?;
                        }
                        child_scope(parent, tag)
                    }
                };
                if scope == Scope::Event {
                    st.event = PendingEvent::default();
                }
                stack.push(scope);
            }
            Event::Empty(e) => {
                let tag = e.local_name();
                let tag = tag.as_ref();
                match stack.last() {
                    Some(&parent @ (Scope::Trace | Scope::Event)) => match child_scope(parent, tag)
                    {
                        Scope::Event => {
                            return Err(xes_err(position, "empty <event/> without concept:name"));
                        }
                        _ => st.attribute(parent, &e, position)?,
                    },
                    None if tag == "log" => seen_log = true,
                    _ => {}
                }
            }
            Event::End(_) => match stack.pop() {
                Some(Scope::Event) => st.end_event(position)?,
                Some(Scope::Trace) => st.end_trace(position)?,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !seen_log {
        return Err(xes_err(reader.buffer_position(), "no <log> element"));
    }
    if !stack.is_empty() {
        return Err(xes_err(
            reader.buffer_position(),
            "document ends inside an element",
        ));
    }
    Ok(st.builder.finish())
}
