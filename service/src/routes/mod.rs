//! HTTP routes. Handlers are thin: extract → validate → domain → store → respond.

pub mod access;
pub mod disputes;
pub mod enforcement;
pub mod fallback;
pub mod hazard_views;
pub mod hazards;
pub mod health;
pub mod patrols;
pub mod policies;
pub mod public;
pub mod reviews;
pub mod score_views;
pub mod scores;
pub mod selfchecks;
pub mod shop_views;
pub mod shops;
pub mod tips;
pub mod trail;

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
        .service(selfchecks::get_checklist)
        .service(selfchecks::submit_self_check)
        .service(patrols::record_patrol)
        .service(hazards::list_hazards)
        .service(hazards::get_hazard)
        .service(hazards::submit_rectification)
        .service(hazards::verify_rectification)
        .service(reviews::list_shop_reviews)
        .service(reviews::list_reviews)
        .service(reviews::clear_review)
        .service(tips::list_tips)
        .service(tips::verify_tip)
        .service(tips::dismiss_tip)
        .service(disputes::open_dispute)
        .service(disputes::list_shop_disputes)
        .service(disputes::list_disputes)
        .service(disputes::resolve_dispute)
        .service(scores::get_score)
        .service(scores::score_history)
        .service(policies::current_policy)
        .service(policies::create_policy)
        .service(policies::backtest_policy)
        .service(policies::adopt_policy)
        .service(enforcement::list_cases)
        .service(enforcement::get_case)
        .service(enforcement::add_case_action)
        .service(enforcement::list_notices)
        .service(enforcement::event_feed)
        .service(trail::list_events)
        .service(trail::list_alerts)
        .service(public::get_public_shop)
        .service(public::search_public_shops)
        .service(reviews::post_review)
        .service(tips::post_tip)
        .service(tips::get_tip_status);
}

/// A page of a list: `{"items": [...], "next_cursor": "..." | null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Paged<T> {
    /// A page of stored records shown as `T`.
    pub fn from_page<R>(page: Page<R>, view: impl FnMut(R) -> T) -> Self {
        let page = page.map(view);
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
