//! A journey's view of its workspace's events: the events loaded from the store into a columnar
//! [`EventLog`], with each event named by the touchpoint its mapping rules send it to, and the
//! per-touchpoint volume and drop-off badges drawn on the map.

use std::collections::{BTreeMap, HashMap};

use cxmap_analytics::{BuildError, EventLog, EventLogBuilder};
use cxmap_domain::{EventMapper, Journey, Lang, TouchpointId, WorkspaceId};
use cxmap_render::{Badge, Tone};
use cxmap_store::StoredEvent;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// What an event is called in the loaded log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// The mapped touchpoint's name; unmapped events are left out.
    Touchpoint,
    /// The mapped touchpoint's name, or the raw event name when unmapped (for conformance:
    /// observed steps that are not on the map stay visible).
    TouchpointOrRaw,
    /// The raw event name, mapping ignored.
    Raw,
    /// The mapped touchpoint's id; unmapped events are left out (for the map overlay).
    TouchpointId,
}

/// The mapper of a journey, from its stored rules.
pub async fn mapper(state: &AppState, journey: &Journey) -> ApiResult<EventMapper> {
    let rules = state.store.mapping_rules(journey.id).await?;
    Ok(EventMapper::new(journey, &rules))
}

/// The workspace whose events `journey` is measured by.
pub async fn workspace_of(state: &AppState, journey: &Journey) -> ApiResult<WorkspaceId> {
    Ok(state.store.project(journey.project_id).await?.workspace_id)
}

/// Loads the events of `journey`'s workspace, named as `naming` says.
pub async fn load_log(state: &AppState, journey: &Journey, naming: Naming) -> ApiResult<EventLog> {
    let workspace = workspace_of(state, journey).await?;
    let mapper = mapper(state, journey).await?;
    let label_of = |id: TouchpointId| -> String {
        match naming {
            Naming::TouchpointId => id.to_string(),
            _ => journey
                .touchpoint(id)
                .map(|t| t.name.as_str().to_owned())
                .unwrap_or_default(),
        }
    };
    // Event names repeat; each distinct name is mapped once.
    let mut labels: HashMap<String, Option<String>> = HashMap::new();
    let mut builder = EventLogBuilder::new();
    let mut failed: Option<BuildError> = None;
    let mut visit = |e: StoredEvent<'_>| {
        if failed.is_some() {
            return;
        }
        if !labels.contains_key(e.activity) {
            let label = match naming {
                Naming::Raw => Some(e.activity.to_owned()),
                Naming::TouchpointOrRaw => Some(
                    mapper
                        .touchpoint_of(e.activity)
                        .map_or_else(|| e.activity.to_owned(), label_of),
                ),
                Naming::Touchpoint | Naming::TouchpointId => {
                    mapper.touchpoint_of(e.activity).map(label_of)
                }
            };
            labels.insert(e.activity.to_owned(), label);
        }
        let label = labels.get(e.activity).and_then(Option::as_deref);
        if let Some(label) = label
            && let Err(err) = builder.push(e.case_id, label, e.ts_us.div_euclid(1000))
        {
            failed = Some(err);
        }
    };
    state.store.scan_events(workspace, &mut visit).await?;
    if let Some(err) = failed {
        return Err(ApiError::invalid_field("events", err.to_string()));
    }
    tokio::task::spawn_blocking(move || builder.finish())
        .await
        .map_err(ApiError::internal)
}

/// How many cases reached a touchpoint and how many of them ended their journey there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TouchpointVolume {
    /// Cases with at least one event at the touchpoint.
    pub cases: u64,
    /// Cases whose last mapped event was at the touchpoint.
    pub ended_here: u64,
}

/// Volume and drop-off per touchpoint, from a log named by [`Naming::TouchpointId`].
pub fn volumes(log: &EventLog) -> BTreeMap<TouchpointId, TouchpointVolume> {
    let names = log.activity_names();
    let mut per_code = vec![TouchpointVolume::default(); names.len()];
    let mut seen = vec![u64::MAX; names.len()];
    for case in log.cases() {
        for &a in case.activities {
            let a = a as usize;
            if let (Some(mark), Some(v)) = (seen.get_mut(a), per_code.get_mut(a))
                && *mark != case.index as u64
            {
                *mark = case.index as u64;
                v.cases += 1;
            }
        }
        if let Some(v) = case
            .activities
            .last()
            .and_then(|&a| per_code.get_mut(a as usize))
        {
            v.ended_here += 1;
        }
    }
    names
        .iter()
        .zip(per_code)
        .filter_map(|(name, v)| name.parse().ok().map(|id| (id, v)))
        .collect()
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Drop-off at or above this share reads as bad (red), at or below [`GOOD_DROP_OFF`] as good.
const BAD_DROP_OFF: f64 = 0.30;
const GOOD_DROP_OFF: f64 = 0.10;

/// The badges of the map: per touchpoint, the cases that reached it and the share of them that
/// ended their journey there (not shown for the journey's last touchpoint, where ending is the
/// goal). Empty when the journey has no mapping rules, so maps without events cost no scan.
pub async fn overlay(
    state: &AppState,
    journey: &Journey,
    lang: Lang,
) -> ApiResult<BTreeMap<TouchpointId, Vec<Badge>>> {
    if state.store.mapping_rules(journey.id).await?.is_empty() {
        return Ok(BTreeMap::new());
    }
    let log = load_log(state, journey, Naming::TouchpointId).await?;
    let last = journey.touchpoints().last().map(|(_, t)| t.id);
    let (cases_l, drop_l) = match lang {
        Lang::Ko => ("고객", "이탈"),
        Lang::En => ("Cases", "Drop-off"),
    };
    Ok(volumes(&log)
        .into_iter()
        .map(|(id, v)| {
            let mut badges = vec![Badge::new(cases_l, thousands(v.cases), Tone::Neutral)];
            if Some(id) != last && v.cases > 0 {
                let share = v.ended_here as f64 / v.cases as f64;
                let tone = if share >= BAD_DROP_OFF {
                    Tone::Bad
                } else if share <= GOOD_DROP_OFF {
                    Tone::Good
                } else {
                    Tone::Neutral
                };
                badges.push(Badge::new(
                    drop_l,
                    format!("{:.0}% ({})", share * 100.0, thousands(v.ended_here)),
                    tone,
                ));
            }
            (id, badges)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_count_cases_once_and_where_they_ended() {
        let (a, b) = (TouchpointId::new(), TouchpointId::new());
        let mut builder = EventLogBuilder::new();
        for (case, tp, ts) in [
            ("1", a, 1),
            ("1", b, 2),
            ("1", a, 3),
            ("2", a, 1),
            ("3", a, 1),
            ("3", b, 5),
        ] {
            builder.push(case, &tp.to_string(), ts).unwrap();
        }
        let v = volumes(&builder.finish());
        assert_eq!(
            v[&a],
            TouchpointVolume {
                cases: 3,
                ended_here: 2
            }
        );
        assert_eq!(
            v[&b],
            TouchpointVolume {
                cases: 2,
                ended_here: 1
            }
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
