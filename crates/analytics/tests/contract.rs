//! The JSON shapes of the `cxmap analyze` contract, pinned with insta, and
//! the partial/merge property on a random-ish log.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use cxmap_analytics::{
    DfgPartial, EventLogBuilder, FunnelSpec, VariantsPartial, conformance, dfg, funnel, variants,
};

fn sample() -> cxmap_analytics::EventLog {
    let mut b = EventLogBuilder::new();
    let events = [
        ("c1", "방문", 0),
        ("c1", "장바구니", 60_000),
        ("c1", "결제", 120_000),
        ("c2", "방문", 0),
        ("c2", "결제", 30_000),
        ("c3", "방문", 0),
        ("c3", "장바구니", 0),
        ("c3", "결제", 90_000),
        ("c4", "방문", 10),
    ];
    for (c, a, t) in events {
        b.push(c, a, t).unwrap();
    }
    b.finish()
}

#[test]
fn dfg_json_shape() {
    insta::assert_json_snapshot!(dfg(&sample()));
}

#[test]
fn variants_json_shape() {
    insta::assert_json_snapshot!(variants(&sample(), Some(2)));
}

#[test]
fn funnel_json_shape() {
    let spec = FunnelSpec {
        steps: vec!["방문".into(), "장바구니".into(), "결제".into()],
        window_ms: 100_000,
    };
    insta::assert_json_snapshot!(funnel(&sample(), &spec));
}

#[test]
fn conformance_json_shape() {
    let design = vec!["방문".to_owned(), "장바구니".to_owned(), "결제".to_owned()];
    insta::assert_json_snapshot!(conformance(&sample(), &design));
}

#[test]
fn partitioned_dfg_and_variants_equal_whole_log() {
    // Partition cases by a hash of the id into three logs, as a sharded store would.
    let mut parts = [
        EventLogBuilder::new(),
        EventLogBuilder::new(),
        EventLogBuilder::new(),
    ];
    let mut whole = EventLogBuilder::new();
    let mut x: u64 = 7;
    for i in 0..3000u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let case = format!("case{}", (x >> 33) % 400);
        let act = format!("act{}", (x >> 20) % 9);
        let ts = ((x >> 40) % 50) as i64 * 1000 + i as i64 % 3;
        whole.push(&case, &act, ts).unwrap();
        let p = case.bytes().map(u64::from).sum::<u64>() % 3;
        parts[p as usize].push(&case, &act, ts).unwrap();
    }
    let whole = whole.finish();
    let logs: Vec<_> = parts.into_iter().map(EventLogBuilder::finish).collect();
    let mut d = DfgPartial::new(&[]);
    let mut v = VariantsPartial::new(&[]);
    for l in &logs {
        let mut dp = DfgPartial::new(l.activity_names());
        let mut vp = VariantsPartial::new(l.activity_names());
        for c in l.cases() {
            dp.add_case(&c);
            vp.add_case(&c);
        }
        d.merge(dp);
        v.merge(vp);
    }
    let merged = d.finish();
    let expected = dfg(&whole);
    assert_eq!(merged.edges.len(), expected.edges.len());
    for (a, b) in merged.edges.iter().zip(&expected.edges) {
        assert_eq!((&a.from, &a.to, a.count), (&b.from, &b.to, b.count));
        assert!((a.mean_seconds - b.mean_seconds).abs() < 1e-9);
    }
    assert_eq!(merged.activities, expected.activities);
    assert_eq!(merged.start, expected.start);
    assert_eq!(v.finish(Some(10)), variants(&whole, Some(10)));
}
