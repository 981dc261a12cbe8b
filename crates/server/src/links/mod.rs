//! Tracked short links: the redirect hot path's machinery (slug cache, per-IP limits, visitor
//! classification, durable click writer) and the analytics and QR helpers the API uses.
//!
//! The hot path (`GET /l/{slug}`) touches the database only for a slug it has never seen (or
//! not seen for a while), through a small gate ([`MISS_LOOKUPS`] at a time) so that floods of
//! random slugs cannot crowd out anything else; every answered click is in the click journal
//! first (see [`clicks`]).

pub mod cache;
pub mod classify;
pub mod clicks;
pub mod qr;
pub mod stats;
pub mod target;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::NaiveDate;
use cxmap_domain::{Journey, Lang, Slug, TouchpointId};
use cxmap_render::{Badge, Tone};
use cxmap_store::{Click, ClickScope, ClickSource, Link, Store, StoreError, StoreResult};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::RngCore;
use tokio::sync::Semaphore;

use self::cache::{CachedLink, LinkCache, Lookup};
use self::clicks::ClickJournal;
pub use self::clicks::NotDurable;

/// How many slug lookups may wait on the database at once.
pub const MISS_LOOKUPS: usize = 4;

/// Settings of the link feature.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// The directory of the click journal: every click is appended there before its redirect
    /// is answered, and moved into the database in batches (see [`clicks`]). One directory per
    /// database. Without one, a private temporary directory is used, which a restarted process
    /// cannot find again: fine for tests, not for production.
    pub click_journal: Option<PathBuf>,
    /// A MaxMind / DB-IP country database for the click's country.
    pub geoip: Option<Arc<GeoIp>>,
    /// Target domains refused (a domain blocks its subdomains too).
    pub blocked_domains: Vec<String>,
    /// Redirects per second one client address may make (bursts of twice that); 0 = no limit.
    pub redirects_per_second: u32,
    /// Links one client address may create per minute; 0 = no limit.
    pub creates_per_minute: u32,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a proxy you run).
    pub trust_forwarded_for: bool,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            click_journal: None,
            geoip: None,
            blocked_domains: Vec::new(),
            redirects_per_second: 50,
            creates_per_minute: 60,
            trust_forwarded_for: false,
        }
    }
}

/// A country database (MaxMind GeoLite2/GeoIP2 Country or DB-IP Country Lite, `.mmdb`).
pub struct GeoIp(maxminddb::Reader<Vec<u8>>);

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GeoIp")
    }
}

impl GeoIp {
    /// Reads the whole database file into memory.
    pub fn open(path: &Path) -> Result<Self, maxminddb::MaxMindDbError> {
        maxminddb::Reader::open_readfile(path).map(Self)
    }

    /// The ISO 3166-1 alpha-2 code of the country of `ip`, if the database knows it.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        use maxminddb::PathElement::Key;
        self.0
            .lookup(ip)
            .ok()?
            .decode_path::<String>(&[Key("country"), Key("iso_code")])
            .ok()
            .flatten()
    }
}

/// What a redirect request tells about its visitor.
pub struct Request<'a> {
    /// The client address.
    pub ip: IpAddr,
    /// `User-Agent`.
    pub user_agent: Option<&'a str>,
    /// `Referer`.
    pub referer: Option<&'a str>,
    /// Whether it was a HEAD request.
    pub head: bool,
    /// Link or QR.
    pub source: ClickSource,
}

type Limiter = DefaultKeyedRateLimiter<IpAddr>;

fn limiter(quota: Option<Quota>) -> Option<Arc<Limiter>> {
    quota.map(|q| Arc::new(RateLimiter::keyed(q)))
}

/// The link feature's process-wide state.
pub struct Links {
    store: Arc<dyn Store>,
    config: LinkConfig,
    public_url: String,
    public_host: Option<String>,
    cache: Arc<LinkCache>,
    journal: Arc<ClickJournal>,
    redirect_limit: Option<Arc<Limiter>>,
    create_limit: Option<Arc<Limiter>>,
    password_limit: Option<Arc<Limiter>>,
    miss_gate: Arc<Semaphore>,
    salt: RwLock<Option<(NaiveDate, Arc<[u8]>)>>,
    classifier: classify::Classifier,
}

impl Links {
    /// Opens the click journal and starts its ingest (which first stores what an ended process
    /// left there) on the current Tokio runtime.
    pub fn start(
        store: Arc<dyn Store>,
        config: LinkConfig,
        public_url: &str,
    ) -> std::io::Result<Self> {
        let journal = Arc::new(match &config.click_journal {
            Some(dir) => ClickJournal::open(dir, store.clone())?,
            None => ClickJournal::open_private(store.clone())?,
        });
        journal.spawn_ingest();
        let per_second = NonZeroU32::new(config.redirects_per_second);
        let redirect_limit = limiter(per_second.map(|n| {
            Quota::per_second(n).allow_burst(n.saturating_mul(NonZeroU32::MIN.saturating_add(1)))
        }));
        let create_limit =
            limiter(NonZeroU32::new(config.creates_per_minute).map(Quota::per_minute));
        // Password guesses: argon2 is deliberately slow, and guessing must be too.
        let password_limit = limiter(NonZeroU32::new(10).map(Quota::per_minute));
        for limit in [&redirect_limit, &create_limit, &password_limit]
            .into_iter()
            .flatten()
        {
            let limit = limit.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    limit.retain_recent();
                    limit.shrink_to_fit();
                }
            });
        }
        Ok(Self {
            journal,
            store,
            public_url: public_url.trim_end_matches('/').to_owned(),
            public_host: url::Url::parse(public_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase)),
            config,
            cache: Arc::default(),
            redirect_limit,
            create_limit,
            password_limit,
            miss_gate: Arc::new(Semaphore::new(MISS_LOOKUPS)),
            salt: RwLock::new(None),
            classifier: classify::Classifier::default(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// `{public_url}/l/{slug}`.
    pub fn short_url(&self, slug: &Slug) -> String {
        format!("{}/l/{slug}", self.public_url)
    }

    /// What the QR code encodes: the short URL marked as a scan.
    pub fn qr_url(&self, slug: &Slug) -> String {
        format!("{}/l/{slug}?src=qr", self.public_url)
    }

    /// Checks a target URL (scheme, self-redirect, blocklist).
    pub fn validate_target(&self, raw: &str) -> Result<url::Url, target::TargetError> {
        target::validate(
            raw,
            self.public_host.as_deref(),
            &self.config.blocked_domains,
        )
    }

    fn allowed(limit: &Option<Arc<Limiter>>, ip: IpAddr) -> bool {
        limit.as_ref().is_none_or(|l| l.check_key(&ip).is_ok())
    }

    /// One more redirect from `ip` is within its limit.
    pub fn allow_redirect(&self, ip: IpAddr) -> bool {
        Self::allowed(&self.redirect_limit, ip)
    }

    /// One more link creation from `ip` is within its limit.
    pub fn allow_create(&self, ip: IpAddr) -> bool {
        Self::allowed(&self.create_limit, ip)
    }

    /// One more password attempt from `ip` is within its limit.
    pub fn allow_password(&self, ip: IpAddr) -> bool {
        Self::allowed(&self.password_limit, ip)
    }

    /// Puts a link created or changed through the API into the cache at once.
    pub fn remember(&self, link: &Link) {
        self.cache.put(link.slug.as_str(), link);
    }

    /// The link behind `slug`, from the cache when possible. A stale entry is answered at once
    /// and refreshed in the background; if the database fails, the stale entry keeps serving.
    pub async fn resolve(&self, slug: &Slug) -> StoreResult<Option<Arc<CachedLink>>> {
        match self.cache.get(slug.as_str()) {
            Lookup::Fresh(link) => return Ok(Some(link)),
            Lookup::Missing => return Ok(None),
            Lookup::Stale(link) => {
                let (store, cache, gate, slug) = (
                    self.store.clone(),
                    self.cache.clone(),
                    self.miss_gate.clone(),
                    slug.clone(),
                );
                tokio::spawn(async move {
                    let Ok(_permit) = gate.acquire().await else {
                        return;
                    };
                    match store.link_by_slug(&slug).await {
                        Ok(fresh) => {
                            cache.put(slug.as_str(), &fresh);
                        }
                        Err(StoreError::NotFound { .. }) => cache.put_missing(slug.as_str()),
                        Err(e) => {
                            tracing::debug!(error = %e, "link refresh failed; serving cached")
                        }
                    }
                });
                return Ok(Some(link));
            }
            Lookup::Unknown => {}
        }
        let _permit = self
            .miss_gate
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("shutting down".into()))?;
        // Another request may have loaded it while this one waited.
        if let Lookup::Fresh(link) = self.cache.get(slug.as_str()) {
            return Ok(Some(link));
        }
        match self.store.link_by_slug(slug).await {
            Ok(link) => Ok(Some(self.cache.put(slug.as_str(), &link))),
            Err(StoreError::NotFound { .. }) => {
                self.cache.put_missing(slug.as_str());
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn salt(&self, day: NaiveDate) -> Arc<[u8]> {
        if let Ok(guard) = self.salt.read()
            && let Some((d, salt)) = guard.as_ref()
            && *d == day
        {
            return salt.clone();
        }
        let mut fresh = [0u8; 32];
        rand::rng().fill_bytes(&mut fresh);
        // Shared through the store so that every process (and a restart) hashes alike; if the
        // store is down, a local salt only makes today's unique count a little high.
        let salt: Arc<[u8]> = match self.store.visitor_salt(day, &fresh).await {
            Ok(stored) => stored.into(),
            Err(e) => {
                tracing::warn!(error = %e, "visitor salt not stored; using a local one");
                fresh.to_vec().into()
            }
        };
        if let Ok(mut guard) = self.salt.write() {
            *guard = Some((day, salt.clone()));
        }
        salt
    }

    /// Records a click on `link` and returns once it is in the journal (durable against the
    /// process being killed).
    pub async fn record_click(
        &self,
        link: &CachedLink,
        request: &Request<'_>,
    ) -> Result<(), NotDurable> {
        let at = cxmap_domain::now();
        let visitor = self.classifier.classify(request.user_agent, request.head);
        let salt = self.salt(at.date_naive()).await;
        let click = Click {
            id: click_id(at),
            link_id: link.id,
            at,
            source: request.source,
            bot: visitor.bot,
            device: visitor.device.to_owned(),
            browser: visitor.browser,
            referrer_host: classify::referrer_host(request.referer),
            country: self
                .config
                .geoip
                .as_ref()
                .and_then(|g| g.country(request.ip)),
            visitor: Some(classify::visitor_hash(
                &salt,
                request.ip,
                request.user_agent,
            )),
        };
        self.journal.append(&click)
    }

    /// Moves every journaled click into the database, so that a read sees the clicks answered
    /// before it. When the database fails, the read goes on with what is stored.
    pub async fn flush_clicks(&self) {
        if let Err(e) = self.journal.ingest().await {
            tracing::warn!(error = %e, "journaled clicks not stored before a read");
        }
    }

    /// The journey's click rollup over the last `days` days.
    pub async fn journey_stats(
        &self,
        journey: &Journey,
        days: u32,
    ) -> StoreResult<stats::JourneyLinkStats> {
        self.flush_clicks().await;
        let now = cxmap_domain::now();
        let links = self.store.journey_links(journey.id).await?;
        if links.is_empty() {
            return Ok(stats::journey_stats(
                journey,
                &[],
                &[],
                0,
                days,
                now.date_naive(),
            ));
        }
        // The trend compares two 7-day spans, so read at least 14 days.
        let span = i64::from(days.max(14));
        let since = now.date_naive() - chrono::Days::new(span as u64 - 1);
        let since = since.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let scope = ClickScope::Journey(journey.id);
        let counts = self.store.click_counts(scope, since).await?;
        let window_start = stats::window(now.date_naive(), Some(days))
            .and_then(|(first, _)| first.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        let unique = self.store.unique_visitors(scope, window_start).await?;
        Ok(stats::journey_stats(
            journey,
            &links,
            &counts,
            unique,
            days,
            now.date_naive(),
        ))
    }

    /// Click badges per touchpoint for a map render (human clicks over 30 days, with the
    /// trend arrow); the most used touchpoint is green, the least used red.
    pub async fn map_overlay(
        &self,
        journey: &Journey,
        lang: Lang,
    ) -> StoreResult<BTreeMap<TouchpointId, Vec<Badge>>> {
        let rollup = self.journey_stats(journey, 30).await?;
        let label = match lang {
            Lang::Ko => "클릭 30일",
            Lang::En => "Clicks 30d",
        };
        let contrast = rollup.touchpoints.iter().filter(|t| t.links > 0).count() >= 2;
        Ok(rollup
            .touchpoints
            .iter()
            .filter(|t| t.links > 0)
            .map(|t| {
                let arrow = match t.trend_pct {
                    Some(p) if p >= 10.0 => " ▲",
                    Some(p) if p <= -10.0 => " ▼",
                    _ => "",
                };
                let tone = if contrast && rollup.most_used.first() == Some(&t.touchpoint_id) {
                    Tone::Good
                } else if contrast && rollup.least_used.first() == Some(&t.touchpoint_id) {
                    Tone::Bad
                } else {
                    Tone::Neutral
                };
                let value = format!("{}{arrow}", group_thousands(t.human_clicks));
                (t.touchpoint_id, vec![Badge::new(label, value, tone)])
            })
            .collect())
    }
}

/// A UUID v7 from the thread's generator: `Uuid::now_v7` asks the kernel for randomness on
/// every call, a system call per redirect.
fn click_id(at: chrono::DateTime<chrono::Utc>) -> uuid::Uuid {
    let mut random = [0u8; 10];
    rand::rng().fill_bytes(&mut random);
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default();
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

/// `1234567` → `1,234,567` (the same in Korean and English).
fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn click_ids_are_distinct_v7_ids_of_their_time() {
        let at = cxmap_domain::now();
        let (a, b) = (super::click_id(at), super::click_id(at));
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 7);
        let (secs, _) = a.get_timestamp().unwrap().to_unix();
        assert_eq!(secs, at.timestamp() as u64);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::group_thousands(0), "0");
        assert_eq!(super::group_thousands(999), "999");
        assert_eq!(super::group_thousands(1204), "1,204");
        assert_eq!(super::group_thousands(-1234567), "-1,234,567");
    }
}
