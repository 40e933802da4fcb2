//! The append-only audit trail: every change is an event with its actor, role and time, written
//! in the same transaction as the change itself.

use sqlx::{Any, FromRow, Transaction};

use super::sql::{Arg, Statement};
use super::Store;
use crate::domain::page::{Page, PageRequest};
use crate::domain::role::{ActorRole, Role};

/// Who did something.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `token:ID` for authenticated callers, `public` for anonymous residents, `system` for jobs.
    pub name: String,
    /// The caller's role (`public` and `system` included).
    pub role: ActorRole,
}

impl Actor {
    pub fn token(token_id: i64, role: Role) -> Self {
        Self {
            name: format!("token:{token_id}"),
            role: role.into(),
        }
    }

    /// Background jobs: sweeps and rescoring.
    pub fn system() -> Self {
        Self {
            name: "system".to_owned(),
            role: ActorRole::System,
        }
    }

    pub fn public() -> Self {
        Self {
            name: "public".to_owned(),
            role: ActorRole::Public,
        }
    }
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub shop_id: i64,
    pub at: i64,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: i64,
    /// What changed, as a JSON object.
    pub details: serde_json::Value,
}

/// An event as stored.
#[derive(Debug, Clone, FromRow)]
pub struct EventRecord {
    pub id: i64,
    pub shop_id: i64,
    pub at: i64,
    pub actor: String,
    pub role: ActorRole,
    pub action: String,
    pub subject_type: String,
    pub subject_id: i64,
    pub details: String,
}

/// Appends an event inside the caller's transaction.
pub(crate) async fn record(
    tx: &mut Transaction<'static, Any>,
    event: NewEvent<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO events (shop_id, at, actor, role, action, subject_type, subject_id, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(event.shop_id)
    .bind(event.at)
    .bind(event.actor.name.as_str())
    .bind(event.actor.role)
    .bind(event.action)
    .bind(event.subject_type)
    .bind(event.subject_id)
    .bind(event.details.to_string())
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

impl Store {
    /// A shop's events in the order they happened.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn shop_events(
        &self,
        shop_id: i64,
        page: PageRequest,
    ) -> Result<Page<EventRecord>, sqlx::Error> {
        let mut st = Statement::new(
            "SELECT id, shop_id, at, actor, role, action, subject_type, subject_id, details \
             FROM events WHERE shop_id = ",
        );
        st.bind(Arg::Int(shop_id));
        if let Some(after) = page.after {
            st.push(" AND id > ").bind(Arg::Int(after.last_id()));
        }
        st.push(" ORDER BY id LIMIT ")
            .bind(Arg::Int(i64::from(page.limit.get()) + 1));
        let rows = st.query_as::<EventRecord>().fetch_all(self.pool()).await?;
        Ok(Page::from_rows(rows, page.limit, |r| r.id))
    }
}
