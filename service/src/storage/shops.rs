//! The shops registry.

use serde_json::json;
use sqlx::FromRow;

use super::events::{self, Actor, Subject};
use super::sql::{Arg, Statement};
use super::{is_unique_violation, Store};
use crate::domain::page::{Page, PageRequest};
use crate::domain::role::Visibility;
use crate::domain::shop::{Category, GridCode, NewShop, ShopChanges, ShopCode, ShopStatus};

/// A shop as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ShopRecord {
    pub id: i64,
    pub code: String,
    pub status: ShopStatus,
    pub grid: String,
    pub category: Category,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub owner_name: String,
    pub owner_phone: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const SHOP_COLUMNS: &str = "s.id, s.code, s.name, s.address, s.category, s.grid, s.lat, s.lon, \
     s.owner_name, s.owner_phone, s.status, s.created_at, s.updated_at";
/// The same columns unqualified, for `RETURNING` (SQLite does not resolve aliases there).
const RETURNED_COLUMNS: &str = "id, code, name, address, category, grid, lat, lon, \
     owner_name, owner_phone, status, created_at, updated_at";

/// Filters of the authenticated shop list.
#[derive(Debug, Clone, Default)]
pub struct ShopFilter {
    pub grid: Option<GridCode>,
    pub category: Option<Category>,
    /// Substring of the name or address, case-insensitive.
    pub text: Option<String>,
}

/// How many random door codes to try before giving up (a collision is ~1e-6 at a million shops).
const CODE_ATTEMPTS: usize = 8;

impl Store {
    /// Registers a shop with a fresh door code; creates its grid on first use.
    #[tracing::instrument(skip_all)]
    pub async fn create_shop(
        &self,
        shop: &NewShop,
        now_ms: i64,
        actor: &Actor,
        mut next_code: impl FnMut() -> ShopCode,
    ) -> Result<ShopRecord, sqlx::Error> {
        let mut last_err = None;
        for _ in 0..CODE_ATTEMPTS {
            let code = next_code();
            let mut tx = self.begin_write().await?;
            ensure_grid(&mut tx, shop.grid.as_str(), now_ms).await?;
            let (lat, lon) = match shop.location {
                Some(l) => (Arg::Float(l.lat()), Arg::Float(l.lon())),
                None => (Arg::NullFloat, Arg::NullFloat),
            };
            let mut st = Statement::new(
                "INSERT INTO shops (code, name, address, category, grid, lat, lon, owner_name, \
                 owner_phone, status, created_at, updated_at) VALUES (",
            );
            st.bind(Arg::Text(code.as_str().to_owned()))
                .push(", ")
                .bind(Arg::Text(shop.name.as_str().to_owned()))
                .push(", ")
                .bind(Arg::Text(shop.address.as_str().to_owned()))
                .push(", ")
                .bind(Arg::Text(shop.category.as_str().to_owned()))
                .push(", ")
                .bind(Arg::Text(shop.grid.as_str().to_owned()))
                .push(", ")
                .bind(lat)
                .push(", ")
                .bind(lon)
                .push(", ")
                .bind(Arg::Text(shop.owner_name.as_str().to_owned()))
                .push(", ")
                .bind(Arg::Text(shop.owner_phone.as_str().to_owned()))
                .push(", 'open', ")
                .bind(Arg::Int(now_ms))
                .push(", ")
                .bind(Arg::Int(now_ms))
                .push(") RETURNING ")
                .push(RETURNED_COLUMNS);
            match st.query_as::<ShopRecord>().fetch_one(&mut *tx).await {
                Ok(record) => {
                    let details =
                        json!({"code": record.code, "name": record.name, "grid": record.grid});
                    record_shop_event(&mut tx, &record, "shop.registered", details, now_ms, actor)
                        .await?;
                    tx.commit().await?;
                    return Ok(record);
                }
                Err(e) if is_unique_violation(&e) => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or(sqlx::Error::RowNotFound))
    }

    /// One shop, if the caller may see it.
    #[tracing::instrument(skip(self))]
    pub async fn shop(
        &self,
        id: i64,
        visibility: Visibility,
    ) -> Result<Option<ShopRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!("SELECT {SHOP_COLUMNS} FROM shops s WHERE s.id = "));
        st.bind(Arg::Int(id));
        restrict(&mut st, visibility);
        st.query_as::<ShopRecord>()
            .fetch_optional(self.pool())
            .await
    }

    /// Applies a partial update to a shop the caller may see; `None` when there is no such shop.
    #[tracing::instrument(skip(self, changes))]
    pub async fn update_shop(
        &self,
        id: i64,
        visibility: Visibility,
        changes: &ShopChanges,
        now_ms: i64,
        actor: &Actor,
    ) -> Result<Option<ShopRecord>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if let Some(grid) = &changes.grid {
            ensure_grid(&mut tx, grid.as_str(), now_ms).await?;
        }
        let mut st = Statement::new("UPDATE shops AS s SET updated_at = ");
        st.bind(Arg::Int(now_ms));
        let texts = [
            ("name", changes.name.as_ref().map(|v| v.as_str().to_owned())),
            (
                "address",
                changes.address.as_ref().map(|v| v.as_str().to_owned()),
            ),
            ("category", changes.category.map(|v| v.as_str().to_owned())),
            ("grid", changes.grid.as_ref().map(|v| v.as_str().to_owned())),
            (
                "owner_name",
                changes.owner_name.as_ref().map(|v| v.as_str().to_owned()),
            ),
            (
                "owner_phone",
                changes.owner_phone.as_ref().map(|v| v.as_str().to_owned()),
            ),
            ("status", changes.status.map(|v| v.as_str().to_owned())),
        ];
        for (column, value) in &texts {
            if let Some(value) = value {
                st.push(", ")
                    .push(column)
                    .push(" = ")
                    .bind(Arg::Text(value.clone()));
            }
        }
        if let Some(location) = changes.location {
            let (lat, lon) = match location {
                Some(l) => (Arg::Float(l.lat()), Arg::Float(l.lon())),
                None => (Arg::NullFloat, Arg::NullFloat),
            };
            st.push(", lat = ").bind(lat).push(", lon = ").bind(lon);
        }
        st.push(" WHERE s.id = ").bind(Arg::Int(id));
        restrict(&mut st, visibility);
        st.push(" RETURNING ").push(RETURNED_COLUMNS);
        let record = st.query_as::<ShopRecord>().fetch_optional(&mut *tx).await?;
        if let Some(r) = &record {
            let changed: Vec<&str> = texts
                .iter()
                .filter(|(_, v)| v.is_some())
                .map(|(c, _)| *c)
                .chain(changes.location.map(|_| "location"))
                .collect();
            record_shop_event(
                &mut tx,
                r,
                "shop.updated",
                json!({"changed": changed}),
                now_ms,
                actor,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    /// The shops the caller may see, filtered, in id order.
    #[tracing::instrument(skip(self))]
    pub async fn list_shops(
        &self,
        visibility: Visibility,
        filter: &ShopFilter,
        page: PageRequest,
    ) -> Result<Page<ShopRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!("SELECT {SHOP_COLUMNS} FROM shops s WHERE 1 = 1"));
        restrict(&mut st, visibility);
        if let Some(grid) = &filter.grid {
            st.push(" AND s.grid = ")
                .bind(Arg::Text(grid.as_str().to_owned()));
        }
        if let Some(category) = filter.category {
            st.push(" AND s.category = ")
                .bind(Arg::Text(category.as_str().to_owned()));
        }
        if let Some(text) = &filter.text {
            push_text_match(&mut st, text);
        }
        st.fetch_page::<ShopRecord>("s.id", page, self.pool(), |r| r.id)
            .await
    }

    /// A shop by its door code, for the public (closed shops included: a resident scanning an old
    /// sign should learn the shop is closed).
    #[tracing::instrument(skip(self))]
    pub async fn shop_by_code(&self, code: &ShopCode) -> Result<Option<ShopRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {SHOP_COLUMNS} FROM shops s WHERE s.code = "
        ));
        st.bind(Arg::Text(code.as_str().to_owned()));
        st.query_as::<ShopRecord>()
            .fetch_optional(self.pool())
            .await
    }

    /// Public search over open shops by name or address.
    #[tracing::instrument(skip(self))]
    pub async fn search_open_shops(
        &self,
        text: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<ShopRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {SHOP_COLUMNS} FROM shops s WHERE s.status = 'open'"
        ));
        if let Some(text) = text {
            push_text_match(&mut st, text);
        }
        st.fetch_page::<ShopRecord>("s.id", page, self.pool(), |r| r.id)
            .await
    }
}

async fn record_shop_event(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    shop: &ShopRecord,
    action: &str,
    details: serde_json::Value,
    now_ms: i64,
    actor: &Actor,
) -> Result<(), sqlx::Error> {
    events::record(
        tx,
        Subject::new("shop", shop.id, shop.id),
        action,
        actor,
        now_ms,
        details,
    )
    .await
}

async fn ensure_grid(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grid: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO grids (code, created_at) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING",
    )
    .bind(grid)
    .bind(now_ms)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Limits a statement over `shops s` to what the caller may see.
pub(crate) fn restrict(st: &mut Statement, visibility: Visibility) {
    match visibility {
        Visibility::District => {}
        Visibility::OwnShops { token_id } => {
            st.push(" AND s.id IN (SELECT shop_id FROM token_shops WHERE token_id = ")
                .bind(Arg::Int(token_id))
                .push(")");
        }
        Visibility::OwnGrids { token_id } => {
            st.push(" AND s.grid IN (SELECT grid FROM token_grids WHERE token_id = ")
                .bind(Arg::Int(token_id))
                .push(")");
        }
    }
}

/// Case-insensitive substring match on name or address, with LIKE wildcards in the input escaped.
fn push_text_match(st: &mut Statement, text: &str) {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    st.push(" AND (LOWER(s.name) LIKE ")
        .bind(Arg::Text(pattern.clone()))
        .push(" ESCAPE '\\' OR LOWER(s.address) LIKE ")
        .bind(Arg::Text(pattern))
        .push(" ESCAPE '\\')");
}
