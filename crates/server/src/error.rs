//! The one place where failures become HTTP responses.
//!
//! Every error body is `{"error":{"code":"snake_case","message":"…"}}` (plus `field` when one
//! field is to blame). Codes are stable: clients branch on them, never on messages.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cxmap_domain::{OpError, ValidationError};
use cxmap_store::StoreError;
use serde::Serialize;

/// An error answered to an API client.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable machine code.
    pub code: &'static str,
    /// A human-readable explanation.
    pub message: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
}

/// The error codes the API answers with, and their statuses.
pub mod codes {
    use axum::http::StatusCode;

    /// (code, status, meaning) — the table documented in ARCHITECTURE.md.
    pub const TABLE: &[(&str, StatusCode, &str)] = &[
        (
            "bad_request",
            StatusCode::BAD_REQUEST,
            "the request is malformed (e.g. invalid JSON)",
        ),
        (
            "unauthenticated",
            StatusCode::UNAUTHORIZED,
            "no valid token or session",
        ),
        (
            "invalid_credentials",
            StatusCode::UNAUTHORIZED,
            "the e-mail address or password is wrong",
        ),
        (
            "forbidden",
            StatusCode::FORBIDDEN,
            "the caller's role does not allow this",
        ),
        (
            "csrf_failed",
            StatusCode::FORBIDDEN,
            "a cookie-authenticated change lacks the X-CSRF-Token header of its session",
        ),
        (
            "not_found",
            StatusCode::NOT_FOUND,
            "no such resource or route",
        ),
        (
            "method_not_allowed",
            StatusCode::METHOD_NOT_ALLOWED,
            "the route exists, the method does not",
        ),
        (
            "conflict",
            StatusCode::CONFLICT,
            "the resource already exists",
        ),
        (
            "email_taken",
            StatusCode::CONFLICT,
            "an account with this e-mail address exists",
        ),
        (
            "last_owner",
            StatusCode::CONFLICT,
            "the change would leave the workspace without an owner",
        ),
        (
            "version_conflict",
            StatusCode::CONFLICT,
            "the journey changed since the version the edit was based on",
        ),
        (
            "already_answered",
            StatusCode::CONFLICT,
            "this personal survey link has already been answered",
        ),
        (
            "invalid_link",
            StatusCode::FORBIDDEN,
            "a signed link or token is invalid or for something else",
        ),
        (
            "payload_too_large",
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is over the size limit",
        ),
        (
            "unsupported_media_type",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON",
        ),
        (
            "invalid_field",
            StatusCode::UNPROCESSABLE_ENTITY,
            "a field has a value outside its rules",
        ),
        (
            "idempotency_key_reused",
            StatusCode::UNPROCESSABLE_ENTITY,
            "the Idempotency-Key was used before for a different batch",
        ),
        (
            "invalid_log_file",
            StatusCode::UNPROCESSABLE_ENTITY,
            "an imported event-log file is malformed (the message names the line)",
        ),
        (
            "rate_limited",
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests; retry later",
        ),
        (
            "database_unavailable",
            StatusCode::SERVICE_UNAVAILABLE,
            "the database cannot be reached; retry later",
        ),
        (
            "schema_too_new",
            StatusCode::SERVICE_UNAVAILABLE,
            "the database was migrated by a newer cxmap",
        ),
        (
            "internal",
            StatusCode::INTERNAL_SERVER_ERROR,
            "a bug or corrupt data; see the server log",
        ),
    ];
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in or send Authorization: Bearer TOKEN",
        )
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        )
    }

    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 409 `already_answered`: a personal survey link answers once.
    pub fn already_answered() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "already_answered",
            "this link has already been answered; thank you",
        )
    }

    /// 403 `invalid_link`: a signed token that does not verify.
    pub fn invalid_link() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "invalid_link",
            "this link is not valid; open it exactly as it was sent",
        )
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is over the limit of {limit} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as Content-Type: application/json",
        )
    }

    /// 422 `invalid_field` naming the field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self {
            message: if field.is_empty() {
                message
            } else {
                format!("{field}: {message}")
            },
            field: (!field.is_empty()).then_some(field),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "")
        }
    }

    /// 415 `unsupported_media_type` listing the accepted types.
    pub fn unsupported_media_type_of(accepted: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the body as Content-Type: {accepted}"),
        )
    }

    /// 422 `idempotency_key_reused`.
    pub fn idempotency_key_reused(key: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "Idempotency-Key {key:?} was already used for a different batch; use a new key for new events"
            ),
        )
    }

    /// 422 `invalid_log_file`.
    pub fn invalid_log_file(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_log_file",
            message,
        )
    }

    /// 429 `rate_limited`.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests; retry later",
        )
    }

    /// 401 `invalid_credentials`.
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the e-mail address or password is wrong",
        )
    }

    /// 403 `csrf_failed`.
    pub fn csrf_failed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "send the X-CSRF-Token header with the value of the cxmap_csrf cookie",
        )
    }

    /// 409 `email_taken`.
    pub fn email_taken() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "email_taken",
            "an account with this e-mail address exists; sign in instead",
        )
    }

    /// 409 `last_owner`.
    pub fn last_owner() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "last_owner",
            "a workspace needs at least one owner",
        )
    }

    /// 500 `internal`; the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        response
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::invalid_field(e.field, e.message)
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::NotFound { .. } => Self::not_found(e.to_string()),
            OpError::AlreadyExists { .. } => Self::conflict(e.to_string()),
            OpError::Invalid(v) => v.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::not_found(e.to_string()),
            StoreError::VersionConflict { .. } => {
                Self::new(StatusCode::CONFLICT, "version_conflict", e.to_string())
            }
            StoreError::AlreadyExists(m) => Self::conflict(m),
            StoreError::Invalid(v) => v.into(),
            StoreError::Op(op) => op.into(),
            StoreError::Unavailable(ref detail) => {
                tracing::warn!(%detail, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database is unavailable; retry in a few seconds",
                )
            }
            StoreError::SchemaTooNew { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "schema_too_new",
                e.to_string(),
            ),
            StoreError::Corrupt(_) | StoreError::Other(_) => Self::internal(e),
        }
    }
}

/// Result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_snake_case_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (code, _, _) in codes::TABLE {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
            assert!(seen.insert(code), "{code} twice");
        }
    }
}
