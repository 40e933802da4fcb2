//! HTTP routes. Handlers are thin: extract → validate → domain → store → respond.

pub mod fallback;
pub mod health;
pub mod public;
pub mod shop_views;
pub mod shops;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::domain::page::Page;

/// Registers every documented route. Used both by the server and by the OpenAPI generator, so the
/// document cannot miss a route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(shops::create_shop)
        .service(shops::list_shops)
        .service(shops::get_shop)
        .service(shops::update_shop)
        .service(public::get_public_shop)
        .service(public::search_public_shops);
}

/// A page of a list: `{"items": [...], "next_cursor": "..." | null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Paged<T> {
    pub fn from_page(page: Page<T>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next.map(|c| c.encode()),
        }
    }
}

/// Milliseconds since the epoch as an RFC 3339 UTC timestamp.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
