//! Timestamp parsing: a hand-written fast path for the fixed-width ISO 8601
//! shapes that exported logs use, with chrono as the general fallback.
//!
//! Accepted (all → milliseconds since the Unix epoch, UTC):
//! - RFC 3339 / ISO 8601 with offset: `2024-03-01T09:30:00+09:00`,
//!   `2024-03-01T00:30:00.250Z`, `2024-03-01 09:30:00+0900`;
//! - without zone, read as UTC: `2024-03-01 09:30:00[.fff]`,
//!   `2024-03-01T09:30:00[.fff]`, `2024-03-01 09:30`;
//! - date only, midnight UTC: `2024-03-01`.
//!
//! Fractions finer than a millisecond are truncated toward the past.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Parses one timestamp; `None` when it is not one of the accepted shapes.
pub fn parse_timestamp_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    fast(s.as_bytes()).or_else(|| slow(s))
}

/// [`parse_timestamp_ms`] on raw bytes (the fast path needs no UTF-8 check).
#[inline]
pub(crate) fn parse_timestamp_bytes(b: &[u8]) -> Option<i64> {
    fast(b).or_else(|| std::str::from_utf8(b).ok().and_then(parse_timestamp_ms))
}

#[inline]
fn digits<const N: usize>(b: &[u8], at: usize) -> Option<i64> {
    let mut v: i64 = 0;
    for i in 0..N {
        let d = b.get(at + i)?.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + i64::from(d);
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
#[inline]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// The last date a reader parsed: consecutive timestamps of a log usually
/// share their date, so its validation and day count are done once.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DateCache {
    date: [u8; 10],
    days: i64,
}

/// [`parse_timestamp_bytes`] reusing the day count of the previous date.
#[inline]
pub(crate) fn parse_timestamp_cached(b: &[u8], cache: &mut DateCache) -> Option<i64> {
    fast_cached(b, cache).or_else(|| std::str::from_utf8(b).ok().and_then(parse_timestamp_ms))
}

#[inline]
fn fast(b: &[u8]) -> Option<i64> {
    fast_cached(b, &mut DateCache::default())
}

#[inline]
fn fast_cached(b: &[u8], cache: &mut DateCache) -> Option<i64> {
    let date = b.first_chunk::<10>()?;
    let days = if *date == cache.date {
        cache.days
    } else {
        if b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let y = digits::<4>(b, 0)?;
        let mo = digits::<2>(b, 5)?;
        let d = digits::<2>(b, 8)?;
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        *cache = DateCache { date: *date, days };
        days
    };
    if b.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(b[10], b'T' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let h = digits::<2>(b, 11)?;
    let mi = digits::<2>(b, 14)?;
    let mut i = 16;
    let mut sec = 0;
    if b.get(16) == Some(&b':') {
        sec = digits::<2>(b, 17)?;
        i = 19;
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                ms = ms * 10 + i64::from(c - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            ms *= 10;
        }
    }
    let offset_min = match b.get(i) {
        None => 0,
        Some(b'Z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits::<2>(b, i + 1)?;
            let om = match b.len() - i {
                3 => 0,
                5 => digits::<2>(b, i + 3)?,
                6 if b[i + 3] == b':' => digits::<2>(b, i + 4)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 60 + om;
            if sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + sec * 1000 + ms)
}

fn slow(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.timestamp_millis());
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_ms(s: &str) -> i64 {
        slow(s).unwrap()
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2024-02-29 23:59:59",
            "2024-03-01T09:30:00+09:00",
            "2024-03-01T09:30:00.5-03:30",
            "2024-03-01T09:30:00.123456789Z",
            "1969-12-31T23:59:59.999Z",
            "2000-01-01",
            "2100-12-31T12:00:00.250",
            "2010-12-30T11:02:00.000+01:00",
            "1600-02-29 00:00:00",
        ] {
            assert_eq!(fast(s.as_bytes()), Some(chrono_ms(s)), "{s}");
        }
    }

    #[test]
    fn the_date_cache_gives_the_same_answers() {
        let mut cache = DateCache::default();
        for s in [
            "2024-03-01 09:30:00",
            "2024-03-01 10:00:00.5",
            "2024-03-01",
            "2024-03-02T00:00:00Z",
            "2024-03-02 bad",
            "2024-03-02 23:59:59+09:00",
            "2023-02-29 00:00:00",
        ] {
            assert_eq!(
                parse_timestamp_cached(s.as_bytes(), &mut cache),
                parse_timestamp_ms(s),
                "{s}"
            );
        }
    }

    #[test]
    fn accepted_shapes() {
        let base = 1_709_285_400_000; // 2024-03-01T09:30:00Z
        assert_eq!(parse_timestamp_ms("2024-03-01T09:30:00Z"), Some(base));
        assert_eq!(parse_timestamp_ms("2024-03-01 09:30:00"), Some(base));
        assert_eq!(parse_timestamp_ms("2024-03-01 18:30:00+0900"), Some(base));
        assert_eq!(parse_timestamp_ms("2024-03-01T18:30:00+09"), Some(base));
        assert_eq!(parse_timestamp_ms("2024-03-01 09:30"), Some(base));
        assert_eq!(
            parse_timestamp_ms(" 2024-03-01T09:30:00.007 "),
            Some(base + 7)
        );
        assert_eq!(
            parse_timestamp_ms("2024-03-01"),
            Some(base - 9 * 3_600_000 - 1_800_000)
        );
    }

    #[test]
    fn rejected_shapes() {
        for s in [
            "",
            "yesterday",
            "2024-13-01",
            "2023-02-29",
            "2024-03-01T25:00:00",
            "2024-03-01T09:30:00.",
            "2024/03/01",
            "2024-03-01T09:30:00+9",
        ] {
            assert_eq!(parse_timestamp_ms(s), None, "{s}");
        }
    }
}
