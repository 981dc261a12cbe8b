//! `cxmap demo`: a ready-to-explore install on an embedded SQLite file. Seeding is idempotent:
//! running the demo again keeps what is there (and any edits) and adds only what is missing.

use std::path::Path;

use chrono::Duration;
use cxmap_domain::{
    Email, Journey, LinkId, MappingRule, MappingRuleId, MatchKind, Project, ProjectId, Slug, Text,
    Title, UserId, Workspace, WorkspaceId, templates,
};
use cxmap_server::ServerConfig;
use cxmap_store::{
    BatchKey, Click, ClickSource, Link, NewEvent, NewToken, Store, StoreError, Utm, ensure_user,
};

use crate::{CliError, io_err, store};

/// The demo user's e-mail address; its password is `demo`.
pub const DEMO_EMAIL: &str = "demo@cxmap.local";

pub async fn run(url: &str, addr: &str, mut config: ServerConfig) -> Result<(), CliError> {
    let store = store::open(url).await?;
    let (user_id, token) = seed(&*store).await?;
    config.demo_user = Some(user_id);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(io_err(Path::new(addr)))?;
    println!("cxmap demo: http://{addr}  (sign in as {DEMO_EMAIL} / demo)");
    println!("Editor: http://{addr}/app/");
    println!("API token: {token}");
    crate::run_server(store, listener, addr, config).await
}

/// Seeds the demo user, workspace, journeys and the retail event log when missing; returns the user and a new token.
pub async fn seed(store: &dyn Store) -> Result<(cxmap_domain::UserId, String), StoreError> {
    let now = cxmap_domain::now();
    let email = Email::parse(DEMO_EMAIL)?;
    let password = cxmap_server::passwords::hash("demo")
        .map_err(|e| StoreError::Other(format!("password hashing failed: {e}")))?;
    let user = ensure_user(store, &email, "Demo", Some(&password), now)
        .await?
        .user;
    let workspace = match store.workspaces_of(user.id).await?.into_iter().next() {
        Some((workspace, _)) => workspace,
        None => {
            let workspace = Workspace {
                id: WorkspaceId::new(),
                name: Title::parse("cxmap 데모")?,
                created_at: now,
            };
            store.create_workspace(&workspace, user.id).await?;
            workspace
        }
    };
    let project = match store.projects(workspace.id).await?.into_iter().next() {
        Some(project) => project,
        None => {
            let project = Project {
                id: ProjectId::new(),
                workspace_id: workspace.id,
                name: Title::parse("First project")?,
                description: Text::default(),
                created_at: now,
            };
            store.create_project(&project).await?;
            project
        }
    };
    let existing = store.journeys(project.id).await?;
    for template in [
        templates::retail_online_shopping(project.id, now),
        templates::b2b_saas(project.id, now),
    ] {
        if !existing.iter().any(|j| j.title == template.title) {
            store.create_journey(&template).await?;
        }
    }
    for summary in store.journeys(project.id).await? {
        let journey = store.journey(summary.id).await?;
        let prefix = match journey.kind {
            cxmap_domain::JourneyKind::B2b => "b",
            cxmap_domain::JourneyKind::B2c => "r",
        };
        seed_links(store, &workspace, user.id, &journey, prefix).await?;
        crate::demo_surveys::seed(store, workspace.id, &journey).await?;
    }
    let retail_title = templates::retail_online_shopping(project.id, now).title;
    if let Some(summary) = store
        .journeys(project.id)
        .await?
        .into_iter()
        .find(|j| j.title == retail_title)
    {
        let retail = store.journey(summary.id).await?;
        seed_events(store, workspace.id, &retail).await?;
    }
    let token = NewToken::generate();
    store.add_token(user.id, "demo", &token.hash).await?;
    Ok((user.id, token.plaintext))
}

/// The demo event log's idempotency key: seeding again stores nothing twice.
const DEMO_EVENTS_KEY: &str = "cxmap-demo-retail-events-v1";

/// Event names of the demo shop and the retail touchpoints they map to (`None`: left unmapped
/// on purpose, so the unmapped list has something to show).
const DEMO_RULES: &[(MatchKind, &str, &str)] = &[
    (MatchKind::Exact, "광고 클릭", "SNS 광고"),
    (
        MatchKind::Regex,
        "^(추천 링크|카카오톡 공유) 열기$",
        "지인 추천 링크",
    ),
    (MatchKind::Exact, "검색", "사이트 검색"),
    (MatchKind::Exact, "상품 조회", "상품 상세 페이지"),
    (MatchKind::Prefix, "결제", "모바일 결제"),
    (MatchKind::Exact, "배송 완료", "배송 알림톡"),
    (MatchKind::Exact, "문의", "고객센터 상담"),
    (MatchKind::Prefix, "챗봇", "챗봇 문의"),
    (MatchKind::Exact, "리뷰 작성", "구매 후기"),
];

/// A small deterministic generator (xorshift64*), so every demo has the same log.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a>(&mut self, weighted: &[(&'a str, f64)]) -> &'a str {
        let total: f64 = weighted.iter().map(|(_, w)| w).sum();
        let mut roll = self.unit() * total;
        for (value, weight) in weighted {
            if roll < *weight {
                return value;
            }
            roll -= weight;
        }
        weighted.last().map_or("", |(v, _)| v)
    }
}

/// Daily human clicks at the start of the 30 days and the change by the end, per link: the
/// first touchpoints draw the most, some grow, one fades (a bottleneck to find on the map).
const LINK_PROFILES: &[(f64, f64)] = &[
    (24.0, 0.4),
    (14.0, 0.1),
    (9.0, -0.5),
    (5.0, 0.8),
    (2.0, -0.3),
];

/// Adds tracked links on the first touchpoints of `journey` and 30 days of clicks (people and
/// bots) when the links are missing; existing links are left as they are.
async fn seed_links(
    store: &dyn Store,
    workspace: &Workspace,
    user: UserId,
    journey: &Journey,
    prefix: &str,
) -> Result<(), StoreError> {
    let now = cxmap_domain::now();
    let touchpoints: Vec<_> = journey.touchpoints().map(|(_, tp)| tp.id).collect();
    let step = (touchpoints.len() / LINK_PROFILES.len()).max(1);
    for (i, profile) in LINK_PROFILES.iter().enumerate() {
        let Some(touchpoint) = touchpoints.get(i * step) else {
            break;
        };
        let slug = Slug::parse(format!("demo-{prefix}{}", i + 1))?;
        match store.link_by_slug(&slug).await {
            Ok(_) => continue,
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let link = Link {
            id: LinkId::new(),
            slug,
            workspace_id: workspace.id,
            journey_id: Some(journey.id),
            touchpoint_id: Some(*touchpoint),
            target: format!("https://shop.example.com/demo/{prefix}{}", i + 1),
            utm: Utm {
                source: Some(if i % 2 == 0 { "qr-poster" } else { "kakao" }.into()),
                medium: Some(if i % 2 == 0 { "offline" } else { "message" }.into()),
                campaign: Some("cxmap-demo".into()),
                ..Utm::default()
            },
            password_hash: None,
            expires_at: None,
            disabled: false,
            created_by: Some(user),
            created_at: now - Duration::days(31),
            updated_at: now - Duration::days(31),
        };
        store.create_link(&link).await?;
        let seed = 0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) << 8) ^ u64::from(prefix.as_bytes()[0]);
        store
            .record_clicks(&demo_clicks(&link, *profile, seed, now))
            .await?;
    }
    Ok(())
}

fn demo_clicks(
    link: &Link,
    (base, change): (f64, f64),
    seed: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Click> {
    let mut dice = Dice(seed | 1);
    let mut clicks = Vec::new();
    for days_ago in (0..30i32).rev() {
        let progress = f64::from(30 - days_ago) / 30.0;
        let weekend = if days_ago % 7 < 2 { 0.7 } else { 1.0 };
        let people =
            (base * (1.0 + change * progress) * weekend * (0.7 + 0.6 * dice.unit())).round() as u32;
        let bots = (people as f64 * 0.15 + dice.unit() * 2.0).round() as u32;
        let day = now - Duration::days(i64::from(days_ago));
        for n in 0..people + bots {
            let bot = n >= people;
            let at = day - Duration::seconds((dice.next() % 86_000) as i64);
            let at = if at > now { now } else { at };
            let device = if bot {
                "bot"
            } else {
                dice.pick(&[("mobile", 0.66), ("desktop", 0.29), ("tablet", 0.05)])
            };
            let browser = if bot {
                dice.pick(&[("unknown", 0.5), ("Slackbot", 0.2), ("Googlebot", 0.3)])
            } else {
                dice.pick(&[
                    ("Chrome", 0.45),
                    ("Safari", 0.35),
                    ("Samsung Internet", 0.12),
                    ("Whale", 0.08),
                ])
            };
            let referrer = dice.pick(&[
                ("", 0.4),
                ("m.search.naver.com", 0.25),
                ("www.google.com", 0.15),
                ("www.instagram.com", 0.12),
                ("blog.naver.com", 0.08),
            ]);
            clicks.push(Click {
                id: uuid::Uuid::now_v7(),
                link_id: link.id,
                at,
                source: if !bot && dice.unit() < 0.3 {
                    ClickSource::Qr
                } else {
                    ClickSource::Link
                },
                bot,
                device: device.to_owned(),
                browser: browser.to_owned(),
                referrer_host: (!referrer.is_empty() && !bot).then(|| referrer.to_owned()),
                country: Some(
                    dice.pick(&[("KR", 0.9), ("US", 0.05), ("JP", 0.05)])
                        .to_owned(),
                ),
                // About one visitor in three comes back on the same day.
                visitor: Some(format!(
                    "{:016x}",
                    dice.next() % (u64::from(people) * 2 / 3 + 1)
                        + u64::from(days_ago.unsigned_abs()) * 1_000_003
                )),
            });
        }
    }
    clicks
}

impl Dice {
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A whole number in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1).max(1) as u64) as i64
    }
}

/// A demo event: case, name, time in µs and the attributes' JSON text.
type DemoEvent = (String, &'static str, i64, Option<&'static str>);

/// A realistic retail event log: `cases` customers from the ad click to the review, with
/// drop-offs at every step, search/view loops, inquiries and a few unmapped app events. Each
/// case's first event says its channel (`채널`: 앱, 모바일 웹 or PC 웹), to split funnels by.
fn demo_events(cases: usize) -> Vec<DemoEvent> {
    const MINUTE: i64 = 60_000_000;
    const DAY: i64 = 24 * 60 * MINUTE;
    let start = 1_740_787_200_000_000; // 2025-03-01T00:00:00Z
    let mut dice = Dice(0x5EED_CA5E_D00D_F00D);
    let mut out = Vec::with_capacity(cases * 8);
    for n in 0..cases {
        let case = format!("고객-{n:05}");
        let mut t = start + dice.between(0, 60) * DAY + dice.between(0, 24 * 60) * MINUTE;
        let step = |out: &mut Vec<DemoEvent>, name: &'static str, t: &mut i64, gap: i64| {
            *t += gap;
            out.push((case.clone(), name, *t, None));
        };
        let first = out.len();
        let channel = if dice.chance(0.3) {
            step(&mut out, "앱 실행", &mut t, 0);
            r#"{"채널":"앱"}"#
        } else if dice.chance(0.55) {
            r#"{"채널":"모바일 웹"}"#
        } else {
            r#"{"채널":"PC 웹"}"#
        };
        let entry = if dice.chance(0.8) {
            "광고 클릭"
        } else {
            "추천 링크 열기"
        };
        step(&mut out, entry, &mut t, dice.between(0, 5) * MINUTE);
        if let Some(e) = out.get_mut(first) {
            e.3 = Some(channel);
        }
        if !dice.chance(0.85) {
            continue;
        }
        step(&mut out, "검색", &mut t, dice.between(1, 3) * MINUTE);
        if !dice.chance(0.8) {
            continue;
        }
        step(&mut out, "상품 조회", &mut t, dice.between(1, 6) * MINUTE);
        // Comparing: back to the search and another product page, up to three times.
        let mut loops = 0;
        while loops < 3 && dice.chance(0.3) {
            step(&mut out, "검색", &mut t, dice.between(1, 4) * MINUTE);
            step(&mut out, "상품 조회", &mut t, dice.between(1, 8) * MINUTE);
            loops += 1;
        }
        if dice.chance(0.5) {
            step(
                &mut out,
                "장바구니 담기",
                &mut t,
                dice.between(1, 3) * MINUTE,
            );
        }
        if !dice.chance(0.6) {
            continue;
        }
        step(&mut out, "결제 시작", &mut t, dice.between(1, 10) * MINUTE);
        if !dice.chance(0.78) {
            // Abandoned payment (re-login, wallet error); some ask the chatbot.
            if dice.chance(0.2) {
                step(&mut out, "챗봇 문의", &mut t, dice.between(2, 30) * MINUTE);
            }
            continue;
        }
        step(&mut out, "결제 완료", &mut t, dice.between(1, 5) * MINUTE);
        if !dice.chance(0.95) {
            continue;
        }
        step(
            &mut out,
            "배송 완료",
            &mut t,
            dice.between(1, 3) * DAY + dice.between(0, 600) * MINUTE,
        );
        if dice.chance(0.15) {
            step(&mut out, "문의", &mut t, dice.between(30, 60 * 24) * MINUTE);
        } else if dice.chance(0.1) {
            step(
                &mut out,
                "챗봇 문의",
                &mut t,
                dice.between(30, 60 * 24) * MINUTE,
            );
        }
        if dice.chance(0.35) {
            step(&mut out, "리뷰 작성", &mut t, dice.between(1, 7) * DAY);
        }
    }
    out
}

/// Maps the demo shop's event names onto the retail journey and stores its event log, once.
async fn seed_events(
    store: &dyn Store,
    workspace: WorkspaceId,
    journey: &Journey,
) -> Result<(), StoreError> {
    if store.mapping_rules(journey.id).await?.is_empty() {
        let now = cxmap_domain::now();
        for (i, (kind, pattern, touchpoint)) in DEMO_RULES.iter().enumerate() {
            let Some((_, tp)) = journey
                .touchpoints()
                .find(|(_, t)| t.name.as_str() == *touchpoint)
            else {
                continue;
            };
            let rule = MappingRule {
                id: MappingRuleId::new(),
                journey_id: journey.id,
                kind: *kind,
                pattern: (*pattern).to_owned(),
                touchpoint_id: tp.id,
                // Distinct times keep the rules' order stable.
                created_at: now + chrono::Duration::microseconds(i as i64),
            };
            rule.validate(journey)?;
            store.add_mapping_rule(&rule).await?;
        }
    }
    let events = demo_events(3000);
    let batch: Vec<NewEvent<'_>> = events
        .iter()
        .map(|(case, name, ts, attributes)| NewEvent {
            case_id: case,
            activity: name,
            ts_us: *ts,
            attributes: *attributes,
        })
        .collect();
    let key = BatchKey {
        key: DEMO_EVENTS_KEY,
        fingerprint: DEMO_EVENTS_KEY,
    };
    store
        .append_events(workspace, Some(key), &batch, cxmap_domain::now())
        .await?;
    Ok(())
}
