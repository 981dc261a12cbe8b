//! Time between touchpoints and bottlenecks: the slowest directly-follows
//! transitions by mean and by median.

use std::collections::HashMap;

use serde::Serialize;

use crate::dict;
use crate::funnel::median_ms;
use crate::hash::FxBuild;
use crate::log::{CaseView, EventLog};

/// Timing of one directly-follows transition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeTiming {
    /// The earlier activity.
    pub from: String,
    /// The activity that directly followed it.
    pub to: String,
    /// Number of transitions.
    pub count: u64,
    /// Mean time between the two events, seconds.
    pub mean_seconds: f64,
    /// Median time between the two events, seconds.
    pub median_seconds: f64,
    /// Longest time between the two events, seconds.
    pub max_seconds: f64,
}

/// The slowest transitions of a log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bottlenecks {
    /// Transitions by mean time descending (ties: count desc, from, to).
    pub by_mean: Vec<EdgeTiming>,
    /// Transitions by median time descending (ties: count desc, from, to).
    pub by_median: Vec<EdgeTiming>,
}

/// Per-partition transition durations. Keeps every duration so medians are
/// exact; merging concatenates.
#[derive(Debug, Clone)]
pub struct EdgeTimingPartial {
    names: Vec<String>,
    durations: HashMap<(u32, u32), Vec<i64>, FxBuild>,
}

impl EdgeTimingPartial {
    /// An empty partial for cases of a log with this activity dictionary.
    pub fn new(activity_names: &[String]) -> Self {
        EdgeTimingPartial {
            names: activity_names.to_vec(),
            durations: HashMap::default(),
        }
    }

    /// Adds one case.
    pub fn add_case(&mut self, case: &CaseView<'_>) {
        for (a, t) in case.activities.windows(2).zip(case.timestamps.windows(2)) {
            self.durations
                .entry((a[0], a[1]))
                .or_default()
                .push(t[1] - t[0]);
        }
    }

    /// Adds another partition's partial; dictionaries may differ.
    pub fn merge(&mut self, other: EdgeTimingPartial) {
        let remap = dict::remap(&mut self.names, &other.names);
        let r = remap.as_deref();
        for ((f, t), d) in other.durations {
            self.durations
                .entry((dict::code(r, f), dict::code(r, t)))
                .or_default()
                .extend(d);
        }
    }

    /// Timing of every transition, ordered by mean descending.
    pub fn finish(self) -> Vec<EdgeTiming> {
        let names = self.names;
        let mut out: Vec<EdgeTiming> = self
            .durations
            .into_iter()
            .filter(|(_, d)| !d.is_empty())
            .map(|((f, t), mut d)| {
                let count = d.len() as u64;
                let sum: i128 = d.iter().map(|&x| i128::from(x)).sum();
                let max = d.iter().copied().max().unwrap_or(0);
                let median = median_ms(&mut d).unwrap_or(0.0);
                EdgeTiming {
                    from: dict::name(&names, f).to_owned(),
                    to: dict::name(&names, t).to_owned(),
                    count,
                    mean_seconds: sum as f64 / count as f64 / 1000.0,
                    median_seconds: median / 1000.0,
                    max_seconds: max as f64 / 1000.0,
                }
            })
            .collect();
        sort_by(&mut out, |e| e.mean_seconds);
        out
    }
}

fn sort_by(v: &mut [EdgeTiming], key: impl Fn(&EdgeTiming) -> f64) {
    v.sort_by(|a, b| {
        key(b)
            .total_cmp(&key(a))
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.from.cmp(&b.from))
            .then_with(|| a.to.cmp(&b.to))
    });
}

/// Time between touchpoints: every directly-follows transition with its
/// count, mean, median and maximum duration, slowest mean first.
pub fn edge_timings(log: &EventLog) -> Vec<EdgeTiming> {
    let mut p = EdgeTimingPartial::new(log.activity_names());
    for case in log.cases() {
        p.add_case(&case);
    }
    p.finish()
}

/// The `top` slowest transitions by mean and by median. Transitions seen
/// fewer than `min_count` times are ignored (a single slow case is noise).
pub fn bottlenecks(log: &EventLog, top: usize, min_count: u64) -> Bottlenecks {
    let all: Vec<EdgeTiming> = edge_timings(log)
        .into_iter()
        .filter(|e| e.count >= min_count)
        .collect();
    let mut by_median = all.clone();
    sort_by(&mut by_median, |e| e.median_seconds);
    by_median.truncate(top);
    let mut by_mean = all;
    by_mean.truncate(top);
    Bottlenecks { by_mean, by_median }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;

    #[test]
    fn slowest_by_mean_and_by_median_differ_when_one_outlier() {
        let mut b = EventLogBuilder::new();
        // A->B: 1s, 1s, 100s (mean 34, median 1). B->C: 10s, 10s (mean 10, median 10).
        for (i, d) in [1_000, 1_000, 100_000].into_iter().enumerate() {
            let c = format!("x{i}");
            b.push(&c, "A", 0).unwrap();
            b.push(&c, "B", d).unwrap();
            if i < 2 {
                b.push(&c, "C", d + 10_000).unwrap();
            }
        }
        let log = b.finish();
        let r = bottlenecks(&log, 5, 1);
        assert_eq!(r.by_mean[0].from, "A");
        assert!((r.by_mean[0].mean_seconds - 34.0).abs() < 1e-9);
        assert_eq!(r.by_mean[0].median_seconds, 1.0);
        assert_eq!(r.by_mean[0].max_seconds, 100.0);
        assert_eq!(r.by_median[0].from, "B");
        assert_eq!(r.by_median[0].median_seconds, 10.0);
        assert!(bottlenecks(&log, 5, 3).by_mean.len() == 1);
    }

    #[test]
    fn merge_concatenates_durations() {
        let mut b = EventLogBuilder::new();
        b.push("1", "A", 0).unwrap();
        b.push("1", "B", 2_000).unwrap();
        let l1 = b.finish();
        let mut b = EventLogBuilder::new();
        b.push("2", "B", 0).unwrap();
        b.push("2", "A", 0).unwrap();
        b.push("2", "B", 4_000).unwrap();
        let l2 = b.finish();
        let mut p = EdgeTimingPartial::new(l1.activity_names());
        l1.cases().for_each(|c| p.add_case(&c));
        let mut q = EdgeTimingPartial::new(l2.activity_names());
        l2.cases().for_each(|c| q.add_case(&c));
        p.merge(q);
        let all = p.finish();
        let ab = all.iter().find(|e| e.from == "A" && e.to == "B").unwrap();
        assert_eq!(ab.count, 2);
        assert_eq!(ab.median_seconds, 3.0);
    }
}
