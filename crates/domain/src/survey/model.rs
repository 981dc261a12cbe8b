use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::define_id;
use crate::{Email, JourneyId, Lang, Text, Title, TouchpointId, ValidationError, WorkspaceId};

define_id!(
    /// A survey attached to one touchpoint.
    SurveyId,
    /// A person surveys are sent to (a customer of the workspace).
    RespondentId,
    /// One scheduled delivery of a survey to a respondent.
    SendId,
    /// One answer to a survey.
    AnswerId,
    /// A rule that schedules survey sends.
    TriggerId,
);

/// The three survey families of the seed article.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SurveyKind {
    /// Net Promoter Score, 0–10.
    Nps,
    /// Customer satisfaction, 1–5.
    Csat,
    /// Customer effort score, 1–7.
    Ces,
}

impl SurveyKind {
    /// The lowest and highest score on the scale.
    pub const fn scale(self) -> (u8, u8) {
        match self {
            Self::Nps => (0, 10),
            Self::Csat => (1, 5),
            Self::Ces => (1, 7),
        }
    }

    /// The short name, "NPS", "CSAT" or "CES".
    pub const fn label(self) -> &'static str {
        match self {
            Self::Nps => "NPS",
            Self::Csat => "CSAT",
            Self::Ces => "CES",
        }
    }

    /// The lowercase code used in URLs and JSON ("nps", "csat", "ces").
    pub const fn code(self) -> &'static str {
        match self {
            Self::Nps => "nps",
            Self::Csat => "csat",
            Self::Ces => "ces",
        }
    }

    /// The standard question about `subject` (a brand, a product or the touchpoint).
    pub fn question(self, lang: Lang, subject: &str) -> String {
        match (self, lang) {
            (Self::Nps, Lang::Ko) => {
                format!("{subject}을(를) 친구나 동료에게 추천할 가능성은 얼마나 되십니까?")
            }
            (Self::Nps, Lang::En) => {
                format!("How likely are you to recommend {subject} to a friend or colleague?")
            }
            (Self::Csat, Lang::Ko) => format!("{subject}에 얼마나 만족하셨습니까?"),
            (Self::Csat, Lang::En) => format!("How satisfied were you with {subject}?"),
            (Self::Ces, Lang::Ko) => {
                format!("{subject}에서 원하는 일을 쉽게 처리할 수 있었다는 데 동의하십니까?")
            }
            (Self::Ces, Lang::En) => {
                format!(
                    "To what extent do you agree: {subject} made it easy for me to handle my issue."
                )
            }
        }
    }

    /// The words at the two ends of the scale (low, high).
    pub const fn anchors(self, lang: Lang) -> (&'static str, &'static str) {
        match (self, lang) {
            (Self::Nps, Lang::Ko) => ("전혀 추천하지 않음", "매우 추천함"),
            (Self::Nps, Lang::En) => ("Not at all likely", "Extremely likely"),
            (Self::Csat, Lang::Ko) => ("매우 불만족", "매우 만족"),
            (Self::Csat, Lang::En) => ("Very dissatisfied", "Very satisfied"),
            (Self::Ces, Lang::Ko) => ("전혀 동의하지 않음", "매우 동의함"),
            (Self::Ces, Lang::En) => ("Strongly disagree", "Strongly agree"),
        }
    }
}

macro_rules! score_type {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(u8);

        impl $name {
            /// The lowest score.
            pub const MIN: u8 = $min;
            /// The highest score.
            pub const MAX: u8 = $max;

            /// Parses a score, refusing anything off the scale.
            pub fn parse(value: i64) -> Result<Self, ValidationError> {
                u8::try_from(value)
                    .ok()
                    .filter(|v| (Self::MIN..=Self::MAX).contains(v))
                    .map(Self)
                    .ok_or_else(|| {
                        ValidationError::new(
                            "score",
                            format!("must be a whole number from {} to {}", Self::MIN, Self::MAX),
                        )
                    })
            }

            /// The score.
            pub const fn get(self) -> u8 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = ValidationError;
            fn try_from(value: i64) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> Self {
                i64::from(value.0)
            }
        }
    };
}

score_type!(
    /// An NPS answer, 0 (not at all likely) … 10 (extremely likely).
    NpsScore, 0, 10
);
score_type!(
    /// A CSAT answer, 1 (very dissatisfied) … 5 (very satisfied).
    CsatScore, 1, 5
);
score_type!(
    /// A CES answer, 1 (strongly disagree that it was easy) … 7 (strongly agree).
    CesScore, 1, 7
);

/// A score on the scale of its survey's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Score {
    /// An NPS answer.
    Nps(NpsScore),
    /// A CSAT answer.
    Csat(CsatScore),
    /// A CES answer.
    Ces(CesScore),
}

impl Score {
    /// Parses `raw` on the scale of `kind`.
    pub fn parse(kind: SurveyKind, raw: i64) -> Result<Self, ValidationError> {
        Ok(match kind {
            SurveyKind::Nps => Self::Nps(NpsScore::parse(raw)?),
            SurveyKind::Csat => Self::Csat(CsatScore::parse(raw)?),
            SurveyKind::Ces => Self::Ces(CesScore::parse(raw)?),
        })
    }

    /// The kind of survey this score belongs to.
    pub const fn kind(self) -> SurveyKind {
        match self {
            Self::Nps(_) => SurveyKind::Nps,
            Self::Csat(_) => SurveyKind::Csat,
            Self::Ces(_) => SurveyKind::Ces,
        }
    }

    /// The raw score.
    pub const fn value(self) -> u8 {
        match self {
            Self::Nps(s) => s.get(),
            Self::Csat(s) => s.get(),
            Self::Ces(s) => s.get(),
        }
    }

    /// Which follow-up group the answer falls in. NPS: 0–6 / 7–8 / 9–10 (the standard);
    /// CSAT: 1–2 / 3 / 4–5; CES: 1–3 / 4 / 5–7 (low / middle / top boxes).
    pub const fn segment(self) -> Segment {
        let (low, high) = match self {
            Self::Nps(_) => (6, 9),
            Self::Csat(_) => (2, 4),
            Self::Ces(_) => (3, 5),
        };
        let v = self.value();
        if v <= low {
            Segment::Detractor
        } else if v >= high {
            Segment::Promoter
        } else {
            Segment::Passive
        }
    }
}

impl Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.value())
    }
}

/// The follow-up group of an answer (named after NPS, used for every kind).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    /// Unhappy: NPS 0–6, CSAT 1–2, CES 1–3.
    Detractor,
    /// In between.
    Passive,
    /// Happy: NPS 9–10, CSAT 4–5, CES 5–7.
    Promoter,
}

/// A text in Korean and English; either may be empty, the other is then shown.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    /// 한국어
    #[serde(default)]
    pub ko: Text,
    /// English
    #[serde(default)]
    pub en: Text,
}

impl Bilingual {
    /// A text from two literals (used by templates and the demo).
    pub fn new(ko: &str, en: &str) -> Result<Self, ValidationError> {
        Ok(Self {
            ko: Text::parse(ko)?,
            en: Text::parse(en)?,
        })
    }

    /// The text in `lang`, falling back to the other language when it is empty.
    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::Ko => (&self.ko, &self.en),
            Lang::En => (&self.en, &self.ko),
        };
        if first.is_empty() {
            second.as_str()
        } else {
            first.as_str()
        }
    }

    /// True when both languages are empty.
    pub fn is_empty(&self) -> bool {
        self.ko.is_empty() && self.en.is_empty()
    }
}

/// The optional free-text question asked after the score, one per segment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUps {
    /// Asked after a low score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detractor: Option<Bilingual>,
    /// Asked after a middle score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive: Option<Bilingual>,
    /// Asked after a high score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoter: Option<Bilingual>,
}

impl FollowUps {
    /// The question for `segment`, if one is set.
    pub fn for_segment(&self, segment: Segment) -> Option<&Bilingual> {
        match segment {
            Segment::Detractor => self.detractor.as_ref(),
            Segment::Passive => self.passive.as_ref(),
            Segment::Promoter => self.promoter.as_ref(),
        }
        .filter(|q| !q.is_empty())
    }
}

/// An extra free-text question shown under the score.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraQuestion {
    /// A short key the answers are stored under (`a-z`, `0-9`, `_`, 1–32 characters).
    pub key: QuestionKey,
    /// The question.
    pub prompt: Bilingual,
}

/// The key of an extra question.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuestionKey(String);

impl QuestionKey {
    /// Parses a key: 1–32 of `a-z`, `0-9`, `_`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (1..=32).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "",
                "must be 1–32 characters of a-z, 0-9 and _",
            ))
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for QuestionKey {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<QuestionKey> for String {
    fn from(value: QuestionKey) -> Self {
        value.0
    }
}

/// A `#rrggbb` colour.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Colour(String);

impl Colour {
    /// Parses `#rrggbb` (stored lowercase).
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = raw.len() == 7
            && raw.starts_with('#')
            && raw.bytes().skip(1).all(|b| b.is_ascii_hexdigit());
        if ok {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(ValidationError::new("", "must be a colour like #1f6feb"))
        }
    }

    /// The colour as `#rrggbb`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Colour {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Colour> for String {
    fn from(value: Colour) -> Self {
        value.0
    }
}

/// An absolute `http(s)` URL without spaces or quotes (safe to put in an HTML attribute).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebUrl(String);

impl WebUrl {
    /// Parses an `http://` or `https://` URL of at most 2,000 characters.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        let ok = (raw.starts_with("https://") || raw.starts_with("http://"))
            && raw.len() <= 2000
            && raw.len() > "http://".len()
            && !raw.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`')
            });
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "",
                "must be an http(s) URL without spaces or quotes",
            ))
        }
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WebUrl {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WebUrl> for String {
    fn from(value: WebUrl) -> Self {
        value.0
    }
}

/// How a survey looks on the hosted page, the widget and in e-mails.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    /// A logo shown above the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<WebUrl>,
    /// The accent colour of buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<Colour>,
}

/// A survey on a touchpoint of a journey.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    /// Its id.
    pub id: SurveyId,
    /// The workspace of the journey (respondents and caps are per workspace).
    pub workspace_id: WorkspaceId,
    /// The journey.
    pub journey_id: JourneyId,
    /// The touchpoint the answers are evidence for.
    pub touchpoint_id: TouchpointId,
    /// NPS, CSAT or CES.
    pub kind: SurveyKind,
    /// What the standard question names, e.g. "쇼핑몰" or "the checkout".
    pub subject: Title,
    /// Free-text follow-up per segment.
    #[serde(default)]
    pub follow_up: FollowUps,
    /// Extra free-text questions.
    #[serde(default)]
    pub extra_questions: Vec<ExtraQuestion>,
    /// Logo and colour.
    #[serde(default)]
    pub branding: Branding,
    /// Whether answers are accepted without a personal link (hosted page, widget, QR).
    pub allow_anonymous: bool,
    /// Whether the survey takes answers and sends at all.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Survey {
    /// The most extra questions a survey may have.
    pub const MAX_EXTRA_QUESTIONS: usize = 10;

    /// Checks the rules a survey must keep (unique extra keys, their number).
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.extra_questions.len() > Self::MAX_EXTRA_QUESTIONS {
            return Err(ValidationError::new(
                "extra_questions",
                format!("at most {} extra questions", Self::MAX_EXTRA_QUESTIONS),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, q) in self.extra_questions.iter().enumerate() {
            if !seen.insert(q.key.as_str()) {
                return Err(ValidationError::new(
                    format!("extra_questions[{i}].key"),
                    "is used twice",
                ));
            }
        }
        Ok(())
    }

    /// The standard question in `lang`.
    pub fn question(&self, lang: Lang) -> String {
        self.kind.question(lang, self.subject.as_str())
    }
}

/// Where an answer came from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The hosted page opened directly.
    Web,
    /// The embedded web widget.
    Widget,
    /// A shared link.
    Link,
    /// A QR code.
    Qr,
    /// An e-mail.
    Email,
    /// An SMS.
    Sms,
    /// A KakaoTalk 알림톡 message.
    Kakao,
}

impl Channel {
    /// Every channel, in display order.
    pub const ALL: [Self; 7] = [
        Self::Web,
        Self::Widget,
        Self::Link,
        Self::Qr,
        Self::Email,
        Self::Sms,
        Self::Kakao,
    ];

    /// The lowercase code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Widget => "widget",
            Self::Link => "link",
            Self::Qr => "qr",
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Kakao => "kakao",
        }
    }

    /// The channel with `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How a scheduled send reaches the respondent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendChannel {
    /// E-mail over SMTP.
    Email,
    /// SMS through the message webhook.
    Sms,
    /// KakaoTalk 알림톡 through the message webhook.
    Kakao,
}

impl SendChannel {
    /// The answer channel that a link in this send records.
    pub const fn answer_channel(self) -> Channel {
        match self {
            Self::Email => Channel::Email,
            Self::Sms => Channel::Sms,
            Self::Kakao => Channel::Kakao,
        }
    }

    /// The lowercase code.
    pub const fn code(self) -> &'static str {
        self.answer_channel().code()
    }

    /// The send channel with `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Email, Self::Sms, Self::Kakao]
            .into_iter()
            .find(|c| c.code() == code)
    }
}

/// An answer. Read back from storage with the survey's kind, so its score is always on scale.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    /// Its id.
    pub id: AnswerId,
    /// The survey.
    pub survey_id: SurveyId,
    /// Who answered, when known (personal links).
    pub respondent_id: Option<RespondentId>,
    /// The personal link's one-time nonce; at most one answer per nonce.
    pub token_nonce: Option<Uuid>,
    /// The score (its value on the survey's scale).
    #[cfg_attr(feature = "openapi", schema(value_type = u8))]
    pub score: Score,
    /// Where it came from.
    pub channel: Channel,
    /// The respondent's segment attribute when they answered (for splits).
    pub segment: Option<String>,
    /// The free-text follow-up answer.
    pub comment: Text,
    /// Answers to extra questions by key.
    #[serde(default)]
    pub extra: BTreeMap<String, Text>,
    /// When it was given.
    pub answered_at: DateTime<Utc>,
}

/// An external customer id (the CRM's), 1–200 characters on one line.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerId(String);

impl CustomerId {
    /// Parses a customer id.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > 200 || raw.chars().any(char::is_control) {
            Err(ValidationError::new(
                "",
                "must be 1–200 characters on one line",
            ))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CustomerId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CustomerId> for String {
    fn from(value: CustomerId) -> Self {
        value.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in international form, `+` and 8–15 digits (E.164). Korean mobile numbers
/// written `010-1234-5678` are accepted and stored as `+821012345678`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number, ignoring spaces, dashes and brackets.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let kept: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let international = if let Some(rest) = kept.strip_prefix('+') {
            rest.to_owned()
        } else if let Some(rest) = kept.strip_prefix('0') {
            // A Korean domestic number: drop the trunk 0, add the country code.
            format!("82{rest}")
        } else {
            String::new()
        };
        if (8..=15).contains(&international.len())
            && international.bytes().all(|b| b.is_ascii_digit())
        {
            Ok(Self(format!("+{international}")))
        } else {
            Err(ValidationError::new(
                "",
                "must be a phone number like +82 10 1234 5678 or 010-1234-5678",
            ))
        }
    }

    /// The number as `+digits`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(value: Phone) -> Self {
        value.0
    }
}

/// A customer that surveys are sent to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Respondent {
    /// Its id.
    pub id: RespondentId,
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The customer's id in the workspace's own systems; unique per workspace.
    pub customer_id: CustomerId,
    /// Where e-mail surveys go.
    pub email: Option<Email>,
    /// Where SMS and 알림톡 surveys go.
    pub phone: Option<Phone>,
    /// A segment for result splits, e.g. "VIP".
    pub segment: Option<Title>,
    /// Where the customer is in their lifecycle, e.g. "onboarding", "active", "churn_risk".
    pub lifecycle_stage: Option<Title>,
    /// The customer's offset from UTC in minutes (quiet hours); the workspace default otherwise.
    pub utc_offset_minutes: Option<i16>,
    /// Named dates (e.g. `signup_date`) that "N days after" triggers count from.
    #[serde(default)]
    pub dates: BTreeMap<String, NaiveDate>,
    /// When the customer unsubscribed from surveys; nothing is sent after that.
    pub unsubscribed_at: Option<DateTime<Utc>>,
    /// When first seen.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// What makes a trigger fire.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TriggerRule {
    /// An ingested event with this name, e.g. `order_delivered`.
    Event {
        /// The event name.
        name: EventName,
    },
    /// `days` days after the respondent's date attribute `attribute`.
    DaysAfterDate {
        /// The date attribute, e.g. `signup_date`.
        attribute: QuestionKey,
        /// How many days after it.
        days: u32,
    },
    /// The respondent's lifecycle stage changed to `stage`.
    LifecycleStage {
        /// The new stage.
        stage: Title,
    },
}

/// An event name: 1–200 characters on one line.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventName(String);

impl EventName {
    /// Parses an event name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        CustomerId::parse(raw).map(|c| Self(c.0))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EventName {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EventName> for String {
    fn from(value: EventName) -> Self {
        value.0
    }
}

/// A rule: when something happens to a respondent, send them a survey after a delay.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// Its id.
    pub id: TriggerId,
    /// The workspace (of the survey).
    pub workspace_id: WorkspaceId,
    /// The survey to send.
    pub survey_id: SurveyId,
    /// What fires it.
    pub rule: TriggerRule,
    /// Minutes to wait after the firing moment, e.g. 120 for "2 hours after delivery".
    pub delay_minutes: u32,
    /// How to reach the respondent.
    pub channel: SendChannel,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The state of a send: `pending → sending → sent | failed` (`sending → pending` on a retry).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendState {
    /// Waiting for its time (or its next attempt).
    Pending,
    /// Claimed by a scheduler until its lease expires.
    Sending,
    /// Handed to the SMTP server or the message webhook.
    Sent,
    /// Gave up after the attempt limit, or nothing to send to (reason kept).
    Failed,
}

impl SendState {
    /// The lowercase code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// The state with `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Pending, Self::Sending, Self::Sent, Self::Failed]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// One delivery of a survey to a respondent, kept in the store until it is sent or failed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveySend {
    /// Its id; also the idempotency key towards the mail server and the webhook.
    pub id: SendId,
    /// The survey.
    pub survey_id: SurveyId,
    /// The respondent.
    pub respondent_id: RespondentId,
    /// How it goes out.
    pub channel: SendChannel,
    /// Where it is.
    pub state: SendState,
    /// Attempts started so far.
    pub attempts: u32,
    /// When it was meant to go out (after quiet hours); frequency caps count by this time.
    pub due_at: DateTime<Utc>,
    /// When the next attempt may start.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Makes scheduling idempotent: a second send with the same key is not created.
    pub dedupe_key: Option<String>,
    /// When it was scheduled.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_cannot_leave_their_scale() {
        assert!(NpsScore::parse(0).is_ok() && NpsScore::parse(10).is_ok());
        assert!(NpsScore::parse(11).is_err() && NpsScore::parse(-1).is_err());
        assert!(CsatScore::parse(0).is_err() && CsatScore::parse(6).is_err());
        assert!(CesScore::parse(8).is_err() && CesScore::parse(7).is_ok());
        assert!(Score::parse(SurveyKind::Csat, 7).is_err());
        assert!(serde_json::from_str::<NpsScore>("12").is_err());
        assert_eq!(serde_json::from_str::<CesScore>("4").unwrap().get(), 4);
    }

    #[test]
    fn segments_follow_each_scale() {
        let seg = |k, v| Score::parse(k, v).unwrap().segment();
        assert_eq!(seg(SurveyKind::Nps, 6), Segment::Detractor);
        assert_eq!(seg(SurveyKind::Nps, 8), Segment::Passive);
        assert_eq!(seg(SurveyKind::Nps, 9), Segment::Promoter);
        assert_eq!(seg(SurveyKind::Csat, 3), Segment::Passive);
        assert_eq!(seg(SurveyKind::Csat, 4), Segment::Promoter);
        assert_eq!(seg(SurveyKind::Ces, 3), Segment::Detractor);
        assert_eq!(seg(SurveyKind::Ces, 5), Segment::Promoter);
    }

    #[test]
    fn contact_values_are_parsed() {
        assert_eq!(
            Phone::parse("010-1234-5678").unwrap().as_str(),
            "+821012345678"
        );
        assert_eq!(
            Phone::parse("+1 (415) 555-0100").unwrap().as_str(),
            "+14155550100"
        );
        assert!(Phone::parse("12345").is_err());
        assert!(Colour::parse("#12ab3F").is_ok() && Colour::parse("red").is_err());
        assert!(WebUrl::parse("https://x.example/logo.png").is_ok());
        assert!(WebUrl::parse("javascript:alert(1)").is_err());
        assert!(WebUrl::parse("https://x.example/\"onload=").is_err());
        assert!(QuestionKey::parse("why_not").is_ok() && QuestionKey::parse("Why").is_err());
    }

    #[test]
    fn bilingual_text_falls_back() {
        let q = Bilingual::new("", "Why?").unwrap();
        assert_eq!(q.get(Lang::Ko), "Why?");
        assert!(
            SurveyKind::Nps
                .question(Lang::Ko, "쇼핑몰")
                .contains("추천")
        );
    }
}
