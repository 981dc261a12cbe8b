use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use cxmap_domain::{JourneyId, MappingRule, MappingRuleId, WorkspaceId};

use crate::error::StoreResult;

/// One customer event on its way into the store. Borrowed, so a parsed request body can be
/// stored without copying every string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEvent<'a> {
    /// The case (customer, order, session …) the event belongs to.
    pub case_id: &'a str,
    /// The event name as the source calls it, e.g. "결제 시작".
    pub activity: &'a str,
    /// When it happened, in microseconds since the Unix epoch (UTC).
    pub ts_us: i64,
    /// Extra attributes as the text of a JSON object, when there are any.
    pub attributes: Option<&'a str>,
}

/// One stored event as analyses read it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredEvent<'a> {
    /// The case id.
    pub case_id: &'a str,
    /// The event name.
    pub activity: &'a str,
    /// Microseconds since the Unix epoch (UTC).
    pub ts_us: i64,
}

/// The idempotency key of a batch and a fingerprint of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchKey<'a> {
    /// The client's key (the `Idempotency-Key` header), unique per workspace.
    pub key: &'a str,
    /// A digest of the batch's content, so that a key reused for different content can be told
    /// apart from a retry.
    pub fingerprint: &'a str,
}

/// What storing a batch answered. A retried batch (same key) gets the first answer back, with
/// `replayed` set and nothing stored twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReceipt {
    /// How many events the batch stored.
    pub events: u64,
    /// When the batch was first stored.
    pub received_at: DateTime<Utc>,
    /// The fingerprint of the batch first stored under the key (empty without a key).
    pub fingerprint: String,
    /// True when the key had been used before and this call stored nothing.
    pub replayed: bool,
}

/// A large import in progress: events are added in chunks, and all of them become visible at
/// `commit` or none do (dropping the import rolls it back).
#[async_trait]
pub trait EventImport: Send {
    /// Adds a chunk of events.
    async fn append(&mut self, events: &[NewEvent<'_>]) -> StoreResult<()>;
    /// Makes every appended event durable and visible; answers how many there were.
    async fn commit(self: Box<Self>) -> StoreResult<u64>;
}

/// Customer events per workspace and the rules that map their names onto touchpoints.
#[async_trait]
pub trait EventStore {
    /// Stores a batch in one transaction, durable when this returns. With a key that was used
    /// before in the workspace, stores nothing and answers the first receipt (`replayed`).
    async fn append_events(
        &self,
        workspace: WorkspaceId,
        key: Option<BatchKey<'_>>,
        events: &[NewEvent<'_>],
        now: DateTime<Utc>,
    ) -> StoreResult<BatchReceipt>;

    /// Starts an all-or-nothing import into `workspace`.
    async fn begin_event_import(&self, workspace: WorkspaceId)
    -> StoreResult<Box<dyn EventImport>>;

    /// Calls `visit` for every event of `workspace` in the order they were stored (batch by
    /// batch, each batch in its own order); answers how many there were. Readers group by case
    /// themselves: keeping events sorted by case in the store cost a random index insert per
    /// event on the ingest path.
    async fn scan_events(
        &self,
        workspace: WorkspaceId,
        visit: &mut (dyn for<'e> FnMut(StoredEvent<'e>) + Send),
    ) -> StoreResult<u64>;

    /// Each case of `workspace` that has an event with attribute `key`, and that attribute's
    /// value on the earliest such event (by time, then storage order), sorted by case id. A
    /// string value is answered as it is, a number or boolean as its JSON text; `null`, an
    /// object or an array counts as no value.
    async fn case_attribute(
        &self,
        workspace: WorkspaceId,
        key: &str,
    ) -> StoreResult<Vec<(String, String)>>;

    /// The attribute keys of `workspace`'s events that carry a string, number or boolean, each
    /// with its number of such events: most used first, then by key; at most `limit`.
    async fn attribute_key_counts(
        &self,
        workspace: WorkspaceId,
        limit: u32,
    ) -> StoreResult<Vec<(String, u64)>>;

    /// Every distinct event name of `workspace` with its number of events, by name.
    async fn event_name_counts(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, u64)>>;

    /// Stores a mapping rule (validated by the caller against its journey).
    async fn add_mapping_rule(&self, rule: &MappingRule) -> StoreResult<()>;
    /// A mapping rule by id.
    async fn mapping_rule(&self, id: MappingRuleId) -> StoreResult<MappingRule>;
    /// The mapping rules of a journey, oldest first.
    async fn mapping_rules(&self, journey: JourneyId) -> StoreResult<Vec<MappingRule>>;
    /// Replaces a rule's kind, pattern and touchpoint.
    async fn update_mapping_rule(&self, rule: &MappingRule) -> StoreResult<()>;
    /// Deletes a rule.
    async fn delete_mapping_rule(&self, id: MappingRuleId) -> StoreResult<()>;
}
