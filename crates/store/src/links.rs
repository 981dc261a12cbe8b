//! Tracked short links and the clicks recorded on them.
//!
//! A [`Link`] belongs to a workspace and optionally to one touchpoint of one of its journeys.
//! Every redirect becomes a [`Click`]; clicks carry their own id so that writing the same click
//! twice (a replay after a crash or a lost commit acknowledgement) stores it once.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use cxmap_domain::{JourneyId, LinkId, Slug, TouchpointId, UserId, WorkspaceId};

use crate::error::StoreResult;

/// UTM campaign parameters appended to a link's target on redirect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utm {
    /// `utm_source`, e.g. "qr-poster".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `utm_medium`, e.g. "offline".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    /// `utm_campaign`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// `utm_term`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// `utm_content`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Utm {
    /// The parameters that are set, as `(utm_name, value)` pairs in a fixed order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("utm_source", &self.source),
            ("utm_medium", &self.medium),
            ("utm_campaign", &self.campaign),
            ("utm_term", &self.term),
            ("utm_content", &self.content),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
    }
}

/// A tracked short link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Its id.
    pub id: LinkId,
    /// The short code in `/l/{slug}`; unique across the store and never changed.
    pub slug: Slug,
    /// The owning workspace.
    pub workspace_id: WorkspaceId,
    /// The journey of the touchpoint, when the link measures one.
    pub journey_id: Option<JourneyId>,
    /// The touchpoint it measures, if any.
    pub touchpoint_id: Option<TouchpointId>,
    /// The http(s) URL redirected to, without the UTM parameters.
    pub target: String,
    /// UTM parameters appended on redirect.
    pub utm: Utm,
    /// An argon2 PHC string when the link asks for a password first.
    pub password_hash: Option<String>,
    /// After this instant the link answers "expired" instead of redirecting.
    pub expires_at: Option<DateTime<Utc>>,
    /// A disabled link answers "disabled" instead of redirecting.
    pub disabled: bool,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// How a visitor arrived: by clicking the link or by scanning its QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClickSource {
    /// The short link itself.
    Link,
    /// The QR code (which encodes the link with `?src=qr`).
    Qr,
}

impl ClickSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Qr => "qr",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "link" => Some(Self::Link),
            "qr" => Some(Self::Qr),
            _ => None,
        }
    }
}

/// One redirect answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Click {
    /// Unique per click (UUID v7); a second write of the same id is ignored.
    pub id: Uuid,
    /// The link followed.
    pub link_id: LinkId,
    /// When the redirect was answered.
    pub at: DateTime<Utc>,
    /// Link or QR.
    pub source: ClickSource,
    /// A bot, crawler, link-preview fetcher or script: recorded, never counted as a person.
    pub bot: bool,
    /// Device class: "desktop", "mobile", "feature_phone", "appliance", "bot" or "unknown".
    pub device: String,
    /// Browser name as the user-agent parser reports it, or "unknown".
    pub browser: String,
    /// The host of the `Referer`, if any.
    pub referrer_host: Option<String>,
    /// ISO 3166-1 alpha-2 country, when a GeoIP database is configured and knows the address.
    pub country: Option<String>,
    /// A daily-salted hash of address and user agent: counts unique visitors per day without
    /// keeping the address.
    pub visitor: Option<String>,
}

/// Which clicks a count covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickScope {
    /// The clicks of one link.
    Link(LinkId),
    /// The clicks of every link attached to a journey.
    Journey(JourneyId),
}

/// The number of clicks sharing every dimension below, on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickCount {
    /// The link.
    pub link_id: LinkId,
    /// The UTC day.
    pub day: NaiveDate,
    /// Link or QR.
    pub source: ClickSource,
    /// Bot or person.
    pub bot: bool,
    /// Device class.
    pub device: String,
    /// Browser name.
    pub browser: String,
    /// Referrer host, if any.
    pub referrer_host: Option<String>,
    /// Country, if known.
    pub country: Option<String>,
    /// How many clicks.
    pub count: i64,
}

/// Links, their clicks and the daily visitor salts.
#[async_trait]
pub trait LinkStore {
    /// Stores a new link; a taken slug is [`StoreError::AlreadyExists`](crate::StoreError).
    async fn create_link(&self, link: &Link) -> StoreResult<()>;
    /// A link by slug ([`StoreError::NotFound`](crate::StoreError) when there is none).
    async fn link_by_slug(&self, slug: &Slug) -> StoreResult<Link>;
    /// The links of a workspace, oldest first.
    async fn links(&self, workspace: WorkspaceId) -> StoreResult<Vec<Link>>;
    /// The links attached to a journey, oldest first.
    async fn journey_links(&self, journey: JourneyId) -> StoreResult<Vec<Link>>;
    /// Replaces everything but the id, slug, workspace, creator and creation time.
    async fn update_link(&self, link: &Link) -> StoreResult<()>;

    /// Stores clicks in ONE transaction: all are durable when this returns `Ok`, none when it
    /// fails. Clicks whose id is already stored, or whose link no longer exists, are skipped.
    async fn record_clicks(&self, clicks: &[Click]) -> StoreResult<()>;
    /// Click counts grouped by link, day and every dimension, for clicks at or after `since`.
    async fn click_counts(
        &self,
        scope: ClickScope,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<ClickCount>>;
    /// Distinct (visitor, day) pairs among human clicks at or after `since`: the unique-visitor
    /// estimate (a visitor is re-counted each day because the salt changes daily).
    async fn unique_visitors(
        &self,
        scope: ClickScope,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<i64>;

    /// The secret salt of `day` for visitor hashes: created on first use, then the same for
    /// every process sharing the store.
    async fn visitor_salt(&self, day: NaiveDate, fresh: &[u8]) -> StoreResult<Vec<u8>>;
}
