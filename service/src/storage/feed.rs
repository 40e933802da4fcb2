//! The outbox tables written beside a change: the owner's notices and the feed other systems follow.

use serde_json::Value;
use sqlx::{Any, FromRow, Transaction};

use shopcredit_scoring::Text;

use super::sql::{Arg, Statement};
use super::{Backend, Store};
use crate::domain::enforcement::{FeedKind, NoticeKind};
use crate::domain::page::{Page, PageRequest};

/// Feed entries must become visible in id order, or a follower paging by id could skip one that
/// committed late. SQLite's write lock already serialises writers; on PostgreSQL this advisory lock,
/// held to commit, does the same for feed writers only.
const FEED_LOCK_KEY: i64 = 0x5C_FEED;

/// A notice for the owner (an outbox row; delivery channels read it).
#[derive(Debug, Clone, FromRow)]
pub struct NoticeRecord {
    pub id: i64,
    pub shop_id: i64,
    pub kind: NoticeKind,
    pub at: i64,
    pub hazard_id: Option<i64>,
    pub message_zh: String,
    pub message_en: String,
}

/// A feed entry.
#[derive(Debug, Clone, FromRow)]
pub struct FeedRecord {
    pub id: i64,
    pub at: i64,
    #[sqlx(rename = "type")]
    pub kind: FeedKind,
    pub shop_id: i64,
    pub details: String,
}

/// A notice to add; `dedupe_key` makes adding it twice a no-op.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub shop_id: i64,
    pub kind: NoticeKind,
    pub hazard_id: Option<i64>,
    pub dedupe_key: String,
    pub text: Text,
}

/// Adds a notice unless one with the same key exists; answers whether it was added.
pub(crate) async fn add_notice(
    tx: &mut Transaction<'static, Any>,
    notice: &NewNotice,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let added: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO notices (shop_id, kind, at, hazard_id, dedupe_key, message_zh, message_en) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(notice.shop_id)
    .bind(notice.kind)
    .bind(now)
    .bind(notice.hazard_id)
    .bind(notice.dedupe_key.as_str())
    .bind(notice.text.zh.as_str())
    .bind(notice.text.en.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(added.is_some())
}

/// Appends a feed entry inside the caller's transaction.
pub(crate) async fn append_feed(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    kind: FeedKind,
    shop_id: i64,
    details: &Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(FEED_LOCK_KEY)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("INSERT INTO feed (at, type, shop_id, details) VALUES ($1, $2, $3, $4)")
        .bind(now)
        .bind(kind)
        .bind(shop_id)
        .bind(details.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// A shop's notices, oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn shop_notices(
        &self,
        shop_id: i64,
        page: PageRequest,
    ) -> Result<Page<NoticeRecord>, sqlx::Error> {
        let mut st = Statement::new(
            "SELECT id, shop_id, kind, at, hazard_id, message_zh, message_en FROM notices WHERE shop_id = ",
        );
        st.bind(Arg::Int(shop_id));
        st.fetch_page::<NoticeRecord>("id", page, self.pool(), |r| r.id)
            .await
    }

    /// The id of the last feed entry (0 while the feed is empty): no follower can have seen more.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn feed_end(&self) -> Result<i64, sqlx::Error> {
        let (end,): (i64,) =
            sqlx::query_as("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM feed")
                .fetch_one(self.pool())
                .await?;
        Ok(end)
    }

    /// The feed after a position, in order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn feed(&self, page: PageRequest) -> Result<Page<FeedRecord>, sqlx::Error> {
        let st = Statement::new("SELECT id, at, type, shop_id, details FROM feed WHERE 1 = 1");
        st.fetch_page::<FeedRecord>("id", page, self.pool(), |r| r.id)
            .await
    }
}
