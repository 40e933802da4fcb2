//! Request extractors that answer every failure in the one error envelope: JSON bodies and query
//! strings are deserialised with the path of the offending field, then checked with `validator`.
//!
//! Access is decided before input is judged. actix extracts a handler's arguments concurrently and
//! answers the first error any of them gives; a validation error is ready at once, while deciding
//! whether the caller may see the shop takes a database read. So a stranger posting a bad body to
//! someone else's shop would get 422 where a good body gets 404 — an oracle of what exists. The
//! extractors that decide access (the caller, the shop or hazard in view, the role) each hold an
//! [`AccessGate`] while they decide; [`ValidJson`] and [`ValidQuery`], listed after them, wait for
//! every gate to close before they read or judge anything.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use validator::Validate;

use crate::error::{ApiError, FieldErrors};

/// Held by an extractor while it decides whether the caller may make this request at all; dropping
/// it (the decision made, either way) lets the input extractors listed after it go on.
#[derive(Debug)]
pub struct AccessGate {
    _closes_when_dropped: oneshot::Sender<()>,
}

/// The gates opened on a request and not yet waited for.
#[derive(Default)]
struct OpenGates(Vec<oneshot::Receiver<()>>);

impl AccessGate {
    /// Opens a gate on `req`: input extractors created after this wait until it is dropped.
    pub fn open(req: &HttpRequest) -> Self {
        let (sender, receiver) = oneshot::channel();
        let mut extensions = req.extensions_mut();
        match extensions.get_mut::<OpenGates>() {
            Some(gates) => gates.0.push(receiver),
            None => {
                extensions.insert(OpenGates(vec![receiver]));
            }
        }
        Self {
            _closes_when_dropped: sender,
        }
    }
}

/// Resolves once every gate opened on `req` so far has closed.
fn access_decided(req: &HttpRequest) -> impl Future<Output = ()> {
    let gates = req
        .extensions_mut()
        .remove::<OpenGates>()
        .map(|g| g.0)
        .unwrap_or_default();
    async move {
        for gate in gates {
            // Err only says the sender is gone, which is exactly what is waited for.
            let _ = gate.await;
        }
    }
}

/// A JSON body deserialised into `T` and validated. Unknown fields, wrong types and missing fields
/// are 422 with the field named; syntax errors are 400; wrong content type 415; too large 413.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let decided = access_decided(req);
        let raw = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            decided.await;
            let mut value = raw.await.map_err(json_error_from_actix)?.into_inner();
            refuse_nul("", &value)?;
            integral_floats_as_integers(&mut value);
            let parsed: T = serde_path_to_error::deserialize(value).map_err(data_error)?;
            parsed.validate()?;
            Ok(ValidJson(parsed))
        })
    }
}

/// JSON Schema (and so the OpenAPI document) counts `1.0` as an integer, serde does not: a client
/// that writes every number as a float (JavaScript, some JSON libraries) sends `"rating": 5.0`. A
/// float with no fraction that fits an `i64` is read as that integer; fields that take floats
/// (`lat`, `lon`) read integers as well, so nothing else changes.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                // Exactly representable integers only: beyond 2^53 a float is no longer exact.
                const EXACT: f64 = 9_007_199_254_740_992.0;
                if f.fract() == 0.0 && f.abs() <= EXACT {
                    #[allow(clippy::cast_possible_truncation)]
                    let whole = f as i64;
                    *value = Value::from(whole);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// A query string deserialised into `T` and validated, with the same error rules as [`ValidJson`].
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let decided = access_decided(req);
        let parse = || -> Result<T, ApiError> {
            let pairs = form_urlencoded_pairs(req.query_string());
            if let Some((name, _)) = pairs
                .clone()
                .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            {
                return Err(ApiError::field(name, NUL_MESSAGE));
            }
            let de = serde_urlencoded::Deserializer::new(pairs);
            let parsed: T = serde_path_to_error::deserialize(de).map_err(data_error)?;
            parsed.validate()?;
            Ok(parsed)
        };
        let parsed = parse();
        Box::pin(async move {
            decided.await;
            parsed.map(ValidQuery)
        })
    }
}

/// Why text with U+0000 is refused. PostgreSQL cannot store it in a text column (the request
/// failed with 500 there), and SQLite cuts C strings at it (a search for it matched every shop):
/// no field means anything with it, so every body and query string is checked here, once, and the
/// two databases answer the same.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// 422 naming the first string (or key) in a JSON document that contains U+0000, with the field
/// path serde would report (`findings[0].description`), under `prefix` if one is given.
pub fn refuse_nul(prefix: &str, value: &serde_json::Value) -> Result<(), ApiError> {
    let Some(path) = nul_path(value) else {
        return Ok(());
    };
    let path = path.strip_prefix('.').unwrap_or(&path);
    let field = match (prefix, path) {
        ("", "") => "body".to_owned(),
        ("", path) => path.to_owned(),
        (prefix, "") => prefix.to_owned(),
        (prefix, path) => format!("{prefix}.{path}"),
    };
    Err(ApiError::field(field, NUL_MESSAGE))
}

/// Where U+0000 first occurs below `value`: `""` for the value itself, else `.name` and `[i]` steps.
fn nul_path(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item).map(|rest| format!("[{i}]{rest}"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(format!(".{}", key.escape_default()))
            } else {
                nul_path(item).map(|rest| format!(".{key}{rest}"))
            }
        }),
        _ => None,
    }
}

/// Middleware: a request whose path has U+0000 in it (`%00`) names nothing that exists, so it is
/// 404 before any route looks it up (a tip receipt with it reached PostgreSQL and failed with 500).
pub async fn refuse_nul_in_path(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.path().contains("%00") {
        let response = ApiError::NotFound("resource").error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn form_urlencoded_pairs(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// Turns a deserialisation error that carries a field path into a 422 naming that field.
fn data_error<E: std::fmt::Display>(err: serde_path_to_error::Error<E>) -> ApiError {
    let path = err.path().to_string();
    let message = err.inner().to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    // serde reports missing and unknown fields at the parent: name the field itself.
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned);
    let field = match (named, path.as_str()) {
        (Some(name), "." | "") => name,
        // Unknown fields are reported at their own path, missing ones at their parent's.
        (Some(name), p) if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_owned(),
        (None, p) => p.to_owned(),
    };
    let message = if message.starts_with("unknown field") {
        "unknown field".to_owned()
    } else {
        message
    };
    let mut fields = FieldErrors::new();
    fields.insert(field, vec![message]);
    ApiError::Validation(fields)
}

/// Maps actix's JSON extractor errors into the envelope (used by `JsonConfig::error_handler` too).
pub fn json_error_from_actix(err: actix_web::Error) -> ApiError {
    if let Some(api) = err.as_error::<ApiError>() {
        return api.clone();
    }
    match err.as_error::<JsonPayloadError>() {
        Some(e) => json_error(e),
        None => ApiError::BadRequest(err.to_string()),
    }
}

/// Maps one `JsonPayloadError` to the matching API error.
pub fn json_error(err: &JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit: *limit },
        JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge { limit: *limit }
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) => ApiError::MalformedJson(e.to_string()),
        JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit: 0 },
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// `JsonConfig` with our limit and envelope.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _| json_error(&err).into())
}

/// `QueryConfig` for any plain `web::Query` left in the code: envelope, 422.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err: QueryPayloadError, _| ApiError::field("query", err.to_string()).into())
}

/// A path segment that does not parse (e.g. a non-numeric id) names nothing that exists: 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_: PathError, _| ApiError::NotFound("resource").into())
}

/// Body size limit for non-JSON payloads, with the envelope.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

#[cfg(test)]
mod tests {

    #[test]
    fn integral_floats_are_read_as_the_integers_json_schema_says_they_are() {
        let mut v = serde_json::json!({"rating": 5.0, "ids": [1.0, 2.5], "lat": 30.25, "n": -3.0});
        integral_floats_as_integers(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"rating": 5, "ids": [1, 2.5], "lat": 30.25, "n": -3})
        );
        let mut huge = serde_json::json!(1e300);
        integral_floats_as_integers(&mut huge);
        assert!(huge.is_f64(), "beyond exact integers a float stays a float");
    }

    use serde_json::json;

    use super::*;

    fn refused_field(prefix: &str, value: serde_json::Value) -> Option<String> {
        match refuse_nul(prefix, &value) {
            Err(ApiError::Validation(fields)) => fields.keys().next().cloned(),
            _ => None,
        }
    }

    #[test]
    fn a_nul_is_reported_at_the_path_serde_would_name() {
        let finding = json!({"findings": [{"description": "ok"}, {"description": "a\u{0}"}]});
        assert_eq!(
            refused_field("", finding).as_deref(),
            Some("findings[1].description")
        );
        assert_eq!(refused_field("", json!("\u{0}")).as_deref(), Some("body"));
        assert_eq!(
            refused_field("policy", json!({"version": "v\u{0}"})).as_deref(),
            Some("policy.version")
        );
        assert_eq!(
            refused_field("", json!({"a\u{0}": 1})).as_deref(),
            Some("a\\u{0}")
        );
    }

    #[test]
    fn text_without_nul_passes() {
        assert!(refuse_nul("", &json!({"text": "好吃 \\0 \u{1}", "n": [1, null, true]})).is_ok());
    }
}
