//! The OpenAPI 3.1 document, generated from the handlers' annotations. `shopcredit openapi` prints
//! it; `openapi/openapi.json` is the committed copy, checked for drift by a test.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::ErrorEnvelope;
use crate::routes;

mod standard_responses;

/// The document's fixed parts; paths and schemas are collected from the registered handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "shopcredit",
        description = "Safety credit for street shops and restaurants: one shop, one code. \
            Every error is answered as `{\"error\": {\"code\", \"message\", \"fields\"?}}`; \
            times are RFC 3339; lists are `{\"items\", \"next_cursor\"}` with `cursor`/`limit` \
            (default 50, capped at 200). Every POST takes an optional `Idempotency-Key` header \
            (1 to 255 printable ASCII characters, e.g. a UUID): a retry with the same key gets the \
            first success back with `Idempotent-Replayed: true` and writes nothing twice; the same \
            key with another body is 422; a retry while the first runs is 409 with `Retry-After`. \
            Keys are kept a day.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(
        ErrorEnvelope,
        crate::jobs::Adoption,
        crate::jobs::Backtest,
        // Enums that only query parameters name: a parameter refers to them, nothing registers them.
        crate::routes::hazards::HazardListStatus,
        crate::domain::shop::ShopOrder,
    )),
    tags(
        (name = "shops", description = "The shops registry"),
        (name = "evidence", description = "Self-checks, patrols, hazards, tip-offs, disputes, events and alerts"),
        (name = "scores", description = "Credit scores, colours, reasons and the path back to green"),
        (name = "policies", description = "Scoring policies: versions, back-tests, adoption"),
        (name = "enforcement", description = "Escalation, enforcement cases, owner notices and the event feed"),
        (name = "moderation", description = "Regulators' review and dispute queues"),
        (name = "public", description = "Anonymous routes for residents"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The whole document, built by registering the routes on a throwaway app.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    standard_responses::add_to(&mut api);
    api
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut text = document().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
