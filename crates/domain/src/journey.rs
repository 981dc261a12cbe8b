//! The journey aggregate: a journey owns its personas, ordered stages (each with ordered
//! touchpoints) and opportunities. It is saved and versioned as one unit.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{
    CommentId, JourneyId, OpportunityId, PersonaId, ProjectId, StageId, TouchpointId, UserId,
    WorkspaceId,
};
use crate::values::{Emotion, Level, Text, Title, ValidationError, Version};

/// A workspace: people and projects that belong together.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    /// Its id.
    pub id: WorkspaceId,
    /// Its display name.
    pub name: Title,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A project groups journeys inside a workspace.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// The workspace it belongs to.
    pub workspace_id: WorkspaceId,
    /// Its display name.
    pub name: Title,
    /// What it is about.
    #[serde(default)]
    pub description: Text,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Business-to-consumer or business-to-business.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JourneyKind {
    /// Consumers buying for themselves.
    #[default]
    B2c,
    /// A buying centre in an organisation.
    B2b,
}

/// The three families of touchpoints from the seed articles.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TouchpointCategory {
    /// Web, app, e-mail, ads, messaging.
    #[default]
    Digital,
    /// Staff, call centre, sales people.
    Human,
    /// Stores, packaging, printed material, the product itself.
    Physical,
}

/// A person's role in a B2B buying centre.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuyingRole {
    /// Starts the purchase.
    Initiator,
    /// Uses the product every day.
    User,
    /// Shapes the requirements.
    Influencer,
    /// Makes the final call.
    Decider,
    /// Negotiates and signs.
    Buyer,
    /// Controls the flow of information (IT, security, legal).
    Gatekeeper,
}

/// A customer archetype the journey is drawn for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    /// Its id.
    pub id: PersonaId,
    /// Its name, e.g. "김지은, 32, 직장인".
    pub name: Title,
    /// Its B2B buying-centre role, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<BuyingRole>,
    /// Who this person is.
    #[serde(default)]
    pub description: Text,
    /// What they want to achieve.
    #[serde(default)]
    pub goals: Vec<Text>,
    /// What annoys them.
    #[serde(default)]
    pub frustrations: Vec<Text>,
    /// A typical quote.
    #[serde(default)]
    pub quote: Text,
    /// An avatar: an emoji or an image URL.
    #[serde(default)]
    pub avatar: Text,
}

/// A key performance indicator on a touchpoint, with its goal and an external reference value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    /// What is measured, e.g. "NPS" or "결제 완료율".
    pub name: Title,
    /// Its unit, e.g. "%" or "s".
    #[serde(default)]
    pub unit: Text,
    /// The value the team aims for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// An industry reference value the user entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<f64>,
}

/// A point where the customer meets the company.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Touchpoint {
    /// Its id.
    pub id: TouchpointId,
    /// Its name, e.g. "모바일 결제".
    pub name: Title,
    /// The channel, e.g. "app", "store", "call centre".
    #[serde(default)]
    pub channel: Text,
    /// Digital, human or physical.
    #[serde(default)]
    pub category: TouchpointCategory,
    /// The team or person responsible.
    #[serde(default)]
    pub owner: Text,
    /// What happens here.
    #[serde(default)]
    pub description: Text,
    /// What the customer does.
    #[serde(default)]
    pub customer_actions: Vec<Text>,
    /// What the customer thinks.
    #[serde(default)]
    pub thoughts: Vec<Text>,
    /// The designed emotion, −2..+2.
    #[serde(default)]
    pub emotion: Emotion,
    /// What the customer needs.
    #[serde(default)]
    pub needs: Vec<Text>,
    /// What the customer expects.
    #[serde(default)]
    pub expectations: Vec<Text>,
    /// What hurts.
    #[serde(default)]
    pub pain_points: Vec<Text>,
    /// What delights.
    #[serde(default)]
    pub gain_points: Vec<Text>,
    /// Backstage processes and systems behind the touchpoint.
    #[serde(default)]
    pub backstage: Vec<Text>,
    /// A moment of truth: it decides whether the customer stays.
    #[serde(default)]
    pub moment_of_truth: bool,
    /// Part of the core experience the value proposition promises.
    #[serde(default)]
    pub core_experience: bool,
    /// Indicators measured here.
    #[serde(default)]
    pub kpis: Vec<Kpi>,
}

impl Touchpoint {
    /// A touchpoint with a name and every other field at its default.
    pub fn named(name: Title) -> Self {
        Self {
            id: TouchpointId::new(),
            name,
            channel: Text::default(),
            category: TouchpointCategory::default(),
            owner: Text::default(),
            description: Text::default(),
            customer_actions: Vec::new(),
            thoughts: Vec::new(),
            emotion: Emotion::default(),
            needs: Vec::new(),
            expectations: Vec::new(),
            pain_points: Vec::new(),
            gain_points: Vec::new(),
            backstage: Vec::new(),
            moment_of_truth: false,
            core_experience: false,
            kpis: Vec::new(),
        }
    }
}

/// A column of the map: a phase of the customer's journey.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Its id.
    pub id: StageId,
    /// Its name, e.g. "인지" or "Awareness".
    pub name: Title,
    /// What the customer is trying to do in this phase.
    #[serde(default)]
    pub description: Text,
    /// Its touchpoints, in order.
    #[serde(default)]
    pub touchpoints: Vec<Touchpoint>,
}

impl Stage {
    /// An empty stage.
    pub fn named(name: Title) -> Self {
        Self {
            id: StageId::new(),
            name,
            description: Text::default(),
            touchpoints: Vec::new(),
        }
    }
}

/// Where an opportunity stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityStatus {
    /// Proposed, not started.
    #[default]
    Idea,
    /// Being redesigned or built.
    InProgress,
    /// Being tested in an experiment.
    Testing,
    /// Shipped.
    Done,
    /// Decided against.
    Dropped,
}

/// An improvement idea, usually tied to a touchpoint's pain point.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    /// Its id.
    pub id: OpportunityId,
    /// A short title.
    pub title: Title,
    /// What would change.
    #[serde(default)]
    pub description: Text,
    /// The touchpoint it improves, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub touchpoint_id: Option<TouchpointId>,
    /// Expected impact, 1–5.
    #[serde(default)]
    pub impact: Level,
    /// Expected effort, 1–5.
    #[serde(default)]
    pub effort: Level,
    /// Where it stands.
    #[serde(default)]
    pub status: OpportunityStatus,
}

/// A customer journey map: the aggregate that is loaded, changed and saved as one unit.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    /// Its id.
    pub id: JourneyId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// Its title.
    pub title: Title,
    /// B2C or B2B.
    #[serde(default)]
    pub kind: JourneyKind,
    /// What the customer wants to achieve over the whole journey.
    #[serde(default)]
    pub goal: Text,
    /// Where the journey starts and ends.
    #[serde(default)]
    pub scope: Text,
    /// The value the company promises along the journey.
    #[serde(default)]
    pub value_proposition: Text,
    /// Its personas.
    #[serde(default)]
    pub personas: Vec<Persona>,
    /// Its stages, in order.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Improvement opportunities.
    #[serde(default)]
    pub opportunities: Vec<Opportunity>,
    /// Bumped by every accepted change.
    #[serde(default)]
    pub version: Version,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Hard limits that keep one map renderable and one request bounded.
pub mod limits {
    /// Stages per journey.
    pub const STAGES: usize = 50;
    /// Touchpoints per journey (all stages).
    pub const TOUCHPOINTS: usize = 2_000;
    /// Personas per journey.
    pub const PERSONAS: usize = 50;
    /// Opportunities per journey.
    pub const OPPORTUNITIES: usize = 1_000;
    /// Items in one list field (pain points, needs, …).
    pub const LIST_ITEMS: usize = 100;
    /// KPIs per touchpoint.
    pub const KPIS: usize = 50;
}

impl Journey {
    /// A new empty journey in `project_id`, created at `now`.
    pub fn new(project_id: ProjectId, title: Title, now: DateTime<Utc>) -> Self {
        Self {
            id: JourneyId::new(),
            project_id,
            title,
            kind: JourneyKind::default(),
            goal: Text::default(),
            scope: Text::default(),
            value_proposition: Text::default(),
            personas: Vec::new(),
            stages: Vec::new(),
            opportunities: Vec::new(),
            version: Version::default(),
            created_at: now,
            updated_at: now,
        }
    }

    /// A new journey with the five default stages of the seed articles, in `lang` ("ko" or "en").
    pub fn with_default_stages(
        project_id: ProjectId,
        title: Title,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Self {
        let mut journey = Self::new(project_id, title, now);
        journey.stages = default_stage_names(lang)
            .iter()
            .filter_map(|name| Title::parse(name).ok())
            .map(Stage::named)
            .collect();
        journey
    }

    /// Every touchpoint, in map order (stage by stage).
    pub fn touchpoints(&self) -> impl Iterator<Item = (&Stage, &Touchpoint)> {
        self.stages
            .iter()
            .flat_map(|stage| stage.touchpoints.iter().map(move |tp| (stage, tp)))
    }

    /// The touchpoint with `id`.
    pub fn touchpoint(&self, id: TouchpointId) -> Option<&Touchpoint> {
        self.touchpoints().map(|(_, tp)| tp).find(|tp| tp.id == id)
    }

    /// Checks the invariants that single fields cannot: limits, unique ids, references.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.stages.len() > limits::STAGES {
            return Err(too_many("stages", limits::STAGES));
        }
        if self.personas.len() > limits::PERSONAS {
            return Err(too_many("personas", limits::PERSONAS));
        }
        if self.opportunities.len() > limits::OPPORTUNITIES {
            return Err(too_many("opportunities", limits::OPPORTUNITIES));
        }
        let touchpoint_count: usize = self.stages.iter().map(|s| s.touchpoints.len()).sum();
        if touchpoint_count > limits::TOUCHPOINTS {
            return Err(too_many("touchpoints", limits::TOUCHPOINTS));
        }
        let mut seen = HashSet::new();
        for (si, stage) in self.stages.iter().enumerate() {
            let stage_path = format!("stages[{si}]");
            if !seen.insert(stage.id.as_uuid()) {
                return Err(ValidationError::new(
                    format!("{stage_path}.id"),
                    "duplicate id",
                ));
            }
            for (ti, tp) in stage.touchpoints.iter().enumerate() {
                let path = format!("{stage_path}.touchpoints[{ti}]");
                if !seen.insert(tp.id.as_uuid()) {
                    return Err(ValidationError::new(format!("{path}.id"), "duplicate id"));
                }
                validate_touchpoint(tp).map_err(|e| e.under(&path))?;
            }
        }
        for (pi, persona) in self.personas.iter().enumerate() {
            let path = format!("personas[{pi}]");
            if !seen.insert(persona.id.as_uuid()) {
                return Err(ValidationError::new(format!("{path}.id"), "duplicate id"));
            }
            check_list(&persona.goals, "goals").map_err(|e| e.under(&path))?;
            check_list(&persona.frustrations, "frustrations").map_err(|e| e.under(&path))?;
        }
        for (oi, opp) in self.opportunities.iter().enumerate() {
            let path = format!("opportunities[{oi}]");
            if !seen.insert(opp.id.as_uuid()) {
                return Err(ValidationError::new(format!("{path}.id"), "duplicate id"));
            }
            if let Some(tp) = opp.touchpoint_id
                && self.touchpoint(tp).is_none()
            {
                return Err(ValidationError::new(
                    format!("{path}.touchpoint_id"),
                    "no such touchpoint on this journey",
                ));
            }
        }
        Ok(())
    }
}

fn too_many(field: &str, max: usize) -> ValidationError {
    ValidationError::new(field, format!("at most {max} allowed"))
}

fn check_list(items: &[Text], field: &str) -> Result<(), ValidationError> {
    if items.len() > limits::LIST_ITEMS {
        Err(too_many(field, limits::LIST_ITEMS))
    } else {
        Ok(())
    }
}

fn validate_touchpoint(tp: &Touchpoint) -> Result<(), ValidationError> {
    for (field, items) in [
        ("customer_actions", &tp.customer_actions),
        ("thoughts", &tp.thoughts),
        ("needs", &tp.needs),
        ("expectations", &tp.expectations),
        ("pain_points", &tp.pain_points),
        ("gain_points", &tp.gain_points),
        ("backstage", &tp.backstage),
    ] {
        check_list(items, field)?;
    }
    if tp.kpis.len() > limits::KPIS {
        return Err(too_many("kpis", limits::KPIS));
    }
    for (ki, kpi) in tp.kpis.iter().enumerate() {
        for (field, value) in [("target", kpi.target), ("benchmark", kpi.benchmark)] {
            if value.is_some_and(|v| !v.is_finite()) {
                return Err(ValidationError::new(
                    format!("kpis[{ki}].{field}"),
                    "must be a finite number",
                ));
            }
        }
    }
    Ok(())
}

/// A language the product speaks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 한국어
    #[default]
    Ko,
    /// English
    En,
}

/// The default stages of the seed articles.
pub fn default_stage_names(lang: Lang) -> [&'static str; 5] {
    match lang {
        Lang::Ko => ["인지", "고려", "구매/결정", "사용 및 지원", "리뷰 및 충성"],
        Lang::En => [
            "Awareness",
            "Consideration",
            "Purchase / decision",
            "Usage & support",
            "Review & loyalty",
        ],
    }
}

/// What a comment is attached to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ElementRef {
    /// The journey as a whole.
    Journey,
    /// A stage.
    Stage(StageId),
    /// A touchpoint.
    Touchpoint(TouchpointId),
    /// A persona.
    Persona(PersonaId),
    /// An opportunity.
    Opportunity(OpportunityId),
}

impl ElementRef {
    /// True when the element exists on `journey`.
    pub fn exists_on(&self, journey: &Journey) -> bool {
        match *self {
            Self::Journey => true,
            Self::Stage(id) => journey.stages.iter().any(|s| s.id == id),
            Self::Touchpoint(id) => journey.touchpoint(id).is_some(),
            Self::Persona(id) => journey.personas.iter().any(|p| p.id == id),
            Self::Opportunity(id) => journey.opportunities.iter().any(|o| o.id == id),
        }
    }
}

/// A comment on an element of a journey map.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    /// Its id.
    pub id: CommentId,
    /// The journey it belongs to.
    pub journey_id: JourneyId,
    /// The element it is attached to.
    pub target: ElementRef,
    /// Who wrote it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<UserId>,
    /// The comment text.
    pub body: Text,
    /// Whether the discussion is closed.
    #[serde(default)]
    pub resolved: bool,
    /// The members named with `@` in the body.
    #[serde(default)]
    pub mentions: Vec<UserId>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Journey {
        let mut j = Journey::with_default_stages(
            ProjectId::new(),
            Title::parse("온라인 쇼핑").unwrap(),
            Lang::Ko,
            Utc::now(),
        );
        j.stages[0]
            .touchpoints
            .push(Touchpoint::named(Title::parse("검색 광고").unwrap()));
        j
    }

    #[test]
    fn default_stages_are_five() {
        let j = sample();
        assert_eq!(j.stages.len(), 5);
        assert_eq!(j.stages[0].name.as_str(), "인지");
        assert!(j.validate().is_ok());
    }

    #[test]
    fn duplicate_ids_are_refused_with_a_path() {
        let mut j = sample();
        let dup = j.stages[0].touchpoints[0].clone();
        j.stages[1].touchpoints.push(dup);
        let err = j.validate().unwrap_err();
        assert_eq!(err.field, "stages[1].touchpoints[0].id");
    }

    #[test]
    fn opportunities_must_point_at_existing_touchpoints() {
        let mut j = sample();
        j.opportunities.push(Opportunity {
            id: OpportunityId::new(),
            title: Title::parse("원클릭 결제").unwrap(),
            description: Text::default(),
            touchpoint_id: Some(TouchpointId::new()),
            impact: Level::default(),
            effort: Level::default(),
            status: OpportunityStatus::Idea,
        });
        assert_eq!(
            j.validate().unwrap_err().field,
            "opportunities[0].touchpoint_id"
        );
    }

    #[test]
    fn non_finite_kpi_targets_are_refused() {
        let mut j = sample();
        j.stages[0].touchpoints[0].kpis.push(Kpi {
            name: Title::parse("NPS").unwrap(),
            unit: Text::default(),
            target: Some(f64::NAN),
            benchmark: None,
        });
        assert_eq!(
            j.validate().unwrap_err().field,
            "stages[0].touchpoints[0].kpis[0].target"
        );
    }
}
