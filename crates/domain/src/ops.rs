//! Edit operations on a journey.
//!
//! Every change to a map — from the REST API, from an import, from a co-editing session — is
//! one of these operations. Applying them is all-or-nothing: a batch either leaves a valid
//! journey with its version bumped once, or leaves it untouched.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{OpportunityId, PersonaId, StageId, TouchpointId};
use crate::journey::{
    BuyingRole, Journey, JourneyKind, Kpi, Opportunity, OpportunityStatus, Persona, Stage,
    Touchpoint, TouchpointCategory,
};
use crate::values::{Emotion, Level, Text, Title, ValidationError};

/// Why an operation could not be applied.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OpError {
    /// The operation names an element that is not on the journey.
    #[error("{kind} {id} is not on this journey")]
    NotFound {
        /// The kind of element ("stage", "touchpoint", …).
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// An element with that id already exists.
    #[error("{kind} {id} already exists on this journey")]
    AlreadyExists {
        /// The kind of element.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The result would break an invariant of the journey.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

macro_rules! patch {
    ($(#[$doc:meta])* $name:ident for $target:ty { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $(
                #[allow(missing_docs)]
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        impl $name {
            /// Writes every field that is present onto `target` (per-property last writer wins).
            pub fn apply_to(&self, target: &mut $target) {
                $(
                    if let Some(value) = &self.$field {
                        target.$field = value.clone();
                    }
                )*
            }
        }
    };
}

patch!(
    /// A partial update of a journey's own fields.
    JourneyPatch for Journey {
        title: Title,
        kind: JourneyKind,
        goal: Text,
        scope: Text,
        value_proposition: Text,
    }
);

patch!(
    /// A partial update of a stage.
    StagePatch for Stage {
        name: Title,
        description: Text,
    }
);

patch!(
    /// A partial update of a touchpoint.
    TouchpointPatch for Touchpoint {
        name: Title,
        channel: Text,
        category: TouchpointCategory,
        owner: Text,
        description: Text,
        customer_actions: Vec<Text>,
        thoughts: Vec<Text>,
        emotion: Emotion,
        needs: Vec<Text>,
        expectations: Vec<Text>,
        pain_points: Vec<Text>,
        gain_points: Vec<Text>,
        backstage: Vec<Text>,
        moment_of_truth: bool,
        core_experience: bool,
        kpis: Vec<Kpi>,
    }
);

patch!(
    /// A partial update of a persona.
    PersonaPatch for Persona {
        name: Title,
        role: Option<BuyingRole>,
        description: Text,
        goals: Vec<Text>,
        frustrations: Vec<Text>,
        quote: Text,
        avatar: Text,
    }
);

patch!(
    /// A partial update of an opportunity.
    OpportunityPatch for Opportunity {
        title: Title,
        description: Text,
        touchpoint_id: Option<TouchpointId>,
        impact: Level,
        effort: Level,
        status: OpportunityStatus,
    }
);

/// One change to a journey.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum JourneyOp {
    /// Change the journey's own fields.
    UpdateJourney {
        /// The fields to change.
        patch: JourneyPatch,
    },
    /// Insert a stage at `index` (at the end when absent).
    AddStage {
        /// The new stage (its touchpoints come with it).
        stage: Stage,
        /// Where to insert it.
        #[serde(default)]
        index: Option<usize>,
    },
    /// Change a stage's fields.
    UpdateStage {
        /// The stage.
        id: StageId,
        /// The fields to change.
        patch: StagePatch,
    },
    /// Move a stage to `index`.
    MoveStage {
        /// The stage.
        id: StageId,
        /// Its new position (clamped to the end).
        index: usize,
    },
    /// Remove a stage and its touchpoints.
    RemoveStage {
        /// The stage.
        id: StageId,
    },
    /// Insert a touchpoint into a stage.
    AddTouchpoint {
        /// The stage to insert into.
        stage_id: StageId,
        /// The new touchpoint.
        touchpoint: Touchpoint,
        /// Where to insert it (at the end when absent).
        #[serde(default)]
        index: Option<usize>,
    },
    /// Change a touchpoint's fields.
    UpdateTouchpoint {
        /// The touchpoint.
        id: TouchpointId,
        /// The fields to change.
        patch: TouchpointPatch,
    },
    /// Move a touchpoint to a position in a (possibly different) stage.
    MoveTouchpoint {
        /// The touchpoint.
        id: TouchpointId,
        /// The stage to move it into.
        stage_id: StageId,
        /// Its new position in that stage (clamped to the end).
        index: usize,
    },
    /// Remove a touchpoint; opportunities that pointed at it keep existing, unlinked.
    RemoveTouchpoint {
        /// The touchpoint.
        id: TouchpointId,
    },
    /// Add a persona.
    AddPersona {
        /// The new persona.
        persona: Persona,
    },
    /// Change a persona's fields.
    UpdatePersona {
        /// The persona.
        id: PersonaId,
        /// The fields to change.
        patch: PersonaPatch,
    },
    /// Remove a persona.
    RemovePersona {
        /// The persona.
        id: PersonaId,
    },
    /// Add an opportunity.
    AddOpportunity {
        /// The new opportunity.
        opportunity: Opportunity,
    },
    /// Change an opportunity's fields.
    UpdateOpportunity {
        /// The opportunity.
        id: OpportunityId,
        /// The fields to change.
        patch: OpportunityPatch,
    },
    /// Remove an opportunity.
    RemoveOpportunity {
        /// The opportunity.
        id: OpportunityId,
    },
}

fn not_found(kind: &'static str, id: impl ToString) -> OpError {
    OpError::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn position<T>(
    items: &[T],
    pred: impl Fn(&T) -> bool,
    kind: &'static str,
    id: impl ToString,
) -> Result<usize, OpError> {
    items
        .iter()
        .position(pred)
        .ok_or_else(|| not_found(kind, id))
}

impl Journey {
    /// Applies a batch of operations atomically: on success the version is bumped once and
    /// `updated_at` set to `now`; on any error the journey is left exactly as it was.
    pub fn apply(&mut self, ops: &[JourneyOp], now: DateTime<Utc>) -> Result<(), OpError> {
        let mut next = self.clone();
        for op in ops {
            next.apply_one(op)?;
        }
        next.validate()?;
        next.version = self.version.next();
        next.updated_at = now;
        *self = next;
        Ok(())
    }

    fn locate_touchpoint(&self, id: TouchpointId) -> Result<(usize, usize), OpError> {
        self.stages
            .iter()
            .enumerate()
            .find_map(|(si, stage)| {
                stage
                    .touchpoints
                    .iter()
                    .position(|tp| tp.id == id)
                    .map(|ti| (si, ti))
            })
            .ok_or_else(|| not_found("touchpoint", id))
    }

    fn stage_index(&self, id: StageId) -> Result<usize, OpError> {
        position(&self.stages, |s| s.id == id, "stage", id)
    }

    fn apply_one(&mut self, op: &JourneyOp) -> Result<(), OpError> {
        match op {
            JourneyOp::UpdateJourney { patch } => patch.apply_to(self),
            JourneyOp::AddStage { stage, index } => {
                if self.stages.iter().any(|s| s.id == stage.id) {
                    return Err(OpError::AlreadyExists {
                        kind: "stage",
                        id: stage.id.to_string(),
                    });
                }
                let at = index.unwrap_or(self.stages.len()).min(self.stages.len());
                self.stages.insert(at, stage.clone());
            }
            JourneyOp::UpdateStage { id, patch } => {
                let si = self.stage_index(*id)?;
                if let Some(stage) = self.stages.get_mut(si) {
                    patch.apply_to(stage);
                }
            }
            JourneyOp::MoveStage { id, index } => {
                let si = self.stage_index(*id)?;
                let stage = self.stages.remove(si);
                let at = (*index).min(self.stages.len());
                self.stages.insert(at, stage);
            }
            JourneyOp::RemoveStage { id } => {
                let si = self.stage_index(*id)?;
                let stage = self.stages.remove(si);
                for tp in &stage.touchpoints {
                    self.unlink_opportunities(tp.id);
                }
            }
            JourneyOp::AddTouchpoint {
                stage_id,
                touchpoint,
                index,
            } => {
                if self.touchpoint(touchpoint.id).is_some() {
                    return Err(OpError::AlreadyExists {
                        kind: "touchpoint",
                        id: touchpoint.id.to_string(),
                    });
                }
                let si = self.stage_index(*stage_id)?;
                if let Some(stage) = self.stages.get_mut(si) {
                    let len = stage.touchpoints.len();
                    let at = index.unwrap_or(len).min(len);
                    stage.touchpoints.insert(at, touchpoint.clone());
                }
            }
            JourneyOp::UpdateTouchpoint { id, patch } => {
                let (si, ti) = self.locate_touchpoint(*id)?;
                if let Some(tp) = self
                    .stages
                    .get_mut(si)
                    .and_then(|s| s.touchpoints.get_mut(ti))
                {
                    patch.apply_to(tp);
                }
            }
            JourneyOp::MoveTouchpoint {
                id,
                stage_id,
                index,
            } => {
                let target = self.stage_index(*stage_id)?;
                let (si, ti) = self.locate_touchpoint(*id)?;
                let Some(source) = self.stages.get_mut(si) else {
                    return Err(not_found("stage", stage_id));
                };
                let tp = source.touchpoints.remove(ti);
                if let Some(dest) = self.stages.get_mut(target) {
                    let at = (*index).min(dest.touchpoints.len());
                    dest.touchpoints.insert(at, tp);
                }
            }
            JourneyOp::RemoveTouchpoint { id } => {
                let (si, ti) = self.locate_touchpoint(*id)?;
                if let Some(stage) = self.stages.get_mut(si) {
                    stage.touchpoints.remove(ti);
                }
                self.unlink_opportunities(*id);
            }
            JourneyOp::AddPersona { persona } => {
                if self.personas.iter().any(|p| p.id == persona.id) {
                    return Err(OpError::AlreadyExists {
                        kind: "persona",
                        id: persona.id.to_string(),
                    });
                }
                self.personas.push(persona.clone());
            }
            JourneyOp::UpdatePersona { id, patch } => {
                let pi = position(&self.personas, |p| p.id == *id, "persona", id)?;
                if let Some(persona) = self.personas.get_mut(pi) {
                    patch.apply_to(persona);
                }
            }
            JourneyOp::RemovePersona { id } => {
                let pi = position(&self.personas, |p| p.id == *id, "persona", id)?;
                self.personas.remove(pi);
            }
            JourneyOp::AddOpportunity { opportunity } => {
                if self.opportunities.iter().any(|o| o.id == opportunity.id) {
                    return Err(OpError::AlreadyExists {
                        kind: "opportunity",
                        id: opportunity.id.to_string(),
                    });
                }
                self.opportunities.push(opportunity.clone());
            }
            JourneyOp::UpdateOpportunity { id, patch } => {
                let oi = position(&self.opportunities, |o| o.id == *id, "opportunity", id)?;
                if let Some(opp) = self.opportunities.get_mut(oi) {
                    patch.apply_to(opp);
                }
            }
            JourneyOp::RemoveOpportunity { id } => {
                let oi = position(&self.opportunities, |o| o.id == *id, "opportunity", id)?;
                self.opportunities.remove(oi);
            }
        }
        Ok(())
    }

    fn unlink_opportunities(&mut self, touchpoint: TouchpointId) {
        for opp in &mut self.opportunities {
            if opp.touchpoint_id == Some(touchpoint) {
                opp.touchpoint_id = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProjectId;
    use crate::journey::Lang;

    fn journey() -> Journey {
        Journey::with_default_stages(
            ProjectId::new(),
            Title::parse("J").unwrap(),
            Lang::En,
            Utc::now(),
        )
    }

    fn tp(name: &str) -> Touchpoint {
        Touchpoint::named(Title::parse(name).unwrap())
    }

    #[test]
    fn a_batch_bumps_the_version_once() {
        let mut j = journey();
        let stage = j.stages[0].id;
        let ops = vec![
            JourneyOp::AddTouchpoint {
                stage_id: stage,
                touchpoint: tp("Ad"),
                index: None,
            },
            JourneyOp::AddTouchpoint {
                stage_id: stage,
                touchpoint: tp("Search"),
                index: Some(0),
            },
        ];
        j.apply(&ops, Utc::now()).unwrap();
        assert_eq!(j.version.0, 1);
        let names: Vec<_> = j.stages[0]
            .touchpoints
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["Search", "Ad"]);
    }

    #[test]
    fn a_failing_batch_changes_nothing() {
        let mut j = journey();
        let before = j.clone();
        let ops = vec![
            JourneyOp::AddTouchpoint {
                stage_id: j.stages[0].id,
                touchpoint: tp("Ad"),
                index: None,
            },
            JourneyOp::RemoveStage { id: StageId::new() },
        ];
        assert!(matches!(
            j.apply(&ops, Utc::now()),
            Err(OpError::NotFound { kind: "stage", .. })
        ));
        assert_eq!(j, before);
    }

    #[test]
    fn moving_a_touchpoint_across_stages_keeps_it_once() {
        let mut j = journey();
        let t = tp("Checkout");
        let id = t.id;
        let (s0, s2) = (j.stages[0].id, j.stages[2].id);
        j.apply(
            &[JourneyOp::AddTouchpoint {
                stage_id: s0,
                touchpoint: t,
                index: None,
            }],
            Utc::now(),
        )
        .unwrap();
        j.apply(
            &[JourneyOp::MoveTouchpoint {
                id,
                stage_id: s2,
                index: 99,
            }],
            Utc::now(),
        )
        .unwrap();
        assert!(j.stages[0].touchpoints.is_empty());
        assert_eq!(j.stages[2].touchpoints[0].id, id);
        assert_eq!(j.touchpoints().count(), 1);
    }

    #[test]
    fn removing_a_touchpoint_unlinks_its_opportunities() {
        let mut j = journey();
        let t = tp("Checkout");
        let id = t.id;
        let opp = Opportunity {
            id: OpportunityId::new(),
            title: Title::parse("One-click pay").unwrap(),
            description: Text::default(),
            touchpoint_id: Some(id),
            impact: Level::default(),
            effort: Level::default(),
            status: OpportunityStatus::Idea,
        };
        let stage = j.stages[0].id;
        j.apply(
            &[
                JourneyOp::AddTouchpoint {
                    stage_id: stage,
                    touchpoint: t,
                    index: None,
                },
                JourneyOp::AddOpportunity { opportunity: opp },
            ],
            Utc::now(),
        )
        .unwrap();
        j.apply(&[JourneyOp::RemoveTouchpoint { id }], Utc::now())
            .unwrap();
        assert_eq!(j.opportunities[0].touchpoint_id, None);
    }

    #[test]
    fn patches_reject_unknown_fields_and_bad_values() {
        let bad_field = serde_json::from_str::<JourneyOp>(
            r#"{"op":"update_touchpoint","id":"0192f0c1-0000-7000-8000-000000000000","patch":{"colour":"red"}}"#,
        );
        assert!(bad_field.is_err());
        let bad_emotion = serde_json::from_str::<JourneyOp>(
            r#"{"op":"update_touchpoint","id":"0192f0c1-0000-7000-8000-000000000000","patch":{"emotion":7}}"#,
        );
        assert!(bad_emotion.is_err());
    }
}
