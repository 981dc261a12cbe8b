//! One attribute per case, collected while a log is read: the value that splits a funnel
//! into segments (channel, persona, region…).

use std::collections::HashMap;

use cxmap_analytics::hash::FxBuild;

/// For each case, the value of one column (CSV, Parquet) or attribute (XES) on the case's
/// earliest event that has one; ties at one instant go to the event first in the file. An
/// XES trace's own attribute comes before any of its events'. Empty text and nulls are no
/// value.
///
/// This is the rule the server applies to stored event attributes, so a funnel split from a
/// file and from the API agree.
#[derive(Debug, Clone)]
pub struct CaseAttribute {
    column: String,
    /// Distinct values; segments are few, cases many.
    values: Vec<String>,
    value_ids: HashMap<String, u32, FxBuild>,
    by_case: HashMap<Box<str>, Earliest, FxBuild>,
}

#[derive(Debug, Clone, Copy)]
struct Earliest {
    timestamp_ms: i64,
    value: u32,
}

impl CaseAttribute {
    /// Collects `column` (a CSV or Parquet column name, an XES attribute key).
    pub fn new(column: impl Into<String>) -> Self {
        CaseAttribute {
            column: column.into(),
            values: Vec::new(),
            value_ids: HashMap::default(),
            by_case: HashMap::default(),
        }
    }

    /// The column or attribute key collected.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// The case's value, `None` when none of its events has one.
    pub fn get(&self, case: &str) -> Option<&str> {
        let earliest = self.by_case.get(case)?;
        self.values.get(earliest.value as usize).map(String::as_str)
    }

    /// How many cases have a value.
    pub fn cases(&self) -> usize {
        self.by_case.len()
    }

    /// An event of `case` at `timestamp_ms` carries `value`; it wins when it is the case's
    /// earliest so far (a tie keeps the value seen first).
    pub(crate) fn offer(&mut self, case: &str, timestamp_ms: i64, value: &str) {
        if value.is_empty() {
            return;
        }
        if let Some(held) = self.by_case.get(case)
            && held.timestamp_ms <= timestamp_ms
        {
            return;
        }
        let value = self.value_id(value);
        self.by_case.insert(
            case.into(),
            Earliest {
                timestamp_ms,
                value,
            },
        );
    }

    /// The case itself carries `value` (an XES trace attribute): it wins over its events'.
    pub(crate) fn set_for_case(&mut self, case: &str, value: &str) {
        self.offer(case, i64::MIN, value);
    }

    fn value_id(&mut self, value: &str) -> u32 {
        if let Some(&id) = self.value_ids.get(value) {
            return id;
        }
        // More distinct values than u32 holds would need > 4 G cases; saturate, never wrap.
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(value.to_owned());
        self.value_ids.insert(value.to_owned(), id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_event_with_a_value_wins() {
        let mut a = CaseAttribute::new("channel");
        a.offer("c1", 20, "app");
        a.offer("c1", 10, "web");
        a.offer("c1", 10, "store"); // a tie keeps the first seen
        a.offer("c1", 5, ""); // empty is no value
        a.offer("c2", 7, "app");
        assert_eq!(a.get("c1"), Some("web"));
        assert_eq!(a.get("c2"), Some("app"));
        assert_eq!(a.get("c3"), None);
        assert_eq!(a.cases(), 2);
        assert_eq!(a.column(), "channel");
    }

    #[test]
    fn a_case_level_value_beats_every_event() {
        let mut a = CaseAttribute::new("region");
        a.offer("c1", i64::MIN + 1, "early");
        a.set_for_case("c1", "서울");
        a.offer("c1", i64::MIN, "later in the file");
        assert_eq!(a.get("c1"), Some("서울"));
    }
}
