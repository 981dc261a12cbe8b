//! The parallel fast path for plain CSV files must give exactly what the
//! sequential csv-crate reader gives, including tie order, quotes, CP949 and
//! error line numbers.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use cxmap_logfile::{LogFileError, ReadOptions, read, read_path};

fn opts(threads: usize) -> ReadOptions {
    ReadOptions {
        parallel_min_bytes: 0,
        threads,
        ..ReadOptions::default()
    }
}

fn generated(rows: usize, quote_every: usize) -> String {
    let mut s = String::from("case_id,activity,timestamp,note\r\n");
    let mut x: u64 = 12345;
    for i in 0..rows {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let case = (x >> 33) % 97;
        let act = ["방문", "장바구니", "결제", "문의"][((x >> 20) % 4) as usize];
        let sec = (x >> 40) % 30; // many ties
        let note = if quote_every > 0 && i % quote_every == 0 {
            "\"a, \"\"b\"\"\""
        } else {
            "n"
        };
        s.push_str(&format!(
            "c{case},{act},2024-03-01 00:00:{sec:02},{note}\r\n"
        ));
    }
    s
}

#[test]
fn parallel_ranges_equal_sequential_reader() {
    let dir = tempfile::tempdir().unwrap();
    for (rows, quote_every) in [(5000, 0), (5000, 7), (3, 0), (0, 0)] {
        let text = generated(rows, quote_every);
        let p = dir.path().join("log.csv");
        std::fs::write(&p, &text).unwrap();
        let sequential = read(text.as_bytes(), 0, &ReadOptions::default(), None).unwrap();
        for threads in [1, 2, 3, 8] {
            let mut last = 0;
            let mut cb = |n: u64| last = n;
            let parallel = read_path(&p, &opts(threads), Some(&mut cb)).unwrap();
            assert_eq!(parallel, sequential, "rows {rows} threads {threads}");
            assert_eq!(last, text.len() as u64);
        }
    }
}

#[test]
fn multi_line_quoted_field_falls_back_to_the_sequential_reader() {
    let mut text = generated(3000, 0);
    text.push_str("c1,결제,2024-03-01 00:00:31,\"spans\ntwo lines\"\n");
    text.push_str(&generated(3000, 0).replace("case_id,activity,timestamp,note\r\n", ""));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("log.csv");
    std::fs::write(&p, &text).unwrap();
    let sequential = read(text.as_bytes(), 0, &ReadOptions::default(), None).unwrap();
    assert_eq!(read_path(&p, &opts(2), None).unwrap(), sequential);
}

#[test]
fn cp949_in_parallel() {
    let text = generated(4000, 5);
    let (bytes, _, _) = encoding_rs::EUC_KR.encode(&text);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("log.csv");
    std::fs::write(&p, &bytes).unwrap();
    let expected = read(text.as_bytes(), 0, &ReadOptions::default(), None).unwrap();
    assert_eq!(read_path(&p, &opts(2), None).unwrap(), expected);
}

#[test]
fn errors_in_later_ranges_report_absolute_lines() {
    let mut text = generated(4000, 0);
    text.push_str("c1,A,not-a-time,n\r\n"); // line 4002
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("log.csv");
    std::fs::write(&p, &text).unwrap();
    for threads in [1, 2, 4] {
        let e = read_path(&p, &opts(threads), None).unwrap_err();
        assert!(
            matches!(e, LogFileError::BadTimestamp { line: 4002, .. }),
            "{threads}: {e}"
        );
    }
    let seq = read(text.as_bytes(), 0, &ReadOptions::default(), None).unwrap_err();
    assert!(
        matches!(seq, LogFileError::BadTimestamp { line: 4002, .. }),
        "{seq}"
    );
}
