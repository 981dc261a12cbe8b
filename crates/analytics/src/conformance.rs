//! Conformance of observed cases with the designed journey.
//!
//! The design is the ordered list of the journey's touchpoints (activity
//! names). For one case:
//! - **in order**: the designed steps matched by a longest common
//!   subsequence of the design and the case's on-design events, i.e. the
//!   largest set of designed steps the customer visited in the designed order;
//! - **skipped**: designed steps whose activity never occurs in the case;
//! - **out of order**: designed steps that occur but are not in that
//!   longest in-order subsequence;
//! - **off design**: observed activities that are not on the design.
//!
//! **Fitness** of a case = in-order steps / designed steps (1.0 = every
//! designed step visited in the designed order; extra or repeated events do
//! not lower it, they are reported as off-design instead). Fitness of a log
//! = the mean case fitness. A design with no steps has fitness 1.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dict;
use crate::log::{CaseView, EventLog};

/// Conformance of one case.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CaseConformance {
    /// Designed step positions (0-based) visited in the designed order.
    pub in_order: Vec<usize>,
    /// Designed step positions never visited.
    pub skipped: Vec<usize>,
    /// Designed step positions visited, but not in the designed order.
    pub out_of_order: Vec<usize>,
    /// Codes of observed activities not on the design (distinct, ascending).
    pub off_design: Vec<u32>,
    /// `in_order.len() / design length`.
    pub fitness: f64,
}

/// Conformance summary of a log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conformance {
    /// Number of cases.
    pub cases: u64,
    /// Mean case fitness.
    pub fitness: f64,
    /// Cases with fitness 1 and no off-design activity.
    pub conforming_cases: u64,
    /// Per designed step, in design order.
    pub steps: Vec<ConformanceStep>,
    /// Observed activities not on the design: number of events.
    pub off_design_events: BTreeMap<String, u64>,
    /// Observed activities not on the design: number of cases.
    pub off_design_cases: BTreeMap<String, u64>,
}

/// How the cases treated one designed step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConformanceStep {
    /// The designed step's activity.
    pub activity: String,
    /// Cases that visited it in the designed order.
    pub in_order: u64,
    /// Cases that skipped it.
    pub skipped: u64,
    /// Cases that visited it out of order.
    pub out_of_order: u64,
}

/// Checks cases of one log against a design (resolved to the log's codes).
#[derive(Debug, Clone)]
pub struct ConformanceChecker {
    /// Design step → activity code in the log (`None`: never observed).
    design: Vec<Option<u32>>,
    /// Activity code → is it on the design.
    on_design: Vec<bool>,
    filtered: Vec<u32>,
    table: Vec<u32>,
}

impl ConformanceChecker {
    /// Resolves the designed steps against a log's activity dictionary.
    pub fn new(design: &[String], activity_names: &[String]) -> Self {
        let codes: Vec<Option<u32>> = design
            .iter()
            .map(|d| activity_names.iter().position(|n| n == d).map(|p| p as u32))
            .collect();
        let mut on_design = vec![false; activity_names.len()];
        for c in codes.iter().flatten() {
            if let Some(x) = on_design.get_mut(*c as usize) {
                *x = true;
            }
        }
        ConformanceChecker {
            design: codes,
            on_design,
            filtered: Vec::new(),
            table: Vec::new(),
        }
    }

    /// Conformance of one case.
    pub fn check(&mut self, case: &CaseView<'_>) -> CaseConformance {
        let m = self.design.len();
        self.filtered.clear();
        let mut off: Vec<u32> = Vec::new();
        for &a in case.activities {
            if self.on_design.get(a as usize).copied().unwrap_or(false) {
                self.filtered.push(a);
            } else {
                off.push(a);
            }
        }
        off.sort_unstable();
        off.dedup();
        let n = self.filtered.len();
        // LCS table, (m + 1) × (n + 1), suffix form so backtracking walks forward.
        let w = n + 1;
        self.table.clear();
        self.table.resize((m + 1) * w, 0);
        for i in (0..m).rev() {
            for j in (0..n).rev() {
                let v = if self.design[i] == Some(self.filtered[j]) {
                    self.table[(i + 1) * w + j + 1] + 1
                } else {
                    self.table[(i + 1) * w + j].max(self.table[i * w + j + 1])
                };
                self.table[i * w + j] = v;
            }
        }
        let mut matched = vec![false; m];
        let (mut i, mut j) = (0, 0);
        while i < m && j < n {
            if self.design[i] == Some(self.filtered[j])
                && self.table[i * w + j] == self.table[(i + 1) * w + j + 1] + 1
            {
                matched[i] = true;
                i += 1;
                j += 1;
            } else if self.table[(i + 1) * w + j] >= self.table[i * w + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
        let mut out = CaseConformance {
            off_design: off,
            ..CaseConformance::default()
        };
        for (pos, (&hit, code)) in matched.iter().zip(&self.design).enumerate() {
            let seen = code.is_some_and(|c| self.filtered.contains(&c));
            if hit {
                out.in_order.push(pos);
            } else if seen {
                out.out_of_order.push(pos);
            } else {
                out.skipped.push(pos);
            }
        }
        out.fitness = if m == 0 {
            1.0
        } else {
            out.in_order.len() as f64 / m as f64
        };
        out
    }
}

/// Per-partition conformance sums.
#[derive(Debug, Clone)]
pub struct ConformancePartial {
    names: Vec<String>,
    cases: u64,
    fitness_sum: f64,
    conforming: u64,
    in_order: Vec<u64>,
    skipped: Vec<u64>,
    out_of_order: Vec<u64>,
    off_events: Vec<u64>,
    off_cases: Vec<u64>,
}

impl ConformancePartial {
    /// An empty partial for a design of `steps` steps and a log with this
    /// activity dictionary.
    pub fn new(steps: usize, activity_names: &[String]) -> Self {
        ConformancePartial {
            names: activity_names.to_vec(),
            cases: 0,
            fitness_sum: 0.0,
            conforming: 0,
            in_order: vec![0; steps],
            skipped: vec![0; steps],
            out_of_order: vec![0; steps],
            off_events: vec![0; activity_names.len()],
            off_cases: vec![0; activity_names.len()],
        }
    }

    /// Adds one case and its conformance.
    pub fn add(&mut self, case: &CaseView<'_>, c: &CaseConformance) {
        self.cases += 1;
        self.fitness_sum += c.fitness;
        if c.fitness >= 1.0 && c.off_design.is_empty() {
            self.conforming += 1;
        }
        for (v, idx) in [
            (&mut self.in_order, &c.in_order),
            (&mut self.skipped, &c.skipped),
            (&mut self.out_of_order, &c.out_of_order),
        ] {
            for &p in idx {
                if let Some(x) = v.get_mut(p) {
                    *x += 1;
                }
            }
        }
        for &a in &c.off_design {
            if let Some(x) = self.off_cases.get_mut(a as usize) {
                *x += 1;
            }
        }
        if !c.off_design.is_empty() {
            for &a in case.activities {
                if c.off_design.binary_search(&a).is_ok()
                    && let Some(x) = self.off_events.get_mut(a as usize)
                {
                    *x += 1;
                }
            }
        }
    }

    /// Adds another partition's partial (same design; dictionaries may differ).
    pub fn merge(&mut self, other: ConformancePartial) {
        let remap = dict::remap(&mut self.names, &other.names);
        let r = remap.as_deref();
        let n = self.names.len();
        self.off_events.resize(n, 0);
        self.off_cases.resize(n, 0);
        self.cases += other.cases;
        self.fitness_sum += other.fitness_sum;
        self.conforming += other.conforming;
        for (a, b) in [
            (&mut self.in_order, other.in_order),
            (&mut self.skipped, other.skipped),
            (&mut self.out_of_order, other.out_of_order),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (c, (e, k)) in other
            .off_events
            .into_iter()
            .zip(other.off_cases)
            .enumerate()
        {
            let m = dict::code(r, c as u32) as usize;
            if let (Some(x), Some(y)) = (self.off_events.get_mut(m), self.off_cases.get_mut(m)) {
                *x += e;
                *y += k;
            }
        }
    }

    /// The finished summary, named by `design`.
    pub fn finish(self, design: &[String]) -> Conformance {
        let named = |v: &[u64]| -> BTreeMap<String, u64> {
            v.iter()
                .enumerate()
                .filter(|(_, x)| **x > 0)
                .map(|(i, &x)| (dict::name(&self.names, i as u32).to_owned(), x))
                .collect()
        };
        Conformance {
            cases: self.cases,
            fitness: if self.cases == 0 {
                1.0
            } else {
                self.fitness_sum / self.cases as f64
            },
            conforming_cases: self.conforming,
            steps: design
                .iter()
                .enumerate()
                .map(|(i, a)| ConformanceStep {
                    activity: a.clone(),
                    in_order: self.in_order.get(i).copied().unwrap_or(0),
                    skipped: self.skipped.get(i).copied().unwrap_or(0),
                    out_of_order: self.out_of_order.get(i).copied().unwrap_or(0),
                })
                .collect(),
            off_design_events: named(&self.off_events),
            off_design_cases: named(&self.off_cases),
        }
    }
}

/// Conformance of a whole log with a designed ordered list of activities.
pub fn conformance(log: &EventLog, design: &[String]) -> Conformance {
    let mut checker = ConformanceChecker::new(design, log.activity_names());
    let mut p = ConformancePartial::new(design.len(), log.activity_names());
    for case in log.cases() {
        let c = checker.check(&case);
        p.add(&case, &c);
    }
    p.finish(design)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;

    fn design(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn one(acts: &[&str], d: &[&str]) -> (CaseConformance, Vec<String>) {
        let mut b = EventLogBuilder::new();
        for (i, a) in acts.iter().enumerate() {
            b.push("c", a, i as i64).unwrap();
        }
        let log = b.finish();
        let mut ch = ConformanceChecker::new(&design(d), log.activity_names());
        let c = ch.check(&log.case(0).unwrap());
        let off = c
            .off_design
            .iter()
            .map(|&a| log.activity_names()[a as usize].clone())
            .collect();
        (c, off)
    }

    #[test]
    fn perfect_case_has_fitness_one() {
        let (c, off) = one(&["A", "B", "C"], &["A", "B", "C"]);
        assert_eq!(c.in_order, vec![0, 1, 2]);
        assert!(c.skipped.is_empty() && c.out_of_order.is_empty() && off.is_empty());
        assert_eq!(c.fitness, 1.0);
    }

    #[test]
    fn skipped_out_of_order_and_off_design() {
        // Design A B C D; observed C A X B: A,B in order (LCS 2), C out of order, D skipped.
        let (c, off) = one(&["C", "A", "X", "B"], &["A", "B", "C", "D"]);
        assert_eq!(c.in_order, vec![0, 1]);
        assert_eq!(c.out_of_order, vec![2]);
        assert_eq!(c.skipped, vec![3]);
        assert_eq!(off, vec!["X"]);
        assert_eq!(c.fitness, 0.5);
    }

    #[test]
    fn log_summary_counts_and_mean_fitness() {
        let mut b = EventLogBuilder::new();
        for (c, a) in [
            ("1", "A"),
            ("1", "B"),
            ("2", "B"),
            ("2", "A"),
            ("2", "Z"),
            ("2", "Z"),
        ] {
            b.push(c, a, 0).unwrap();
        }
        let log = b.finish();
        let r = conformance(&log, &design(&["A", "B"]));
        assert_eq!(r.cases, 2);
        assert_eq!(r.conforming_cases, 1);
        assert!((r.fitness - 0.75).abs() < 1e-12);
        assert_eq!(r.steps[0].in_order + r.steps[1].in_order, 3);
        assert_eq!(r.steps[0].out_of_order + r.steps[1].out_of_order, 1);
        assert_eq!(r.off_design_events["Z"], 2);
        assert_eq!(r.off_design_cases["Z"], 1);
    }

    #[test]
    fn empty_design_fits_everything() {
        let (c, off) = one(&["A"], &[]);
        assert_eq!(c.fitness, 1.0);
        assert_eq!(off, vec!["A"]);
    }
}
