//! Exact window funnels.
//!
//! For each case the funnel level is the length of the longest prefix
//! `s_1 … s_k` of the step list for which events `e_1 … e_k` exist with
//! `activity(e_i) = s_i`, `t(e_1) < t(e_2) < … < t(e_k)` (strictly later: two
//! events at the same instant never follow each other) and
//! `t(e_k) − t(e_1) ≤ window`. This is the exact maximum over all chains.
//!
//! # Algorithm
//! One pass over the case's events in time order, keeping for every level
//! `k` the **latest start** of any chain that reaches level `k` with its last
//! event at or before the current instant (`None` when no such chain exists).
//! A later start dominates an earlier one: both chains end no later than now,
//! so either can be extended by any strictly later event, and the later start
//! leaves more room in the window. Events of one instant are processed as a
//! group against the state *before* that instant and their updates applied
//! afterwards, so same-instant events cannot chain. An event matching step
//! `j + 1` extends level `j` when `t − start ≤ window`. Cost: O(events ×
//! occurrences of the activity in the step list) per case, O(steps) memory.
//!
//! The same pass gives the shortest time to reach every level: a chain that
//! reaches level `k` at instant `t` is shortest when its start is latest.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::log::{CaseView, EventLog};

/// What to count: ordered steps (activity names) and a window in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelSpec {
    /// The ordered step list; an activity may appear more than once.
    pub steps: Vec<String>,
    /// Maximum time from the first to the last matched step (inclusive), ms.
    pub window_ms: i64,
}

/// Funnel result, as in the `cxmap analyze funnel` contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    /// Number of cases.
    pub cases: u64,
    /// One entry per step, in step order.
    pub steps: Vec<FunnelStep>,
}

/// One funnel step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStep {
    /// The step's activity.
    pub activity: String,
    /// Cases that reached at least this step (level ≥ position + 1).
    pub cases: u64,
    /// Cases that reached the previous step (all cases for the first step)
    /// but not this one.
    pub drop_off: u64,
    /// `cases` / cases of the previous step (of all cases for the first);
    /// `null` when that denominator is 0.
    pub conversion: Option<f64>,
    /// Median over the cases that reached this step of the shortest time
    /// from their first step to this step, in seconds; `null` for the first
    /// step or when no case reached it.
    pub median_seconds_from_first: Option<f64>,
}

/// What one case achieved in the funnel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseFunnel {
    /// Funnel level: number of steps reached (0..=steps).
    pub level: usize,
    /// `min_ms[k]` is the shortest first-to-last time of a chain reaching
    /// level `k + 1`, for `k < level` (`min_ms[0]` is always 0).
    pub min_ms: Vec<i64>,
}

/// Evaluates the funnel on cases of one log (the step list is resolved to the
/// log's activity codes once).
#[derive(Debug, Clone)]
pub struct FunnelMatcher {
    steps: usize,
    window_ms: i64,
    /// For each activity code, the step indices (0-based) it matches.
    positions: Vec<Vec<usize>>,
    best: Vec<Option<i64>>,
    pending: Vec<Option<i64>>,
}

impl FunnelMatcher {
    /// Resolves `spec` against a log's activity dictionary.
    pub fn new(spec: &FunnelSpec, activity_names: &[String]) -> Self {
        let mut positions = vec![Vec::new(); activity_names.len()];
        for (code, name) in activity_names.iter().enumerate() {
            for (j, step) in spec.steps.iter().enumerate().rev() {
                if step == name {
                    positions[code].push(j);
                }
            }
        }
        let n = spec.steps.len();
        FunnelMatcher {
            steps: n,
            window_ms: spec.window_ms,
            positions,
            best: vec![None; n + 1],
            pending: vec![None; n + 1],
        }
    }

    /// The level and shortest times of one case.
    pub fn evaluate(&mut self, case: &CaseView<'_>, out: &mut CaseFunnel) {
        out.level = 0;
        out.min_ms.clear();
        let n = self.steps;
        if n == 0 {
            return;
        }
        // best[k]: latest start of a chain reaching level k (1-based) ending
        // strictly before the current instant's group.
        self.best.iter_mut().for_each(|b| *b = None);
        let acts = case.activities;
        let ts = case.timestamps;
        let mut i = 0;
        while i < acts.len() {
            let t = ts[i];
            let mut j = i;
            let mut touched = false;
            while j < acts.len() && ts[j] == t {
                if let Some(pos) = self.positions.get(acts[j] as usize) {
                    for &p in pos {
                        let start = if p == 0 {
                            Some(t)
                        } else {
                            match self.best[p] {
                                Some(s) if t - s <= self.window_ms => Some(s),
                                _ => None,
                            }
                        };
                        if let Some(s) = start {
                            let slot = &mut self.pending[p + 1];
                            if slot.is_none_or(|cur| s > cur) {
                                *slot = Some(s);
                            }
                            touched = true;
                        }
                    }
                }
                j += 1;
            }
            if touched {
                for k in 1..=n {
                    if let Some(s) = self.pending[k].take() {
                        let d = t - s;
                        if self.best[k].is_none_or(|cur| s > cur) {
                            self.best[k] = Some(s);
                        }
                        if k > out.level {
                            out.level = k;
                            out.min_ms.push(d);
                        } else if let Some(m) = out.min_ms.get_mut(k - 1)
                            && d < *m
                        {
                            *m = d;
                        }
                    }
                }
            }
            i = j;
        }
        // Level k + 1 can only be reached from a level k reached at an earlier
        // instant, so levels first appear one at a time and in order: `min_ms`
        // lines up with levels.
        out.min_ms.truncate(out.level);
    }
}

/// Per-partition funnel counts: cases per exact level and shortest times.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunnelPartial {
    cases: u64,
    /// `exact[l]`: cases whose level is exactly `l` (len = steps + 1).
    exact: Vec<u64>,
    /// `durations[k]`: shortest times (ms) to reach level `k + 1`.
    durations: Vec<Vec<i64>>,
}

impl FunnelPartial {
    /// An empty partial for a funnel of `steps` steps.
    pub fn new(steps: usize) -> Self {
        FunnelPartial {
            cases: 0,
            exact: vec![0; steps + 1],
            durations: vec![Vec::new(); steps],
        }
    }

    /// Adds one evaluated case.
    #[inline]
    pub fn add(&mut self, case: &CaseFunnel) {
        self.cases += 1;
        if let Some(x) = self.exact.get_mut(case.level) {
            *x += 1;
        }
        // Level 1 always has duration 0; keep only what carries information.
        for (k, &d) in case.min_ms.iter().enumerate().skip(1) {
            if let Some(v) = self.durations.get_mut(k) {
                v.push(d);
            }
        }
    }

    /// Adds another partition's partial (same step list).
    pub fn merge(&mut self, other: FunnelPartial) {
        self.cases += other.cases;
        if self.exact.len() < other.exact.len() {
            self.exact.resize(other.exact.len(), 0);
            self.durations.resize(other.durations.len(), Vec::new());
        }
        for (a, b) in self.exact.iter_mut().zip(other.exact) {
            *a += b;
        }
        for (a, b) in self.durations.iter_mut().zip(other.durations) {
            a.extend(b);
        }
    }

    /// The finished funnel, named by `spec`.
    pub fn finish(mut self, spec: &FunnelSpec) -> Funnel {
        let n = spec.steps.len();
        // at_least[l] = cases with level ≥ l
        let mut at_least = vec![0u64; n + 2];
        for l in (0..=n).rev() {
            at_least[l] = at_least[l + 1] + self.exact.get(l).copied().unwrap_or(0);
        }
        let steps = spec
            .steps
            .iter()
            .enumerate()
            .map(|(i, activity)| {
                let reached = at_least[i + 1];
                let previous = at_least[i];
                let median = if i == 0 {
                    None
                } else {
                    self.durations
                        .get_mut(i)
                        .and_then(|v| median_ms(v))
                        .map(|ms| ms / 1000.0)
                };
                FunnelStep {
                    activity: activity.clone(),
                    cases: reached,
                    drop_off: previous - reached,
                    conversion: (previous > 0).then(|| reached as f64 / previous as f64),
                    median_seconds_from_first: median,
                }
            })
            .collect();
        Funnel {
            cases: self.cases,
            steps,
        }
    }
}

/// Median of a slice (mean of the two middle values for even lengths).
pub(crate) fn median_ms(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    let (_, &mut upper, _) = v.select_nth_unstable(mid);
    if v.len() % 2 == 1 {
        Some(upper as f64)
    } else {
        let lower = v[..mid].iter().copied().max().unwrap_or(upper);
        Some((lower as f64 + upper as f64) / 2.0)
    }
}

/// The funnel of a whole log.
pub fn funnel(log: &EventLog, spec: &FunnelSpec) -> Funnel {
    let matcher = FunnelMatcher::new(spec, log.activity_names());
    let (_, total, _) = log.fold_cases(
        || {
            (
                matcher.clone(),
                FunnelPartial::new(spec.steps.len()),
                CaseFunnel::default(),
            )
        },
        |(m, p, out), case| {
            m.evaluate(case, out);
            p.add(out);
        },
        |(_, total, _), (_, p, _)| total.merge(p),
    );
    total.finish(spec)
}

/// The funnel of a whole log and the same funnel per segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentedFunnel<K> {
    /// Every case, as [`funnel`] gives it.
    pub total: Funnel,
    /// The cases of each segment.
    pub segments: BTreeMap<K, Funnel>,
}

/// The funnel of a whole log and split by a per-case segment (e.g. channel or persona), each
/// case evaluated once. Cases for which `segment_of` answers `None` count in the total only.
pub fn funnel_by_segment<K, F>(
    log: &EventLog,
    spec: &FunnelSpec,
    mut segment_of: F,
) -> SegmentedFunnel<K>
where
    K: Ord,
    F: FnMut(&CaseView<'_>) -> Option<K>,
{
    let mut m = FunnelMatcher::new(spec, log.activity_names());
    let mut total = FunnelPartial::new(spec.steps.len());
    let mut parts: BTreeMap<K, FunnelPartial> = BTreeMap::new();
    let mut out = CaseFunnel::default();
    for case in log.cases() {
        m.evaluate(&case, &mut out);
        total.add(&out);
        if let Some(seg) = segment_of(&case) {
            parts
                .entry(seg)
                .or_insert_with(|| FunnelPartial::new(spec.steps.len()))
                .add(&out);
        }
    }
    SegmentedFunnel {
        total: total.finish(spec),
        segments: parts
            .into_iter()
            .map(|(k, p)| (k, p.finish(spec)))
            .collect(),
    }
}

/// One segment's funnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelSegment {
    /// The segment's value; `null` for the cases without one.
    pub segment: Option<String>,
    /// The funnel of the segment's cases.
    #[serde(flatten)]
    pub funnel: Funnel,
}

/// A funnel and, when split, the same funnel per segment: the shape the API and
/// `cxmap analyze funnel` answer (the contract's funnel, plus `segments` when split).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelReport {
    /// Every case.
    #[serde(flatten)]
    pub funnel: Funnel,
    /// By cases (most first), then `null` last among equals, then value; only when split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<FunnelSegment>>,
}

impl From<Funnel> for FunnelReport {
    fn from(funnel: Funnel) -> Self {
        FunnelReport {
            funnel,
            segments: None,
        }
    }
}

impl From<SegmentedFunnel<Option<String>>> for FunnelReport {
    fn from(split: SegmentedFunnel<Option<String>>) -> Self {
        let mut segments: Vec<FunnelSegment> = split
            .segments
            .into_iter()
            .map(|(segment, funnel)| FunnelSegment { segment, funnel })
            .collect();
        segments.sort_by(|a, b| {
            b.funnel
                .cases
                .cmp(&a.funnel.cases)
                .then_with(|| a.segment.is_none().cmp(&b.segment.is_none()))
                .then_with(|| a.segment.cmp(&b.segment))
        });
        FunnelReport {
            funnel: split.total,
            segments: Some(segments),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;
    use proptest::prelude::*;

    fn case_log(events: &[(&str, i64)]) -> EventLog {
        let mut b = EventLogBuilder::new();
        for &(a, t) in events {
            b.push("c", a, t).unwrap();
        }
        b.finish()
    }

    fn spec(steps: &[&str], window_ms: i64) -> FunnelSpec {
        FunnelSpec {
            steps: steps.iter().map(|s| s.to_string()).collect(),
            window_ms,
        }
    }

    fn eval(events: &[(&str, i64)], s: &FunnelSpec) -> CaseFunnel {
        let log = case_log(events);
        let mut m = FunnelMatcher::new(s, log.activity_names());
        let mut out = CaseFunnel::default();
        if let Some(c) = log.case(0) {
            m.evaluate(&c, &mut out);
        }
        out
    }

    /// Enumerates every chain; returns (level, shortest time per level).
    fn brute(events: &[(u8, i64)], steps: &[u8], window: i64) -> (usize, Vec<i64>) {
        fn go(
            events: &[(u8, i64)],
            steps: &[u8],
            window: i64,
            k: usize,
            start: i64,
            last: i64,
            best: &mut Vec<Option<i64>>,
        ) {
            let d = last - start;
            if best[k - 1].is_none_or(|b| d < b) {
                best[k - 1] = Some(d);
            }
            if k == steps.len() {
                return;
            }
            for &(a, t) in events {
                if a == steps[k] && t > last && t - start <= window {
                    go(events, steps, window, k + 1, start, t, best);
                }
            }
        }
        let mut best = vec![None; steps.len()];
        if !steps.is_empty() {
            for &(a, t) in events {
                if a == steps[0] {
                    go(events, steps, window, 1, t, t, &mut best);
                }
            }
        }
        let level = best.iter().take_while(|b| b.is_some()).count();
        (level, best.into_iter().take(level).flatten().collect())
    }

    #[test]
    fn greedy_scan_would_fail_but_exact_finds_later_start() {
        // A@0 B@50 (too late for window 10 from A@0), A@45 B@50 fits.
        let s = spec(&["A", "B", "C"], 10);
        let r = eval(&[("A", 0), ("A", 45), ("B", 50), ("C", 55)], &s);
        assert_eq!(r.level, 3);
        assert_eq!(r.min_ms, vec![0, 5, 10]);
    }

    #[test]
    fn same_instant_events_do_not_chain() {
        let s = spec(&["A", "B"], 100);
        assert_eq!(eval(&[("A", 5), ("B", 5)], &s).level, 1);
        assert_eq!(eval(&[("B", 5), ("A", 5), ("B", 6)], &s).level, 2);
        // Repeated step activity: A,A needs two A's at different instants.
        let s2 = spec(&["A", "A"], 100);
        assert_eq!(eval(&[("A", 5), ("A", 5)], &s2).level, 1);
        assert_eq!(eval(&[("A", 5), ("A", 6)], &s2).level, 2);
    }

    #[test]
    fn window_is_inclusive() {
        let s = spec(&["A", "B"], 10);
        assert_eq!(eval(&[("A", 0), ("B", 10)], &s).level, 2);
        assert_eq!(eval(&[("A", 0), ("B", 11)], &s).level, 1);
    }

    #[test]
    fn counts_drop_off_conversion_and_medians() {
        let mut b = EventLogBuilder::new();
        for (c, a, t) in [
            ("1", "A", 0),
            ("1", "B", 4000),
            ("2", "A", 0),
            ("2", "B", 2000),
            ("2", "C", 3000),
            ("3", "A", 0),
            ("4", "X", 0),
        ] {
            b.push(c, a, t).unwrap();
        }
        let log = b.finish();
        let f = funnel(&log, &spec(&["A", "B", "C"], 60_000));
        assert_eq!(f.cases, 4);
        let cases: Vec<u64> = f.steps.iter().map(|s| s.cases).collect();
        assert_eq!(cases, vec![3, 2, 1]);
        let drops: Vec<u64> = f.steps.iter().map(|s| s.drop_off).collect();
        assert_eq!(drops, vec![1, 1, 1]);
        assert_eq!(f.steps[1].conversion, Some(2.0 / 3.0));
        assert_eq!(f.steps[0].median_seconds_from_first, None);
        assert_eq!(f.steps[1].median_seconds_from_first, Some(3.0));
        assert_eq!(f.steps[2].median_seconds_from_first, Some(3.0));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["steps"][0]["activity"], "A");
        assert_eq!(json["steps"][2]["cases"], 1);

        let by = funnel_by_segment(&log, &spec(&["A", "B"], 60_000), |c| {
            Some(
                if c.id == "1" || c.id == "2" {
                    "web"
                } else {
                    "app"
                }
                .to_owned(),
            )
        });
        assert_eq!(by.segments["web"].steps[1].cases, 2);
        assert_eq!(by.segments["app"].cases, 2);
        assert_eq!(by.segments["app"].steps[0].cases, 1);
        assert_eq!(by.total, funnel(&log, &spec(&["A", "B"], 60_000)));
        // A case without a segment counts in the total only.
        let some = funnel_by_segment(&log, &spec(&["A", "B"], 60_000), |c| {
            (c.id != "1").then_some("rest")
        });
        assert_eq!(some.total, by.total);
        assert_eq!(some.segments["rest"].cases, 3);
    }

    #[test]
    fn a_report_ranks_segments_by_cases_then_null_last_then_value() {
        let mut b = EventLogBuilder::new();
        for case in ["1", "2", "3", "4", "5", "6", "7"] {
            b.push(case, "A", 0).unwrap();
        }
        let log = b.finish();
        let segment = |id: &str| match id {
            "1" | "2" | "3" => Some("web".to_owned()),
            "4" => Some("앱".to_owned()),
            "5" => Some("app".to_owned()),
            _ => None,
        };
        let report = FunnelReport::from(funnel_by_segment(&log, &spec(&["A"], 1), |c| {
            Some(segment(c.id))
        }));
        let order: Vec<(Option<&str>, u64)> = report
            .segments
            .iter()
            .flatten()
            .map(|s| (s.segment.as_deref(), s.funnel.cases))
            .collect();
        assert_eq!(
            order,
            [
                (Some("web"), 3),
                (None, 2),
                (Some("app"), 1),
                (Some("앱"), 1)
            ]
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["cases"], 7);
        assert_eq!(json["segments"][1]["segment"], serde_json::Value::Null);
        assert_eq!(json["segments"][0]["steps"][0]["cases"], 3);
        // Unsplit, the report is the contract's funnel with no `segments` key.
        let plain = serde_json::to_value(FunnelReport::from(report.funnel.clone())).unwrap();
        assert_eq!(plain, serde_json::to_value(&report.funnel).unwrap());
    }

    #[test]
    fn partials_merge_to_the_whole() {
        let s = spec(&["A", "B"], 5);
        let mut p = FunnelPartial::new(2);
        p.add(&CaseFunnel {
            level: 2,
            min_ms: vec![0, 3],
        });
        let mut q = FunnelPartial::new(2);
        q.add(&CaseFunnel {
            level: 1,
            min_ms: vec![0],
        });
        q.add(&CaseFunnel {
            level: 0,
            min_ms: vec![],
        });
        p.merge(q);
        let f = p.finish(&s);
        assert_eq!(f.cases, 3);
        assert_eq!(f.steps[0].cases, 2);
        assert_eq!(f.steps[1].cases, 1);
        assert_eq!(f.steps[1].median_seconds_from_first, Some(0.003));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn matches_brute_force(
            events in prop::collection::vec((0u8..4, 0i64..8), 0..9),
            steps in prop::collection::vec(0u8..4, 1..5),
            window in 0i64..9,
        ) {
            let names = ["A", "B", "C", "D"];
            let mut b = EventLogBuilder::new();
            for &(a, t) in &events {
                b.push("c", names[a as usize], t).unwrap();
            }
            let log = b.finish();
            let s = FunnelSpec { steps: steps.iter().map(|&a| names[a as usize].to_owned()).collect(), window_ms: window };
            let mut m = FunnelMatcher::new(&s, log.activity_names());
            let mut out = CaseFunnel::default();
            if let Some(c) = log.case(0) {
                m.evaluate(&c, &mut out);
            }
            let (level, mins) = brute(&events, &steps, window);
            prop_assert_eq!(out.level, level);
            prop_assert_eq!(out.min_ms, mins);
        }
    }
}
