//! Requests during a database outage: answered 503 (with `Retry-After`, in the one envelope) at once,
//! instead of each waiting for a connection that will not come.
//!
//! The API (`/v1/…`) needs the database; the operations endpoints (`/healthz`, `/readyz`, `/metrics`,
//! the OpenAPI document and its viewer) answer for themselves. While the reachability probe sees the
//! database unreachable, API requests are not started; a request already running when the database
//! is lost is answered 503 then and dropped, which rolls its transaction back (a frozen network would
//! otherwise hold it forever). The answer is the same as the one a connection failure inside the
//! request gives, so a client retries either way.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use crate::error::ApiError;
use crate::state::AppState;

/// The prefix of every route that uses the database.
const API_PREFIX: &str = "/v1/";

/// Middleware: fails API requests fast while the database is unreachable.
pub async fn fail_fast_while_unreachable(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| req.path().starts_with(API_PREFIX)) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let reachability = state.store.reachability().clone();
    if !reachability.is_reachable() {
        let response = unreachable().error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    tokio::select! {
        answered = next.call(req) => answered.map(ServiceResponse::map_into_left_body),
        // The request is routed and owned by the handler now, so the error travels as an error
        // (the same envelope); the request log still counts it.
        () = reachability.lost() => Err(unreachable().into()),
    }
}

fn unreachable() -> ApiError {
    ApiError::Unavailable("the database is unreachable".to_owned())
}
