//! Error responses that many routes share, documented once (utoipa `IntoResponses`): each route
//! lists its own success and specific errors, then the sets below.

use utoipa::IntoResponses;

use crate::error::ErrorEnvelope;

/// Why an authenticated route may answer 429 (see `throttle::BadTokenThrottle`).
const BAD_TOKENS: &str =
    "Too many bad tokens from this address: ten at once, then one a minute (see Retry-After)";

/// A route on one shop (or something of it) that the caller may or may not see.
#[derive(IntoResponses)]
pub enum ShopScoped {
    #[response(status = 401, description = "No valid token")]
    Unauthenticated(ErrorEnvelope),
    #[response(status = 429, description = BAD_TOKENS)]
    Throttled(ErrorEnvelope),
    /// Its existence is not leaked.
    #[response(status = 404, description = "No such shop visible to the caller")]
    NotVisible(ErrorEnvelope),
}

/// A route on one hazard, which the caller may or may not see (through its shop).
#[derive(IntoResponses)]
pub enum HazardScoped {
    #[response(status = 401, description = "No valid token")]
    Unauthenticated(ErrorEnvelope),
    #[response(status = 429, description = BAD_TOKENS)]
    Throttled(ErrorEnvelope),
    /// Its existence is not leaked.
    #[response(status = 404, description = "No such hazard visible to the caller")]
    NotVisible(ErrorEnvelope),
}

/// A route for regulators and admins only.
#[derive(IntoResponses)]
pub enum DistrictOnly {
    #[response(status = 401, description = "No valid token")]
    Unauthenticated(ErrorEnvelope),
    #[response(status = 429, description = BAD_TOKENS)]
    Throttled(ErrorEnvelope),
    #[response(status = 403, description = "Regulators only")]
    Forbidden(ErrorEnvelope),
}

/// Any authenticated route.
#[derive(IntoResponses)]
pub enum Authenticated {
    #[response(status = 401, description = "No valid token")]
    Unauthenticated(ErrorEnvelope),
    #[response(status = 429, description = BAD_TOKENS)]
    Throttled(ErrorEnvelope),
}
