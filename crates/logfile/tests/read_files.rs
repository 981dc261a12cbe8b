//! Reads the fixture files and generated variants (CP949, gzip) end to end.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::io::Write;
use std::path::PathBuf;

use cxmap_logfile::{
    Format, LogFileError, ReadOptions, TextEncoding, encoding_from_label, read, read_path,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

const T0: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z

fn expected_csv() -> Vec<(String, Vec<(String, i64)>)> {
    vec![
        (
            "c1".into(),
            vec![
                ("방문".into(), T0),
                ("장바구니".into(), T0 + 300_000),
                ("결제".into(), T0 + 450_500),
            ],
        ),
        (
            "c2".into(),
            vec![("방문".into(), T0), ("문의, 전화".into(), T0)],
        ),
    ]
}

#[test]
fn csv_fixture_orders_by_case_then_time_with_ties_in_file_order() {
    let mut last = 0;
    let mut cb = |n: u64| last = n;
    let log = read_path(
        &fixture("small.csv"),
        &ReadOptions::default(),
        Some(&mut cb),
    )
    .unwrap();
    assert_eq!(common::traces(&log), expected_csv());
    assert_eq!(last, std::fs::metadata(fixture("small.csv")).unwrap().len());
}

#[test]
fn csv_with_bom_and_other_column_names() {
    let text = "\u{feff}id;what;when\nx;A;2024-03-01 00:00:01\nx;B;2024-03-01 00:00:00\n";
    let opts = ReadOptions {
        case_column: "id".into(),
        activity_column: "what".into(),
        timestamp_column: "when".into(),
        delimiter: b';',
        ..ReadOptions::default()
    };
    let log = read(text.as_bytes(), 0, &opts, None).unwrap();
    assert_eq!(
        common::traces(&log),
        vec![("x".into(), vec![("B".into(), T0), ("A".into(), T0 + 1000)])]
    );
}

#[test]
fn cp949_csv_is_detected_and_can_be_forced() {
    let utf8 = std::fs::read_to_string(fixture("small.csv")).unwrap();
    let (bytes, _, bad) = encoding_rs::EUC_KR.encode(&utf8);
    assert!(!bad);
    assert!(std::str::from_utf8(&bytes).is_err());
    let auto = read(&bytes[..], 0, &ReadOptions::default(), None).unwrap();
    assert_eq!(common::traces(&auto), expected_csv());
    let forced = ReadOptions {
        encoding: TextEncoding::Fixed(encoding_from_label("cp949").unwrap()),
        ..ReadOptions::default()
    };
    assert_eq!(
        common::traces(&read(&bytes[..], 0, &forced, None).unwrap()),
        expected_csv()
    );
    // Forcing UTF-8 on CP949 bytes names the line and field.
    let utf = ReadOptions {
        encoding: TextEncoding::Fixed(encoding_rs::UTF_8),
        ..ReadOptions::default()
    };
    let err = read(&bytes[..], 0, &utf, None).unwrap_err();
    assert!(
        matches!(err, LogFileError::BadText { line: 2, .. }),
        "{err}"
    );
}

#[test]
fn xes_fixture() {
    let log = read_path(&fixture("small.xes"), &ReadOptions::default(), None).unwrap();
    assert_eq!(
        common::traces(&log),
        vec![
            (
                "t1".into(),
                vec![
                    ("decide".into(), T0 + 8 * 3_600_000 + 59 * 60_000),
                    ("register & check".into(), T0 + 9 * 3_600_000)
                ]
            ),
            ("t2".into(), vec![("고객 문의".into(), T0 + 86_400_000)]),
        ]
    );
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_xes_and_gzip_csv_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let xes = std::fs::read(fixture("small.xes")).unwrap();
    let p = dir.path().join("log.xes.gz");
    std::fs::write(&p, gz(&xes)).unwrap();
    let a = read_path(&p, &ReadOptions::default(), None).unwrap();
    let b = read_path(&fixture("small.xes"), &ReadOptions::default(), None).unwrap();
    assert_eq!(a, b);
    let csv = std::fs::read(fixture("small.csv")).unwrap();
    let q = dir.path().join("log.csv.gz");
    std::fs::write(&q, gz(&csv)).unwrap();
    assert_eq!(
        common::traces(&read_path(&q, &ReadOptions::default(), None).unwrap()),
        expected_csv()
    );
}

#[test]
fn logs_read_through_a_pipe_equal_the_same_files() {
    let csv = std::fs::read(fixture("small.csv")).unwrap();
    let xes = std::fs::read(fixture("small.xes")).unwrap();
    let opts = ReadOptions::default();
    // The fixtures are smaller than the bytes taken to tell the format apart, so the CSV is also
    // padded past them with more events of one case.
    let mut long_csv = csv.clone();
    for i in 0..500 {
        long_csv.extend_from_slice(format!("c3,방문 {i},2024-03-02 00:00:00\n").as_bytes());
    }
    let dir = tempfile::tempdir().unwrap();
    let long_path = dir.path().join("long.csv");
    std::fs::write(&long_path, &long_csv).unwrap();
    assert!(long_csv.len() > 3 * 4096);
    for (bytes, file) in [
        (csv.clone(), fixture("small.csv")),
        (gz(&csv), fixture("small.csv")),
        (xes.clone(), fixture("small.xes")),
        (gz(&xes), fixture("small.xes")),
        (long_csv.clone(), long_path.clone()),
        (gz(&long_csv), long_path.clone()),
    ] {
        let piped = common::through_pipe(bytes, |p| read_path(p, &opts, None)).unwrap();
        assert_eq!(
            piped,
            read_path(&file, &opts, None).unwrap(),
            "{}",
            file.display()
        );
    }
    assert_eq!(
        common::traces(&common::through_pipe(csv, |p| read_path(p, &opts, None)).unwrap()),
        expected_csv()
    );
    // An error still names the line.
    let bad = b"case_id,activity,timestamp\nc1,a,2024-03-01 00:00:00\nc1,b,yesterday\n".to_vec();
    let err = common::through_pipe(bad, |p| read_path(p, &opts, None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn broken_gzip_is_reported() {
    let mut data = gz(&std::fs::read(fixture("small.xes")).unwrap());
    data.truncate(data.len() / 2);
    let err = read(&data[..], 0, &ReadOptions::default(), None).unwrap_err();
    assert!(
        matches!(err, LogFileError::Gzip(_) | LogFileError::Xes { .. }),
        "{err}"
    );
    let garbage = [0x1f, 0x8b, 0, 0, 0, 0];
    let err = read(&garbage[..], 0, &ReadOptions::default(), None).unwrap_err();
    assert!(matches!(err, LogFileError::Gzip(_)), "{err}");
}

#[test]
fn csv_errors_name_line_and_field() {
    let opts = ReadOptions::default();
    let err = |s: &str| read(s.as_bytes(), 0, &opts, None).unwrap_err();
    let e = err("case_id,activity,timestamp\na,B,2024-01-01\nb,C,not a time\n");
    assert!(
        matches!(&e, LogFileError::BadTimestamp { line: 3, field, .. } if field == "timestamp"),
        "{e}"
    );
    assert!(e.to_string().contains("line 3"));
    let e = err("case,activity,timestamp\n");
    assert!(
        matches!(&e, LogFileError::MissingColumn { column, .. } if column == "case_id"),
        "{e}"
    );
    let e = err("case_id,activity,timestamp\n,B,2024-01-01\n");
    assert!(
        matches!(e, LogFileError::EmptyCaseId { line: 2, .. }),
        "{e}"
    );
    let e = err("case_id,activity,timestamp\na,B\n");
    assert!(
        matches!(&e, LogFileError::MissingField { line: 2, field } if field == "timestamp"),
        "{e}"
    );
    let long = format!(
        "case_id,activity,timestamp\na,{},2024-01-01\n",
        "x".repeat(2000)
    );
    let small = ReadOptions {
        max_line_bytes: 1000,
        ..ReadOptions::default()
    };
    let e = read(long.as_bytes(), 0, &small, None).unwrap_err();
    assert!(
        matches!(
            e,
            LogFileError::LineTooLong {
                line: 2,
                limit: 1000
            }
        ),
        "{e}"
    );
}

#[test]
fn xes_errors_name_the_position_and_attribute() {
    let opts = ReadOptions {
        format: Some(Format::Xes),
        ..ReadOptions::default()
    };
    let doc = r#"<log><trace><string key="concept:name" value="t"/><event><string key="concept:name" value="A"/><date key="time:timestamp" value="soon"/></event></trace></log>"#;
    let e = read(doc.as_bytes(), 0, &opts, None).unwrap_err();
    assert!(
        matches!(&e, LogFileError::Xes { message, .. } if message.contains("time:timestamp")),
        "{e}"
    );
    let doc = r#"<log><trace><event><string key="concept:name" value="A"/></event></trace></log>"#;
    let e = read(doc.as_bytes(), 0, &opts, None).unwrap_err();
    assert!(e.to_string().contains("without time:timestamp"), "{e}");
    let e = read("<log><trace>".as_bytes(), 0, &opts, None).unwrap_err();
    assert!(matches!(e, LogFileError::Xes { .. }), "{e}");
}
