//! Survey results on the map: one badge per survey on its touchpoint with the score, n and
//! the week-over-week trend. Used by every map render (SVG, PNG, PDF) and the read-only page.

use std::collections::BTreeMap;

use cxmap_domain::survey::SurveyKind;
use cxmap_domain::survey::results::{self, SurveyResults, THIN_SAMPLE, Trend};
use cxmap_domain::{Journey, TouchpointId};
use cxmap_render::{Badge, Tone};
use cxmap_store::{Store, StoreResult};

/// The badges of every survey on `journey`, by touchpoint.
pub async fn survey_overlay(
    store: &dyn Store,
    journey: &Journey,
) -> StoreResult<BTreeMap<TouchpointId, Vec<Badge>>> {
    let mut overlay: BTreeMap<TouchpointId, Vec<Badge>> = BTreeMap::new();
    for survey in store.surveys_of_journey(journey.id).await? {
        if journey.touchpoint(survey.touchpoint_id).is_none() {
            continue;
        }
        let answers = store.answers(survey.id).await?;
        let results = results::compute(survey.kind, &answers);
        overlay
            .entry(survey.touchpoint_id)
            .or_default()
            .push(badge(&results));
    }
    Ok(overlay)
}

/// The badge of one survey's results, e.g. `NPS` / `+32 (n=140) ↑`.
pub fn badge(results: &SurveyResults) -> Badge {
    let kind = results.kind;
    let Some(score) = results.score else {
        return Badge::new(kind.label(), "n=0", Tone::Neutral);
    };
    let value = match kind {
        SurveyKind::Nps => format!("{:+.0}", score),
        SurveyKind::Csat => format!("{score:.0}%"),
        SurveyKind::Ces => format!("{score:.1}/7"),
    };
    let arrow = match results.latest_trend() {
        Some(Trend::Up) => " ↑",
        Some(Trend::Down) => " ↓",
        Some(Trend::Flat) => " →",
        None => "",
    };
    // Colour only a score with enough answers to mean something.
    let (good, bad) = match kind {
        SurveyKind::Nps => (score >= 30.0, score < 0.0),
        SurveyKind::Csat => (score >= 80.0, score < 60.0),
        SurveyKind::Ces => (score >= 5.0, score < 4.0),
    };
    let tone = if results.n < THIN_SAMPLE {
        Tone::Neutral
    } else if good {
        Tone::Good
    } else if bad {
        Tone::Bad
    } else {
        Tone::Neutral
    };
    Badge::new(
        kind.label(),
        format!("{value} (n={}){arrow}", results.n),
        tone,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn badges_show_score_n_and_tone() {
        let empty = results::compute(SurveyKind::Nps, &[]);
        assert_eq!(badge(&empty).value, "n=0");
        let mut r = results::compute(SurveyKind::Csat, &[]);
        r.n = 40;
        r.score = Some(85.0);
        let b = badge(&r);
        assert_eq!(
            (b.label.as_str(), b.value.as_str(), b.tone),
            ("CSAT", "85% (n=40)", Tone::Good)
        );
        r.n = 10;
        assert_eq!(badge(&r).tone, Tone::Neutral);
    }
}
