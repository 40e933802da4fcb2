//! The error answers every operation can give, added to each operation of the document after the
//! routes are collected, so a new route is documented as fully as the old ones without repeating
//! them in every annotation. Each is added only where it can happen, and never over a response a
//! handler documents itself (its description is more precise).

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::openapi::{KnownFormat, ObjectBuilder, SchemaFormat, Type};

/// Adds the standard error responses to every operation of `api`.
pub fn add_to(api: &mut utoipa::openapi::OpenApi) {
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_standard(operation);
        }
        if let Some(post) = item.post.as_mut() {
            add_in_flight_conflict(post);
        }
    }
}

fn add_standard(op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_input = !params.is_empty() || op.request_body.is_some();
    let has_body = op.request_body.is_some();
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());

    let mut add = |status: &str, description: &str, retry_after: bool| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(error_response(description, retry_after)));
    };
    if has_body {
        add("400", "The body is not valid JSON", false);
        add("413", "The body is larger than the configured limit", false);
        add(
            "415",
            "The body is not sent as `Content-Type: application/json`",
            false,
        );
    }
    if has_input {
        add(
            "422",
            "A parameter or field is invalid or unknown; `fields` names each",
            false,
        );
    }
    if secured {
        add("401", "No valid bearer token", false);
        add("403", "This token may not do that", false);
    }
    if in_path {
        add(
            "404",
            "No such resource, or not one this token may see",
            false,
        );
    }
    add(
        "500",
        "Internal error (logged with its cause; the body never carries it)",
        false,
    );
    add(
        "503",
        "The database is unavailable for now; retry after `Retry-After` seconds",
        true,
    );
}

/// Every POST takes an optional `Idempotency-Key` header (see `crate::idempotency` and the
/// document's description): a retry while the first request runs is 409. The header is described,
/// not declared as a parameter: a fuzzer that fills it in reuses values across unrelated requests,
/// which the service rightly refuses as a reused key.
fn add_in_flight_conflict(op: &mut Operation) {
    op.responses
        .responses
        .entry("409".to_owned())
        .or_insert_with(|| {
            RefOr::T(error_response(
            "A request with this `Idempotency-Key` is still running (retry after `Retry-After`), \
             or the request conflicts with the current state",
            true,
        ))
        });
}

fn error_response(description: &str, retry_after: bool) -> Response {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
            .build(),
    );
    if retry_after {
        response = response.header("Retry-After", retry_after_header());
    }
    response.build()
}

/// `Retry-After` as the service sends it: whole seconds.
pub fn retry_after_header() -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0)),
        )
        .description(Some("Seconds to wait before retrying"))
        .build()
}
