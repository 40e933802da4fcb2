//! What the owner's warnings are judged on: the shop's unresolved hazards and its tracked expiry
//! dates. Which of them warrant an alert is the scoring crate's rule, not this module's.

use sqlx::FromRow;

use super::events::Actor;
use super::feed::{add_notice, NewNotice};
use super::hazards::{open_hazard, HazardRecord, COLUMNS};
use super::Store;
use crate::domain::hazard::NewHazard;
use crate::domain::shop::Category;

/// A tracked expiry date of a shop.
#[derive(Debug, Clone, FromRow)]
pub struct ExpiryRecord {
    pub item_id: String,
    /// `YYYY-MM-DD`.
    pub expires_on: String,
}

/// A tracked expiry date on or before a horizon, with what the sweep needs to act on it.
#[derive(Debug, Clone, FromRow)]
pub struct DueExpiry {
    pub shop_id: i64,
    pub category: Category,
    pub item_id: String,
    /// `YYYY-MM-DD`.
    pub expires_on: String,
    /// The self-check that recorded the date.
    pub self_check_id: i64,
}

impl Store {
    /// Tracked expiry dates on or before `horizon` (`YYYY-MM-DD`) with something left to do: not
    /// yet turned into a hazard, and either before `today` or not yet announced. Soonest first, at
    /// most `limit`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn expiries_due(
        &self,
        today: &str,
        horizon: &str,
        limit: i64,
    ) -> Result<Vec<DueExpiry>, sqlx::Error> {
        sqlx::query_as(
            "SELECT t.shop_id, s.category, t.item_id, t.expires_on, t.self_check_id \
             FROM tracked_expiries t JOIN shops s ON s.id = t.shop_id \
             WHERE t.expires_on <= $1 AND NOT EXISTS (SELECT 1 FROM expiry_hazards x \
               WHERE x.shop_id = t.shop_id AND x.item_id = t.item_id AND x.expires_on = t.expires_on) \
             AND (t.expires_on < $2 OR NOT EXISTS (SELECT 1 FROM notices n \
               WHERE n.dedupe_key = 'expiry:' || t.shop_id || ':' || t.item_id || ':' || t.expires_on)) \
             ORDER BY t.expires_on, t.shop_id, t.item_id LIMIT $3",
        )
        .bind(horizon)
        .bind(today)
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    /// Tells the owner an item expires soon, once per (shop, item, expiry date); answers whether
    /// the notice was new.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn notify_expiry(
        &self,
        due: &DueExpiry,
        text: shopcredit_scoring::Text,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let notice = NewNotice {
            shop_id: due.shop_id,
            kind: crate::domain::enforcement::NoticeKind::ExpiryComing,
            hazard_id: None,
            // The same key `expiries_due` looks for.
            dedupe_key: format!("expiry:{}:{}:{}", due.shop_id, due.item_id, due.expires_on),
            text,
        };
        let added = add_notice(&mut tx, &notice, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Opens the hazard of an expired item, once per (shop, item, expiry date), through the one
    /// hazard-opening function; answers the hazard when it was opened now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_expiry_hazard(
        &self,
        due: &DueExpiry,
        hazard: &NewHazard,
        now: i64,
    ) -> Result<Option<HazardRecord>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let opened = open_hazard(
            &mut tx,
            due.shop_id,
            due.self_check_id,
            hazard,
            now,
            &Actor::system(),
        )
        .await?;
        let keyed: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO expiry_hazards (shop_id, item_id, expires_on, hazard_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING hazard_id",
        )
        .bind(due.shop_id)
        .bind(due.item_id.as_str())
        .bind(due.expires_on.as_str())
        .bind(opened.id)
        .fetch_optional(&mut *tx)
        .await?;
        if keyed.is_none() {
            // Another replica opened it first.
            tx.rollback().await?;
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(opened))
    }

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
