//! Which targets a link may point at, and the URL a redirect answers with.
//!
//! Never an open redirect: only absolute http(s) URLs with a host, never this server itself
//! (which would let a link chain into another link or an API route), never a blocked domain.

use cxmap_store::Utm;
use url::Url;

/// The longest target accepted, in bytes.
pub const MAX_TARGET_LEN: usize = 2048;

/// The longest UTM value accepted, in bytes.
pub const MAX_UTM_LEN: usize = 200;

/// Why a target was refused (the message names the rule, in English and Korean).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Not a URL at all.
    #[error("must be an absolute URL like https://example.com/page (절대 URL이어야 합니다)")]
    NotAUrl,
    /// A scheme other than http or https (javascript:, data:, file:, …).
    #[error("only http and https URLs are allowed (http/https만 허용됩니다)")]
    Scheme,
    /// Too long.
    #[error("must be at most {MAX_TARGET_LEN} bytes (최대 {MAX_TARGET_LEN}바이트)")]
    TooLong,
    /// Points back at this server.
    #[error("must not point at this cxmap server (이 서버 자신으로는 연결할 수 없습니다)")]
    SelfRedirect,
    /// On the blocklist.
    #[error("the domain {0} is blocked on this server (차단된 도메인입니다)")]
    Blocked(String),
}

/// Checks a target against the rules; returns it normalised by the URL parser.
pub fn validate(
    raw: &str,
    public_host: Option<&str>,
    blocked_domains: &[String],
) -> Result<Url, TargetError> {
    let raw = raw.trim();
    if raw.len() > MAX_TARGET_LEN {
        return Err(TargetError::TooLong);
    }
    let url = Url::parse(raw).map_err(|_| TargetError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(TargetError::NotAUrl)?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if public_host.is_some_and(|own| own.eq_ignore_ascii_case(&host)) {
        return Err(TargetError::SelfRedirect);
    }
    if let Some(blocked) = blocked_domains.iter().find(|d| {
        let d = d.trim_start_matches('.').to_ascii_lowercase();
        host == d || host.ends_with(&format!(".{d}"))
    }) {
        return Err(TargetError::Blocked(blocked.clone()));
    }
    Ok(url)
}

/// The URL a redirect answers with: the target plus every UTM parameter it does not already
/// carry (an explicit `utm_source` in the target wins).
pub fn location(target: &str, utm: &Utm) -> String {
    let Ok(mut url) = Url::parse(target) else {
        return target.to_owned();
    };
    let present: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let missing: Vec<(&str, &str)> = utm
        .pairs()
        .filter(|(name, _)| !present.iter().any(|p| p == name))
        .collect();
    if !missing.is_empty() {
        url.query_pairs_mut().extend_pairs(missing);
    }
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_to_other_hosts() {
        let blocked = vec!["evil.example".to_owned()];
        let own = Some("cx.example.com");
        assert!(validate("https://shop.example.com/a?b=1", own, &blocked).is_ok());
        assert!(validate("http://shop.example.com", own, &blocked).is_ok());
        for (raw, err) in [
            ("javascript:alert(1)", TargetError::Scheme),
            ("data:text/html,<script>", TargetError::Scheme),
            ("ftp://files.example.com", TargetError::Scheme),
            ("//shop.example.com", TargetError::NotAUrl),
            ("/relative", TargetError::NotAUrl),
            ("https://CX.example.com/l/x", TargetError::SelfRedirect),
            (
                "https://evil.example/",
                TargetError::Blocked("evil.example".into()),
            ),
            (
                "https://a.evil.example./",
                TargetError::Blocked("evil.example".into()),
            ),
        ] {
            assert_eq!(validate(raw, own, &blocked).unwrap_err(), err, "{raw}");
        }
        assert!(validate("https://notevil.example/", own, &blocked).is_ok());
        let long = format!("https://e.com/{}", "a".repeat(MAX_TARGET_LEN));
        assert_eq!(
            validate(&long, own, &blocked).unwrap_err(),
            TargetError::TooLong
        );
    }

    #[test]
    fn utm_is_appended_without_overriding() {
        let utm = Utm {
            source: Some("qr".into()),
            campaign: Some("봄 세일".into()),
            ..Utm::default()
        };
        assert_eq!(
            location("https://shop.example.com/p?id=3", &utm),
            "https://shop.example.com/p?id=3&utm_source=qr&utm_campaign=%EB%B4%84+%EC%84%B8%EC%9D%BC"
        );
        assert_eq!(
            location("https://shop.example.com/?utm_source=mail", &utm),
            "https://shop.example.com/?utm_source=mail&utm_campaign=%EB%B4%84+%EC%84%B8%EC%9D%BC"
        );
        assert_eq!(
            location("https://shop.example.com/", &Utm::default()),
            "https://shop.example.com/"
        );
    }
}
