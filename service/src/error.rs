//! One error type for the whole API and the one JSON envelope every error is answered with:
//! `{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}`.
//!
//! Internal errors are logged with their cause and answered with a generic message: 5xx bodies never
//! carry internals.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// How long a client is asked to wait (`Retry-After`, seconds) when the database is busy or out of
/// reach: long enough for a lock to pass or the reachability probe to look again, short enough that
/// a client retrying on time is served as soon as the database is back.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 1;

/// Messages per field name, for validation errors.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Every way a request can fail.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    #[error("authentication required: send `Authorization: Bearer <token>`")]
    Unauthenticated,
    #[error("this token may not do that")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no route for {0}")]
    UnknownRoute(String),
    #[error("method {method} is not allowed here; allowed: {allowed}")]
    MethodNotAllowed { method: String, allowed: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type: send `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("too many requests; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(Internal),
}

/// The cause of an internal error, with its whole source chain, for the log only.
#[derive(Debug, Clone)]
pub struct Internal(Arc<anyhow::Error>);

impl std::fmt::Display for Internal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `{:#}` prints the chain: "outer: inner: root cause".
        write!(f, "{:#}", self.0)
    }
}

impl ApiError {
    /// An internal error from any error, keeping its source chain for the log.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(Internal(Arc::new(err.into())))
    }

    /// An internal error described by a message (a broken invariant, not a failed call).
    pub fn invariant(message: impl std::fmt::Display) -> Self {
        Self::internal(anyhow::anyhow!("{message}"))
    }

    /// A validation error on one field.
    pub fn field(name: impl Into<String>, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(name.into(), vec![message.into()]);
        Self::Validation(fields)
    }

    /// The stable, machine-readable code of the envelope.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::BadRequest(_) => "bad_request",
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::UnknownRoute(_) => "unknown_route",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn public_message(&self) -> String {
        match self {
            // The cause goes to the log, never to the client.
            Self::Internal(_) => "internal error".to_owned(),
            Self::Unavailable(_) => {
                "the service is temporarily unavailable; retry shortly".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// The error envelope, as documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// The inside of the error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// For validation errors: messages per field (dotted path for nested fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::UnknownRoute(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => {
                tracing::error!(code = self.code(), cause = %cause, "request failed");
            }
            // Expected while the database is busy or away: a warning, not one error per request.
            Self::Unavailable(cause) => {
                tracing::warn!(code = self.code(), cause = %cause, "request failed");
            }
            _ => {}
        }
        let fields = match self {
            Self::Validation(fields) => Some(fields.clone()),
            _ => None,
        };
        let envelope = ErrorEnvelope {
            error: ErrorBody {
                code: self.code().to_owned(),
                message: self.public_message(),
                fields,
            },
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unauthenticated => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::MethodNotAllowed { allowed, .. } => {
                response.insert_header((header::ALLOW, allowed.clone()));
            }
            Self::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unavailable(_) => {
                response.insert_header((
                    header::RETRY_AFTER,
                    UNAVAILABLE_RETRY_AFTER_SECS.to_string(),
                ));
            }
            _ => {}
        }
        response.json(envelope)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if is_transient(&err) {
            Self::Unavailable(err.to_string())
        } else {
            Self::internal(err)
        }
    }
}

/// True when a database failure should pass by itself, so the client is told to retry (503 with
/// `Retry-After`) rather than that the service is broken (500): no connection to be had (pool timed
/// out or closed, connection refused, reset or cut), a busy or locked SQLite database, or PostgreSQL
/// saying it cannot serve right now (see [`transient_sqlstate`]).
pub fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => {
            crate::storage::is_sqlite_busy(err)
                || db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some_and(|pg| transient_sqlstate(pg.code()))
        }
        _ => false,
    }
}

/// PostgreSQL error codes (SQLSTATE) that describe the server's state, not the request:
/// - class 08, connection exception (the connection failed or was lost);
/// - 57P01, 57P02, 57P03: administrator shutdown, crash shutdown, cannot connect now (starting up,
///   shutting down, or in recovery);
/// - 53300: too many connections;
/// - 55000: object not in prerequisite state, which is what connecting to a database with
///   `ALLOW_CONNECTIONS false` answers (the service uses none of the features that raise it for a
///   faulty statement: sequences' `currval`, prepared transactions, replication slots);
/// - 25006: read-only transaction, what a write meets on a primary just demoted by a failover;
/// - 40001, 40P01: serialization failure and deadlock, which PostgreSQL itself says to retry.
pub fn transient_sqlstate(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "53300" | "55000" | "25006" | "40001" | "40P01"
        )
}

impl From<crate::storage::CorruptRow> for ApiError {
    fn from(err: crate::storage::CorruptRow) -> Self {
        Self::internal(err)
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = FieldErrors::new();
        collect_validation_errors("", &errors, &mut fields);
        Self::Validation(fields)
    }
}

/// Words for a rule that carries no message of its own, built from its bounds: a client should
/// read "must be 1 to 100 characters", not the rule's code "length".
fn default_message(e: &validator::ValidationError) -> String {
    let bound = |name: &str| e.params.get(name).map(|v| v.to_string());
    match (e.code.as_ref(), bound("min"), bound("max"), bound("equal")) {
        ("length", _, _, Some(n)) => format!("must be exactly {n} characters"),
        ("length", Some(min), Some(max), _) => format!("must be {min} to {max} characters"),
        ("length", Some(min), None, _) => format!("must be at least {min} characters"),
        ("length", None, Some(max), _) => format!("must be at most {max} characters"),
        ("range", Some(min), Some(max), _) => format!("must be between {min} and {max}"),
        ("range", Some(min), None, _) => format!("must be at least {min}"),
        ("range", None, Some(max), _) => format!("must be at most {max}"),
        ("email", ..) => "must be an email address".to_owned(),
        ("url", ..) => "must be a URL".to_owned(),
        ("regex", ..) => "has the wrong form".to_owned(),
        (code, ..) => format!("is invalid ({code})"),
    }
}

fn collect_validation_errors(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut FieldErrors,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                let messages = out.entry(path).or_default();
                for e in list {
                    messages.push(
                        e.message
                            .as_ref()
                            .map_or_else(|| default_message(e), |m| m.to_string()),
                    );
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_validation_errors(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_validation_errors(&format!("{path}[{index}]"), inner, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use validator::Validate;

    #[derive(Validate)]
    struct Sample {
        #[validate(length(min = 1, max = 3))]
        contact: String,
        #[validate(range(min = 1))]
        limit: i64,
    }

    #[test]
    fn a_rule_without_a_message_is_worded_from_its_bounds() {
        let errors = Sample {
            contact: String::new(),
            limit: 0,
        }
        .validate()
        .expect_err("both fields are invalid");
        let ApiError::Validation(fields) = ApiError::from(errors) else {
            panic!("a validation error");
        };
        assert_eq!(fields["contact"], vec!["must be 1 to 3 characters"]);
        assert_eq!(fields["limit"], vec!["must be at least 1"]);
    }

    #[test]
    fn postgres_codes_of_a_server_that_cannot_serve_now_are_transient() {
        for code in [
            "08000", "08001", "08003", "08004", "08006", "08P01", "57P01", "57P02", "57P03",
            "53300", "55000", "25006", "40001", "40P01",
        ] {
            assert!(transient_sqlstate(code), "{code}");
        }
    }

    #[test]
    fn postgres_codes_of_a_faulty_request_or_schema_are_not() {
        // Unique and foreign-key violations, syntax error, undefined table, division by zero,
        // disk full, raised by a trigger.
        for code in [
            "23505", "23503", "42601", "42P01", "22012", "53100", "P0001",
        ] {
            assert!(!transient_sqlstate(code), "{code}");
        }
    }

    #[test]
    fn connection_failures_are_transient_and_decoding_failures_are_not() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(is_transient(&sqlx::Error::Io(reset)));
        assert!(is_transient(&sqlx::Error::PoolTimedOut));
        assert!(is_transient(&sqlx::Error::PoolClosed));
        assert!(!is_transient(&sqlx::Error::RowNotFound));
        assert!(!is_transient(&sqlx::Error::ColumnNotFound("x".into())));
    }

    #[test]
    fn transient_failures_answer_503_with_retry_after_in_the_envelope() {
        let response = ApiError::from(sqlx::Error::PoolTimedOut).error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER).unwrap(),
            &UNAVAILABLE_RETRY_AFTER_SECS.to_string()
        );
        let internal = ApiError::from(sqlx::Error::RowNotFound).error_response();
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(internal.headers().get(header::RETRY_AFTER).is_none());
    }
}
