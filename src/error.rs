//! The one error type of the API, its one status mapping, and the JSON body every non-2xx
//! answer carries: `{"code": "...", "detail": "...", "fields": {...}}`.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr, TransactionError};
use serde::Serialize;
use utoipa::ToSchema;

/// Field name → what is wrong with it. Field names use dots for nesting (`consumer.name`).
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("sign-in required")]
    Unauthorized,
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("wrong or already used code")]
    InvalidCode,
    #[error("{0}")]
    Forbidden(String),
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("this e-mail address is already registered")]
    EmailTaken,
    #[error("{0}")]
    Duplicate(String),
    #[error("{0}")]
    InvalidTransition(String),
    #[error("the record was changed by someone else; reload it and try again")]
    VersionConflict,
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    Validation { detail: String, fields: FieldErrors },
    #[error("{field} {problem}")]
    InvalidTaxId { field: String, problem: String },
    #[error("{0}")]
    DeadlinePassed(String),
    #[error("too many failed attempts; try again in {retry_after_seconds} seconds")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The error body, as documented in API.md.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: &'static str,
    pub detail: String,
    #[schema(value_type = Object)]
    pub fields: FieldErrors,
}

impl AppError {
    pub fn validation(fields: FieldErrors) -> Self {
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        AppError::Validation { detail: format!("invalid input: {}", names.join(", ")), fields }
    }

    /// One bad field.
    pub fn field(name: &str, problem: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(name.into(), vec![problem.into()]);
        Self::validation(fields)
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden("your role may not do this".into())
    }

    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use AppError::*;
        match self {
            BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            InvalidCredentials | InvalidCode => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
            NotFound => (StatusCode::NOT_FOUND, "not_found"),
            MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            EmailTaken => (StatusCode::CONFLICT, "email_taken"),
            Duplicate(_) => (StatusCode::CONFLICT, "duplicate"),
            InvalidTransition(_) => (StatusCode::CONFLICT, "invalid_transition"),
            VersionConflict => (StatusCode::CONFLICT, "version_conflict"),
            PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            InvalidTaxId { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_tax_id"),
            DeadlinePassed(_) => (StatusCode::UNPROCESSABLE_ENTITY, "deadline_passed"),
            TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }

    /// The generic body for a status produced outside our handlers (router, middleware).
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => AppError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge("the request body is too large".into()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType("unsupported content type".into()),
            StatusCode::UNAUTHORIZED => AppError::Unauthorized,
            StatusCode::FORBIDDEN => AppError::forbidden(),
            StatusCode::TOO_MANY_REQUESTS => AppError::TooManyRequests { retry_after_seconds: 1 },
            s if s.is_client_error() => {
                AppError::BadRequest(s.canonical_reason().unwrap_or("bad request").to_lowercase())
            }
            _ => AppError::Internal(anyhow::anyhow!("{status} produced outside a handler")),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after_seconds } => Some(HeaderValue::from(*retry_after_seconds)),
            _ => None,
        };
        let (detail, fields) = match self {
            AppError::Internal(ref cause) => {
                // The cause stays in the log (with the request id of the span); the client
                // learns only that it was our fault.
                tracing::error!(error = ?cause, "internal error");
                ("an internal error occurred; it has been logged".to_string(), FieldErrors::new())
            }
            AppError::Validation { detail, fields } => (detail, fields),
            AppError::InvalidTaxId { ref field, ref problem } => {
                let fields = FieldErrors::from([(field.clone(), vec![problem.clone()])]);
                (format!("{field}: 統一編號 {problem}"), fields)
            }
            ref other => (other.to_string(), FieldErrors::new()),
        };
        let mut response = (status, axum::Json(ErrorBody { code, detail, fields })).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // A unique violation that reached here was not anticipated by a service; callers that
        // expect one (e-mail, 統編, idempotency key) check `is_unique_violation` first.
        if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return AppError::Duplicate("a record with these values already exists".into());
        }
        AppError::Internal(anyhow::Error::new(err).context("database"))
    }
}

impl From<TransactionError<AppError>> for AppError {
    fn from(err: TransactionError<AppError>) -> Self {
        match err {
            TransactionError::Connection(db) => db.into(),
            TransactionError::Transaction(app) => app,
        }
    }
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub type AppResult<T> = Result<T, AppError>;
