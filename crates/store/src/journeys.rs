use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use cxmap_domain::{
    Comment, CommentId, Journey, JourneyId, JourneyKind, JourneyOp, Project, ProjectId, Title,
    Version, WorkspaceId,
};

use crate::error::{StoreError, StoreResult};

/// One line of a journey list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneySummary {
    /// The journey.
    pub id: JourneyId,
    /// Its project.
    pub project_id: ProjectId,
    /// Its title.
    pub title: Title,
    /// B2C or B2B.
    pub kind: JourneyKind,
    /// Its current version.
    pub version: Version,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&Journey> for JourneySummary {
    fn from(j: &Journey) -> Self {
        Self {
            id: j.id,
            project_id: j.project_id,
            title: j.title.clone(),
            kind: j.kind,
            version: j.version,
            updated_at: j.updated_at,
        }
    }
}

/// Projects, journeys and comments.
#[async_trait]
pub trait JourneyStore {
    /// Creates a project.
    async fn create_project(&self, project: &Project) -> StoreResult<()>;
    /// A project by id.
    async fn project(&self, id: ProjectId) -> StoreResult<Project>;
    /// The projects of a workspace, oldest first.
    async fn projects(&self, workspace: WorkspaceId) -> StoreResult<Vec<Project>>;
    /// Renames or re-describes a project.
    async fn update_project(&self, project: &Project) -> StoreResult<()>;
    /// Deletes a project and all its journeys.
    async fn delete_project(&self, id: ProjectId) -> StoreResult<()>;

    /// Stores a new journey; its project must exist and its id must be free.
    async fn create_journey(&self, journey: &Journey) -> StoreResult<()>;
    /// A journey by id.
    async fn journey(&self, id: JourneyId) -> StoreResult<Journey>;
    /// The journeys of a project, most recently changed first.
    async fn journeys(&self, project: ProjectId) -> StoreResult<Vec<JourneySummary>>;
    /// Replaces a journey if the stored version is still `expected`; `journey.version` must be
    /// `expected.next()`. Otherwise fails with [`StoreError::VersionConflict`].
    async fn replace_journey(&self, journey: &Journey, expected: Version) -> StoreResult<()>;
    /// Deletes a journey and its comments.
    async fn delete_journey(&self, id: JourneyId) -> StoreResult<()>;
    /// Creates (or with `replace`, overwrites) the project and the journey in one transaction:
    /// either both land or neither does.
    async fn import_journey(
        &self,
        project: &Project,
        journey: &Journey,
        replace: bool,
    ) -> StoreResult<()>;

    /// Adds a comment.
    async fn add_comment(&self, comment: &Comment) -> StoreResult<()>;
    /// The comments of a journey, oldest first.
    async fn comments(&self, journey: JourneyId) -> StoreResult<Vec<Comment>>;
    /// A comment by id.
    async fn comment(&self, id: CommentId) -> StoreResult<Comment>;
    /// Replaces a comment's body and resolved flag.
    async fn update_comment(&self, comment: &Comment) -> StoreResult<()>;
    /// Deletes a comment.
    async fn delete_comment(&self, id: CommentId) -> StoreResult<()>;
}

/// Applies `ops` to the stored journey with optimistic concurrency: the caller states the version
/// it based its edit on (`None` = whatever is current, retried on races).
pub async fn apply_ops<S: JourneyStore + ?Sized>(
    store: &S,
    id: JourneyId,
    base: Option<Version>,
    ops: &[JourneyOp],
    now: DateTime<Utc>,
) -> StoreResult<Journey> {
    const RETRIES: usize = 8;
    let mut attempt = 0;
    loop {
        let mut journey = store.journey(id).await?;
        if let Some(expected) = base
            && expected != journey.version
        {
            return Err(StoreError::VersionConflict {
                expected,
                actual: journey.version,
            });
        }
        let read = journey.version;
        journey.apply(ops, now)?;
        match store.replace_journey(&journey, read).await {
            Ok(()) => return Ok(journey),
            Err(StoreError::VersionConflict { .. }) if base.is_none() && attempt < RETRIES => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
