//! Parquet logs: written here with the `parquet` crate's own writer, read
//! back and compared with the same events read from CSV.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::sync::Arc;

use cxmap_analytics::EventLog;
use cxmap_logfile::{LogFileError, ReadOptions, read, read_path};
use parquet::basic::{Compression, Encoding};
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;

type Canon = Vec<(String, Vec<(String, i64)>)>;
/// A timestamp column: its schema line and how a millisecond value is stored.
type TsColumn = (&'static str, fn(i64) -> i64);

/// Cases sorted by id (case order is not part of a log's meaning).
fn canon(log: &EventLog) -> Canon {
    let names = log.activity_names();
    let mut v: Canon = log
        .cases()
        .map(|c| {
            let evs = c
                .activities
                .iter()
                .zip(c.timestamps)
                .map(|(&a, &t)| (names[a as usize].clone(), t))
                .collect();
            (c.id.to_owned(), evs)
        })
        .collect();
    v.sort();
    v
}

/// `rows` events with many cases, Korean names and timestamp ties.
fn events(rows: usize) -> Vec<(String, String, i64)> {
    let mut x: u64 = 99;
    (0..rows)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let case = format!("C{:05}", (x >> 33) % 3000);
            let act = ["방문", "search", "add_to_cart", "결제"][((x >> 20) % 4) as usize];
            let ms = 1_709_251_200_000 + ((x >> 40) % 50) as i64 * 1000;
            (case, act.to_owned(), ms)
        })
        .collect()
}

fn csv_of(evs: &[(String, String, i64)]) -> String {
    let mut s = String::from("case_id,activity,timestamp\n");
    for (c, a, ms) in evs {
        let t = chrono::DateTime::from_timestamp_millis(*ms).unwrap();
        s.push_str(&format!("{c},{a},{}\n", t.format("%Y-%m-%d %H:%M:%S")));
    }
    s
}

/// Writes `evs` as Parquet in row groups of `group` rows; the timestamp
/// column has the given schema line and values.
fn write_parquet(
    path: &std::path::Path,
    evs: &[(String, String, i64)],
    group: usize,
    ts_schema: &str,
    ts_value: fn(i64) -> i64,
) {
    let props = WriterProperties::builder().build();
    write_with(
        path, evs, group, ts_schema, ts_value, props, "REQUIRED", None,
    );
}

/// [`write_parquet`] with writer properties, the repetition of the string columns
/// (`REQUIRED` or `OPTIONAL`) and optionally one row whose case id is null.
#[allow(clippy::too_many_arguments)]
fn write_with<C: AsRef<[u8]>>(
    path: &std::path::Path,
    evs: &[(C, String, i64)],
    group: usize,
    ts_schema: &str,
    ts_value: fn(i64) -> i64,
    props: WriterProperties,
    repetition: &str,
    null_case_at: Option<usize>,
) {
    let schema = format!(
        "message log {{ {repetition} BYTE_ARRAY case_id (UTF8); \
         {repetition} BYTE_ARRAY activity (UTF8); {ts_schema} }}"
    );
    let schema = Arc::new(parse_message_type(&schema).unwrap());
    let optional = repetition == "OPTIONAL";
    let file = std::fs::File::create(path).unwrap();
    let mut w = SerializedFileWriter::new(file, schema, Arc::new(props)).unwrap();
    for (g, chunk) in evs.chunks(group).enumerate() {
        let mut rg = w.next_row_group().unwrap();
        let null_at = null_case_at.and_then(|r| r.checked_sub(g * group));
        let case_defs: Vec<i16> = (0..chunk.len())
            .map(|i| i16::from(Some(i) != null_at))
            .collect();
        let cases: Vec<ByteArray> = chunk
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != null_at)
            .map(|(_, e)| e.0.as_ref().to_vec().into())
            .collect();
        let acts: Vec<ByteArray> = chunk.iter().map(|e| e.1.as_str().into()).collect();
        let act_defs = vec![1i16; chunk.len()];
        let ts: Vec<i64> = chunk.iter().map(|e| ts_value(e.2)).collect();
        for (values, defs) in [(&cases, &case_defs), (&acts, &act_defs)] {
            let mut col = rg.next_column().unwrap().unwrap();
            col.typed::<ByteArrayType>()
                .write_batch(values, optional.then_some(defs.as_slice()), None)
                .unwrap();
            col.close().unwrap();
        }
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<Int64Type>()
            .write_batch(&ts, None, None)
            .unwrap();
        col.close().unwrap();
        rg.close().unwrap();
    }
    w.close().unwrap();
}

fn opts(threads: usize) -> ReadOptions {
    ReadOptions {
        threads,
        ..ReadOptions::default()
    }
}

#[test]
fn parquet_equals_the_same_events_from_csv() {
    let evs = events(20_000);
    let from_csv = read(csv_of(&evs).as_bytes(), 0, &ReadOptions::default(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases: [TsColumn; 3] = [
        (
            "REQUIRED INT64 timestamp (TIMESTAMP(MILLIS,false));",
            |ms| ms,
        ),
        ("REQUIRED INT64 timestamp (TIMESTAMP(MICROS,true));", |ms| {
            ms * 1000 + 999
        }),
        ("REQUIRED INT64 timestamp (TIMESTAMP(NANOS,true));", |ms| {
            ms * 1_000_000 + 5
        }),
    ];
    for (ts_schema, ts_value) in cases {
        let p = dir.path().join("log.parquet");
        write_parquet(&p, &evs, 7_000, ts_schema, ts_value);
        for threads in [1, 2, 3] {
            let mut last = 0;
            let mut cb = |n: u64| last = n;
            let log = read_path(&p, &opts(threads), Some(&mut cb)).unwrap();
            assert_eq!(log.activity_names(), from_csv.activity_names());
            assert_eq!(
                canon(&log),
                canon(&from_csv),
                "{ts_schema} threads {threads}"
            );
            assert!(last > 0);
        }
        // From a byte stream (e.g. an upload) as well.
        let bytes = std::fs::read(&p).unwrap();
        let log = read(bytes.as_slice(), 0, &ReadOptions::default(), None).unwrap();
        assert_eq!(canon(&log), canon(&from_csv));
        // And through a pipe, which cannot be reopened at its start.
        let log =
            common::through_pipe(bytes, |p| read_path(p, &ReadOptions::default(), None)).unwrap();
        assert_eq!(canon(&log), canon(&from_csv));
    }
}

/// A way of writing a file: its name and writer properties.
type Layout = (&'static str, fn() -> WriterProperties);

/// `canon` of a log read with `keep_activities`: every case, with only the kept events.
fn canon_keeping(log: &EventLog, keep: &[&str]) -> Canon {
    canon(log)
        .into_iter()
        .map(|(case, evs)| {
            let kept = evs.into_iter().filter(|e| keep.contains(&e.0.as_str()));
            (case, kept.collect())
        })
        .collect()
}

#[test]
fn every_string_page_layout_reads_the_same() {
    // Dictionary pages, plain pages, a dictionary that overflows into plain pages mid-chunk,
    // data pages v2 with many pages per chunk, and an encoding read by the typed reader; each
    // with required and optional (all present) string columns.
    let evs = events(20_000);
    let from_csv = read(csv_of(&evs).as_bytes(), 0, &ReadOptions::default(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("log.parquet");
    let layouts: [Layout; 5] = [
        ("dictionary", || WriterProperties::builder().build()),
        ("plain", || {
            WriterProperties::builder()
                .set_dictionary_enabled(false)
                .build()
        }),
        ("dictionary overflowing into plain pages", || {
            WriterProperties::builder()
                .set_dictionary_page_size_limit(2_000)
                .set_data_page_size_limit(4_000)
                .build()
        }),
        ("data pages v2", || {
            WriterProperties::builder()
                .set_writer_version(WriterVersion::PARQUET_2_0)
                .set_data_page_size_limit(2_000)
                .set_compression(Compression::SNAPPY)
                .build()
        }),
        ("delta byte array", || {
            WriterProperties::builder()
                .set_dictionary_enabled(false)
                .set_column_encoding(ColumnPath::from("case_id"), Encoding::DELTA_BYTE_ARRAY)
                .set_column_encoding(
                    ColumnPath::from("activity"),
                    Encoding::DELTA_LENGTH_BYTE_ARRAY,
                )
                .build()
        }),
    ];
    let ts_schema = "REQUIRED INT64 timestamp (TIMESTAMP(MILLIS,true));";
    let keep = ["search", "결제"];
    for (name, props) in layouts {
        let write = |repetition, null_case_at| {
            write_with(
                &p,
                &evs,
                7_000,
                ts_schema,
                |ms| ms,
                props(),
                repetition,
                null_case_at,
            );
        };
        for repetition in ["REQUIRED", "OPTIONAL"] {
            write(repetition, None);
            for threads in [1, 2] {
                let log = read_path(&p, &opts(threads), None).unwrap();
                assert_eq!(log.activity_names(), from_csv.activity_names(), "{name}");
                assert_eq!(canon(&log), canon(&from_csv), "{name} {repetition}");
                let options = ReadOptions {
                    keep_activities: Some(keep.map(str::to_owned).to_vec()),
                    ..opts(threads)
                };
                let funnel = read_path(&p, &options, None).unwrap();
                assert_eq!(
                    canon(&funnel),
                    canon_keeping(&from_csv, &keep),
                    "{name} {repetition} keeping {keep:?}"
                );
            }
        }
        // A null case id is named with its row, whatever the layout.
        write("OPTIONAL", Some(9_123));
        let e = read_path(&p, &opts(2), None).unwrap_err();
        assert!(
            matches!(&e, LogFileError::ParquetValue { row: 9_124, column, .. } if column == "case_id"),
            "{name}: {e}"
        );
    }
}

#[test]
fn missing_and_mistyped_columns_are_named() {
    let evs = events(10);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("log.parquet");
    write_parquet(
        &p,
        &evs,
        10,
        "REQUIRED INT64 ts (TIMESTAMP(MILLIS,true));",
        |ms| ms,
    );
    let e = read_path(&p, &opts(1), None).unwrap_err();
    assert!(
        matches!(&e, LogFileError::MissingColumn { column, .. } if column == "timestamp"),
        "{e}"
    );
    assert!(e.to_string().contains("ts"), "{e}");

    // An INT64 without a timestamp type has no unit: refused, naming the column.
    write_parquet(&p, &evs, 10, "REQUIRED INT64 timestamp;", |ms| ms);
    let e = read_path(&p, &opts(1), None).unwrap_err();
    assert!(
        matches!(&e, LogFileError::ColumnType { column, .. } if column == "timestamp"),
        "{e}"
    );
    assert!(e.to_string().contains("`timestamp`"), "{e}");

    // With --activity naming an integer column.
    let options = ReadOptions {
        activity_column: "timestamp".into(),
        ..opts(1)
    };
    let e = read_path(&p, &options, None).unwrap_err();
    assert!(
        matches!(&e, LogFileError::ColumnType { column, .. } if column == "timestamp"),
        "{e}"
    );
}

#[test]
fn nulls_and_integer_case_ids() {
    let schema = Arc::new(
        parse_message_type(
            "message log { REQUIRED INT32 case_id; OPTIONAL BYTE_ARRAY activity (UTF8); \
             REQUIRED INT32 timestamp (DATE); }",
        )
        .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("log.parquet");
    let write = |acts: &[Option<&str>]| {
        let file = std::fs::File::create(&p).unwrap();
        let props = Arc::new(WriterProperties::builder().build());
        let mut w = SerializedFileWriter::new(file, schema.clone(), props).unwrap();
        let mut rg = w.next_row_group().unwrap();
        let n = acts.len();
        let mut col = rg.next_column().unwrap().unwrap();
        let cases: Vec<i32> = (0..n as i32).map(|i| 7 + i % 2).collect();
        col.typed::<Int32Type>()
            .write_batch(&cases, None, None)
            .unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        let values: Vec<ByteArray> = acts.iter().flatten().map(|a| (*a).into()).collect();
        let defs: Vec<i16> = acts.iter().map(|a| i16::from(a.is_some())).collect();
        col.typed::<ByteArrayType>()
            .write_batch(&values, Some(&defs), None)
            .unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        let days: Vec<i32> = (0..n as i32).map(|i| 19_800 - i).collect();
        col.typed::<Int32Type>()
            .write_batch(&days, None, None)
            .unwrap();
        col.close().unwrap();
        rg.close().unwrap();
        w.close().unwrap();
    };
    write(&[Some("A"), Some("B"), Some("C")]);
    let log = read_path(&p, &opts(1), None).unwrap();
    let c = canon(&log);
    let day = 86_400_000;
    assert_eq!(
        c,
        vec![
            (
                "7".to_owned(),
                vec![
                    ("C".to_owned(), 19_798 * day),
                    ("A".to_owned(), 19_800 * day)
                ]
            ),
            ("8".to_owned(), vec![("B".to_owned(), 19_799 * day)]),
        ]
    );
    write(&[Some("A"), None, Some("C")]);
    let e = read_path(&p, &opts(1), None).unwrap_err();
    assert!(
        matches!(&e, LogFileError::ParquetValue { row: 2, column, .. } if column == "activity"),
        "{e}"
    );
    assert_eq!(e.to_string(), "row 2: `activity` is null");
}

#[test]
fn a_case_id_that_is_not_utf8_is_named_even_when_its_page_as_a_whole_is() {
    // Plain pages are checked as UTF-8 whole. Here the page is valid UTF-8 although the
    // second case id alone is not: its lone 0xC3 and the next value's length prefix (169 =
    // 0xA9) together spell "é".
    let long_id = "x".repeat(169);
    let evs: Vec<(Vec<u8>, String, i64)> = [b"C1".to_vec(), vec![0xC3], long_id.into_bytes()]
        .into_iter()
        .map(|case| (case, "visit".to_owned(), 1_709_251_200_000))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("log.parquet");
    let plain = || {
        WriterProperties::builder()
            .set_dictionary_enabled(false)
            .build()
    };
    let ts_schema = "REQUIRED INT64 timestamp (TIMESTAMP(MILLIS,true));";
    write_with(&p, &evs, 10, ts_schema, |ms| ms, plain(), "REQUIRED", None);
    for keep in [None, Some(vec!["other".to_owned()])] {
        let options = ReadOptions {
            keep_activities: keep,
            ..opts(1)
        };
        let e = read_path(&p, &options, None).unwrap_err();
        assert!(
            matches!(&e, LogFileError::ParquetValue { row: 2, column, .. } if column == "case_id"),
            "{e}"
        );
        assert_eq!(e.to_string(), "row 2: `case_id` is not valid UTF-8");
    }

    // Values of 128 bytes or more make a page that is not UTF-8 as a whole (their length
    // prefixes are not); such pages are checked value by value and read the same.
    let evs: Vec<(String, String, i64)> = (0..300)
        .map(|i| {
            let case = if i % 3 == 0 {
                "가".repeat(50 + i % 7)
            } else {
                format!("C{}", i % 11)
            };
            (case, "방문".to_owned(), 1_709_251_200_000 + i as i64 * 1000)
        })
        .collect();
    write_with(&p, &evs, 100, ts_schema, |ms| ms, plain(), "REQUIRED", None);
    let from_csv = read(csv_of(&evs).as_bytes(), 0, &ReadOptions::default(), None).unwrap();
    let log = read_path(&p, &opts(1), None).unwrap();
    assert_eq!(canon(&log), canon(&from_csv));
    assert_eq!(log.case_count(), 18);
}
