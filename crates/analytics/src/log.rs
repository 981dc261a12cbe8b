//! The columnar event log: dictionary-encoded activities, cases grouped once.

use crate::intern::Interner;

/// An immutable, columnar event log ready for analysis.
///
/// Events are grouped by case and, within a case, ordered by timestamp with
/// ties kept in the order they were pushed (file order). Cases appear in the
/// order of their first event in the input when built by [`EventLogBuilder`],
/// grouped by hash partition when built by a partitioned
/// [`RadixBuilder`](crate::RadixBuilder); no analysis result depends on the
/// order of cases, only on the order of events inside each case. A case may
/// have no events when the reader kept only some activities (see
/// [`RadixBuilder::push_case`](crate::RadixBuilder::push_case)).
///
/// Memory per event is 12 bytes (a `u32` activity code and an `i64`
/// timestamp) plus one `usize` offset and one id string per case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventLog {
    activity_names: Vec<String>,
    /// All case ids concatenated; `case_id_offsets[i]..case_id_offsets[i + 1]`
    /// is case `i` (one allocation instead of one `String` per case).
    case_id_arena: String,
    case_id_offsets: Vec<usize>,
    /// `case_starts[i]..case_starts[i + 1]` are the events of case `i`.
    case_starts: Vec<usize>,
    activities: Vec<u32>,
    timestamps: Vec<i64>,
}

/// One case of an [`EventLog`]: its events in order.
#[derive(Debug, Clone, Copy)]
pub struct CaseView<'a> {
    /// Position of the case in the log (`0..log.case_count()`).
    pub index: usize,
    /// The case id as it appeared in the input.
    pub id: &'a str,
    /// Activity codes of the events, in (timestamp, file) order; see [`EventLog::activity_names`].
    pub activities: &'a [u32],
    /// Timestamps in milliseconds since the Unix epoch (UTC), same order as `activities`.
    pub timestamps: &'a [i64],
}

impl EventLog {
    /// Number of cases (traces).
    pub fn case_count(&self) -> usize {
        self.case_starts.len().saturating_sub(1)
    }

    /// Number of events.
    pub fn event_count(&self) -> usize {
        self.activities.len()
    }

    /// The activity dictionary: code `c` names `activity_names()[c]`.
    pub fn activity_names(&self) -> &[String] {
        &self.activity_names
    }

    /// The code of an activity name, if it occurs in the log.
    pub fn activity_code(&self, name: &str) -> Option<u32> {
        self.activity_names
            .iter()
            .position(|n| n == name)
            .and_then(|p| u32::try_from(p).ok())
    }

    /// The id of the case at `index`.
    pub fn case_id(&self, index: usize) -> Option<&str> {
        let s = *self.case_id_offsets.get(index)?;
        let e = *self.case_id_offsets.get(index + 1)?;
        self.case_id_arena.get(s..e)
    }

    /// Case ids, in case order.
    pub fn case_ids(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.case_count()).filter_map(|i| self.case_id(i))
    }

    /// The case at `index`, or `None` past the end.
    pub fn case(&self, index: usize) -> Option<CaseView<'_>> {
        let id = self.case_id(index)?;
        let start = *self.case_starts.get(index)?;
        let end = *self.case_starts.get(index + 1)?;
        Some(CaseView {
            index,
            id,
            activities: self.activities.get(start..end)?,
            timestamps: self.timestamps.get(start..end)?,
        })
    }

    /// All cases in order.
    pub fn cases(&self) -> impl Iterator<Item = CaseView<'_>> + '_ {
        (0..self.case_count()).filter_map(|i| self.case(i))
    }

    /// A log from columns already grouped by case (`case_starts` has one
    /// entry per case plus the end) and ordered by time within each case.
    pub(crate) fn from_grouped(
        activity_names: Vec<String>,
        case_id_arena: String,
        case_id_offsets: Vec<usize>,
        case_starts: Vec<usize>,
        activities: Vec<u32>,
        timestamps: Vec<i64>,
    ) -> Self {
        EventLog {
            activity_names,
            case_id_arena,
            case_id_offsets,
            case_starts,
            activities,
            timestamps,
        }
    }

    /// Runs `add` over all cases into per-thread partials made by `make` and
    /// merges them with `merge`, in case order. Logs of fewer than a million
    /// events use one thread.
    pub(crate) fn fold_cases<P, M, A, G>(&self, make: M, add: A, merge: G) -> P
    where
        P: Send,
        M: Fn() -> P + Sync,
        A: Fn(&mut P, &CaseView<'_>) + Sync,
        G: Fn(&mut P, P),
    {
        let threads = if self.event_count() < 1 << 20 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
        };
        let n = self.case_count();
        let run = |range: std::ops::Range<usize>| {
            let mut p = make();
            for case in self.cases_in(range) {
                add(&mut p, &case);
            }
            p
        };
        if threads == 1 {
            return run(0..n);
        }
        let parts: Vec<P> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = n * t / threads..n * (t + 1) / threads;
                    let run = &run;
                    scope.spawn(move || run(range))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut parts = parts.into_iter();
        let mut total = parts.next().unwrap_or_else(&make);
        for part in parts {
            merge(&mut total, part);
        }
        total
    }

    /// The cases with index in `range`, for splitting work into partitions.
    pub fn cases_in(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = CaseView<'_>> + '_ {
        range.filter_map(|i| self.case(i))
    }
}

/// Builds an [`EventLog`] from events pushed in file order.
///
/// Case ids and activity names are interned through hash maps so that pushing
/// an event allocates only when a new case or activity appears. Consecutive
/// events of the same case (the common layout of exported logs) skip the
/// case hash lookup entirely.
#[derive(Debug, Default)]
pub struct EventLogBuilder {
    cases: Interner,
    activity_interner: Interner,
    last_case: String,
    last_case_code: Option<u32>,
    case_codes: Vec<u32>,
    activities: Vec<u32>,
    timestamps: Vec<i64>,
}

/// Why an [`EventLogBuilder`] refused input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// More than `u32::MAX` distinct cases or activities.
    #[error("too many distinct {0} (the limit is 4294967295)")]
    TooMany(&'static str),
    /// Parts of a partitioned build were made with different partition counts.
    #[error("the parts of a partitioned log build use different partition counts")]
    Mismatch,
    /// A broken invariant (a bug), naming what was found broken.
    #[error("internal error in the log builder: {0}")]
    Internal(&'static str),
}

impl EventLogBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder with room for `events` events.
    pub fn with_capacity(events: usize) -> Self {
        let mut b = Self::default();
        b.reserve(events);
        b
    }

    /// Reserves room for `additional` more events.
    pub fn reserve(&mut self, additional: usize) {
        self.case_codes.reserve(additional);
        self.activities.reserve(additional);
        self.timestamps.reserve(additional);
    }

    /// Number of events pushed so far.
    pub fn len(&self) -> usize {
        self.activities.len()
    }

    /// True when no event was pushed.
    pub fn is_empty(&self) -> bool {
        self.activities.is_empty()
    }

    /// Appends one event. Events must be pushed in file order: ties in
    /// timestamp within a case keep this order.
    #[inline]
    pub fn push(
        &mut self,
        case: &str,
        activity: &str,
        timestamp_ms: i64,
    ) -> Result<(), BuildError> {
        let case_code = match self.last_case_code {
            Some(code) if self.last_case == case => code,
            _ => {
                let code = self
                    .cases
                    .intern(case)
                    .ok_or(BuildError::TooMany("cases"))?;
                self.last_case.clear();
                self.last_case.push_str(case);
                self.last_case_code = Some(code);
                code
            }
        };
        let activity_code = self
            .activity_interner
            .intern(activity)
            .ok_or(BuildError::TooMany("activities"))?;
        self.case_codes.push(case_code);
        self.activities.push(activity_code);
        self.timestamps.push(timestamp_ms);
        Ok(())
    }

    /// Appends a batch of events in file order; the same as calling
    /// [`EventLogBuilder::push`] for each, but faster for logs whose
    /// consecutive events belong to different cases: the hash-table slots of
    /// the whole batch are loaded first, so their cache misses overlap.
    pub fn push_batch<C: AsRef<str>, A: AsRef<str>>(
        &mut self,
        events: &[(C, A, i64)],
    ) -> Result<(), BuildError> {
        const CHUNK: usize = 64;
        let mut hashes = [0u64; CHUNK];
        for chunk in events.chunks(CHUNK) {
            for (h, (case, _, _)) in hashes.iter_mut().zip(chunk) {
                *h = Interner::hash(case.as_ref());
            }
            // A tight loop of independent loads: the CPU keeps many misses in
            // flight at once, and the probes below then hit the cache.
            let mut sink = 0u64;
            for &h in hashes.iter().take(chunk.len()) {
                sink = sink.wrapping_add(self.cases.touch(h));
            }
            std::hint::black_box(sink);
            for (&h, (case, activity, ts)) in hashes.iter().zip(chunk) {
                let case_code = self
                    .cases
                    .intern_hashed(case.as_ref(), h)
                    .ok_or(BuildError::TooMany("cases"))?;
                let activity_code = self
                    .activity_interner
                    .intern(activity.as_ref())
                    .ok_or(BuildError::TooMany("activities"))?;
                self.case_codes.push(case_code);
                self.activities.push(activity_code);
                self.timestamps.push(*ts);
            }
        }
        self.last_case_code = None;
        Ok(())
    }

    /// Appends all events of `other` after the events of `self`, as if they
    /// had been pushed one by one. Used to parse a file in chunks in parallel.
    pub fn append(&mut self, other: EventLogBuilder) -> Result<(), BuildError> {
        let case_remap = remap_into(&mut self.cases, &other.cases, "cases")?;
        let activity_remap = remap_into(
            &mut self.activity_interner,
            &other.activity_interner,
            "activities",
        )?;
        self.reserve(other.activities.len());
        self.case_codes
            .extend(other.case_codes.iter().map(|&c| case_remap[c as usize]));
        self.activities
            .extend(other.activities.iter().map(|&a| activity_remap[a as usize]));
        self.timestamps.extend_from_slice(&other.timestamps);
        // The cache refers to `self`'s codes; the last pushed case is now other's.
        self.last_case_code = None;
        self.last_case.clear();
        Ok(())
    }

    /// Groups events by case (stable) and orders each case by timestamp
    /// (stable, so ties stay in file order).
    pub fn finish(self) -> EventLog {
        let n_cases = self.cases.len();
        // Codes are handed out in order of first appearance, so the input is
        // already grouped by case exactly when the codes never decrease.
        let grouped = self.case_codes.windows(2).all(|w| w[0] <= w[1]);
        if !grouped {
            return Self::finish_parts(vec![self]).unwrap_or_default();
        }
        let activity_names = self.activity_names();
        let (case_id_arena, case_id_offsets) = self.cases.into_parts();
        let mut starts = Vec::with_capacity(n_cases + 1);
        let mut prev = None;
        for (i, &c) in self.case_codes.iter().enumerate() {
            if prev != Some(c) {
                starts.push(i);
                prev = Some(c);
            }
        }
        starts.push(self.case_codes.len());
        drop(self.case_codes);
        let log = EventLog {
            activity_names,
            case_id_arena,
            case_id_offsets,
            case_starts: starts,
            activities: self.activities,
            timestamps: self.timestamps,
        };
        sort_cases_by_time(log)
    }

    fn activity_names(&self) -> Vec<String> {
        (0..self.activity_interner.len())
            .filter_map(|c| self.activity_interner.get(c as u32).map(str::to_owned))
            .collect()
    }

    /// Finishes builders that each hold a consecutive part of the file (in
    /// file order), e.g. byte ranges parsed in parallel. Equivalent to
    /// appending them all and calling [`EventLogBuilder::finish`], without
    /// first concatenating the columns: events go straight from each part
    /// into their final, case-grouped position.
    pub fn finish_parts(parts: Vec<EventLogBuilder>) -> Result<EventLog, BuildError> {
        let mut parts = parts.into_iter();
        let Some(mut first) = parts.next() else {
            return Ok(EventLog::default());
        };
        let rest: Vec<EventLogBuilder> = parts.collect();
        let mut remaps = Vec::with_capacity(rest.len());
        for p in &rest {
            let cases = remap_into(&mut first.cases, &p.cases, "cases")?;
            let acts = remap_into(
                &mut first.activity_interner,
                &p.activity_interner,
                "activities",
            )?;
            remaps.push((cases, acts));
        }
        let n_cases = first.cases.len();
        let activity_names = first.activity_names();
        let (case_id_arena, case_id_offsets) = first.cases.into_parts();
        let n = first.case_codes.len() + rest.iter().map(|p| p.case_codes.len()).sum::<usize>();

        // Stable counting sort by case code: O(events), no comparisons.
        let mut starts = vec![0usize; n_cases + 1];
        for &c in &first.case_codes {
            starts[c as usize + 1] += 1;
        }
        for (p, (cr, _)) in rest.iter().zip(&remaps) {
            for &c in &p.case_codes {
                starts[cr[c as usize] as usize + 1] += 1;
            }
        }
        for i in 0..n_cases {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        let mut acts = vec![0u32; n];
        let mut ts = vec![0i64; n];
        let mut place = |c: usize, a: u32, t: i64| {
            let slot = &mut next[c];
            acts[*slot] = a;
            ts[*slot] = t;
            *slot += 1;
        };
        for ((&c, &a), &t) in first
            .case_codes
            .iter()
            .zip(&first.activities)
            .zip(&first.timestamps)
        {
            place(c as usize, a, t);
        }
        drop((first.case_codes, first.activities, first.timestamps));
        for (p, (cr, ar)) in rest.into_iter().zip(&remaps) {
            for ((&c, &a), &t) in p.case_codes.iter().zip(&p.activities).zip(&p.timestamps) {
                place(cr[c as usize] as usize, ar[a as usize], t);
            }
        }
        Ok(sort_cases_by_time(EventLog {
            activity_names,
            case_id_arena,
            case_id_offsets,
            case_starts: starts,
            activities: acts,
            timestamps: ts,
        }))
    }
}

/// Orders each case's events by timestamp (stable: ties keep file order).
fn sort_cases_by_time(mut log: EventLog) -> EventLog {
    let EventLog {
        case_starts,
        activities,
        timestamps,
        ..
    } = &mut log;
    let end = case_starts.last().copied().unwrap_or(0);
    let starts = case_starts
        .get(..case_starts.len().saturating_sub(1))
        .unwrap_or(&[]);
    sort_case_ranges(starts, end, activities, timestamps);
    log
}

/// Orders the events of each case `starts[i]..starts[i + 1]` (the last one
/// ending at `end`) by timestamp, stably, in the parallel columns.
pub(crate) fn sort_case_ranges(
    starts: &[usize],
    end: usize,
    activities: &mut [u32],
    timestamps: &mut [i64],
) {
    let mut scratch: Vec<(i64, u32)> = Vec::new();
    let ends = starts.iter().skip(1).copied().chain(std::iter::once(end));
    for (&s, e) in starts.iter().zip(ends) {
        let (Some(ts), Some(acts)) = (timestamps.get_mut(s..e), activities.get_mut(s..e)) else {
            continue;
        };
        if ts.windows(2).all(|p| p[0] <= p[1]) {
            continue;
        }
        scratch.clear();
        scratch.extend(ts.iter().copied().zip(acts.iter().copied()));
        // `sort_by_key` is stable: equal timestamps keep file order.
        scratch.sort_by_key(|p| p.0);
        for ((t, a), &(st, sa)) in ts.iter_mut().zip(acts.iter_mut()).zip(&scratch) {
            *t = st;
            *a = sa;
        }
    }
}

/// Interns `other`'s keys into `map` (new keys in `other`'s code order, so
/// first-appearance order is kept) and returns other-code → map-code.
fn remap_into(
    map: &mut Interner,
    other: &Interner,
    what: &'static str,
) -> Result<Vec<u32>, BuildError> {
    const CHUNK: usize = 64;
    let mut remap = Vec::with_capacity(other.len());
    let mut batch: Vec<(Option<&str>, u64)> = Vec::with_capacity(CHUNK);
    let mut code = 0usize;
    while code < other.len() {
        let end = (code + CHUNK).min(other.len());
        batch.clear();
        batch.extend((code..end).map(|c| {
            let key = other.get(c as u32);
            (key, key.map_or(0, Interner::hash))
        }));
        // Load the slots first so the cache misses overlap (see push_batch).
        let mut sink = 0u64;
        for &(_, h) in &batch {
            sink = sink.wrapping_add(map.touch(h));
        }
        std::hint::black_box(sink);
        for &(key, h) in &batch {
            let c = key
                .and_then(|k| map.intern_hashed(k, h))
                .ok_or(BuildError::TooMany(what))?;
            remap.push(c);
        }
        code = end;
    }
    Ok(remap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(log: &EventLog, i: usize) -> Vec<(&str, i64)> {
        let c = log.case(i).unwrap();
        c.activities
            .iter()
            .zip(c.timestamps)
            .map(|(&a, &t)| (log.activity_names()[a as usize].as_str(), t))
            .collect()
    }

    #[test]
    fn groups_by_case_in_first_appearance_order_and_sorts_stably() {
        let mut b = EventLogBuilder::new();
        b.push("c2", "B", 20).unwrap();
        b.push("c1", "A", 5).unwrap();
        b.push("c2", "A", 10).unwrap();
        b.push("c2", "C", 10).unwrap(); // tie with A at 10: stays after A
        b.push("c1", "Z", 5).unwrap(); // tie: stays after A
        let log = b.finish();
        assert_eq!(log.case_count(), 2);
        assert_eq!(log.event_count(), 5);
        assert_eq!(log.case_ids().collect::<Vec<_>>(), ["c2", "c1"]);
        assert_eq!(trace(&log, 0), vec![("A", 10), ("C", 10), ("B", 20)]);
        assert_eq!(trace(&log, 1), vec![("A", 5), ("Z", 5)]);
    }

    #[test]
    fn grouped_input_takes_the_fast_path_with_same_result() {
        let mut b = EventLogBuilder::with_capacity(4);
        b.push("x", "A", 3).unwrap();
        b.push("x", "B", 1).unwrap();
        b.push("y", "A", 1).unwrap();
        let log = b.finish();
        assert_eq!(trace(&log, 0), vec![("B", 1), ("A", 3)]);
        assert_eq!(trace(&log, 1), vec![("A", 1)]);
        assert!(log.case(2).is_none());
        assert_eq!(log.activity_code("B"), Some(1));
        assert_eq!(log.activity_code("nope"), None);
    }

    #[test]
    fn append_equals_pushing_everything_into_one_builder() {
        let events = [
            ("a", "X", 3),
            ("b", "Y", 1),
            ("a", "Y", 3),
            ("c", "X", 0),
            ("b", "고객문의", 1),
            ("a", "X", 2),
        ];
        let mut whole = EventLogBuilder::new();
        for (c, a, t) in events {
            whole.push(c, a, t).unwrap();
        }
        let mut left = EventLogBuilder::new();
        let mut right = EventLogBuilder::new();
        for (i, (c, a, t)) in events.into_iter().enumerate() {
            if i < 3 { &mut left } else { &mut right }
                .push(c, a, t)
                .unwrap();
        }
        left.append(right).unwrap();
        assert_eq!(left.finish(), whole.finish());
    }

    #[test]
    fn push_batch_equals_push() {
        let events: Vec<(String, String, i64)> = (0..1000)
            .map(|i| {
                (
                    format!("case{}", (i * 37) % 101),
                    format!("a{}", i % 7),
                    (i % 13) as i64,
                )
            })
            .collect();
        let mut one = EventLogBuilder::new();
        for (c, a, t) in &events {
            one.push(c, a, *t).unwrap();
        }
        let mut batch = EventLogBuilder::new();
        batch.push_batch(&events[..500]).unwrap();
        batch
            .push(&events[500].0, &events[500].1, events[500].2)
            .unwrap();
        batch.push_batch(&events[501..]).unwrap();
        assert_eq!(batch.finish(), one.finish());
    }

    #[test]
    fn empty_builder_gives_empty_log() {
        let log = EventLogBuilder::new().finish();
        assert_eq!(log.case_count(), 0);
        assert_eq!(log.event_count(), 0);
        assert_eq!(log.cases().count(), 0);
    }
}
