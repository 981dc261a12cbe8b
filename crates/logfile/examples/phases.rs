//! Times loading and each analysis separately on one CSV/XES log:
//! `cargo run --release -p cxmap-logfile --example phases -- FILE`.
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let t = Instant::now();
    let Ok(log) = cxmap_logfile::read_path(std::path::Path::new(&path), &Default::default(), None)
    else {
        eprintln!("read failed");
        return;
    };
    println!(
        "load {:?} ({} events, {} cases)",
        t.elapsed(),
        log.event_count(),
        log.case_count()
    );
    let t = Instant::now();
    let d = cxmap_analytics::dfg(&log);
    println!("dfg {:?} ({} edges)", t.elapsed(), d.edges.len());
    let t = Instant::now();
    let v = cxmap_analytics::variants(&log, Some(20));
    println!("variants {:?} ({})", t.elapsed(), v.variants.len());
    let spec = cxmap_analytics::FunnelSpec {
        steps: ["visit_home", "search", "view_product", "add_to_cart"]
            .map(String::from)
            .to_vec(),
        window_ms: 30 * 86_400_000,
    };
    let t = Instant::now();
    let f = cxmap_analytics::funnel(&log, &spec);
    println!(
        "funnel {:?} ({:?})",
        t.elapsed(),
        f.steps.iter().map(|s| s.cases).collect::<Vec<_>>()
    );
}
