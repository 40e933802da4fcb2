//! `Idempotency-Key` on POST: a field app or a resident on a bad network retries with the same key
//! and gets the first answer back, never a second write.
//!
//! A key belongs to its caller (a hash of the bearer token, or the client address when anonymous) and
//! to the route it was sent to (method and path). The first request claims it before it runs; a
//! retry while it runs is told to wait (409 with `Retry-After`), a retry after it succeeded gets its
//! answer replayed (`Idempotent-Replayed: true`), and the same key with another query or body is
//! refused with 422. Only a success is kept: a request refused (4xx) or failed (5xx) wrote nothing,
//! so it lets go of its key and the caller may fix the request and send it again with the same key.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::routes::access::client_address;
use crate::state::AppState;
use crate::storage::idempotency::{Claim, IdempotencyRecord, StoredAnswer};

/// The request header naming the key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// Longest key accepted (a UUID is 36).
pub const MAX_KEY_CHARS: usize = 255;
/// A claim unfinished for this long belongs to a request whose replica died: a retry takes it over.
const ABANDONED_AFTER_MS: i64 = 60_000;

/// Middleware: applies `Idempotency-Key` to every POST that carries one.
pub async fn idempotent_posts(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = match req.headers().get(IDEMPOTENCY_KEY) {
        Some(value) if req.method() == Method::POST => match valid_key(value) {
            Ok(key) => key,
            Err(e) => return Ok(req.error_response(e)),
        },
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let body = req.extract::<web::Bytes>().await?;
    let scope = scope_of(&req, &state);
    let fingerprint = fingerprint(&req, &body);
    req.set_payload(Payload::from(body));

    let now = state.now_ms();
    let claim = state
        .store
        .claim_idempotency_key(&scope, &key, &fingerprint, now, now - ABANDONED_AFTER_MS)
        .await
        .map_err(ApiError::from)?;
    match claim {
        Claim::Taken(record) if record.fingerprint != fingerprint => {
            Ok(req.error_response(ApiError::field(
                "Idempotency-Key",
                "this key was used for a different request: send a new key for a new request",
            )))
        }
        Claim::Taken(record) => Ok(match replay(&record) {
            Some(response) => req.into_response(response),
            None => req.into_response(still_running()),
        }),
        Claim::New => {
            let response = next.call(req).await;
            finish(&state, &scope, &key, response).await
        }
    }
}

/// Keeps the answer for retries, or lets the key go when the request failed on the server's side.
async fn finish(
    state: &AppState,
    scope: &str,
    key: &str,
    response: Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = match response {
        Ok(response) if response.status().is_success() => response,
        other => {
            if let Err(e) = state.store.release_idempotency_key(scope, key).await {
                tracing::warn!(error = %e, "could not release an idempotency key");
            }
            return other.map(ServiceResponse::map_into_boxed_body);
        }
    };
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = to_bytes(body)
        .await
        .map_err(|_| ApiError::invariant("a response body could not be read"))?;
    let text = String::from_utf8_lossy(&bytes);
    let header_text = |name: HeaderName| {
        head.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_text(header::CONTENT_TYPE);
    let location = header_text(header::LOCATION);
    let answer = StoredAnswer {
        status: head.status().as_u16(),
        content_type: content_type.as_deref(),
        location: location.as_deref(),
        body: &text,
    };
    state
        .store
        .complete_idempotency_key(scope, key, &answer)
        .await
        .map_err(ApiError::from)?;
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(request, response))
}

/// A retry while the first request runs: 409, and when to try again.
fn still_running() -> HttpResponse {
    let mut response = ApiError::Conflict(
        "the first request with this Idempotency-Key is still running; retry shortly".to_owned(),
    )
    .error_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The first answer again, if the first request finished.
fn replay(record: &IdempotencyRecord) -> Option<HttpResponse> {
    let status = StatusCode::from_u16(u16::try_from(record.status?).ok()?).ok()?;
    let mut response = HttpResponse::build(status);
    if let Some(content_type) = &record.content_type {
        response.insert_header((header::CONTENT_TYPE, content_type.as_str()));
    }
    if let Some(location) = &record.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    response.insert_header((HeaderName::from_static(REPLAYED), "true"));
    Some(response.body(record.body.clone().unwrap_or_default()))
}

fn valid_key(value: &HeaderValue) -> Result<String, ApiError> {
    let key = value.to_str().unwrap_or_default();
    let printable = key.chars().all(|c| c.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_KEY_CHARS || !printable {
        return Err(ApiError::field(
            "Idempotency-Key",
            format!("a key is 1 to {MAX_KEY_CHARS} printable ASCII characters, e.g. a UUID"),
        ));
    }
    Ok(key.to_owned())
}

/// Whose key it is and where it was sent: the bearer token (hashed, never stored), else the client
/// address; then the method and path, so a key reused on another route is another key.
fn scope_of(req: &ServiceRequest, state: &AppState) -> String {
    let caller = match req.headers().get(header::AUTHORIZATION) {
        Some(auth) => format!("token:{}", hex::encode(Sha256::digest(auth.as_bytes()))),
        None => format!(
            "address:{}",
            client_address(req.request(), &state.settings.trusted_proxies)
        ),
    };
    let route = hex::encode(Sha256::digest(format!("{} {}", req.method(), req.path())));
    format!("{caller} {route}")
}

fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update([0]);
    hash.update(req.uri().to_string());
    hash.update([0]);
    hash.update(body);
    hex::encode(hash.finalize())
}
