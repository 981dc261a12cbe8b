//! Surveys on touchpoints: NPS (0–10), CSAT (1–5) and CES (1–7), who answers them
//! ([`Respondent`]), when they are sent ([`Trigger`], [`SurveyPolicy`]) and what came back
//! ([`Answer`], [`results`]).
//!
//! Scores are newtypes that cannot hold a value off their scale; the metric formulas live in
//! [`stats`] and are pure functions of those scores.

mod model;
pub mod results;
pub mod schedule;
pub mod stats;

pub use model::*;
