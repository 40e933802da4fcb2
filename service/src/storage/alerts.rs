//! What an owner should be warned about: tracked items expiring or expired, hazards due soon or
//! overdue.

use sqlx::FromRow;

use super::Store;

/// A tracked expiry date of a shop.
#[derive(Debug, Clone, FromRow)]
pub struct ExpiryRecord {
    pub item_id: String,
    pub expires_on: String,
}

/// An unresolved, counted hazard with its deadline.
#[derive(Debug, Clone, FromRow)]
pub struct DueHazard {
    pub id: i64,
    pub severity: String,
    pub hazard_type: String,
    pub description: String,
    pub status: String,
    pub deadline: i64,
}

impl Store {
    /// Tracked items that expire on or before `until` (`YYYY-MM-DD`), soonest first.
    pub async fn expiring_items(
        &self,
        shop_id: i64,
        until: &str,
    ) -> Result<Vec<ExpiryRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT item_id, expires_on FROM tracked_expiries WHERE shop_id = $1 AND expires_on <= $2 \
             ORDER BY expires_on, item_id",
        )
        .bind(shop_id)
        .bind(until)
        .fetch_all(self.pool())
        .await
    }

    /// Open (not yet claimed fixed) counted hazards due before `until`, overdue ones included.
    pub async fn hazards_due_before(
        &self,
        shop_id: i64,
        until: i64,
    ) -> Result<Vec<DueHazard>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, severity, hazard_type, description, status, deadline FROM hazards \
             WHERE shop_id = $1 AND status = 'open' AND excluded = 0 AND deadline <= $2 ORDER BY deadline, id",
        )
        .bind(shop_id)
        .bind(until)
        .fetch_all(self.pool())
        .await
    }
}
