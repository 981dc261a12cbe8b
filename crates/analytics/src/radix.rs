//! A cache-friendly, parallel [`EventLog`] builder for large logs.
//!
//! [`EventLogBuilder`](crate::EventLogBuilder) interns every case id into one
//! hash table. With millions of cases that table is far larger than the CPU
//! caches, and a log in global time order probes a different case on almost
//! every event, so loading is dominated by cache misses. [`RadixBuilder`]
//! instead works in two phases:
//!
//! 1. **Scatter** (one builder per parse thread, each fed a consecutive part
//!    of the input in order): every event is appended — case id bytes,
//!    activity code, timestamp — to one of `2^bits` partitions chosen by the
//!    top bits of the case id's hash. Appends are sequential writes; nothing
//!    is looked up except the (small) activity dictionary.
//! 2. **Intern and group** ([`RadixBuilder::finish`], partitions in
//!    parallel): each partition holds all events of its cases, in input order
//!    (the parse threads' parts are visited in order). Its case ids are
//!    interned into a table sized for that partition alone, which stays in
//!    cache, and its events are grouped by case with a counting sort straight
//!    into their final place.
//!
//! The result has exactly the events, tie order and activity dictionary of
//! an `EventLogBuilder` fed the same input; only the **order of cases**
//! differs (by partition, then first appearance within the partition). No
//! analysis depends on case order. With `bits = 0` (small logs) the order is
//! first appearance, as with `EventLogBuilder`.
//!
//! Events may also be recorded as **case-only** ([`RadixBuilder::push_case`]):
//! the case exists (it is counted) but has no event. Readers use this to drop
//! events a query does not need (e.g. a funnel reads only its steps) while
//! keeping the case count exact. A case-only entry for a case the builder
//! recorded lately is not written again (see [`RecentCases`]): it would only
//! repeat that the case exists.

use std::sync::Mutex;

use crate::hash::hash_bytes;
use crate::intern::Interner;
use crate::log::{BuildError, EventLog, sort_case_ranges};

/// Activity code of a case-only entry.
const NO_EVENT: u32 = u32::MAX;

/// Scattered events of one partition, from one builder: one record per
/// entry, packed into one buffer so that a partition is a single sequential
/// write stream: `activity: u32 | key length: u32 | ts: i64 | key bytes`
/// (little-endian). Case-only entries have activity [`NO_EVENT`] and no
/// `ts`: a funnel records most lines that way, and every byte written here is
/// fresh memory the kernel must zero first.
#[derive(Debug, Default)]
struct Partition {
    records: Vec<u8>,
    entries: usize,
    events: usize,
}

/// Bytes of a record before its timestamp.
const HEADER: usize = 8;

impl Partition {
    #[inline]
    fn push(&mut self, ts: i64, act: u32, key: &str) {
        let len = key.len() as u32; // checked by the caller
        let mut head = [0u8; HEADER + 8];
        head[..4].copy_from_slice(&act.to_le_bytes());
        head[4..8].copy_from_slice(&len.to_le_bytes());
        head[8..].copy_from_slice(&ts.to_le_bytes());
        // Two constant-length copies rather than one of a computed length, which would be
        // a call to `memcpy` per record.
        if act == NO_EVENT {
            self.records.extend_from_slice(&head[..HEADER]);
        } else {
            self.records.extend_from_slice(&head);
        }
        self.records.extend_from_slice(key.as_bytes());
        self.entries += 1;
        if act != NO_EVENT {
            self.events += 1;
        }
    }
}

/// Iterates the records of a partition: `(ts, act, key)`, `ts` 0 for
/// case-only entries.
struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = (i64, u32, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (head, rest) = self.rest.split_first_chunk::<HEADER>()?;
        let act = u32::from_le_bytes(head[..4].try_into().ok()?);
        let len = u32::from_le_bytes(head[4..].try_into().ok()?) as usize;
        let (ts, rest) = if act == NO_EVENT {
            (0, rest)
        } else {
            let (ts, rest) = rest.split_first_chunk::<8>()?;
            (i64::from_le_bytes(*ts), rest)
        };
        let (key, rest) = rest.split_at_checked(len)?;
        self.rest = rest;
        Some((ts, act, key))
    }
}

/// Longest case id [`RecentCases`] remembers (a slot is this plus its length byte).
const RECENT_KEY: usize = 23;
/// `2^RECENT_BITS` slots: 384 KiB, about the size of a core's L2 cache.
const RECENT_BITS: u32 = 14;

/// Case ids a builder recorded lately, so that a case's repeated case-only
/// entries are written once. In a log in time order a case's events are close
/// together, so a small direct-mapped table catches most repeats: a slot keeps
/// the last short case id that hashed to it (longer ids are never kept and are
/// simply written again). A miss only costs a redundant entry, never a wrong
/// count, because keys are compared in full.
#[derive(Debug)]
struct RecentCases {
    slots: Box<[RecentSlot]>,
}

#[derive(Debug, Clone, Copy)]
struct RecentSlot {
    /// 0 for an empty slot (empty ids are never kept).
    len: u8,
    key: [u8; RECENT_KEY],
}

impl RecentCases {
    fn new() -> Self {
        let empty = RecentSlot {
            len: 0,
            key: [0; RECENT_KEY],
        };
        RecentCases {
            slots: vec![empty; 1 << RECENT_BITS].into_boxed_slice(),
        }
    }

    /// Remembers `key` (hashed to `hash`); answers whether it was remembered
    /// already. The slot comes from the hash bits just below the `bits` that
    /// choose the partition, which are well mixed and independent of them.
    #[inline]
    fn remember(&mut self, hash: u64, bits: u32, key: &[u8]) -> bool {
        let len = key.len();
        if len == 0 || len > RECENT_KEY {
            return false;
        }
        let index = ((hash << bits) >> (64 - RECENT_BITS)) as usize;
        let Some(slot) = self.slots.get_mut(index) else {
            return false;
        };
        if usize::from(slot.len) == len && slot.key.get(..len) == Some(key) {
            return true;
        }
        slot.len = len as u8; // at most RECENT_KEY
        if let Some(dst) = slot.key.get_mut(..len) {
            dst.copy_from_slice(key);
        }
        false
    }
}

/// Phase one of a partitioned build: see the [module docs](self).
#[derive(Debug)]
pub struct RadixBuilder {
    bits: u32,
    activities: Interner,
    parts: Vec<Partition>,
    events: usize,
    /// Made on the first [`RadixBuilder::push_case`]: builds without case-only
    /// entries pay nothing for it.
    recent: Option<RecentCases>,
}

/// Expected cases per partition: its intern table (32 bytes per slot, at
/// most three quarters full) then takes about 1 MiB, which stays in the
/// shared L3 cache, while few partitions keep the scatter phase to few write
/// streams (each partition is one; thousands thrash the caches and TLB).
const CASES_PER_PARTITION: usize = 16 * 1024;

impl RadixBuilder {
    /// The partition bits for a log of about `events` events: none for
    /// small logs, up to 2^10 partitions for huge ones.
    pub fn bits_for(events: usize) -> u32 {
        // Assume ~4 events per case (more is typical; fewer cases only
        // leaves the tables emptier).
        let cases = events / 4;
        let mut bits = 0;
        while bits < 10 && (cases >> bits) > CASES_PER_PARTITION {
            bits += 1;
        }
        bits
    }

    /// A builder with `2^bits` partitions (at most 2^16). Builders whose
    /// parts are finished together must use the same `bits`.
    pub fn new(bits: u32) -> Self {
        Self::with_capacity(bits, 0)
    }

    /// [`RadixBuilder::new`] with room for about `bytes` bytes of records
    /// (16 bytes plus the case id per event; the size of the input text is
    /// a fair upper bound) spread evenly over the partitions, so that the
    /// buffers need not grow (and be copied) while reading. Reserved memory
    /// that is never written is never touched, so a generous guess is cheap.
    pub fn with_capacity(bits: u32, bytes: usize) -> Self {
        let bits = bits.min(16);
        let n = 1usize << bits;
        // 25 % slack for uneven partitions.
        let per = bytes / n + bytes / n / 4;
        RadixBuilder {
            bits,
            activities: Interner::default(),
            parts: (0..n)
                .map(|_| Partition {
                    records: Vec::with_capacity(per),
                    ..Partition::default()
                })
                .collect(),
            events: 0,
            recent: None,
        }
    }

    /// Number of events (not case-only entries) pushed so far.
    pub fn len(&self) -> usize {
        self.events
    }

    /// True when no event was pushed.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// The partition of a case id whose hash is `hash`.
    #[inline]
    fn partition(&mut self, hash: u64) -> Option<&mut Partition> {
        let p = if self.bits == 0 {
            0
        } else {
            (hash >> (64 - self.bits)) as usize
        };
        self.parts.get_mut(p)
    }

    /// Appends one event, in input order.
    #[inline]
    pub fn push(
        &mut self,
        case: &str,
        activity: &str,
        timestamp_ms: i64,
    ) -> Result<(), BuildError> {
        let act = self.activity_code(activity)?;
        self.push_code(case, act, timestamp_ms)
    }

    /// This builder's code for `activity`, for [`RadixBuilder::push_code`]: readers whose
    /// input names activities by number (a Parquet dictionary) look each name up once.
    #[inline]
    pub fn activity_code(&mut self, activity: &str) -> Result<u32, BuildError> {
        self.activities
            .intern(activity)
            .filter(|&a| a != NO_EVENT)
            .ok_or(BuildError::TooMany("activities"))
    }

    /// [`RadixBuilder::push`] with an activity code this builder's
    /// [`RadixBuilder::activity_code`] gave.
    #[inline]
    pub fn push_code(&mut self, case: &str, act: u32, timestamp_ms: i64) -> Result<(), BuildError> {
        if act as usize >= self.activities.len() {
            return Err(BuildError::Internal(
                "an activity code this builder did not give",
            ));
        }
        u32::try_from(case.len()).map_err(|_| BuildError::TooMany("cases"))?;
        // With one partition and no case-only entries the hash is not needed.
        let hash = if self.bits == 0 && self.recent.is_none() {
            0
        } else {
            hash_bytes(case.as_bytes())
        };
        if let Some(recent) = &mut self.recent {
            recent.remember(hash, self.bits, case.as_bytes());
        }
        if let Some(p) = self.partition(hash) {
            p.push(timestamp_ms, act, case);
        }
        self.events += 1;
        Ok(())
    }

    /// Records that `case` exists without adding an event to it.
    #[inline]
    pub fn push_case(&mut self, case: &str) -> Result<(), BuildError> {
        u32::try_from(case.len()).map_err(|_| BuildError::TooMany("cases"))?;
        let hash = hash_bytes(case.as_bytes());
        let bits = self.bits;
        if self
            .recent
            .get_or_insert_with(RecentCases::new)
            .remember(hash, bits, case.as_bytes())
        {
            return Ok(());
        }
        if let Some(p) = self.partition(hash) {
            p.push(0, NO_EVENT, case);
        }
        Ok(())
    }

    /// Phase two: interns, groups and orders the parts (consecutive pieces of
    /// the input, in input order) on up to `threads` threads.
    pub fn finish(parts: Vec<RadixBuilder>, threads: usize) -> Result<EventLog, BuildError> {
        let bits = parts.first().map_or(0, |p| p.bits);
        if parts.iter().any(|p| p.bits != bits) {
            return Err(BuildError::Mismatch);
        }
        // One activity dictionary, in first-appearance order of the input.
        let mut activities = Interner::default();
        let mut remaps = Vec::with_capacity(parts.len());
        for p in &parts {
            let mut remap = Vec::with_capacity(p.activities.len());
            for c in 0..p.activities.len() {
                let name = p.activities.get(c as u32).unwrap_or("");
                remap.push(
                    activities
                        .intern(name)
                        .ok_or(BuildError::TooMany("activities"))?,
                );
            }
            remaps.push(remap);
        }
        let activity_names: Vec<String> = (0..activities.len())
            .filter_map(|c| activities.get(c as u32).map(str::to_owned))
            .collect();

        // Transpose: for each partition, its pieces from every part in order.
        let n_parts = 1usize << bits;
        let mut pieces: Vec<Vec<(Partition, usize)>> = (0..n_parts)
            .map(|_| Vec::with_capacity(parts.len()))
            .collect();
        for (i, p) in parts.into_iter().enumerate() {
            for (slot, part) in pieces.iter_mut().zip(p.parts) {
                slot.push((part, i));
            }
        }
        let sizes: Vec<usize> = pieces
            .iter()
            .map(|ps| ps.iter().map(|(p, _)| p.events).sum())
            .collect();
        let total: usize = sizes.iter().sum();
        let mut acts = vec![0u32; total];
        let mut ts = vec![0i64; total];

        // Disjoint output slices, one per partition.
        let mut work = Vec::with_capacity(n_parts);
        {
            let (mut a_rest, mut t_rest) = (acts.as_mut_slice(), ts.as_mut_slice());
            for (index, (ps, &size)) in pieces.into_iter().zip(&sizes).enumerate() {
                let (a, ar) = std::mem::take(&mut a_rest).split_at_mut(size);
                let (t, tr) = std::mem::take(&mut t_rest).split_at_mut(size);
                a_rest = ar;
                t_rest = tr;
                work.push(Work {
                    index,
                    pieces: ps,
                    acts: a,
                    ts: t,
                });
            }
        }
        work.reverse(); // popped from the back: partition 0 first
        let queue = Mutex::new(work);
        let remaps = &remaps;
        let threads = threads.clamp(1, n_parts);
        let results: Vec<Result<Vec<(usize, Grouped)>, BuildError>> = if threads == 1 {
            vec![drain(&queue, remaps)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| scope.spawn(|| drain(&queue, remaps)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        let mut grouped = Vec::with_capacity(n_parts);
        for r in results {
            grouped.extend(r?);
        }
        grouped.sort_unstable_by_key(|g| g.0);

        // Concatenate the partitions' case ids and case ranges.
        let n_cases: usize = grouped.iter().map(|g| g.1.starts.len()).sum();
        let arena_len: usize = grouped.iter().map(|g| g.1.arena.len()).sum();
        let mut case_id_arena = String::with_capacity(arena_len);
        let mut case_id_offsets = Vec::with_capacity(n_cases + 1);
        let mut case_starts = Vec::with_capacity(n_cases + 1);
        case_id_offsets.push(0);
        let mut base = 0;
        for (_, g) in grouped {
            let id_base = case_id_arena.len();
            case_id_arena.push_str(&g.arena);
            case_id_offsets.extend(g.offsets.iter().skip(1).map(|&o| o + id_base));
            case_starts.extend(g.starts.iter().map(|&s| s + base));
            base += g.events;
        }
        case_starts.push(base);
        Ok(EventLog::from_grouped(
            activity_names,
            case_id_arena,
            case_id_offsets,
            case_starts,
            acts,
            ts,
        ))
    }
}

/// One partition to intern and group, with its final output slices.
struct Work<'o> {
    index: usize,
    pieces: Vec<(Partition, usize)>,
    acts: &'o mut [u32],
    ts: &'o mut [i64],
}

/// A grouped partition: its case ids and case start offsets (relative).
struct Grouped {
    arena: String,
    offsets: Vec<usize>,
    starts: Vec<usize>,
    events: usize,
}

fn drain(
    queue: &Mutex<Vec<Work<'_>>>,
    remaps: &[Vec<u32>],
) -> Result<Vec<(usize, Grouped)>, BuildError> {
    let mut out = Vec::new();
    let mut codes = Vec::new();
    let mut next = Vec::new();
    loop {
        let item = match queue.lock() {
            Ok(mut q) => q.pop(),
            Err(_) => None,
        };
        let Some(w) = item else { break };
        out.push((w.index, group(w, remaps, &mut codes, &mut next)?));
    }
    Ok(out)
}

/// Interns one partition's case ids (input order) and places its events,
/// grouped by case and ordered by time within each case.
fn group(
    w: Work<'_>,
    remaps: &[Vec<u32>],
    codes: &mut Vec<u32>,
    next: &mut Vec<usize>,
) -> Result<Grouped, BuildError> {
    let entries: usize = w.pieces.iter().map(|(p, _)| p.entries).sum();
    let events: usize = w.pieces.iter().map(|(p, _)| p.events).sum();
    // About 4 events per case, and case-only entries are mostly of distinct cases.
    let mut cases = Interner::with_capacity((events / 4 + (entries - events)).max(16));
    codes.clear();
    codes.reserve(entries);
    // Counts per case code, grown as codes appear.
    let mut counts: Vec<usize> = Vec::new();
    for (p, _) in &w.pieces {
        for (_, act, key) in (Records { rest: &p.records }) {
            // Keys were written from `&str`, so only a full table can refuse one.
            let c = cases
                .intern_bytes(key)
                .ok_or(BuildError::TooMany("cases"))?;
            if c as usize == counts.len() {
                counts.push(0);
            }
            if act != NO_EVENT
                && let Some(n) = counts.get_mut(c as usize)
            {
                *n += 1;
            }
            codes.push(c);
        }
    }
    // Case starts (relative to the partition) by prefix sum.
    let mut starts = Vec::with_capacity(counts.len());
    let mut sum = 0;
    for &n in &counts {
        starts.push(sum);
        sum += n;
    }
    next.clear();
    next.extend_from_slice(&starts);
    let mut code_iter = codes.iter();
    for (p, part_index) in &w.pieces {
        let remap = remaps.get(*part_index).map_or(&[][..], Vec::as_slice);
        for ((t, act, _), &c) in (Records { rest: &p.records }).zip(code_iter.by_ref()) {
            if act == NO_EVENT {
                continue;
            }
            if let Some(slot) = next.get_mut(c as usize) {
                let i = *slot;
                *slot += 1;
                if let (Some(a), Some(x)) = (w.acts.get_mut(i), w.ts.get_mut(i)) {
                    *a = remap.get(act as usize).copied().unwrap_or(act);
                    *x = t;
                }
            }
        }
    }
    drop(w.pieces);
    sort_case_ranges(&starts, sum, w.acts, w.ts);
    let (arena, offsets) = cases.into_parts();
    Ok(Grouped {
        arena,
        offsets,
        starts,
        events: sum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLogBuilder;

    type Canon = Vec<(String, Vec<(String, i64)>)>;

    /// Cases sorted by id, each with its events by name.
    fn canon(log: &EventLog) -> Canon {
        let names = log.activity_names();
        let mut v: Canon = log
            .cases()
            .map(|c| {
                (
                    c.id.to_owned(),
                    c.activities
                        .iter()
                        .zip(c.timestamps)
                        .map(|(&a, &t)| (names[a as usize].clone(), t))
                        .collect(),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn events(n: usize) -> Vec<(String, String, i64)> {
        let mut x: u64 = 7;
        (0..n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let case = match i % 5 {
                    0 => format!("long-case-identifier-over-sixteen-bytes-{}", (x >> 33) % 50),
                    _ => format!("c{}", (x >> 33) % 700),
                };
                let act = ["A", "B", "방문", "D"][((x >> 20) % 4) as usize].to_owned();
                (case, act, ((x >> 40) % 40) as i64) // many ties
            })
            .collect()
    }

    #[test]
    fn equals_the_plain_builder_up_to_case_order() {
        let evs = events(20_000);
        let mut plain = EventLogBuilder::new();
        for (c, a, t) in &evs {
            plain.push(c, a, *t).unwrap();
        }
        let plain = plain.finish();
        for bits in [0, 1, 4, 9] {
            for pieces in [1, 3] {
                for threads in [1, 2, 5] {
                    let mut parts: Vec<RadixBuilder> =
                        (0..pieces).map(|_| RadixBuilder::new(bits)).collect();
                    let per = evs.len().div_ceil(pieces);
                    for (i, (c, a, t)) in evs.iter().enumerate() {
                        parts[i / per].push(c, a, *t).unwrap();
                    }
                    let log = RadixBuilder::finish(parts, threads).unwrap();
                    assert_eq!(log.activity_names(), plain.activity_names());
                    assert_eq!(log.event_count(), plain.event_count());
                    assert_eq!(canon(&log), canon(&plain), "bits {bits} pieces {pieces}");
                    if bits == 0 {
                        assert_eq!(log, plain, "one partition keeps first-appearance order");
                    }
                }
            }
        }
    }

    #[test]
    fn case_only_entries_count_cases_without_events() {
        let mut b = RadixBuilder::new(2);
        b.push_case("x").unwrap();
        b.push("y", "A", 5).unwrap();
        b.push_case("y").unwrap();
        b.push("x", "B", 1).unwrap();
        b.push_case("z").unwrap();
        let log = RadixBuilder::finish(vec![b], 2).unwrap();
        assert_eq!(log.case_count(), 3);
        assert_eq!(log.event_count(), 2);
        // Case-only records carry no timestamp; the events around them keep theirs.
        let mut cases: Vec<(String, Vec<i64>)> = log
            .cases()
            .map(|c| (c.id.to_owned(), c.timestamps.to_vec()))
            .collect();
        cases.sort();
        assert_eq!(
            cases,
            [
                ("x".to_owned(), vec![1]),
                ("y".to_owned(), vec![5]),
                ("z".to_owned(), vec![])
            ]
        );
    }

    #[test]
    fn repeated_case_only_entries_are_written_once_and_counts_stay_exact() {
        // Cases in time order with most events dropped, as a funnel reads them: long ids (never
        // remembered), short ones, an empty one, and far more cases than remembered slots.
        let evs = events(200_000);
        let mut b = RadixBuilder::new(3);
        let mut expected: std::collections::BTreeMap<String, Vec<(String, i64)>> =
            Default::default();
        let mut case_only = 0;
        for (i, (c, a, t)) in evs.iter().enumerate() {
            let case = if i % 1000 == 0 {
                String::new()
            } else if i % 7 == 0 {
                format!("spread-{}", i % 40_000)
            } else {
                c.clone()
            };
            let seen = expected.entry(case.clone()).or_default();
            if a == "B" {
                b.push(&case, a, *t).unwrap();
                seen.push((a.clone(), *t));
            } else {
                b.push_case(&case).unwrap();
                case_only += 1;
            }
        }
        let written: usize = b.parts.iter().map(|p| p.entries - p.events).sum();
        assert!(
            written < case_only / 2,
            "{written} of {case_only} case-only entries written"
        );
        let log = RadixBuilder::finish(vec![b], 2).unwrap();
        let expected: Canon = expected
            .into_iter()
            .map(|(case, mut evs)| {
                evs.sort_by_key(|e| e.1); // stable: ties keep input order
                (case, evs)
            })
            .collect();
        assert_eq!(log.case_count(), expected.len());
        assert_eq!(canon(&log), expected);
    }

    #[test]
    fn bits_grow_with_the_log_and_are_capped() {
        assert_eq!(RadixBuilder::bits_for(1000), 0);
        assert!(RadixBuilder::bits_for(10_000_000) >= 8);
        assert_eq!(RadixBuilder::bits_for(usize::MAX), 10);
        let empty = RadixBuilder::finish(vec![RadixBuilder::new(3)], 2).unwrap();
        assert_eq!(empty, EventLogBuilder::new().finish());
        assert!(matches!(
            RadixBuilder::finish(vec![RadixBuilder::new(1), RadixBuilder::new(2)], 1),
            Err(BuildError::Mismatch)
        ));
    }
}
