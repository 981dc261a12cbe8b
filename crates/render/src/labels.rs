//! The words printed on the map around the user's own text, in Korean and English.

use cxmap_domain::{BuyingRole, JourneyKind, Lang, TouchpointCategory};

/// Every fixed string the map prints.
pub(crate) struct Labels {
    pub goal: &'static str,
    pub value_proposition: &'static str,
    pub scope: &'static str,
    pub personas_more: &'static str,
    pub persona_goals: &'static str,
    pub persona_frustrations: &'static str,
    pub stages: &'static str,
    pub touchpoints: &'static str,
    pub actions: &'static str,
    pub thoughts: &'static str,
    pub emotion: &'static str,
    pub pains: &'static str,
    pub gains: &'static str,
    pub opportunities: &'static str,
    pub kpis: &'static str,
    pub evidence: &'static str,
    pub owner: &'static str,
    pub channel: &'static str,
    pub moment_of_truth: &'static str,
    pub moment_of_truth_short: &'static str,
    pub core_experience: &'static str,
    pub impact: &'static str,
    pub effort: &'static str,
    pub target: &'static str,
    pub benchmark: &'static str,
    pub more: &'static str,
    pub continued: &'static str,
    pub legend: &'static str,
    pub unlinked_opportunities: &'static str,
    pub emotion_high: &'static str,
    pub emotion_low: &'static str,
}

static KO: Labels = Labels {
    goal: "고객 목표",
    value_proposition: "가치 제안",
    scope: "범위",
    personas_more: "명의 페르소나 더",
    persona_goals: "목표",
    persona_frustrations: "불만",
    stages: "단계",
    touchpoints: "터치포인트",
    actions: "고객 행동",
    thoughts: "생각",
    emotion: "감정 곡선",
    pains: "페인 포인트",
    gains: "게인 포인트",
    opportunities: "개선 기회",
    kpis: "KPI",
    evidence: "근거 지표",
    owner: "담당",
    channel: "채널",
    moment_of_truth: "진실의 순간",
    moment_of_truth_short: "MOT",
    core_experience: "핵심 경험",
    impact: "영향",
    effort: "노력",
    target: "목표",
    benchmark: "벤치마크",
    more: "개 더",
    continued: " (계속)",
    legend: "범례",
    unlinked_opportunities: "터치포인트 미지정 개선 기회",
    emotion_high: "매우 긍정",
    emotion_low: "매우 부정",
};

static EN: Labels = Labels {
    goal: "Customer goal",
    value_proposition: "Value proposition",
    scope: "Scope",
    personas_more: " more personas",
    persona_goals: "Goals",
    persona_frustrations: "Frustrations",
    stages: "Stages",
    touchpoints: "Touchpoints",
    actions: "Customer actions",
    thoughts: "Thoughts",
    emotion: "Emotion curve",
    pains: "Pain points",
    gains: "Gain points",
    opportunities: "Opportunities",
    kpis: "KPIs",
    evidence: "Evidence",
    owner: "Owner",
    channel: "Channel",
    moment_of_truth: "Moment of truth",
    moment_of_truth_short: "MOT",
    core_experience: "Core experience",
    impact: "Impact",
    effort: "Effort",
    target: "Target",
    benchmark: "Benchmark",
    more: " more",
    continued: " (cont.)",
    legend: "Legend",
    unlinked_opportunities: "Opportunities not tied to a touchpoint",
    emotion_high: "Very positive",
    emotion_low: "Very negative",
};

/// The labels for `lang`.
pub(crate) fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::Ko => &KO,
        Lang::En => &EN,
    }
}

/// "+3 more" / "+3개 더".
pub(crate) fn more(lang: Lang, n: usize) -> String {
    format!("+{n}{}", labels(lang).more)
}

/// The name of a touchpoint category.
pub(crate) fn category(lang: Lang, category: TouchpointCategory) -> &'static str {
    match (lang, category) {
        (Lang::Ko, TouchpointCategory::Digital) => "디지털",
        (Lang::Ko, TouchpointCategory::Human) => "사람",
        (Lang::Ko, TouchpointCategory::Physical) => "물리적",
        (Lang::En, TouchpointCategory::Digital) => "Digital",
        (Lang::En, TouchpointCategory::Human) => "Human",
        (Lang::En, TouchpointCategory::Physical) => "Physical",
    }
}

/// The name of a B2B buying-centre role.
pub(crate) fn role(lang: Lang, role: BuyingRole) -> &'static str {
    match (lang, role) {
        (Lang::Ko, BuyingRole::Initiator) => "발의자",
        (Lang::Ko, BuyingRole::User) => "사용자",
        (Lang::Ko, BuyingRole::Influencer) => "영향자",
        (Lang::Ko, BuyingRole::Decider) => "결정권자",
        (Lang::Ko, BuyingRole::Buyer) => "구매 담당",
        (Lang::Ko, BuyingRole::Gatekeeper) => "게이트키퍼",
        (Lang::En, BuyingRole::Initiator) => "Initiator",
        (Lang::En, BuyingRole::User) => "User",
        (Lang::En, BuyingRole::Influencer) => "Influencer",
        (Lang::En, BuyingRole::Decider) => "Decider",
        (Lang::En, BuyingRole::Buyer) => "Buyer",
        (Lang::En, BuyingRole::Gatekeeper) => "Gatekeeper",
    }
}

/// "B2C" or "B2B".
pub(crate) fn kind(kind: JourneyKind) -> &'static str {
    match kind {
        JourneyKind::B2c => "B2C",
        JourneyKind::B2b => "B2B",
    }
}
