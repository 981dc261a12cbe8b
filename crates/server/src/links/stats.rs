//! Click analytics: folds the store's grouped counts into the JSON the API answers with, per
//! link and per journey (touchpoint rollups, most and least used, trends).

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};
use cxmap_domain::{Journey, LinkId, StageId, TouchpointId};
use cxmap_store::{ClickCount, ClickSource, Link};
use serde::Serialize;
use utoipa::ToSchema;

/// Clicks on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayCount {
    /// The UTC day.
    pub day: NaiveDate,
    /// All clicks.
    pub clicks: i64,
    /// Clicks by people.
    pub human_clicks: i64,
    /// Clicks by bots, crawlers and link previews.
    pub bot_clicks: i64,
}

/// Human clicks sharing one value of a dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeyCount {
    /// The value ("m.search.naver.com", "mobile", "KR", "qr" …; "(direct)" / "(unknown)" when
    /// absent).
    pub key: String,
    /// Human clicks.
    pub clicks: i64,
}

/// The analytics of one link (the `GET /api/v1/links/{slug}/stats` contract).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct LinkStats {
    /// Every recorded redirect.
    pub clicks: i64,
    /// Redirects followed by people.
    pub human_clicks: i64,
    /// Redirects fetched by bots, crawlers, link previews and scripts.
    pub bot_clicks: i64,
    /// Estimated distinct people (per day, summed).
    pub unique_visitors: i64,
    /// Human clicks that came from the QR code.
    pub qr_clicks: i64,
    /// Human clicks on the link itself.
    pub link_clicks: i64,
    /// The window in days, when one was asked for.
    pub days: Option<u32>,
    /// Clicks per UTC day, oldest first (every day of the window when one was asked for).
    pub by_day: Vec<DayCount>,
    /// Human clicks by referrer host.
    pub referrers: Vec<KeyCount>,
    /// Human clicks by device class.
    pub devices: Vec<KeyCount>,
    /// Human clicks by browser.
    pub browsers: Vec<KeyCount>,
    /// Human clicks by country (when GeoIP is configured).
    pub countries: Vec<KeyCount>,
    /// Human clicks by source (`link` or `qr`).
    pub sources: Vec<KeyCount>,
}

fn ranked(map: HashMap<String, i64>) -> Vec<KeyCount> {
    let mut out: Vec<KeyCount> = map
        .into_iter()
        .map(|(key, clicks)| KeyCount { key, clicks })
        .collect();
    out.sort_by(|a, b| b.clicks.cmp(&a.clicks).then_with(|| a.key.cmp(&b.key)));
    out
}

/// Days of `[first, last]` with zero counts where nothing was clicked.
fn series(counts: &[ClickCount], window: Option<(NaiveDate, NaiveDate)>) -> Vec<DayCount> {
    let mut days: BTreeMap<NaiveDate, DayCount> = BTreeMap::new();
    if let Some((first, last)) = window {
        let mut day = first;
        while day <= last {
            days.insert(
                day,
                DayCount {
                    day,
                    ..DayCount::default()
                },
            );
            let Some(next) = day.checked_add_days(Days::new(1)) else {
                break;
            };
            day = next;
        }
    }
    for c in counts {
        let entry = days.entry(c.day).or_insert_with(|| DayCount {
            day: c.day,
            ..DayCount::default()
        });
        entry.clicks += c.count;
        if c.bot {
            entry.bot_clicks += c.count;
        } else {
            entry.human_clicks += c.count;
        }
    }
    days.into_values().collect()
}

/// The window `[today - days + 1, today]`.
pub fn window(today: NaiveDate, days: Option<u32>) -> Option<(NaiveDate, NaiveDate)> {
    let days = days?;
    today
        .checked_sub_days(Days::new(u64::from(days.saturating_sub(1))))
        .map(|first| (first, today))
}

/// Folds grouped counts into link statistics.
pub fn link_stats(
    counts: &[ClickCount],
    unique_visitors: i64,
    days: Option<u32>,
    today: NaiveDate,
) -> LinkStats {
    let mut stats = LinkStats {
        unique_visitors,
        days,
        by_day: series(counts, window(today, days)),
        ..LinkStats::default()
    };
    let mut referrers = HashMap::new();
    let mut devices = HashMap::new();
    let mut browsers = HashMap::new();
    let mut countries = HashMap::new();
    let mut sources = HashMap::new();
    for c in counts {
        stats.clicks += c.count;
        if c.bot {
            stats.bot_clicks += c.count;
            continue;
        }
        stats.human_clicks += c.count;
        match c.source {
            ClickSource::Qr => stats.qr_clicks += c.count,
            ClickSource::Link => stats.link_clicks += c.count,
        }
        let key = |v: &Option<String>, none: &str| v.clone().unwrap_or_else(|| none.to_owned());
        *referrers
            .entry(key(&c.referrer_host, "(direct)"))
            .or_default() += c.count;
        *devices.entry(c.device.clone()).or_default() += c.count;
        *browsers.entry(c.browser.clone()).or_default() += c.count;
        *countries.entry(key(&c.country, "(unknown)")).or_default() += c.count;
        *sources.entry(c.source.as_str().to_owned()).or_default() += c.count;
    }
    stats.referrers = ranked(referrers);
    stats.devices = ranked(devices);
    stats.browsers = ranked(browsers);
    stats.countries = ranked(countries);
    stats.sources = ranked(sources);
    stats
}

/// One touchpoint's clicks in a journey rollup.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TouchpointClicks {
    /// The touchpoint.
    pub touchpoint_id: TouchpointId,
    /// Its stage.
    pub stage_id: StageId,
    /// The stage's name.
    pub stage: String,
    /// The touchpoint's name.
    pub name: String,
    /// Links attached to it (0 = not measured by links).
    pub links: usize,
    /// All clicks in the window.
    pub clicks: i64,
    /// Human clicks in the window.
    pub human_clicks: i64,
    /// Bot clicks in the window.
    pub bot_clicks: i64,
    /// Human QR scans in the window.
    pub qr_clicks: i64,
    /// Human clicks in the last 7 days.
    pub last_7_days: i64,
    /// Human clicks in the 7 days before those.
    pub previous_7_days: i64,
    /// Change of the last 7 days over the 7 before, in percent (absent when there were none).
    pub trend_pct: Option<f64>,
}

/// Click analytics of a journey by touchpoint.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JourneyLinkStats {
    /// The window in days.
    pub days: u32,
    /// All clicks on the journey's links in the window.
    pub clicks: i64,
    /// Human clicks.
    pub human_clicks: i64,
    /// Bot clicks.
    pub bot_clicks: i64,
    /// Estimated distinct people (per day, summed).
    pub unique_visitors: i64,
    /// Every touchpoint in map order.
    pub touchpoints: Vec<TouchpointClicks>,
    /// Measured touchpoints with the most human clicks, most first (up to 3).
    pub most_used: Vec<TouchpointId>,
    /// Measured touchpoints with the fewest human clicks, fewest first (up to 3): candidates
    /// for bottlenecks.
    pub least_used: Vec<TouchpointId>,
    /// Touchpoints with no link yet.
    pub untracked: Vec<TouchpointId>,
    /// Clicks per day over the window.
    pub by_day: Vec<DayCount>,
}

/// Rolls a journey's link clicks up per touchpoint. `counts` must cover at least the window
/// and the 14 days of the trend.
pub fn journey_stats(
    journey: &Journey,
    links: &[Link],
    counts: &[ClickCount],
    unique_visitors: i64,
    days: u32,
    today: NaiveDate,
) -> JourneyLinkStats {
    let win = window(today, Some(days));
    let in_window = |day: NaiveDate| win.is_none_or(|(first, _)| day >= first);
    let days_ago = |day: NaiveDate| (today - day).num_days();
    let touchpoint_of: HashMap<LinkId, TouchpointId> = links
        .iter()
        .filter_map(|l| l.touchpoint_id.map(|tp| (l.id, tp)))
        .collect();
    let mut rows: Vec<TouchpointClicks> = journey
        .touchpoints()
        .map(|(stage, tp)| TouchpointClicks {
            touchpoint_id: tp.id,
            stage_id: stage.id,
            stage: stage.name.as_str().to_owned(),
            name: tp.name.as_str().to_owned(),
            links: links
                .iter()
                .filter(|l| l.touchpoint_id == Some(tp.id))
                .count(),
            clicks: 0,
            human_clicks: 0,
            bot_clicks: 0,
            qr_clicks: 0,
            last_7_days: 0,
            previous_7_days: 0,
            trend_pct: None,
        })
        .collect();
    let index: HashMap<TouchpointId, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.touchpoint_id, i))
        .collect();
    let windowed: Vec<ClickCount> = counts
        .iter()
        .filter(|c| in_window(c.day))
        .cloned()
        .collect();
    for c in counts {
        let Some(row) = touchpoint_of
            .get(&c.link_id)
            .and_then(|tp| index.get(tp))
            .and_then(|i| rows.get_mut(*i))
        else {
            continue;
        };
        let ago = days_ago(c.day);
        if !c.bot && (0..7).contains(&ago) {
            row.last_7_days += c.count;
        } else if !c.bot && (7..14).contains(&ago) {
            row.previous_7_days += c.count;
        }
        if !in_window(c.day) {
            continue;
        }
        row.clicks += c.count;
        if c.bot {
            row.bot_clicks += c.count;
        } else {
            row.human_clicks += c.count;
            if c.source == ClickSource::Qr {
                row.qr_clicks += c.count;
            }
        }
    }
    for row in &mut rows {
        if row.previous_7_days > 0 {
            let change =
                (row.last_7_days - row.previous_7_days) as f64 / row.previous_7_days as f64;
            row.trend_pct = Some((change * 1000.0).round() / 10.0);
        }
    }
    let mut tracked: Vec<&TouchpointClicks> = rows.iter().filter(|r| r.links > 0).collect();
    tracked.sort_by_key(|t| std::cmp::Reverse(t.human_clicks));
    let most_used = tracked.iter().take(3).map(|r| r.touchpoint_id).collect();
    let least_used = tracked
        .iter()
        .rev()
        .take(3)
        .map(|r| r.touchpoint_id)
        .collect();
    let untracked = rows
        .iter()
        .filter(|r| r.links == 0)
        .map(|r| r.touchpoint_id)
        .collect();
    let summary = link_stats(&windowed, unique_visitors, Some(days), today);
    JourneyLinkStats {
        days,
        clicks: summary.clicks,
        human_clicks: summary.human_clicks,
        bot_clicks: summary.bot_clicks,
        unique_visitors,
        touchpoints: rows,
        most_used,
        least_used,
        untracked,
        by_day: summary.by_day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(day: NaiveDate, bot: bool, source: ClickSource, n: i64, link: LinkId) -> ClickCount {
        ClickCount {
            link_id: link,
            day,
            source,
            bot,
            device: if bot { "bot" } else { "mobile" }.into(),
            browser: "Safari".into(),
            referrer_host: None,
            country: Some("KR".into()),
            count: n,
        }
    }

    #[test]
    fn link_stats_split_people_from_bots_and_fill_the_window() {
        let today = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        let link = LinkId::new();
        let counts = vec![
            count(today, false, ClickSource::Qr, 5, link),
            count(today, true, ClickSource::Link, 2, link),
            count(
                today.pred_opt().unwrap().pred_opt().unwrap(),
                false,
                ClickSource::Link,
                3,
                link,
            ),
        ];
        let s = link_stats(&counts, 4, Some(7), today);
        assert_eq!((s.clicks, s.human_clicks, s.bot_clicks), (10, 8, 2));
        assert_eq!((s.qr_clicks, s.link_clicks), (5, 3));
        assert_eq!(s.by_day.len(), 7);
        assert_eq!(s.by_day.last().unwrap().human_clicks, 5);
        assert_eq!(s.by_day[4].clicks, 3);
        assert_eq!(
            s.referrers,
            vec![KeyCount {
                key: "(direct)".into(),
                clicks: 8
            }]
        );
        assert_eq!(s.devices[0].key, "mobile");
        assert_eq!(
            s.sources[0],
            KeyCount {
                key: "qr".into(),
                clicks: 5
            }
        );
    }
}
