//! Who followed a link: device class, browser, bot or person, referrer host and a daily
//! visitor hash. Only derived values leave this module; the address and the raw user agent
//! are never stored.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::RwLock;

use sha2::{Digest, Sha256};

/// User agents whose classification is remembered; beyond this the memory starts over.
const REMEMBERED_AGENTS: usize = 4096;

/// [`classify`] with a memory of recent user agents: a link's clicks come from a few hundred
/// distinct agents, and parsing one costs more than the rest of a redirect.
pub struct Classifier {
    parser: woothee::parser::Parser,
    seen: RwLock<HashMap<Box<str>, Visitor>>,
}

impl Default for Classifier {
    fn default() -> Self {
        Self {
            parser: woothee::parser::Parser::new(),
            seen: RwLock::default(),
        }
    }
}

impl Classifier {
    /// The same answer as [`classify`].
    pub fn classify(&self, user_agent: Option<&str>, head: bool) -> Visitor {
        let Some(ua) = user_agent else {
            return classify(&self.parser, None, head);
        };
        let known = self.seen.read().ok().and_then(|seen| seen.get(ua).cloned());
        let visitor = known.unwrap_or_else(|| {
            let visitor = classify_agent(&self.parser, Some(ua));
            if let Ok(mut seen) = self.seen.write() {
                if seen.len() >= REMEMBERED_AGENTS {
                    seen.clear();
                }
                seen.insert(ua.into(), visitor.clone());
            }
            visitor
        });
        visitor.by_method(head)
    }
}

/// What the request says about the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    /// Bot, crawler, link-preview fetcher, script or HEAD request.
    pub bot: bool,
    /// "desktop", "mobile", "tablet", "feature_phone", "appliance", "bot" or "unknown".
    pub device: &'static str,
    /// Browser name ("Chrome", "Safari", …) or "unknown".
    pub browser: String,
}

/// Substrings (lower case) of user agents that fetch a link without a person behind it:
/// chat and social link previews, search engines woothee does not know, HTTP libraries.
const NON_HUMAN_MARKERS: &[&str] = &[
    "slackbot",
    "slack-imgproxy",
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "kakaotalk-scrap",
    "discordbot",
    "telegrambot",
    "whatsapp",
    "linkedinbot",
    "applebot",
    "skypeuripreview",
    "pinterestbot",
    "redditbot",
    "embedly",
    "quora link preview",
    "bingpreview",
    "google-pagerenderer",
    "googlebot",
    "yeti/",
    "daumoa",
    "line-poker",
    "headlesschrome",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww-perl",
    "httpie",
    "axios/",
    "node-fetch",
    "undici",
    "postmanruntime",
    "spider",
    "crawler",
    "bot/",
    "bot;",
];

impl Visitor {
    /// This visitor as seen through the request's method: HEAD is never a person (browsers
    /// follow links with GET); the browser is still what the agent says.
    fn by_method(self, head: bool) -> Visitor {
        if head {
            Visitor {
                bot: true,
                device: "bot",
                ..self
            }
        } else {
            self
        }
    }
}

/// Classifies a request by its user agent and method. A missing user agent and a HEAD request
/// are not people: browsers always send one and follow links with GET.
pub fn classify(parser: &woothee::parser::Parser, user_agent: Option<&str>, head: bool) -> Visitor {
    classify_agent(parser, user_agent).by_method(head)
}

/// Classifies a user agent alone.
fn classify_agent(parser: &woothee::parser::Parser, user_agent: Option<&str>) -> Visitor {
    let Some(ua) = user_agent.filter(|ua| !ua.trim().is_empty()) else {
        return Visitor {
            bot: true,
            device: "bot",
            browser: "unknown".into(),
        };
    };
    let lower = ua.to_ascii_lowercase();
    let parsed = parser.parse(ua);
    let category = parsed.as_ref().map_or("UNKNOWN", |p| p.category);
    let marker = NON_HUMAN_MARKERS.iter().any(|m| lower.contains(m));
    let bot = marker || category == "crawler";
    let device = if bot {
        "bot"
    } else {
        match category {
            "pc" => "desktop",
            "smartphone" if lower.contains("ipad") || lower.contains("tablet") => "tablet",
            "smartphone" if lower.contains("android") && !lower.contains("mobile") => "tablet",
            "smartphone" => "mobile",
            "mobilephone" => "feature_phone",
            "appliance" => "appliance",
            _ => "unknown",
        }
    };
    let browser = parsed
        .map(|p| p.name)
        .filter(|name| !name.is_empty() && *name != "UNKNOWN")
        .unwrap_or("unknown")
        .to_owned();
    Visitor {
        bot,
        device,
        browser,
    }
}

/// The host of a `Referer` header, lower case, when it is an http(s) URL.
pub fn referrer_host(referer: Option<&str>) -> Option<String> {
    let url = url::Url::parse(referer?).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.host_str().map(str::to_ascii_lowercase)
}

/// A 64-bit hash of (day salt, address, user agent) in hex: the same visitor on the same day
/// gets the same value, but without the salt (kept server-side, new each day) it cannot be
/// turned back into an address.
pub fn visitor_hash(salt: &[u8], ip: IpAddr, user_agent: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    match ip {
        IpAddr::V4(v4) => hasher.update(v4.octets()),
        IpAddr::V6(v6) => hasher.update(v6.octets()),
    }
    hasher.update([0]);
    hasher.update(user_agent.unwrap_or_default().as_bytes());
    let digest = hasher.finalize();
    hex::encode(digest.get(..8).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    const DESKTOP_CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    #[test]
    fn the_remembering_classifier_answers_as_the_parser_does() {
        let p = woothee::parser::Parser::new();
        let remembering = Classifier::default();
        for ua in [
            Some(IPHONE),
            Some(DESKTOP_CHROME),
            Some("Twitterbot/1.0"),
            Some(""),
            None,
        ] {
            for head in [false, true] {
                for _ in 0..2 {
                    assert_eq!(
                        remembering.classify(ua, head),
                        classify(&p, ua, head),
                        "{ua:?} head={head}"
                    );
                }
            }
        }
    }

    #[test]
    fn people_and_their_devices() {
        let p = woothee::parser::Parser::new();
        let phone = classify(&p, Some(IPHONE), false);
        assert_eq!(
            (phone.bot, phone.device, phone.browser.as_str()),
            (false, "mobile", "Safari")
        );
        let pc = classify(&p, Some(DESKTOP_CHROME), false);
        assert_eq!(
            (pc.bot, pc.device, pc.browser.as_str()),
            (false, "desktop", "Chrome")
        );
        assert!(
            classify(&p, Some(DESKTOP_CHROME), true).bot,
            "HEAD is not a person"
        );
    }

    #[test]
    fn previews_crawlers_and_scripts_are_bots() {
        let p = woothee::parser::Parser::new();
        for ua in [
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "Mozilla/5.0 (compatible; kakaotalk-scrap/1.0; +https://devtalk.kakao.com/)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "TelegramBot (like TwitterBot)",
            "WhatsApp/2.23.20.0",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; Yeti/1.1; +http://naver.me/spd)",
            "curl/8.5.0",
            "Wget/1.21",
            "python-requests/2.31.0",
        ] {
            let v = classify(&p, Some(ua), false);
            assert!(v.bot, "{ua}");
            assert_eq!(v.device, "bot", "{ua}");
        }
        assert!(classify(&p, None, false).bot);
        assert!(classify(&p, Some("  "), false).bot);
    }

    #[test]
    fn kakaotalk_in_app_browser_is_a_person() {
        let p = woothee::parser::Parser::new();
        let ua = "Mozilla/5.0 (Linux; Android 14; SM-S921N Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 KAKAOTALK 10.6.5";
        let v = classify(&p, Some(ua), false);
        assert!(!v.bot);
        assert_eq!(v.device, "mobile");
    }

    #[test]
    fn referrers_keep_only_the_host() {
        assert_eq!(
            referrer_host(Some(
                "https://M.Search.Naver.com/search?q=%EC%87%BC%ED%95%91"
            )),
            Some("m.search.naver.com".into())
        );
        assert_eq!(referrer_host(Some("android-app://com.kakao.talk")), None);
        assert_eq!(referrer_host(Some("not a url")), None);
        assert_eq!(referrer_host(None), None);
    }

    #[test]
    fn visitor_hashes_depend_on_salt_address_and_agent() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let a = visitor_hash(b"salt-1", ip, Some(IPHONE));
        assert_eq!(a.len(), 16);
        assert_eq!(a, visitor_hash(b"salt-1", ip, Some(IPHONE)));
        assert_ne!(a, visitor_hash(b"salt-2", ip, Some(IPHONE)));
        assert_ne!(
            a,
            visitor_hash(b"salt-1", "203.0.113.8".parse().unwrap(), Some(IPHONE))
        );
        assert_ne!(a, visitor_hash(b"salt-1", ip, Some(DESKTOP_CHROME)));
        assert!(!a.contains("203"));
    }
}
