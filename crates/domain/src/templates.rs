//! Ready-made journeys from the seed articles: the Korean online-shopping journey, an English
//! B2B SaaS journey and the four focused seed journeys (purchase, inquiry/complaint, usage support,
//! review) in Korean or English. The demo seeds them; the editor offers them as templates.

use chrono::{DateTime, Utc};

use crate::ids::{OpportunityId, PersonaId, ProjectId};
use crate::journey::{
    BuyingRole, Journey, JourneyKind, Kpi, Opportunity, OpportunityStatus, Persona, Stage,
    Touchpoint, TouchpointCategory,
};
use crate::values::{Emotion, Level, Text, Title};

/// The short description of one touchpoint used to build templates.
struct TpSpec<'a> {
    name: &'a str,
    channel: &'a str,
    category: TouchpointCategory,
    owner: &'a str,
    emotion: i64,
    actions: &'a [&'a str],
    thoughts: &'a [&'a str],
    pains: &'a [&'a str],
    gains: &'a [&'a str],
    moment_of_truth: bool,
    core: bool,
    kpi: Option<(&'a str, &'a str, f64, f64)>,
}

fn title(s: &str) -> Title {
    // Template strings are literals checked by the tests below.
    Title::parse(s).unwrap_or_else(|_| Title::parse("?").unwrap_or_else(|_| unreachable!()))
}

fn texts(items: &[&str]) -> Vec<Text> {
    items.iter().filter_map(|s| Text::parse(*s).ok()).collect()
}

fn touchpoint(spec: &TpSpec<'_>) -> Touchpoint {
    let mut tp = Touchpoint::named(title(spec.name));
    tp.channel = Text::parse(spec.channel).unwrap_or_default();
    tp.category = spec.category;
    tp.owner = Text::parse(spec.owner).unwrap_or_default();
    tp.emotion = Emotion::parse(spec.emotion).unwrap_or_default();
    tp.customer_actions = texts(spec.actions);
    tp.thoughts = texts(spec.thoughts);
    tp.pain_points = texts(spec.pains);
    tp.gain_points = texts(spec.gains);
    tp.moment_of_truth = spec.moment_of_truth;
    tp.core_experience = spec.core;
    tp.kpis = spec
        .kpi
        .iter()
        .map(|(name, unit, target, benchmark)| Kpi {
            name: title(name),
            unit: Text::parse(*unit).unwrap_or_default(),
            target: Some(*target),
            benchmark: Some(*benchmark),
        })
        .collect();
    tp
}

fn stage(name: &str, description: &str, touchpoints: &[TpSpec<'_>]) -> Stage {
    let mut stage = Stage::named(title(name));
    stage.description = Text::parse(description).unwrap_or_default();
    stage.touchpoints = touchpoints.iter().map(touchpoint).collect();
    stage
}

fn persona(
    name: &str,
    role: Option<BuyingRole>,
    description: &str,
    goals: &[&str],
    frustrations: &[&str],
    quote: &str,
    avatar: &str,
) -> Persona {
    Persona {
        id: PersonaId::new(),
        name: title(name),
        role,
        description: Text::parse(description).unwrap_or_default(),
        goals: texts(goals),
        frustrations: texts(frustrations),
        quote: Text::parse(quote).unwrap_or_default(),
        avatar: Text::parse(avatar).unwrap_or_default(),
    }
}

fn opportunity(
    journey: &Journey,
    touchpoint: &str,
    title_text: &str,
    description: &str,
    impact: i64,
    effort: i64,
) -> Opportunity {
    Opportunity {
        id: OpportunityId::new(),
        title: title(title_text),
        description: Text::parse(description).unwrap_or_default(),
        touchpoint_id: journey
            .touchpoints()
            .find(|(_, tp)| tp.name.as_str() == touchpoint)
            .map(|(_, tp)| tp.id),
        impact: Level::parse(impact).unwrap_or_default(),
        effort: Level::parse(effort).unwrap_or_default(),
        status: OpportunityStatus::Idea,
    }
}

use TouchpointCategory::{Digital, Human, Physical};

const fn spec<'a>(
    name: &'a str,
    channel: &'a str,
    category: TouchpointCategory,
    owner: &'a str,
    emotion: i64,
) -> TpSpec<'a> {
    TpSpec {
        name,
        channel,
        category,
        owner,
        emotion,
        actions: &[],
        thoughts: &[],
        pains: &[],
        gains: &[],
        moment_of_truth: false,
        core: false,
        kpi: None,
    }
}

/// The Korean online-shopping journey of the seed articles:
/// 광고 노출 → 검색 → 상품 비교 → 결제 → 배송 → 문의/불만 → 리뷰.
pub fn retail_online_shopping(project_id: ProjectId, now: DateTime<Utc>) -> Journey {
    let mut j = Journey::new(project_id, title("온라인 쇼핑 고객 여정"), now);
    j.kind = JourneyKind::B2c;
    j.goal =
        Text::parse("원하는 상품을 믿을 수 있는 곳에서 빠르고 편하게 산다").unwrap_or_default();
    j.scope =
        Text::parse("SNS 광고를 처음 본 순간부터 구매 후기를 남길 때까지").unwrap_or_default();
    j.value_proposition =
        Text::parse("최저가 비교와 내일 도착 배송, 30일 무료 반품").unwrap_or_default();
    j.personas = vec![
        persona(
            "김지은 (32, 직장인)",
            None,
            "퇴근길 지하철에서 모바일로 쇼핑하는 바쁜 직장인",
            &[
                "퇴근 후 10분 안에 필요한 물건 주문",
                "믿을 수 있는 후기 확인",
            ],
            &["결제 단계마다 다시 로그인", "배송 지연 안내 부족"],
            "리뷰가 솔직하면 바로 사요. 결제가 복잡하면 그냥 나가요.",
            "👩‍💼",
        ),
        persona(
            "박성호 (58, 자영업)",
            None,
            "큰 글씨와 전화 상담을 선호하는 고객",
            &["정확한 배송일 확인"],
            &["작은 글씨", "챗봇만 있는 고객센터"],
            "사람이랑 통화하면 마음이 놓여요.",
            "👨‍🔧",
        ),
    ];
    j.stages = vec![
        stage(
            "광고 노출",
            "고객이 브랜드를 처음 알게 되는 단계",
            &[
                TpSpec {
                    actions: &["인스타그램 피드에서 광고를 본다"],
                    thoughts: &["이거 괜찮아 보이는데?"],
                    gains: &["관심사에 맞는 추천"],
                    kpi: Some(("클릭률", "%", 2.5, 1.8)),
                    ..spec("SNS 광고", "Instagram", Digital, "마케팅팀", 1)
                },
                TpSpec {
                    actions: &["친구가 보낸 카카오톡 링크를 연다"],
                    gains: &["지인 추천이라 믿음이 간다"],
                    ..spec("지인 추천 링크", "KakaoTalk", Digital, "마케팅팀", 1)
                },
            ],
        ),
        stage(
            "검색",
            "상품과 판매처를 찾는 단계",
            &[TpSpec {
                actions: &["검색창에 상품명을 입력한다"],
                thoughts: &["어디가 제일 싸지?"],
                pains: &["검색 결과에 광고가 너무 많다"],
                ..spec("사이트 검색", "웹/앱", Digital, "검색팀", 0)
            }],
        ),
        stage(
            "상품 비교",
            "가격, 후기, 배송 조건을 비교하는 단계",
            &[TpSpec {
                actions: &["상세 페이지와 후기를 읽는다"],
                thoughts: &["후기가 진짜일까?"],
                pains: &["옵션별 가격이 헷갈린다"],
                gains: &["사진 후기가 많다"],
                moment_of_truth: true,
                ..spec("상품 상세 페이지", "웹/앱", Digital, "상품팀", 0)
            }],
        ),
        stage(
            "결제",
            "주문하고 돈을 내는 단계",
            &[TpSpec {
                actions: &["장바구니에서 결제 버튼을 누른다", "카드 정보를 입력한다"],
                thoughts: &["왜 또 로그인하라고 하지?"],
                pains: &["결제 중 재로그인 요구", "간편결제 오류"],
                moment_of_truth: true,
                core: true,
                kpi: Some(("결제 완료율", "%", 85.0, 78.0)),
                ..spec("모바일 결제", "앱", Digital, "결제팀", -2)
            }],
        ),
        stage(
            "배송",
            "주문한 상품을 기다리고 받는 단계",
            &[
                TpSpec {
                    actions: &["배송 조회를 한다"],
                    pains: &["배송 지연 알림이 늦다"],
                    gains: &["실시간 위치 확인"],
                    core: true,
                    ..spec("배송 알림톡", "알림톡", Digital, "물류팀", -1)
                },
                TpSpec {
                    actions: &["상자를 연다"],
                    gains: &["꼼꼼한 포장"],
                    ..spec("상품 포장", "택배", Physical, "물류팀", 1)
                },
            ],
        ),
        stage(
            "문의/불만",
            "문제가 생겨 도움을 청하는 단계",
            &[
                TpSpec {
                    actions: &["고객센터에 전화한다"],
                    thoughts: &["빨리 해결됐으면"],
                    pains: &["대기 시간 10분 이상", "상담원 연결까지 여러 번 전달"],
                    moment_of_truth: true,
                    kpi: Some(("첫 통화 해결률", "%", 80.0, 70.0)),
                    ..spec("고객센터 상담", "전화", Human, "CS팀", -2)
                },
                TpSpec {
                    actions: &["챗봇에 반품을 문의한다"],
                    pains: &["챗봇이 질문을 이해 못 함"],
                    ..spec("챗봇 문의", "웹 채팅", Digital, "CS팀", -1)
                },
            ],
        ),
        stage(
            "리뷰",
            "경험을 평가하고 공유하는 단계",
            &[TpSpec {
                actions: &["별점과 사진 후기를 남긴다"],
                gains: &["후기 적립금"],
                kpi: Some(("NPS", "점", 40.0, 31.0)),
                ..spec("구매 후기", "앱", Digital, "상품팀", 1)
            }],
        ),
    ];
    j.opportunities = vec![
        opportunity(
            &j,
            "모바일 결제",
            "결제 중 재로그인 없애기",
            "세션 연장과 간편결제 기본 선택으로 결제 이탈을 줄인다",
            5,
            2,
        ),
        opportunity(
            &j,
            "고객센터 상담",
            "콜백 예약",
            "대기 대신 원하는 시간에 상담원이 전화한다",
            4,
            3,
        ),
        opportunity(
            &j,
            "배송 알림톡",
            "지연 선제 안내",
            "지연이 예상되면 미리 알림톡으로 새 도착일을 알린다",
            3,
            2,
        ),
    ];
    j
}

/// An English B2B SaaS journey: trial → onboarding → procurement → support → renewal.
pub fn b2b_saas(project_id: ProjectId, now: DateTime<Utc>) -> Journey {
    let mut j = Journey::new(project_id, title("B2B SaaS: trial to renewal"), now);
    j.kind = JourneyKind::B2b;
    j.goal = Text::parse("Find a tool the whole team adopts and get it approved without friction")
        .unwrap_or_default();
    j.scope =
        Text::parse("From the first trial sign-up to the first annual renewal").unwrap_or_default();
    j.value_proposition = Text::parse(
        "Value in the first week, security review in a day, support that answers in an hour",
    )
    .unwrap_or_default();
    j.personas = vec![
        persona(
            "Dana, team lead",
            Some(BuyingRole::Initiator),
            "Runs a 12-person operations team and found us through a peer",
            &["Prove value to her VP within the trial"],
            &["Trials that expire before the team tries them"],
            "If my team is not using it by Friday, it is dead.",
            "🧑‍💼",
        ),
        persona(
            "Sam, IT security",
            Some(BuyingRole::Gatekeeper),
            "Reviews every new vendor",
            &["A complete security questionnaire"],
            &["Vendors without SOC 2 evidence"],
            "Send me the DPA and the pen-test summary.",
            "🛡️",
        ),
        persona(
            "Priya, procurement",
            Some(BuyingRole::Buyer),
            "Negotiates and signs the contract",
            &["Predictable pricing"],
            &["Seat-based surprises at renewal"],
            "What exactly are we paying for next year?",
            "📑",
        ),
    ];
    j.stages = vec![
        stage(
            "Trial",
            "The team evaluates the product",
            &[
                TpSpec {
                    actions: &["Signs up with a work e-mail"],
                    thoughts: &["Will this take long?"],
                    gains: &["No credit card needed"],
                    ..spec("Trial sign-up", "web", Digital, "Growth", 1)
                },
                TpSpec {
                    actions: &["Invites teammates"],
                    pains: &["Invites land in spam"],
                    moment_of_truth: true,
                    kpi: Some(("Activation rate", "%", 40.0, 30.0)),
                    ..spec("Team invite", "e-mail", Digital, "Growth", 0)
                },
            ],
        ),
        stage(
            "Onboarding",
            "The team sets up real work",
            &[TpSpec {
                actions: &["Imports data", "Joins a kickoff call"],
                pains: &["CSV import fails on Korean text"],
                gains: &["Helpful kickoff call"],
                core: true,
                ..spec(
                    "Onboarding call",
                    "video call",
                    Human,
                    "Customer success",
                    1,
                )
            }],
        ),
        stage(
            "Procurement",
            "Security review, legal and purchase",
            &[
                TpSpec {
                    actions: &["Fills the security questionnaire"],
                    thoughts: &["Why is this taking weeks?"],
                    pains: &["Questionnaire back-and-forth"],
                    moment_of_truth: true,
                    kpi: Some(("Days to signature", "days", 10.0, 21.0)),
                    ..spec("Security review", "e-mail", Human, "Sales", -2)
                },
                TpSpec {
                    actions: &["Signs the order form"],
                    ..spec("Order form", "DocuSign", Digital, "Sales", 0)
                },
            ],
        ),
        stage(
            "Support",
            "Day-to-day use and help",
            &[
                TpSpec {
                    actions: &["Opens a ticket"],
                    pains: &["First response after 9 hours"],
                    kpi: Some(("First response", "h", 1.0, 4.0)),
                    ..spec("Help desk", "ticket", Human, "Support", -1)
                },
                TpSpec {
                    actions: &["Searches the help centre"],
                    gains: &["Clear articles with screenshots"],
                    ..spec("Help centre", "web", Digital, "Support", 1)
                },
            ],
        ),
        stage(
            "Renewal",
            "The account decides to stay",
            &[
                TpSpec {
                    actions: &["Reviews usage with the CSM"],
                    thoughts: &["Are we using what we pay for?"],
                    pains: &["Price increase announced late"],
                    moment_of_truth: true,
                    core: true,
                    kpi: Some(("Net revenue retention", "%", 110.0, 102.0)),
                    ..spec("Renewal review", "meeting", Human, "Customer success", 0)
                },
                TpSpec {
                    actions: &["Receives the invoice"],
                    ..spec("Invoice", "post", Physical, "Finance", 0)
                },
            ],
        ),
    ];
    j.opportunities = vec![
        opportunity(
            &j,
            "Security review",
            "Trust centre page",
            "Publish SOC 2, DPA and pen-test summary for self-service review",
            5,
            2,
        ),
        opportunity(
            &j,
            "Help desk",
            "Follow-the-sun support",
            "Cover Asian business hours",
            4,
            4,
        ),
    ];
    j
}

/// The four focused journeys the seed article names as the key touchpoint moments.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedJourney {
    /// 제품/서비스 구매: the moment of buying.
    Purchase,
    /// 문의/불만 처리: handling an inquiry or complaint.
    InquiryComplaint,
    /// 제품/서비스 사용 지원: supporting use after the purchase.
    UsageSupport,
    /// 리뷰 및 평가: reviews and ratings.
    Review,
}

/// One line of a seed journey: Korean and English text side by side.
struct Bilingual<'a>(&'a str, &'a str);

impl<'a> Bilingual<'a> {
    fn pick(&self, lang: crate::journey::Lang) -> &'a str {
        match lang {
            crate::journey::Lang::Ko => self.0,
            crate::journey::Lang::En => self.1,
        }
    }
}

/// (name, channel, category, emotion, moment of truth)
type SeedTouchpoint<'a> = (Bilingual<'a>, Bilingual<'a>, TouchpointCategory, i64, bool);

struct SeedSpec<'a> {
    title: Bilingual<'a>,
    goal: Bilingual<'a>,
    stages: &'a [(Bilingual<'a>, &'a [SeedTouchpoint<'a>])],
}

const fn b<'a>(ko: &'a str, en: &'a str) -> Bilingual<'a> {
    Bilingual(ko, en)
}

const PURCHASE: SeedSpec<'static> = SeedSpec {
    title: b("제품/서비스 구매", "Buying the product"),
    goal: b(
        "구매 과정의 품질과 경험을 높인다",
        "Make buying easy and trustworthy",
    ),
    stages: &[
        (
            b("탐색", "Explore"),
            &[
                (
                    b("SNS 광고", "Social ad"),
                    b("인스타그램", "Instagram"),
                    Digital,
                    1,
                    false,
                ),
                (
                    b("웹사이트 방문", "Website visit"),
                    b("웹", "Web"),
                    Digital,
                    0,
                    false,
                ),
            ],
        ),
        (
            b("선택", "Choose"),
            &[
                (
                    b("상품 상세 페이지", "Product page"),
                    b("웹", "Web"),
                    Digital,
                    0,
                    false,
                ),
                (
                    b("매장 상담", "In-store advice"),
                    b("매장", "Store"),
                    Human,
                    1,
                    false,
                ),
            ],
        ),
        (
            b("결제", "Pay"),
            &[
                (
                    b("장바구니·결제", "Cart and checkout"),
                    b("웹", "Web"),
                    Digital,
                    -1,
                    true,
                ),
                (
                    b("주문 확인 메일", "Order confirmation"),
                    b("이메일", "E-mail"),
                    Digital,
                    1,
                    false,
                ),
            ],
        ),
        (
            b("수령", "Receive"),
            &[
                (
                    b("배송 조회", "Delivery tracking"),
                    b("앱", "App"),
                    Digital,
                    0,
                    false,
                ),
                (
                    b("상품 수령·개봉", "Unboxing"),
                    b("택배", "Parcel"),
                    Physical,
                    2,
                    true,
                ),
            ],
        ),
    ],
};

const INQUIRY_COMPLAINT: SeedSpec<'static> = SeedSpec {
    title: b("문의/불만 처리", "Inquiry and complaint handling"),
    goal: b(
        "불만을 빠르고 친절하게 해결한다",
        "Resolve complaints quickly and kindly",
    ),
    stages: &[
        (
            b("문제 발생", "Problem"),
            &[
                (
                    b("문제 인지", "Noticing the problem"),
                    b("제품", "Product"),
                    Physical,
                    -2,
                    false,
                ),
                (
                    b("FAQ 검색", "FAQ search"),
                    b("웹", "Web"),
                    Digital,
                    -1,
                    false,
                ),
            ],
        ),
        (
            b("문의 접수", "Contact"),
            &[
                (
                    b("채팅 상담", "Chat"),
                    b("카카오톡", "KakaoTalk"),
                    Human,
                    -1,
                    false,
                ),
                (
                    b("전화 문의", "Phone call"),
                    b("콜센터", "Call centre"),
                    Human,
                    -1,
                    true,
                ),
            ],
        ),
        (
            b("해결", "Resolution"),
            &[
                (
                    b("교환·환불 처리", "Exchange or refund"),
                    b("웹", "Web"),
                    Digital,
                    0,
                    true,
                ),
                (
                    b("처리 결과 안내", "Outcome notice"),
                    b("문자", "SMS"),
                    Digital,
                    1,
                    false,
                ),
            ],
        ),
        (
            b("사후 관리", "Follow-up"),
            &[(
                b("만족도 조사", "Satisfaction survey"),
                b("이메일", "E-mail"),
                Digital,
                1,
                false,
            )],
        ),
    ],
};

const USAGE_SUPPORT: SeedSpec<'static> = SeedSpec {
    title: b("제품/서비스 사용 지원", "Usage support"),
    goal: b(
        "사용 중 문제를 스스로 또는 빠르게 해결하게 돕는다",
        "Help customers succeed with the product",
    ),
    stages: &[
        (
            b("시작하기", "Getting started"),
            &[
                (
                    b("설치·설정 안내", "Setup guide"),
                    b("앱", "App"),
                    Digital,
                    0,
                    true,
                ),
                (
                    b("환영 메일", "Welcome e-mail"),
                    b("이메일", "E-mail"),
                    Digital,
                    1,
                    false,
                ),
            ],
        ),
        (
            b("사용", "Use"),
            &[
                (
                    b("도움말 센터", "Help centre"),
                    b("웹", "Web"),
                    Digital,
                    0,
                    false,
                ),
                (
                    b("사용법 영상", "How-to video"),
                    b("유튜브", "YouTube"),
                    Digital,
                    1,
                    false,
                ),
            ],
        ),
        (
            b("문제 해결", "Troubleshooting"),
            &[
                (
                    b("원격 지원", "Remote support"),
                    b("상담원", "Agent"),
                    Human,
                    -1,
                    true,
                ),
                (
                    b("방문 수리", "On-site repair"),
                    b("서비스 기사", "Technician"),
                    Physical,
                    -1,
                    false,
                ),
            ],
        ),
        (
            b("숙련", "Mastery"),
            &[(
                b("활용 팁 뉴스레터", "Tips newsletter"),
                b("이메일", "E-mail"),
                Digital,
                1,
                false,
            )],
        ),
    ],
};

const REVIEW: SeedSpec<'static> = SeedSpec {
    title: b("리뷰 및 평가", "Reviews and ratings"),
    goal: b(
        "만족한 고객이 리뷰를 남기고 잠재 고객이 신뢰하게 한다",
        "Turn happy customers into reviews others trust",
    ),
    stages: &[
        (
            b("요청", "Ask"),
            &[(
                b("리뷰 요청 알림", "Review request"),
                b("앱 푸시", "Push"),
                Digital,
                0,
                false,
            )],
        ),
        (
            b("작성", "Write"),
            &[
                (
                    b("별점·후기 작성", "Rating and review form"),
                    b("앱", "App"),
                    Digital,
                    0,
                    true,
                ),
                (
                    b("사진 리뷰 적립금", "Photo review reward"),
                    b("앱", "App"),
                    Digital,
                    1,
                    false,
                ),
            ],
        ),
        (
            b("공유", "Share"),
            &[
                (
                    b("리뷰 노출", "Review shown to shoppers"),
                    b("상품 페이지", "Product page"),
                    Digital,
                    1,
                    false,
                ),
                (
                    b("SNS 공유", "Social share"),
                    b("인스타그램", "Instagram"),
                    Digital,
                    1,
                    false,
                ),
            ],
        ),
        (
            b("응답", "Respond"),
            &[(
                b("판매자 답글", "Seller reply"),
                b("상품 페이지", "Product page"),
                Human,
                1,
                true,
            )],
        ),
    ],
};

/// A seed journey in Korean or English.
pub fn seed_journey(
    which: SeedJourney,
    lang: crate::journey::Lang,
    project_id: ProjectId,
    now: DateTime<Utc>,
) -> Journey {
    let spec = match which {
        SeedJourney::Purchase => &PURCHASE,
        SeedJourney::InquiryComplaint => &INQUIRY_COMPLAINT,
        SeedJourney::UsageSupport => &USAGE_SUPPORT,
        SeedJourney::Review => &REVIEW,
    };
    let mut journey = Journey::new(project_id, title(spec.title.pick(lang)), now);
    journey.goal = Text::parse(spec.goal.pick(lang)).unwrap_or_default();
    journey.stages = spec
        .stages
        .iter()
        .map(|(name, touchpoints)| {
            let mut stage = Stage::named(title(name.pick(lang)));
            stage.touchpoints = touchpoints
                .iter()
                .map(|(name, channel, category, emotion, moment_of_truth)| {
                    let mut tp = Touchpoint::named(title(name.pick(lang)));
                    tp.channel = Text::parse(channel.pick(lang)).unwrap_or_default();
                    tp.category = *category;
                    tp.emotion = Emotion::parse(*emotion).unwrap_or_default();
                    tp.moment_of_truth = *moment_of_truth;
                    tp
                })
                .collect();
            stage
        })
        .collect();
    journey
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_valid_and_complete() {
        for j in [
            retail_online_shopping(ProjectId::new(), Utc::now()),
            b2b_saas(ProjectId::new(), Utc::now()),
        ] {
            j.validate().unwrap();
            assert!(j.stages.len() >= 5);
            assert!(j.touchpoints().any(|(_, tp)| tp.moment_of_truth));
            assert!(j.opportunities.iter().all(|o| o.touchpoint_id.is_some()));
            assert!(j.touchpoints().all(|(_, tp)| tp.name.as_str() != "?"));
        }
        for which in [
            SeedJourney::Purchase,
            SeedJourney::InquiryComplaint,
            SeedJourney::UsageSupport,
            SeedJourney::Review,
        ] {
            for lang in [crate::journey::Lang::Ko, crate::journey::Lang::En] {
                let j = seed_journey(which, lang, ProjectId::new(), Utc::now());
                j.validate().unwrap();
                assert!(j.stages.len() >= 4, "{which:?}");
                assert!(
                    j.touchpoints().any(|(_, tp)| tp.moment_of_truth),
                    "{which:?}"
                );
                assert!(j.touchpoints().all(|(_, tp)| tp.name.as_str() != "?"));
            }
        }
        let ko = seed_journey(
            SeedJourney::Review,
            crate::journey::Lang::Ko,
            ProjectId::new(),
            Utc::now(),
        );
        assert_eq!(ko.title.as_str(), "리뷰 및 평가");
        let retail = retail_online_shopping(ProjectId::new(), Utc::now());
        let names: Vec<_> = retail.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "광고 노출",
                "검색",
                "상품 비교",
                "결제",
                "배송",
                "문의/불만",
                "리뷰"
            ]
        );
    }
}
