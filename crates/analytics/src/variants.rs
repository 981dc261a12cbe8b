//! Variants: distinct activity sequences and how many cases follow each.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::Serialize;

use crate::dict;
use crate::hash::{IdentityBuild, hash_codes};
use crate::log::{CaseView, EventLog};

/// Variants of a log, as in the `cxmap analyze variants` contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variants {
    /// Number of cases.
    pub cases: u64,
    /// Variants by `count` descending, ties by the activity-name sequences
    /// ascending (lexicographic, names compared by UTF-8 bytes).
    pub variants: Vec<Variant>,
}

/// One variant: an activity sequence and the number of cases that follow it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    /// The activities in order.
    pub activities: Vec<String>,
    /// Number of cases with exactly this sequence.
    pub count: u64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    len: usize,
    count: u64,
    /// Next entry with the same hash (collision chain), `u32::MAX` for none.
    next: u32,
}

/// Per-partition variant counts keyed by the hash of the code sequence;
/// sequences are stored once in an arena and compared on hash hits, so a
/// hash collision can never merge two variants.
#[derive(Debug, Clone)]
pub struct VariantsPartial {
    names: Vec<String>,
    cases: u64,
    arena: Vec<u32>,
    entries: Vec<Entry>,
    index: HashMap<u64, u32, IdentityBuild>,
}

const NONE: u32 = u32::MAX;

impl VariantsPartial {
    /// An empty partial for cases of a log with this activity dictionary.
    pub fn new(activity_names: &[String]) -> Self {
        VariantsPartial {
            names: activity_names.to_vec(),
            cases: 0,
            arena: Vec::new(),
            entries: Vec::new(),
            index: HashMap::default(),
        }
    }

    /// Adds one case.
    #[inline]
    pub fn add_case(&mut self, case: &CaseView<'_>) {
        self.cases += 1;
        self.add_sequence(case.activities, 1);
    }

    /// Number of distinct variants so far.
    pub fn distinct(&self) -> usize {
        self.entries.len()
    }

    fn add_sequence(&mut self, seq: &[u32], count: u64) {
        let h = hash_codes(seq);
        let mut head = NONE;
        if let Some(&first) = self.index.get(&h) {
            head = first;
            let mut i = first;
            while let Some(e) = self.entries.get_mut(i as usize) {
                if self.arena.get(e.start..e.start + e.len) == Some(seq) {
                    e.count += count;
                    return;
                }
                i = e.next;
            }
        }
        let id = self.entries.len() as u32;
        self.entries.push(Entry {
            start: self.arena.len(),
            len: seq.len(),
            count,
            next: head,
        });
        self.arena.extend_from_slice(seq);
        self.index.insert(h, id);
    }

    /// Adds another partition's partial; dictionaries may differ.
    pub fn merge(&mut self, other: VariantsPartial) {
        let remap = dict::remap(&mut self.names, &other.names);
        self.cases += other.cases;
        let mut buf = Vec::new();
        for e in &other.entries {
            let Some(seq) = other.arena.get(e.start..e.start + e.len) else {
                continue;
            };
            match &remap {
                None => self.add_sequence(seq, e.count),
                Some(m) => {
                    buf.clear();
                    buf.extend(seq.iter().map(|&c| dict::code(Some(m), c)));
                    self.add_sequence(&buf, e.count);
                }
            }
        }
    }

    /// The `top` most frequent variants (all when `None`).
    pub fn finish(self, top: Option<usize>) -> Variants {
        // Compare names through the dictionary without materialising strings.
        let names = &self.names;
        let arena = &self.arena;
        let seq = |e: &Entry| arena.get(e.start..e.start + e.len).unwrap_or(&[]);
        let cmp = |a: &Entry, b: &Entry| -> Ordering {
            b.count.cmp(&a.count).then_with(|| {
                seq(a)
                    .iter()
                    .map(|&c| dict::name(names, c))
                    .cmp(seq(b).iter().map(|&c| dict::name(names, c)))
            })
        };
        let mut entries = self.entries.clone();
        let k = top.unwrap_or(entries.len()).min(entries.len());
        if k < entries.len() && k > 0 {
            entries.select_nth_unstable_by(k - 1, cmp);
            entries.truncate(k);
        } else {
            entries.truncate(k);
        }
        entries.sort_unstable_by(cmp);
        Variants {
            cases: self.cases,
            variants: entries
                .iter()
                .map(|e| Variant {
                    activities: seq(e)
                        .iter()
                        .map(|&c| dict::name(names, c).to_owned())
                        .collect(),
                    count: e.count,
                })
                .collect(),
        }
    }
}

/// The `top` most frequent variants of a log (all when `None`).
pub fn variants(log: &EventLog, top: Option<usize>) -> Variants {
    log.fold_cases(
        || VariantsPartial::new(log.activity_names()),
        |p, case| p.add_case(case),
        VariantsPartial::merge,
    )
    .finish(top)
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

    fn acts(v: &Variant) -> Vec<&str> {
        v.activities.iter().map(String::as_str).collect()
    }

    #[test]
    fn counts_and_orders_by_count_then_names() {
        let l = log(&[
            ("1", "B", 0),
            ("2", "A", 0),
            ("2", "B", 1),
            ("3", "A", 0),
            ("3", "B", 1),
            ("4", "A", 0),
        ]);
        let v = variants(&l, None);
        assert_eq!(v.cases, 4);
        assert_eq!(v.variants.len(), 3);
        assert_eq!(acts(&v.variants[0]), ["A", "B"]);
        assert_eq!(v.variants[0].count, 2);
        // Ties: ["A"] < ["B"].
        assert_eq!(acts(&v.variants[1]), ["A"]);
        assert_eq!(acts(&v.variants[2]), ["B"]);
    }

    #[test]
    fn top_k_selects_the_same_prefix_as_a_full_sort() {
        let mut events = Vec::new();
        for i in 0..200 {
            let c = format!("c{i}");
            for j in 0..(i % 5) {
                events.push((c.clone(), format!("a{}", (i * 7 + j) % 4), j as i64));
            }
            events.push((c, "end".to_owned(), 99));
        }
        let mut b = EventLogBuilder::new();
        for (c, a, t) in &events {
            b.push(c, a, *t).unwrap();
        }
        let l = b.finish();
        let all = variants(&l, None);
        for k in [0, 1, 3, 7, 1000] {
            let top = variants(&l, Some(k));
            assert_eq!(
                top.variants.as_slice(),
                &all.variants[..k.min(all.variants.len())]
            );
        }
    }

    #[test]
    fn merge_with_other_dictionary_equals_whole() {
        let events = [
            ("1", "A", 0),
            ("1", "B", 1),
            ("2", "B", 0),
            ("3", "A", 0),
            ("3", "B", 1),
        ];
        let whole = variants(&log(&events), None);
        let (l, r) = (log(&events[..3]), log(&events[3..]));
        let mut p = VariantsPartial::new(r.activity_names());
        r.cases().for_each(|c| p.add_case(&c));
        let mut q = VariantsPartial::new(l.activity_names());
        l.cases().for_each(|c| q.add_case(&c));
        p.merge(q);
        assert_eq!(p.distinct(), 2);
        assert_eq!(p.finish(None), whole);
    }
}
