//! The results of one survey: score, n and 95% interval, the distribution, a weekly trend,
//! splits by channel and segment, a thin-sample warning and the free-text answers. Pure: the
//! caller hands in the answers.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::stats::{self, Estimate, NpsCounts};
use super::{Answer, Channel, Score, Segment, SurveyKind};

/// Below this many answers a score is flagged as a thin sample (PRODUCT.md).
pub const THIN_SAMPLE: u64 = 30;

/// How many free-text answers the results list (newest first).
pub const MAX_COMMENTS: usize = 200;

/// The full results document (the API contract `{"kind","n","score","ci95",…}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SurveyResults {
    /// nps, csat or ces.
    pub kind: SurveyKind,
    /// Number of answers.
    pub n: u64,
    /// NPS (−100…100), CSAT (% of 4–5) or CES (mean of 1–7); null without answers.
    pub score: Option<f64>,
    /// The 95% interval `[lo, hi]` of the score; null when there is none.
    pub ci95: Option<[f64; 2]>,
    /// The mean raw answer on the survey's scale.
    pub mean: Option<f64>,
    /// NPS only: counts of promoters, passives and detractors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<NpsBreakdown>,
    /// CES only: the share (%) of answers 5–7.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_5_7: Option<f64>,
    /// Count per scale value, every value of the scale listed.
    pub distribution: Vec<Bucket>,
    /// Per ISO week (Monday start, UTC), oldest first.
    pub trend: Vec<Group>,
    /// Per channel.
    pub by_channel: Vec<Group>,
    /// Per respondent segment (`(none)` for anonymous answers and unsegmented respondents).
    pub by_segment: Vec<Group>,
    /// Set when n is below [`THIN_SAMPLE`].
    pub warning: Option<Warning>,
    /// Free-text answers with their score, newest first (at most [`MAX_COMMENTS`]).
    pub comments: Vec<CommentRow>,
}

/// NPS counts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NpsBreakdown {
    /// 9–10.
    pub promoters: u64,
    /// 7–8.
    pub passives: u64,
    /// 0–6.
    pub detractors: u64,
}

/// How many answers had one value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// The scale value.
    pub value: u8,
    /// Its count.
    pub count: u64,
}

/// The score of one group of answers (a week, a channel, a segment).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// The week's Monday (`2025-03-03`), the channel or the segment.
    pub key: String,
    /// Answers in the group.
    pub n: u64,
    /// The group's score.
    pub score: Option<f64>,
    /// Its 95% interval.
    pub ci95: Option<[f64; 2]>,
}

/// A warning about the results.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// `thin_sample`.
    pub code: &'static str,
    /// 한국어
    pub ko: String,
    /// English
    pub en: String,
}

/// A free-text answer with its score.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommentRow {
    /// The score given with it.
    pub score: u8,
    /// detractor, passive or promoter.
    pub segment: Segment,
    /// The text (the follow-up answer, then extra answers as `key: text`).
    pub text: String,
    /// Where it came from.
    pub channel: Channel,
    /// When.
    pub answered_at: DateTime<Utc>,
}

/// The score of `scores` for `kind`.
pub fn estimate(kind: SurveyKind, scores: &[Score]) -> Estimate {
    match kind {
        SurveyKind::Nps => stats::nps(NpsCounts::of(scores.iter().filter_map(|s| match s {
            Score::Nps(v) => Some(*v),
            _ => None,
        }))),
        SurveyKind::Csat => stats::csat(scores.iter().filter_map(|s| match s {
            Score::Csat(v) => Some(*v),
            _ => None,
        })),
        SurveyKind::Ces => stats::ces(scores.iter().filter_map(|s| match s {
            Score::Ces(v) => Some(*v),
            _ => None,
        })),
    }
}

/// The Monday of the ISO week of `at` (UTC).
pub fn week_of(at: DateTime<Utc>) -> NaiveDate {
    let day = at.date_naive();
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

fn group(key: String, kind: SurveyKind, scores: &[Score]) -> Group {
    let e = estimate(kind, scores);
    Group {
        key,
        n: e.n,
        score: e.score,
        ci95: e.ci95,
    }
}

fn groups<K: Ord>(
    kind: SurveyKind,
    answers: &[&Answer],
    key: impl Fn(&Answer) -> K,
    name: impl Fn(&K) -> String,
) -> Vec<Group> {
    let mut by: BTreeMap<K, Vec<Score>> = BTreeMap::new();
    for a in answers {
        by.entry(key(a)).or_default().push(a.score);
    }
    by.iter()
        .map(|(k, scores)| group(name(k), kind, scores))
        .collect()
}

/// Computes the results of a survey of `kind` from its answers (any order). Answers of another
/// kind are ignored.
pub fn compute(kind: SurveyKind, answers: &[Answer]) -> SurveyResults {
    let answers: Vec<&Answer> = answers.iter().filter(|a| a.score.kind() == kind).collect();
    let scores: Vec<Score> = answers.iter().map(|a| a.score).collect();
    let overall = estimate(kind, &scores);
    let (min, max) = kind.scale();
    let mut counts = vec![0u64; usize::from(max) + 1];
    for s in &scores {
        if let Some(c) = counts.get_mut(usize::from(s.value())) {
            *c += 1;
        }
    }
    let distribution = (min..=max)
        .map(|value| Bucket {
            value,
            count: counts.get(usize::from(value)).copied().unwrap_or(0),
        })
        .collect();
    let mean = (!scores.is_empty())
        .then(|| scores.iter().map(|s| f64::from(s.value())).sum::<f64>() / scores.len() as f64);
    let nps = (kind == SurveyKind::Nps).then(|| {
        let c = NpsCounts::of(scores.iter().filter_map(|s| match s {
            Score::Nps(v) => Some(*v),
            _ => None,
        }));
        NpsBreakdown {
            promoters: c.promoters,
            passives: c.passives,
            detractors: c.detractors,
        }
    });
    let share_5_7 = (kind == SurveyKind::Ces && !scores.is_empty()).then(|| {
        100.0 * scores.iter().filter(|s| s.value() >= 5).count() as f64 / scores.len() as f64
    });
    let warning = (overall.n < THIN_SAMPLE).then(|| Warning {
        code: "thin_sample",
        ko: format!(
            "응답이 {}건뿐입니다. {}건 미만의 점수는 신뢰구간이 넓으니 해석에 주의하세요.",
            overall.n, THIN_SAMPLE
        ),
        en: format!(
            "Only {} answers. Scores from fewer than {} answers have wide intervals; read them with care.",
            overall.n, THIN_SAMPLE
        ),
    });
    let mut with_text: Vec<&&Answer> = answers
        .iter()
        .filter(|a| !a.comment.is_empty() || a.extra.values().any(|t| !t.is_empty()))
        .collect();
    with_text.sort_by(|a, b| b.answered_at.cmp(&a.answered_at).then(b.id.cmp(&a.id)));
    let comments = with_text
        .into_iter()
        .take(MAX_COMMENTS)
        .map(|a| {
            let mut text = a.comment.as_str().to_owned();
            for (key, value) in a.extra.iter().filter(|(_, v)| !v.is_empty()) {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!("{key}: {}", value.as_str()));
            }
            CommentRow {
                score: a.score.value(),
                segment: a.score.segment(),
                text,
                channel: a.channel,
                answered_at: a.answered_at,
            }
        })
        .collect();
    SurveyResults {
        kind,
        n: overall.n,
        score: overall.score,
        ci95: overall.ci95,
        mean,
        nps,
        share_5_7,
        distribution,
        trend: groups(
            kind,
            &answers,
            |a| week_of(a.answered_at),
            |d| d.to_string(),
        ),
        by_channel: groups(kind, &answers, |a| a.channel, |c| c.code().to_owned()),
        by_segment: groups(
            kind,
            &answers,
            |a| a.segment.clone().unwrap_or_default(),
            |s| {
                if s.is_empty() {
                    "(none)".into()
                } else {
                    s.clone()
                }
            },
        ),
        warning,
        comments,
    }
}

/// Which way the latest week moved against the week before it (with answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trend {
    /// Up by more than the kind's noise step.
    Up,
    /// Within the step.
    Flat,
    /// Down by more than the step.
    Down,
}

impl SurveyResults {
    /// The latest week's score against the previous week that had answers; `None` with fewer
    /// than two weeks. The step that counts as a move is 5 points (NPS, CSAT) or 0.2 (CES).
    pub fn latest_trend(&self) -> Option<Trend> {
        let mut weeks = self.trend.iter().rev().filter_map(|g| g.score);
        let (latest, previous) = (weeks.next()?, weeks.next()?);
        let step = if self.kind == SurveyKind::Ces {
            0.2
        } else {
            5.0
        };
        Some(if latest - previous > step {
            Trend::Up
        } else if previous - latest > step {
            Trend::Down
        } else {
            Trend::Flat
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::Text;
    use crate::survey::{AnswerId, SurveyId};

    fn answer(kind: SurveyKind, v: i64, day: u32, channel: Channel, text: &str) -> Answer {
        Answer {
            id: AnswerId::new(),
            survey_id: SurveyId::new(),
            respondent_id: None,
            token_nonce: None,
            score: Score::parse(kind, v).unwrap(),
            channel,
            segment: (v > 5).then(|| "VIP".to_owned()),
            comment: Text::parse(text).unwrap(),
            extra: BTreeMap::new(),
            answered_at: Utc.with_ymd_and_hms(2025, 3, day, 10, 0, 0).unwrap(),
        }
    }

    #[test]
    fn nps_results_split_by_week_channel_and_segment() {
        let k = SurveyKind::Nps;
        // 2025-03-03 is a Monday; days 3–9 are one week, 10–16 the next.
        let answers = vec![
            answer(k, 10, 3, Channel::Email, "배송이 빨라요"),
            answer(k, 9, 4, Channel::Email, ""),
            answer(k, 3, 5, Channel::Web, "포장이 엉망"),
            answer(k, 8, 11, Channel::Web, ""),
            answer(k, 10, 12, Channel::Qr, ""),
        ];
        let r = compute(k, &answers);
        assert_eq!(r.n, 5);
        // 3 promoters, 1 passive, 1 detractor: 100·(3 − 1)/5 = 40.
        assert_eq!(r.score, Some(40.0));
        assert_eq!(r.mean, Some(8.0));
        assert_eq!(
            r.nps,
            Some(NpsBreakdown {
                promoters: 3,
                passives: 1,
                detractors: 1
            })
        );
        assert_eq!(r.distribution.len(), 11);
        assert_eq!(r.distribution[10].count, 2);
        assert_eq!(r.trend.len(), 2);
        assert_eq!(r.trend[0].key, "2025-03-03");
        // Week 1: 2 promoters, 1 detractor → 33.3; week 2: 1 promoter, 1 passive → 50.
        assert!((r.trend[0].score.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.trend[1].score, Some(50.0));
        assert_eq!(r.latest_trend(), Some(Trend::Up));
        let channels: Vec<_> = r.by_channel.iter().map(|g| (g.key.as_str(), g.n)).collect();
        assert_eq!(channels, [("web", 2), ("qr", 1), ("email", 2)]);
        assert_eq!(
            r.by_segment
                .iter()
                .map(|g| g.key.as_str())
                .collect::<Vec<_>>(),
            ["(none)", "VIP"]
        );
        assert!(r.warning.is_some());
        assert_eq!(r.comments.len(), 2);
        assert_eq!(r.comments[0].text, "포장이 엉망");
        assert_eq!(r.comments[0].segment, Segment::Detractor);
    }

    #[test]
    fn empty_results_have_no_score_and_warn() {
        let r = compute(SurveyKind::Csat, &[]);
        assert_eq!((r.n, r.score, r.ci95, r.mean), (0, None, None, None));
        assert_eq!(
            r.distribution.iter().map(|b| b.value).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(r.warning.as_ref().unwrap().code, "thin_sample");
        assert_eq!(r.latest_trend(), None);
    }

    #[test]
    fn ces_reports_the_share_of_easy_answers() {
        let k = SurveyKind::Ces;
        let answers: Vec<_> = [7, 6, 5, 2]
            .iter()
            .map(|&v| answer(k, v, 3, Channel::Sms, ""))
            .collect();
        let r = compute(k, &answers);
        assert_eq!(r.score, Some(5.0));
        assert_eq!(r.share_5_7, Some(75.0));
        assert!(r.nps.is_none());
    }

    #[test]
    fn no_warning_from_thirty_answers() {
        let k = SurveyKind::Csat;
        let answers: Vec<_> = (0..30)
            .map(|i| answer(k, 1 + i % 5, 3, Channel::Web, ""))
            .collect();
        assert!(compute(k, &answers).warning.is_none());
    }
}
