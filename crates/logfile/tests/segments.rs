//! A segment column collected per case while a log is read, from every format.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use cxmap_analytics::EventLog;
use cxmap_logfile::{CaseAttribute, LogFileError, ReadOptions, read_path, read_path_with_segment};
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// c1: the earliest event with a channel is `search` (09:00), not the first line. c2: two
/// values at one instant, the first in the file wins. c3: no value at all (empty fields).
const CSV: &str = "case_id,activity,timestamp,channel,tier
c1,visit,2024-01-01 10:00:00,,1
c1,search,2024-01-01 09:00:00,app,2
c1,buy,2024-01-01 11:00:00,web,
c2,visit,2024-01-02 10:00:00,웹,
c2,search,2024-01-02 10:00:00,앱,
c3,visit,2024-01-03 10:00:00,,
";

const EXPECTED_CHANNEL: [(&str, Option<&str>); 3] =
    [("c1", Some("app")), ("c2", Some("웹")), ("c3", None)];

/// Every option that would send a plain CSV down the parallel path, which keeps three columns.
fn options() -> ReadOptions {
    ReadOptions {
        parallel_min_bytes: 0,
        threads: 2,
        ..ReadOptions::default()
    }
}

/// The cases in id order; the order of cases is not part of what a reader promises.
fn traces(log: &EventLog) -> Vec<(String, Vec<(String, i64)>)> {
    let mut traces = common::traces(log);
    traces.sort();
    traces
}

fn read_segment(path: &Path, column: &str) -> Result<(EventLog, CaseAttribute), LogFileError> {
    let mut segment = CaseAttribute::new(column);
    let log = read_path_with_segment(path, &options(), &mut segment, None)?;
    Ok((log, segment))
}

/// The log equals the one read without a segment, and the cases have `expected`.
fn check(path: &Path, column: &str, expected: &[(&str, Option<&str>)]) {
    let (log, segment) = read_segment(path, column).unwrap();
    let plain = read_path(path, &options(), None).unwrap();
    assert_eq!(traces(&log), traces(&plain), "{}", path.display());
    for (case, value) in expected {
        assert_eq!(segment.get(case), *value, "{} case {case}", path.display());
    }
    let with_value = expected.iter().filter(|(_, v)| v.is_some()).count();
    assert_eq!(segment.cases(), with_value, "{}", path.display());
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut e, bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn csv_and_gzip_csv_give_each_case_its_earliest_value() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("log.csv");
    std::fs::write(&csv, CSV).unwrap();
    check(&csv, "channel", &EXPECTED_CHANNEL);
    check(
        &csv,
        "tier",
        &[("c1", Some("2")), ("c2", None), ("c3", None)],
    );
    let gzip = dir.path().join("log.csv.gz");
    std::fs::write(&gzip, gz(CSV.as_bytes())).unwrap();
    check(&gzip, "channel", &EXPECTED_CHANNEL);
}

#[test]
fn a_missing_segment_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("log.csv");
    std::fs::write(&csv, CSV).unwrap();
    let err = read_segment(&csv, "region").unwrap_err();
    assert!(
        matches!(&err, LogFileError::MissingColumn { column, found }
            if column == "region" && found.contains("channel")),
        "{err}"
    );
    let parquet = dir.path().join("log.parquet");
    write_parquet(&parquet);
    let err = read_segment(&parquet, "region").unwrap_err();
    assert!(
        matches!(&err, LogFileError::MissingColumn { column, .. } if column == "region"),
        "{err}"
    );
}

#[test]
fn a_segment_value_in_a_legacy_encoding_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cp949.csv");
    let (bytes, _, _) = encoding_rs::EUC_KR.encode(CSV);
    std::fs::write(&csv, &bytes).unwrap();
    check(&csv, "channel", &EXPECTED_CHANNEL);
}

/// The CSV's rows as Parquet: `channel` an optional string, `tier` an optional INT32.
fn write_parquet(path: &Path) {
    let rows: Vec<Vec<&str>> = CSV
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let text = |i: usize| -> Vec<ByteArray> {
        rows.iter()
            .filter(|r| !r[i].is_empty())
            .map(|r| ByteArray::from(r[i]))
            .collect()
    };
    let defs =
        |i: usize| -> Vec<i16> { rows.iter().map(|r| i16::from(!r[i].is_empty())).collect() };
    let ts: Vec<i64> = rows
        .iter()
        .map(|r| cxmap_logfile::parse_timestamp_ms(r[2]).unwrap())
        .collect();
    let tiers: Vec<i32> = rows.iter().filter_map(|r| r[4].parse().ok()).collect();
    let schema = parse_message_type(
        "message log { REQUIRED BYTE_ARRAY case_id (UTF8); REQUIRED BYTE_ARRAY activity (UTF8); \
         REQUIRED INT64 timestamp (TIMESTAMP(MILLIS,true)); OPTIONAL BYTE_ARRAY channel (UTF8); \
         OPTIONAL INT32 tier; }",
    )
    .unwrap();
    let file = std::fs::File::create(path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(file, Arc::new(schema), props).unwrap();
    let mut group = w.next_row_group().unwrap();
    for i in [0, 1] {
        let mut col = group.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>()
            .write_batch(&text(i), None, None)
            .unwrap();
        col.close().unwrap();
    }
    let mut col = group.next_column().unwrap().unwrap();
    col.typed::<Int64Type>()
        .write_batch(&ts, None, None)
        .unwrap();
    col.close().unwrap();
    let mut col = group.next_column().unwrap().unwrap();
    col.typed::<ByteArrayType>()
        .write_batch(&text(3), Some(&defs(3)), None)
        .unwrap();
    col.close().unwrap();
    let mut col = group.next_column().unwrap().unwrap();
    col.typed::<Int32Type>()
        .write_batch(&tiers, Some(&defs(4)), None)
        .unwrap();
    col.close().unwrap();
    group.close().unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_gives_the_same_segments_as_csv_with_numbers_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("log.parquet");
    write_parquet(&parquet);
    check(&parquet, "channel", &EXPECTED_CHANNEL);
    check(
        &parquet,
        "tier",
        &[("c1", Some("2")), ("c2", None), ("c3", None)],
    );
}

#[test]
fn segments_read_through_a_pipe_equal_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("log.parquet");
    write_parquet(&parquet);
    for bytes in [
        CSV.as_bytes().to_vec(),
        gz(CSV.as_bytes()),
        std::fs::read(&parquet).unwrap(),
    ] {
        let mut segment = CaseAttribute::new("channel");
        let log = common::through_pipe(bytes, |path| {
            read_path_with_segment(path, &options(), &mut segment, None)
        })
        .unwrap();
        assert_eq!(log.case_count(), 3);
        for (case, value) in EXPECTED_CHANNEL {
            assert_eq!(segment.get(case), value, "case {case}");
        }
    }
}

/// c1: events only, the earliest (`search`) wins. c2: the trace's own value beats its
/// events'. c3: an `<int>` value. c4: an event seen before the trace's name still counts.
/// c5: no value.
const XES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace>
    <string key="concept:name" value="c1"/>
    <event><string key="concept:name" value="visit"/><date key="time:timestamp" value="2024-01-01T10:00:00Z"/><string key="channel" value="web"/></event>
    <event><string key="concept:name" value="search"/><date key="time:timestamp" value="2024-01-01T09:00:00Z"/><string key="channel" value="app"/></event>
  </trace>
  <trace>
    <event><string key="concept:name" value="visit"/><date key="time:timestamp" value="2024-01-02T10:00:00Z"/><string key="channel" value="web"/></event>
    <string key="concept:name" value="c2"/>
    <string key="channel" value="매장"/>
  </trace>
  <trace>
    <int key="channel" value="3"/>
    <string key="concept:name" value="c3"/>
    <event><string key="concept:name" value="visit"/><date key="time:timestamp" value="2024-01-03T10:00:00Z"/></event>
  </trace>
  <trace>
    <event><string key="concept:name" value="visit"/><date key="time:timestamp" value="2024-01-04T10:00:00Z"/><string key="channel" value="early"/></event>
    <string key="concept:name" value="c4"/>
  </trace>
  <trace>
    <string key="concept:name" value="c5"/>
    <event><string key="concept:name" value="visit"/><date key="time:timestamp" value="2024-01-05T10:00:00Z"/><list key="channel"><string key="channel" value="nested"/></list></event>
  </trace>
</log>
"#;

#[test]
fn xes_takes_trace_attributes_first_then_the_earliest_event() {
    let dir = tempfile::tempdir().unwrap();
    let xes = dir.path().join("log.xes");
    std::fs::write(&xes, XES).unwrap();
    let expected = [
        ("c1", Some("app")),
        ("c2", Some("매장")),
        ("c3", Some("3")),
        ("c4", Some("early")),
        ("c5", None),
    ];
    check(&xes, "channel", &expected);
    let gzip = dir.path().join("log.xes.gz");
    std::fs::write(&gzip, gz(XES.as_bytes())).unwrap();
    check(&gzip, "channel", &expected);
    // An attribute no trace or event has: every case without a value, no error.
    check(&xes, "region", &[("c1", None), ("c5", None)]);
}
