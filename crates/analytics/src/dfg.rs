//! Directly-follows graph (process map).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::dict;
use crate::hash::FxBuild;
use crate::log::{CaseView, EventLog};

/// The directly-follows graph of a log, as in the `cxmap analyze dfg` contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dfg {
    /// Number of cases.
    pub cases: u64,
    /// Number of events.
    pub events: u64,
    /// Events per activity.
    pub activities: BTreeMap<String, u64>,
    /// Cases per first activity.
    pub start: BTreeMap<String, u64>,
    /// Cases per last activity.
    pub end: BTreeMap<String, u64>,
    /// Directly-follows edges, ordered by `count` descending, then `from`
    /// ascending, then `to` ascending (byte order of the UTF-8 names), so the
    /// output is deterministic.
    pub edges: Vec<DfgEdge>,
}

/// One directly-follows relation: `to` happened right after `from` in a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DfgEdge {
    /// The earlier activity.
    pub from: String,
    /// The activity that directly followed it.
    pub to: String,
    /// How many times `to` directly followed `from`, over all cases.
    pub count: u64,
    /// Mean time between the two events, in seconds.
    pub mean_seconds: f64,
}

/// Edge counts and duration sums, dense for small dictionaries.
#[derive(Debug, Clone)]
enum EdgeTable {
    /// `n × n` row-major cells: (count, sum of milliseconds).
    Dense { n: usize, cells: Vec<(u64, i128)> },
    /// Keyed by `from << 32 | to`.
    Sparse(HashMap<u64, (u64, i128), FxBuild>),
}

/// Up to this many activities the edge table is a dense matrix (≤ 16 MiB).
const DENSE_LIMIT: usize = 1024;

impl EdgeTable {
    fn new(n: usize) -> Self {
        if n <= DENSE_LIMIT {
            EdgeTable::Dense {
                n,
                cells: vec![(0, 0); n * n],
            }
        } else {
            EdgeTable::Sparse(HashMap::default())
        }
    }

    #[inline]
    fn add(&mut self, from: u32, to: u32, count: u64, sum_ms: i128) {
        match self {
            EdgeTable::Dense { n, cells } => {
                if let Some(cell) = cells.get_mut(from as usize * *n + to as usize) {
                    cell.0 += count;
                    cell.1 += sum_ms;
                }
            }
            EdgeTable::Sparse(map) => {
                let cell = map
                    .entry(u64::from(from) << 32 | u64::from(to))
                    .or_insert((0, 0));
                cell.0 += count;
                cell.1 += sum_ms;
            }
        }
    }

    fn entries(&self) -> Vec<(u32, u32, u64, i128)> {
        match self {
            EdgeTable::Dense { n, cells } => cells
                .iter()
                .enumerate()
                .filter(|(_, c)| c.0 > 0)
                .map(|(i, c)| ((i / *n) as u32, (i % *n) as u32, c.0, c.1))
                .collect(),
            EdgeTable::Sparse(map) => map
                .iter()
                .map(|(k, c)| ((k >> 32) as u32, *k as u32, c.0, c.1))
                .collect(),
        }
    }

    /// Re-lays the table out for a dictionary grown to `n` activities.
    fn grow(&mut self, n: usize) {
        if let EdgeTable::Dense { n: old, .. } = self
            && *old == n
        {
            return;
        }
        let entries = self.entries();
        let mut fresh = EdgeTable::new(n);
        for (f, t, c, s) in entries {
            fresh.add(f, t, c, s);
        }
        *self = fresh;
    }
}

/// The per-partition state of a DFG: add cases, merge partitions, finish.
#[derive(Debug, Clone)]
pub struct DfgPartial {
    names: Vec<String>,
    cases: u64,
    events: u64,
    activity_counts: Vec<u64>,
    start: Vec<u64>,
    end: Vec<u64>,
    edges: EdgeTable,
}

impl DfgPartial {
    /// An empty partial for cases of a log with this activity dictionary.
    pub fn new(activity_names: &[String]) -> Self {
        let n = activity_names.len();
        DfgPartial {
            names: activity_names.to_vec(),
            cases: 0,
            events: 0,
            activity_counts: vec![0; n],
            start: vec![0; n],
            end: vec![0; n],
            edges: EdgeTable::new(n),
        }
    }

    /// Adds one case, whose codes must come from this partial's dictionary.
    #[inline]
    pub fn add_case(&mut self, case: &CaseView<'_>) {
        let acts = case.activities;
        let (Some(&first), Some(&last)) = (acts.first(), acts.last()) else {
            return;
        };
        self.cases += 1;
        self.events += acts.len() as u64;
        bump(&mut self.start, first);
        bump(&mut self.end, last);
        for &a in acts {
            bump(&mut self.activity_counts, a);
        }
        for (a, t) in acts.windows(2).zip(case.timestamps.windows(2)) {
            self.edges
                .add(a[0], a[1], 1, i128::from(t[1]) - i128::from(t[0]));
        }
    }

    /// Adds another partition's partial; dictionaries may differ.
    pub fn merge(&mut self, other: DfgPartial) {
        let remap = dict::remap(&mut self.names, &other.names);
        let n = self.names.len();
        self.activity_counts.resize(n, 0);
        self.start.resize(n, 0);
        self.end.resize(n, 0);
        self.edges.grow(n);
        let r = remap.as_deref();
        self.cases += other.cases;
        self.events += other.events;
        for (c, (&a, (&s, &e))) in other
            .activity_counts
            .iter()
            .zip(other.start.iter().zip(&other.end))
            .enumerate()
        {
            let m = dict::code(r, c as u32) as usize;
            if let (Some(x), Some(y), Some(z)) = (
                self.activity_counts.get_mut(m),
                self.start.get_mut(m),
                self.end.get_mut(m),
            ) {
                *x += a;
                *y += s;
                *z += e;
            }
        }
        for (f, t, c, s) in other.edges.entries() {
            self.edges.add(dict::code(r, f), dict::code(r, t), c, s);
        }
    }

    /// The finished graph with names and ordered edges.
    pub fn finish(self) -> Dfg {
        let named = |counts: &[u64]| -> BTreeMap<String, u64> {
            counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, &c)| (dict::name(&self.names, i as u32).to_owned(), c))
                .collect()
        };
        let mut edges: Vec<DfgEdge> = self
            .edges
            .entries()
            .into_iter()
            .map(|(f, t, c, s)| DfgEdge {
                from: dict::name(&self.names, f).to_owned(),
                to: dict::name(&self.names, t).to_owned(),
                count: c,
                mean_seconds: s as f64 / c as f64 / 1000.0,
            })
            .collect();
        edges.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.from.cmp(&b.from))
                .then_with(|| a.to.cmp(&b.to))
        });
        Dfg {
            cases: self.cases,
            events: self.events,
            activities: named(&self.activity_counts),
            start: named(&self.start),
            end: named(&self.end),
            edges,
        }
    }
}

#[inline]
fn bump(v: &mut [u64], c: u32) {
    if let Some(x) = v.get_mut(c as usize) {
        *x += 1;
    }
}

/// The directly-follows graph of a whole log.
pub fn dfg(log: &EventLog) -> Dfg {
    log.fold_cases(
        || DfgPartial::new(log.activity_names()),
        |p, case| p.add_case(case),
        DfgPartial::merge,
    )
    .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;

    fn log(events: &[(&str, &str, i64)]) -> EventLog {
        let mut b = EventLogBuilder::new();
        for &(c, a, t) in events {
            b.push(c, a, t).unwrap();
        }
        b.finish()
    }

    #[test]
    fn counts_edges_starts_ends_and_mean_seconds() {
        let l = log(&[
            ("1", "A", 0),
            ("1", "B", 2000),
            ("1", "C", 3000),
            ("2", "A", 0),
            ("2", "B", 4000),
            ("3", "C", 0),
        ]);
        let d = dfg(&l);
        assert_eq!(d.cases, 3);
        assert_eq!(d.events, 6);
        assert_eq!(d.activities["A"], 2);
        assert_eq!(d.start["A"], 2);
        assert_eq!(d.start["C"], 1);
        assert_eq!(d.end["B"], 1);
        assert_eq!(d.end["C"], 2);
        assert_eq!(d.edges.len(), 2);
        assert_eq!(
            (d.edges[0].from.as_str(), d.edges[0].to.as_str()),
            ("A", "B")
        );
        assert_eq!(d.edges[0].count, 2);
        assert!((d.edges[0].mean_seconds - 3.0).abs() < 1e-9);
        assert_eq!(d.edges[1].count, 1);
        assert!((d.edges[1].mean_seconds - 1.0).abs() < 1e-9);
    }

    #[test]
    fn edge_order_is_count_desc_then_names() {
        let l = log(&[("1", "B", 0), ("1", "A", 1), ("2", "A", 0), ("2", "B", 1)]);
        let d = dfg(&l);
        let names: Vec<_> = d
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect();
        assert_eq!(names, vec![("A", "B"), ("B", "A")]);
    }

    #[test]
    fn merging_partitions_with_different_dictionaries_equals_whole() {
        let events = [
            ("1", "A", 0),
            ("1", "B", 10),
            ("2", "C", 0),
            ("2", "A", 5),
            ("3", "B", 0),
            ("3", "C", 7),
        ];
        let whole = dfg(&log(&events));
        let left = log(&events[..2]);
        let right = log(&events[2..]);
        let mut p = DfgPartial::new(left.activity_names());
        left.cases().for_each(|c| p.add_case(&c));
        let mut q = DfgPartial::new(right.activity_names());
        right.cases().for_each(|c| q.add_case(&c));
        p.merge(q);
        assert_eq!(p.finish(), whole);
    }

    #[test]
    fn sparse_table_beyond_dense_limit_gives_same_edges() {
        let mut events = Vec::new();
        let names: Vec<String> = (0..DENSE_LIMIT + 5).map(|i| format!("a{i}")).collect();
        for (i, n) in names.iter().enumerate() {
            events.push((format!("c{}", i % 7), n.clone(), i as i64));
        }
        let mut b = EventLogBuilder::new();
        for (c, a, t) in &events {
            b.push(c, a, *t).unwrap();
        }
        let d = dfg(&b.finish());
        assert_eq!(
            d.edges.iter().map(|e| e.count).sum::<u64>(),
            (names.len() - 7) as u64
        );
    }
}
