//! What the owner's warnings are judged on: the shop's unresolved hazards and its tracked expiry
//! dates. Which of them warrant an alert is the scoring crate's rule, not this module's.

use sqlx::FromRow;

use super::hazards::{HazardRecord, COLUMNS};
use super::Store;

/// A tracked expiry date of a shop.
#[derive(Debug, Clone, FromRow)]
pub struct ExpiryRecord {
    pub item_id: String,
    /// `YYYY-MM-DD`.
    pub expires_on: String,
}

impl Store {
    /// Every tracked expiry date of a shop, soonest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn tracked_expiries(&self, shop_id: i64) -> Result<Vec<ExpiryRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT item_id, expires_on FROM tracked_expiries WHERE shop_id = $1 ORDER BY expires_on, item_id",
        )
        .bind(shop_id)
        .fetch_all(self.pool())
        .await
    }

    /// A shop's counted hazards that are not closed, in id order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn unresolved_hazards(&self, shop_id: i64) -> Result<Vec<HazardRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM hazards h WHERE h.shop_id = $1 AND h.status <> 'closed' AND h.excluded = 0 \
             ORDER BY h.id"
        ))
        .bind(shop_id)
        .fetch_all(self.pool())
        .await
    }
}
