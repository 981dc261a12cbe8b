//! Demo surveys: NPS, CSAT and CES surveys on demo touchpoints with eight weeks of realistic
//! answers (Korean free text included), so that the demo map shows scores and trends.
//! Idempotent: a journey that already has surveys is left alone.

use std::collections::BTreeMap;

use chrono::Duration;
use cxmap_domain::survey::{
    Answer, AnswerId, Bilingual, Branding, Channel, Colour, FollowUps, Score, Survey, SurveyId,
    SurveyKind,
};
use cxmap_domain::{Journey, Text, WorkspaceId};
use cxmap_store::{Store, StoreError};

/// A small deterministic generator (64-bit LCG), so every demo has the same answers.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const LOW: [&str; 5] = [
    "배송이 예정보다 이틀 늦었어요.",
    "결제 단계에서 오류가 나서 두 번 시도했습니다.",
    "상담원 연결까지 너무 오래 걸렸어요.",
    "The size guide was confusing.",
    "포장이 찢어져서 왔어요.",
];
const MID: [&str; 3] = [
    "무난했어요. 쿠폰 적용이 조금 헷갈렸습니다.",
    "가격은 괜찮은데 선택지가 적어요.",
    "OK overall, the app is a bit slow.",
];
const HIGH: [&str; 5] = [
    "배송이 정말 빨랐어요!",
    "상담원분이 친절하게 해결해 주셨습니다.",
    "앱이 편리해서 자주 이용해요.",
    "Easy returns, will buy again.",
    "포장이 꼼꼼해서 선물하기 좋았어요.",
];

/// One answer on `kind`'s scale; `lift` (0…1) moves the odds towards high scores, so later
/// weeks score better than earlier ones (an improvement the map's trend arrow shows).
fn draw(kind: SurveyKind, rng: &mut Lcg, lift: f64) -> i64 {
    let (min, max) = kind.scale();
    let span = u64::from(max - min) + 1;
    // Average two draws and skew them upwards: realistic, top-heavy distributions.
    let a = rng.below(span) as f64;
    let b = rng.below(span) as f64;
    let skew = (a.max(b) * (0.75 + 0.25 * lift) + (span as f64 - 1.0) * 0.25 * lift).round();
    i64::from(min) + (skew as i64).clamp(0, span as i64 - 1)
}

fn follow_ups() -> Result<FollowUps, StoreError> {
    Ok(FollowUps {
        detractor: Some(Bilingual::new(
            "어떤 점이 가장 불편하셨나요?",
            "What disappointed you most?",
        )?),
        passive: Some(Bilingual::new(
            "무엇을 개선하면 더 좋을까요?",
            "What would make it better?",
        )?),
        promoter: Some(Bilingual::new(
            "특히 좋았던 점을 알려 주세요.",
            "What did you like most?",
        )?),
    })
}

/// Seeds surveys and answers on `journey` unless it already has surveys.
pub async fn seed(
    store: &dyn Store,
    workspace: WorkspaceId,
    journey: &Journey,
) -> Result<(), StoreError> {
    if !store.surveys_of_journey(journey.id).await?.is_empty() {
        return Ok(());
    }
    let now = cxmap_domain::now();
    let touchpoints: Vec<_> = journey.touchpoints().map(|(_, tp)| tp.clone()).collect();
    let kinds = [SurveyKind::Nps, SurveyKind::Csat, SurveyKind::Ces];
    let mut rng = Lcg(journey.id.as_uuid().as_u128() as u64 | 1);
    for (i, touchpoint) in touchpoints.iter().enumerate().step_by(2).take(6) {
        let kind = kinds[(i / 2) % kinds.len()];
        let survey = Survey {
            id: SurveyId::new(),
            workspace_id: workspace,
            journey_id: journey.id,
            touchpoint_id: touchpoint.id,
            kind,
            subject: touchpoint.name.clone(),
            follow_up: follow_ups()?,
            extra_questions: vec![],
            branding: Branding {
                logo_url: None,
                colour: Some(Colour::parse("#0f766e")?),
            },
            allow_anonymous: true,
            active: true,
            created_at: now - Duration::weeks(9),
            updated_at: now - Duration::weeks(9),
        };
        store.create_survey(&survey).await?;
        let channels = [
            Channel::Email,
            Channel::Sms,
            Channel::Web,
            Channel::Qr,
            Channel::Kakao,
        ];
        let segments = ["VIP", "신규", "일반"];
        // Some touchpoints get a thin sample on purpose: the warning shows in the demo.
        let total = if i % 3 == 2 { 18 } else { 60 + rng.below(80) };
        for k in 0..total {
            let age_hours = rng.below(8 * 7 * 24) as i64;
            let lift = 1.0 - age_hours as f64 / (8.0 * 7.0 * 24.0);
            let score = Score::parse(kind, draw(kind, &mut rng, lift))?;
            let pool: &[&str] = match score.segment() {
                cxmap_domain::survey::Segment::Detractor => &LOW,
                cxmap_domain::survey::Segment::Passive => &MID,
                cxmap_domain::survey::Segment::Promoter => &HIGH,
            };
            let comment = if k % 3 == 0 {
                pool[rng.below(pool.len() as u64) as usize]
            } else {
                ""
            };
            store
                .add_answer(&Answer {
                    id: AnswerId::new(),
                    survey_id: survey.id,
                    respondent_id: None,
                    token_nonce: None,
                    score,
                    channel: channels[rng.below(channels.len() as u64) as usize],
                    segment: Some(segments[rng.below(3) as usize].to_owned()),
                    comment: Text::parse(comment)?,
                    extra: BTreeMap::new(),
                    answered_at: now - Duration::hours(age_hours),
                })
                .await?;
        }
    }
    Ok(())
}
