//! Liveness, readiness and Prometheus metrics.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::vocabulary::text_enum;
use crate::error::{ApiError, ErrorEnvelope};
use crate::state::AppState;

text_enum!(
    /// How the service is.
    pub enum HealthStatus("health status") {
        Ok => "ok",
    }
);

/// Health status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: HealthStatus,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/healthz")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: HealthStatus::Ok,
    })
}

/// The database answers: the service can take traffic.
///
/// Answers at once, from what the background probe of the database (every 100 ms) saw last, so a
/// short health-check timeout never mistakes an outage for a hang.
#[utoipa::path(tag = "operations", responses(
    (status = 200, description = "The database is reachable", body = Health),
    (status = 503, description = "The database is not reachable", body = ErrorEnvelope,
        headers(("Retry-After" = u64, description = "Seconds to wait before asking again"))),
))]
#[get("/readyz")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.store.is_ready() {
        return Err(ApiError::Unavailable(
            "the database is unreachable".to_owned(),
        ));
    }
    Ok(HttpResponse::Ok().json(Health {
        status: HealthStatus::Ok,
    }))
}

/// Request counts and latency histograms per route and status, in Prometheus text format.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String)))]
#[get("/metrics")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let text = state.metrics.render().map_err(ApiError::invariant)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
