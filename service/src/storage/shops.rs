//! The shops registry.

use serde_json::json;
use sqlx::FromRow;

use super::events::{self, Actor, Subject};
use super::grids::grid_exists;
use super::sql::{Arg, Statement};
use super::{is_unique_violation, Store};
use crate::domain::page::{Page, PageRequest, RankCursor};
use crate::domain::role::Visibility;
use crate::domain::score::Colour;
use crate::domain::shop::{
    Category, CreditCode, GridCode, NewShop, ShopChanges, ShopCode, ShopOrder, ShopStatus,
};

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
    pub credit_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) const SHOP_COLUMNS: &str =
    "s.id, s.code, s.name, s.address, s.category, s.grid, s.lat, \
     s.lon, s.owner_name, s.owner_phone, s.credit_code, s.status, s.created_at, s.updated_at";
/// The same columns unqualified, for `RETURNING` (SQLite does not resolve aliases there).
const RETURNED_COLUMNS: &str = "id, code, name, address, category, grid, lat, lon, \
     owner_name, owner_phone, credit_code, status, created_at, updated_at";

/// Why a shop could not be registered or changed.
#[derive(Debug, thiserror::Error)]
pub enum ShopWriteError {
    #[error("grid {0} is not registered")]
    UnknownGrid(String),
    #[error("shop {shop_id} already carries this credit code")]
    CreditCodeTaken { shop_id: i64 },
    #[error("shop {shop_id} has the same name and address")]
    LikelyDuplicate { shop_id: i64 },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A text compared loosely: ASCII and ideographic spaces dropped, lower case. The same SQL applies to
/// the stored column and to the bound value, so both sides are normalised by the same database.
fn loose(sql: &str) -> String {
    format!("REPLACE(REPLACE(LOWER(CAST({sql} AS TEXT)), ' ', ''), '\u{3000}', '')")
}

/// A shop in the authenticated list, with its current score and colour (`None` until first scored)
/// and its position in the list's order.
#[derive(Debug, Clone, FromRow)]
pub struct ShopListing {
    #[sqlx(flatten)]
    pub shop: ShopRecord,
    pub score: Option<i64>,
    pub colour: Option<Colour>,
    pub sort_rank: i64,
}

/// The rank of a shop in each order of the list (listed by rank descending, then id).
fn order_rank(order: ShopOrder) -> &'static str {
    match order {
        // BIGINT throughout: PostgreSQL would type a bare literal as INTEGER.
        ShopOrder::Registered => "CAST(0 AS BIGINT)",
        ShopOrder::Score => {
            "CAST(CASE WHEN sc.score IS NULL THEN -1 ELSE 1000 - sc.score END AS BIGINT)"
        }
        ShopOrder::Colour => {
            "CAST(CASE WHEN sc.score IS NULL THEN -1 ELSE (CASE sc.colour WHEN 'red' THEN 3 \
             WHEN 'yellow' THEN 2 ELSE 1 END) * 10000 + 1000 - sc.score END AS BIGINT)"
        }
    }
}

/// Filters of the authenticated shop list.
#[derive(Debug, Clone, Default)]
pub struct ShopFilter {
    pub grid: Option<GridCode>,
    pub category: Option<Category>,
    pub colour: Option<Colour>,
    /// Substring of the name or address, case-insensitive.
    pub text: Option<String>,
}

/// How many random door codes to try before giving up (a collision is ~1e-6 at a million shops).
const CODE_ATTEMPTS: usize = 8;

impl Store {
    /// Registers a shop with a fresh door code. Its grid must be registered and its credit code (if
    /// any) not carried by another shop; with `refuse_duplicates`, a shop with the same name and
    /// address (compared loosely) is refused too.
    #[tracing::instrument(skip_all)]
    pub async fn create_shop(
        &self,
        shop: &NewShop,
        refuse_duplicates: bool,
        now_ms: i64,
        actor: &Actor,
        mut next_code: impl FnMut() -> ShopCode,
    ) -> Result<ShopRecord, ShopWriteError> {
        let mut last_err = None;
        for _ in 0..CODE_ATTEMPTS {
            let code = next_code();
            let mut tx = self.begin_write().await?;
            check_grid_and_credit_code(&mut tx, Some(&shop.grid), shop.credit_code.as_ref(), None)
                .await?;
            if refuse_duplicates {
                if let Some(shop_id) = same_name_and_address(&mut tx, shop).await? {
                    return Err(ShopWriteError::LikelyDuplicate { shop_id });
                }
            }
            let (lat, lon) = match shop.location {
                Some(l) => (Arg::Float(l.lat()), Arg::Float(l.lon())),
                None => (Arg::NullFloat, Arg::NullFloat),
            };
            let mut st = Statement::new(
                "INSERT INTO shops (code, name, address, category, grid, lat, lon, owner_name, \
                 owner_phone, credit_code, status, created_at, updated_at) VALUES (",
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
                .push(", ")
                .bind(match &shop.credit_code {
                    Some(c) => Arg::Text(c.as_str().to_owned()),
                    None => Arg::NullText,
                })
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
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_err.unwrap_or(sqlx::Error::RowNotFound).into())
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
    ) -> Result<Option<ShopRecord>, ShopWriteError> {
        let mut tx = self.begin_write().await?;
        check_grid_and_credit_code(
            &mut tx,
            changes.grid.as_ref(),
            changes.credit_code.as_ref().and_then(Option::as_ref),
            Some(id),
        )
        .await?;
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
            (
                "credit_code",
                changes
                    .credit_code
                    .as_ref()
                    .and_then(|v| v.as_ref().map(|v| v.as_str().to_owned())),
            ),
        ];
        for (column, value) in &texts {
            if let Some(value) = value {
                st.push(", ")
                    .push(column)
                    .push(" = ")
                    .bind(Arg::Text(value.clone()));
            }
        }
        if let Some(None) = changes.credit_code {
            st.push(", credit_code = NULL");
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
                .chain(matches!(changes.credit_code, Some(None)).then_some("credit_code"))
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

    /// The shops the caller may see, filtered, with their scores, in `order`.
    #[tracing::instrument(skip(self))]
    pub async fn list_shops(
        &self,
        visibility: Visibility,
        filter: &ShopFilter,
        order: ShopOrder,
        after: Option<RankCursor>,
        limit: u32,
    ) -> Result<(Vec<ShopListing>, Option<RankCursor>), sqlx::Error> {
        let rank = order_rank(order);
        let mut st = Statement::new(&format!(
            "SELECT {SHOP_COLUMNS}, sc.score, sc.colour, ({rank}) AS sort_rank FROM shops s \
             LEFT JOIN shop_scores sc ON sc.shop_id = s.id WHERE 1 = 1"
        ));
        restrict(&mut st, visibility);
        if let Some(grid) = &filter.grid {
            st.push(" AND s.grid = ")
                .bind(Arg::Text(grid.as_str().to_owned()));
        }
        if let Some(category) = filter.category {
            st.push(" AND s.category = ")
                .bind(Arg::Text(category.as_str().to_owned()));
        }
        if let Some(colour) = filter.colour {
            st.push(" AND sc.colour = ")
                .bind(Arg::Text(colour.as_str().to_owned()));
        }
        if let Some(text) = &filter.text {
            push_text_match(&mut st, text);
        }
        st.fetch_ranked_page(
            rank,
            "s.id",
            after,
            limit,
            self.pool(),
            |r: &ShopListing| RankCursor {
                rank: r.sort_rank,
                id: r.shop.id,
            },
        )
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

/// Refuses an unregistered grid, and a credit code another shop than `shop_id` carries.
async fn check_grid_and_credit_code(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grid: Option<&GridCode>,
    credit_code: Option<&CreditCode>,
    shop_id: Option<i64>,
) -> Result<(), ShopWriteError> {
    if let Some(grid) = grid {
        if !grid_exists(tx, grid).await? {
            return Err(ShopWriteError::UnknownGrid(grid.as_str().to_owned()));
        }
    }
    if let Some(code) = credit_code {
        let holder: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM shops WHERE credit_code = $1 AND id <> $2")
                .bind(code.as_str())
                .bind(shop_id.unwrap_or(-1))
                .fetch_optional(&mut **tx)
                .await?;
        if let Some((shop_id,)) = holder {
            return Err(ShopWriteError::CreditCodeTaken { shop_id });
        }
    }
    Ok(())
}

/// The first shop with the same name and address as `shop`, compared loosely.
async fn same_name_and_address(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    shop: &NewShop,
) -> Result<Option<i64>, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM shops WHERE {} = {} AND {} = {} ORDER BY id LIMIT 1",
        loose("name"),
        loose("$1"),
        loose("address"),
        loose("$2"),
    ))
    .bind(shop.name.as_str())
    .bind(shop.address.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.map(|(id,)| id))
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
