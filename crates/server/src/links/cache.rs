//! The in-process slug cache that answers redirects without the database.
//!
//! A found link is served from here for good; after [`FRESH_FOR`] the next request triggers
//! one background refresh and is still answered from the (stale) entry, so a database that
//! is slow or down never delays a known redirect. Misses are remembered for [`MISS_FOR`] so
//! a flood of random slugs costs at most one lookup per slug per interval.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cxmap_domain::LinkId;
use cxmap_store::Link;

use super::target;

/// How long a found link counts as current.
pub const FRESH_FOR: Duration = Duration::from_secs(30);
/// How long a miss is remembered.
pub const MISS_FOR: Duration = Duration::from_secs(10);
/// Remembered misses beyond this are dropped (a flood must not grow memory without bound).
const MAX_MISSES: usize = 100_000;

/// What a redirect needs to know about a link.
#[derive(Debug)]
pub struct CachedLink {
    /// The link.
    pub id: LinkId,
    /// The target with UTM parameters: the `Location` of the 302.
    pub location: String,
    /// The argon2 hash when a password is asked first.
    pub password_hash: Option<String>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Disabled links answer a page instead.
    pub disabled: bool,
}

impl From<&Link> for CachedLink {
    fn from(link: &Link) -> Self {
        Self {
            id: link.id,
            location: target::location(&link.target, &link.utm),
            password_hash: link.password_hash.clone(),
            expires_at: link.expires_at,
            disabled: link.disabled,
        }
    }
}

enum Entry {
    Found(Arc<CachedLink>, Instant),
    Missing(Instant),
}

/// What the cache knows about a slug.
pub enum Lookup {
    /// Current: answer from it.
    Fresh(Arc<CachedLink>),
    /// Old: answer from it and refresh in the background (this caller was chosen to).
    Stale(Arc<CachedLink>),
    /// Recently looked up and not found.
    Missing,
    /// Never seen, or a miss that is too old: ask the store.
    Unknown,
}

/// Slug → link.
#[derive(Default)]
pub struct LinkCache {
    entries: RwLock<HashMap<Box<str>, Entry>>,
}

impl LinkCache {
    /// Looks `slug` up; the first caller that finds a stale entry re-stamps it, so only it
    /// refreshes.
    pub fn get(&self, slug: &str) -> Lookup {
        let now = Instant::now();
        {
            let Ok(entries) = self.entries.read() else {
                return Lookup::Unknown;
            };
            match entries.get(slug) {
                Some(Entry::Found(link, at)) if now.duration_since(*at) < FRESH_FOR => {
                    return Lookup::Fresh(link.clone());
                }
                Some(Entry::Missing(at)) if now.duration_since(*at) < MISS_FOR => {
                    return Lookup::Missing;
                }
                Some(Entry::Found(..)) => {}
                _ => return Lookup::Unknown,
            }
        }
        let Ok(mut entries) = self.entries.write() else {
            return Lookup::Unknown;
        };
        match entries.get_mut(slug) {
            Some(Entry::Found(link, at)) => {
                if now.duration_since(*at) < FRESH_FOR {
                    Lookup::Fresh(link.clone())
                } else {
                    *at = now;
                    Lookup::Stale(link.clone())
                }
            }
            _ => Lookup::Unknown,
        }
    }

    /// Stores what the store said about a link (after a lookup or a change through the API).
    pub fn put(&self, slug: &str, link: &Link) -> Arc<CachedLink> {
        let cached = Arc::new(CachedLink::from(link));
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(slug.into(), Entry::Found(cached.clone(), Instant::now()));
        }
        cached
    }

    /// Remembers that the store has no such slug.
    pub fn put_missing(&self, slug: &str) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_MISSES {
                entries.retain(|_, e| matches!(e, Entry::Found(..)));
            }
            entries.insert(slug.into(), Entry::Missing(Instant::now()));
        }
    }
}
