//! When a survey may go out: quiet hours in the respondent's local time, frequency caps and
//! retry backoff. Pure functions of the times handed in.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// At most `max_sends` surveys per respondent within any `window_days` days, across all
/// surveys of the workspace.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrequencyCap {
    /// Sends allowed per window (≥ 1).
    pub max_sends: u32,
    /// The window length in days (≥ 1).
    pub window_days: u32,
}

impl FrequencyCap {
    /// The window as a duration.
    pub fn window(&self) -> Duration {
        Duration::days(i64::from(self.window_days))
    }
}

/// Local hours in which nothing is sent, e.g. 21 → 8 (wraps over midnight).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// First quiet hour (0–23).
    pub start_hour: u8,
    /// First hour sending may resume (0–23).
    pub end_hour: u8,
}

/// A workspace's sending rules.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyPolicy {
    /// The frequency cap; none = unlimited.
    pub cap: Option<FrequencyCap>,
    /// Quiet hours; none = any time.
    pub quiet_hours: Option<QuietHours>,
    /// Minutes east of UTC for respondents without their own (540 = Korea).
    pub default_utc_offset_minutes: i16,
}

impl Default for SurveyPolicy {
    /// One survey per respondent per 30 days, quiet from 21:00 to 08:00 Korean time.
    fn default() -> Self {
        Self {
            cap: Some(FrequencyCap {
                max_sends: 1,
                window_days: 30,
            }),
            quiet_hours: Some(QuietHours {
                start_hour: 21,
                end_hour: 8,
            }),
            default_utc_offset_minutes: 540,
        }
    }
}

impl SurveyPolicy {
    /// Checks the ranges: cap values ≥ 1, hours 0–23, offsets within ±14 h.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(cap) = self.cap
            && (cap.max_sends == 0 || cap.window_days == 0 || cap.window_days > 3650)
        {
            return Err(ValidationError::new(
                "cap",
                "max_sends must be ≥ 1 and window_days 1–3650",
            ));
        }
        if let Some(q) = self.quiet_hours
            && (q.start_hour > 23 || q.end_hour > 23)
        {
            return Err(ValidationError::new("quiet_hours", "hours must be 0–23"));
        }
        valid_offset(self.default_utc_offset_minutes)
            .then_some(())
            .ok_or_else(|| {
                ValidationError::new("default_utc_offset_minutes", "must be within ±840")
            })
    }

    /// The first moment at or after `at` outside quiet hours, in the local time of a
    /// respondent `offset_minutes` east of UTC (the workspace default when `None`).
    pub fn first_allowed(&self, at: DateTime<Utc>, offset_minutes: Option<i16>) -> DateTime<Utc> {
        let Some(quiet) = self.quiet_hours else {
            return at;
        };
        let minutes = offset_minutes
            .filter(|m| valid_offset(*m))
            .unwrap_or(self.default_utc_offset_minutes);
        let Some(offset) = FixedOffset::east_opt(i32::from(minutes) * 60) else {
            return at;
        };
        let local = at.with_timezone(&offset);
        let hour = u8::try_from(chrono::Timelike::hour(&local)).unwrap_or(0);
        let (start, end) = (quiet.start_hour, quiet.end_hour);
        let quiet_now = match start.cmp(&end) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => (start..end).contains(&hour),
            std::cmp::Ordering::Greater => hour >= start || hour < end,
        };
        if !quiet_now {
            return at;
        }
        // Resume at end_hour:00 local: today if that is still ahead, else tomorrow.
        let resume_time = NaiveTime::from_hms_opt(u32::from(end), 0, 0).unwrap_or(NaiveTime::MIN);
        let mut day = local.date_naive();
        if hour >= end {
            day += Duration::days(1);
        }
        offset
            .from_local_datetime(&day.and_time(resume_time))
            .single()
            .map_or(at, |t| t.with_timezone(&Utc))
    }
}

fn valid_offset(minutes: i16) -> bool {
    (-840..=840).contains(&minutes)
}

/// The wait before attempt `attempt + 1` after `attempt` failed attempts: `base · 2^(attempt−1)`,
/// at most six hours.
pub fn retry_delay(base: Duration, attempt: u32) -> Duration {
    let factor = 1i32 << attempt.saturating_sub(1).min(20);
    (base * factor).min(Duration::hours(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn quiet_hours_move_sends_to_the_local_morning() {
        let policy = SurveyPolicy::default(); // 21 → 8 at UTC+9
        // 13:00 UTC = 22:00 KST: quiet, resumes 08:00 KST next day = 23:00 UTC.
        assert_eq!(
            policy.first_allowed(utc("2025-03-03T13:00:00Z"), None),
            utc("2025-03-03T23:00:00Z")
        );
        // 18:00 UTC = 03:00 KST the next day: resumes 08:00 KST the same local day.
        assert_eq!(
            policy.first_allowed(utc("2025-03-03T18:00:00Z"), None),
            utc("2025-03-03T23:00:00Z")
        );
        // 01:00 UTC = 10:00 KST: fine.
        let day = utc("2025-03-04T01:00:00Z");
        assert_eq!(policy.first_allowed(day, None), day);
        // The respondent's own offset wins: 13:00 UTC is 14:00 in Berlin (UTC+1).
        assert_eq!(
            policy.first_allowed(utc("2025-03-03T13:00:00Z"), Some(60)),
            utc("2025-03-03T13:00:00Z")
        );
        // A window within one day (12 → 14).
        let lunch = SurveyPolicy {
            quiet_hours: Some(QuietHours {
                start_hour: 12,
                end_hour: 14,
            }),
            default_utc_offset_minutes: 0,
            cap: None,
        };
        assert_eq!(
            lunch.first_allowed(utc("2025-03-03T12:30:00Z"), None),
            utc("2025-03-03T14:00:00Z")
        );
        assert_eq!(
            lunch.first_allowed(utc("2025-03-03T14:00:00Z"), None),
            utc("2025-03-03T14:00:00Z")
        );
    }

    #[test]
    fn backoff_doubles_and_stops_growing() {
        let base = Duration::seconds(30);
        assert_eq!(retry_delay(base, 1), Duration::seconds(30));
        assert_eq!(retry_delay(base, 2), Duration::seconds(60));
        assert_eq!(retry_delay(base, 4), Duration::seconds(240));
        assert_eq!(retry_delay(base, 40), Duration::hours(6));
    }

    #[test]
    fn policies_are_validated() {
        assert!(SurveyPolicy::default().validate().is_ok());
        let bad = SurveyPolicy {
            cap: Some(FrequencyCap {
                max_sends: 0,
                window_days: 30,
            }),
            ..SurveyPolicy::default()
        };
        assert!(bad.validate().is_err());
    }
}
