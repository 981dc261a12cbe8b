//! Event analyses of a journey, computed by `cxmap-analytics` on the workspace's stored events.
//! Activities are the touchpoints the mapping rules send events to (`?raw=true`: the event
//! names as sent). The JSON shapes are the `cxmap analyze --format json` contract.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use cxmap_analytics::{
    self as analytics, Bottlenecks, Conformance, Dfg, FunnelReport, FunnelSpec, Variants,
};
use cxmap_domain::{Journey, JourneyId, Lang, Role, TouchpointId};
use cxmap_render::{ProcessActivity, ProcessEdge, ProcessMap};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::maps::download;
use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Principal};
use crate::journey_events::{Naming, load_log, volumes, workspace_of};

/// Which names the analysis uses.
#[derive(Deserialize, IntoParams)]
pub struct RawQuery {
    /// Use the raw event names instead of the mapped touchpoints.
    #[serde(default)]
    raw: bool,
}

impl RawQuery {
    fn naming(&self) -> Naming {
        if self.raw {
            Naming::Raw
        } else {
            Naming::Touchpoint
        }
    }
}

async fn journey_log(
    state: &AppState,
    user: &cxmap_store::User,
    id: JourneyId,
    naming: impl FnOnce(&Journey) -> Naming,
) -> ApiResult<(Journey, analytics::EventLog)> {
    let (journey, _) = access::journey(state, user, id, Role::Viewer).await?;
    let log = load_log(state, &journey, naming(&journey)).await?;
    Ok((journey, log))
}

/// The designed touchpoint order of a journey: stages in order, touchpoints in order.
fn design(journey: &Journey) -> Vec<String> {
    journey
        .touchpoints()
        .map(|(_, t)| t.name.as_str().to_owned())
        .collect()
}

/// Directly-follows graph: activity counts, start/end activities, edges with mean time.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/analytics/dfg", tag = "analytics",
    params(("id" = JourneyId, Path), RawQuery), responses((status = 200, body = Object)))]
pub async fn dfg(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<RawQuery>,
) -> ApiResult<Json<Dfg>> {
    let (_, log) = journey_log(&state, &user, id, |_| q.naming()).await?;
    Ok(Json(analytics::dfg(&log)))
}

/// Variant options.
#[derive(Deserialize, IntoParams)]
pub struct VariantsQuery {
    /// Use the raw event names instead of the mapped touchpoints.
    #[serde(default)]
    raw: bool,
    /// How many variants (most frequent first; ties by activities).
    #[serde(default = "default_top_variants")]
    top: usize,
}

fn default_top_variants() -> usize {
    20
}

/// The most frequent variants (distinct paths) with their case counts.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/analytics/variants", tag = "analytics",
    params(("id" = JourneyId, Path), VariantsQuery), responses((status = 200, body = Object)))]
pub async fn variants(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<VariantsQuery>,
) -> ApiResult<Json<Variants>> {
    let naming = RawQuery { raw: q.raw }.naming();
    let (_, log) = journey_log(&state, &user, id, |_| naming).await?;
    Ok(Json(analytics::variants(&log, Some(q.top))))
}

/// Funnel options.
#[derive(Deserialize, IntoParams)]
pub struct FunnelQuery {
    /// Use the raw event names instead of the mapped touchpoints.
    #[serde(default)]
    raw: bool,
    /// Ordered steps, comma-separated; default: the journey's touchpoints in designed order.
    steps: Option<String>,
    /// Conversion window from the first to the last step: a number with s, m, h, d or w
    /// (e.g. `30d`); default 30d.
    window: Option<String>,
    /// An event attribute to split the funnel by (e.g. `channel`). A case belongs to the
    /// segment of that attribute's value on its earliest event that has one; cases without it
    /// form the segment `null`.
    segment: Option<String>,
}

/// Parses `30d`, `12h`, `90m`, `45s`, `2w` or bare seconds into milliseconds.
fn window_ms(text: &str) -> ApiResult<i64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let unit_ms: i64 = match unit {
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => 0,
    };
    number
        .parse::<i64>()
        .ok()
        .filter(|_| unit_ms > 0)
        .and_then(|n| n.checked_mul(unit_ms))
        .ok_or_else(|| {
            ApiError::invalid_field(
                "window",
                format!("{text:?} is not a duration like 30d, 12h or 90m"),
            )
        })
}

/// The exact window funnel over ordered steps (windowFunnel semantics, exact maximum).
#[utoipa::path(get, path = "/api/v1/journeys/{id}/analytics/funnel", tag = "analytics",
    params(("id" = JourneyId, Path), FunnelQuery), responses((status = 200, body = Object)))]
pub async fn funnel(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<FunnelQuery>,
) -> ApiResult<Json<FunnelReport>> {
    let window_ms = window_ms(q.window.as_deref().unwrap_or("30d"))?;
    let naming = RawQuery { raw: q.raw }.naming();
    let (journey, log) = journey_log(&state, &user, id, |_| naming).await?;
    let steps: Vec<String> = match &q.steps {
        Some(steps) => steps.split(',').map(|s| s.trim().to_owned()).collect(),
        None => design(&journey),
    };
    if steps.is_empty() || steps.iter().any(String::is_empty) {
        return Err(ApiError::invalid_field(
            "steps",
            "list the steps as A,B,C with no empty name",
        ));
    }
    let spec = FunnelSpec { steps, window_ms };
    match q.segment.as_deref().map(str::trim) {
        None => Ok(Json(analytics::funnel(&log, &spec).into())),
        Some("") => Err(ApiError::invalid_field(
            "segment",
            "name the event attribute to split by",
        )),
        Some(key) => {
            let workspace = workspace_of(&state, &journey).await?;
            let values: HashMap<String, String> = state
                .store
                .case_attribute(workspace, key)
                .await?
                .into_iter()
                .collect();
            let split = analytics::funnel_by_segment(&log, &spec, |case| {
                Some(values.get(case.id).cloned())
            });
            Ok(Json(split.into()))
        }
    }
}

/// How many attribute keys the picker lists at most.
const ATTRIBUTE_KEYS_LIMIT: u32 = 100;

/// The event attributes a funnel can be split by.
#[derive(Serialize)]
pub struct AttributeKeys {
    /// Most used first, then by key; at most 100.
    attributes: Vec<AttributeKey>,
}

/// One event attribute key.
#[derive(Serialize)]
pub struct AttributeKey {
    key: String,
    /// Events that carry it with a string, number or boolean value.
    events: u64,
}

/// The event attribute keys of the journey's workspace, for `segment` on the funnel.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/analytics/attributes", tag = "analytics",
    params(("id" = JourneyId, Path)), responses((status = 200, body = Object)))]
pub async fn attributes(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Json<AttributeKeys>> {
    let (journey, _) = access::journey(&state, &user, id, Role::Viewer).await?;
    let workspace = workspace_of(&state, &journey).await?;
    let keys = state
        .store
        .attribute_key_counts(workspace, ATTRIBUTE_KEYS_LIMIT)
        .await?;
    Ok(Json(AttributeKeys {
        attributes: keys
            .into_iter()
            .map(|(key, events)| AttributeKey { key, events })
            .collect(),
    }))
}

/// Per touchpoint of the journey, what its mapped events show.
#[derive(Serialize)]
pub struct TouchpointVolumes {
    /// Cases with at least one mapped event.
    cases: u64,
    /// Touchpoints with at least one mapped event, in designed order.
    touchpoints: Vec<TouchpointVolumeRow>,
}

/// One touchpoint's volume and drop-off.
#[derive(Serialize)]
pub struct TouchpointVolumeRow {
    id: TouchpointId,
    /// Cases with at least one event mapped to the touchpoint.
    cases: u64,
    /// Cases whose last mapped event is at the touchpoint.
    ended_here: u64,
}

/// Volume and drop-off per touchpoint: the badges of the map, as data.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/analytics/touchpoints", tag = "analytics",
    params(("id" = JourneyId, Path)), responses((status = 200, body = Object)))]
pub async fn touchpoints(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Json<TouchpointVolumes>> {
    let (journey, log) = journey_log(&state, &user, id, |_| Naming::TouchpointId).await?;
    let mut volumes = volumes(&log);
    Ok(Json(TouchpointVolumes {
        cases: log.case_count() as u64,
        touchpoints: journey
            .touchpoints()
            .filter_map(|(_, t)| {
                let v = volumes.remove(&t.id)?;
                Some(TouchpointVolumeRow {
                    id: t.id,
                    cases: v.cases,
                    ended_here: v.ended_here,
                })
            })
            .collect(),
    }))
}

/// Bottleneck options.
#[derive(Deserialize, IntoParams)]
pub struct BottleneckQuery {
    /// Use the raw event names instead of the mapped touchpoints.
    #[serde(default)]
    raw: bool,
    /// How many transitions to list.
    #[serde(default = "default_top_bottlenecks")]
    top: usize,
    /// Ignore transitions seen fewer times than this.
    #[serde(default = "default_min_count")]
    min_count: u64,
}

fn default_top_bottlenecks() -> usize {
    10
}

fn default_min_count() -> u64 {
    1
}

/// The slowest transitions between activities, by mean and by median time.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/analytics/bottlenecks", tag = "analytics",
    params(("id" = JourneyId, Path), BottleneckQuery), responses((status = 200, body = Object)))]
pub async fn bottlenecks(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<BottleneckQuery>,
) -> ApiResult<Json<Bottlenecks>> {
    let naming = RawQuery { raw: q.raw }.naming();
    let (_, log) = journey_log(&state, &user, id, |_| naming).await?;
    Ok(Json(analytics::bottlenecks(&log, q.top, q.min_count)))
}

/// Conformance of the observed cases with the journey's designed touchpoint order: per designed
/// touchpoint, how many cases visited it in order, skipped it or visited it out of order; and
/// the observed events that are not on the map (unmapped event names count as such).
#[utoipa::path(get, path = "/api/v1/journeys/{id}/analytics/conformance", tag = "analytics",
    params(("id" = JourneyId, Path), RawQuery), responses((status = 200, body = Object)))]
pub async fn conformance(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<RawQuery>,
) -> ApiResult<Json<Conformance>> {
    let naming = if q.raw {
        Naming::Raw
    } else {
        Naming::TouchpointOrRaw
    };
    let (journey, log) = journey_log(&state, &user, id, |_| naming).await?;
    Ok(Json(analytics::conformance(&log, &design(&journey))))
}

/// Process-map options.
#[derive(Deserialize, IntoParams)]
pub struct ProcessMapQuery {
    /// Use the raw event names instead of the mapped touchpoints.
    #[serde(default)]
    raw: bool,
    /// Language of the labels (`ko` or `en`).
    #[serde(default)]
    lang: Lang,
}

/// The directly-follows graph drawn as a process map (SVG).
#[utoipa::path(get, path = "/api/v1/journeys/{id}/analytics/process-map.svg", tag = "analytics",
    params(("id" = JourneyId, Path), ProcessMapQuery),
    responses((status = 200, content_type = "image/svg+xml", body = String)))]
pub async fn process_map(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<ProcessMapQuery>,
) -> ApiResult<Response> {
    let naming = RawQuery { raw: q.raw }.naming();
    let (_, log) = journey_log(&state, &user, id, |_| naming).await?;
    let dfg = analytics::dfg(&log);
    let map = ProcessMap {
        cases: dfg.cases,
        activities: dfg
            .activities
            .iter()
            .map(|(name, &count)| ProcessActivity {
                name: name.clone(),
                count,
                start: dfg.start.get(name).copied().unwrap_or(0),
                end: dfg.end.get(name).copied().unwrap_or(0),
            })
            .collect(),
        edges: dfg
            .edges
            .into_iter()
            .map(|e| ProcessEdge {
                from: e.from,
                to: e.to,
                count: e.count,
                mean_seconds: e.mean_seconds,
            })
            .collect(),
    };
    let svg = cxmap_render::render_process_map(&map, q.lang);
    Ok(download(
        "image/svg+xml",
        format!("process-map-{id}.svg"),
        svg,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_with_units() {
        assert_eq!(window_ms("30d").unwrap(), 30 * 86_400_000);
        assert_eq!(window_ms("90m").unwrap(), 90 * 60_000);
        assert_eq!(window_ms("45").unwrap(), 45_000);
        assert_eq!(window_ms("2w").unwrap(), 2 * 604_800_000);
        assert_eq!(
            window_ms("3y").unwrap_err().field.as_deref(),
            Some("window")
        );
        assert!(window_ms("d").is_err());
        assert!(window_ms("99999999999999999d").is_err());
    }
}
