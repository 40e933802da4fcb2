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
    /// The token's label (`token:ID` when unlabelled) for authenticated callers, `public` for
    /// anonymous residents, `system` for jobs.
    pub name: String,
    /// The caller's role (`public` and `system` included).
    pub role: ActorRole,
}

impl Actor {
    /// An authenticated caller, named by its token's label, or `token:ID` without one.
    pub fn token(token_id: i64, label: Option<&str>, role: Role) -> Self {
        let name = label
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map_or_else(|| format!("token:{token_id}"), str::to_owned);
        Self {
            name,
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

/// What an event is about: a row of some kind, belonging to a shop.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// `hazard`, `tip`, `case`, ...
    pub kind: &'a str,
    pub shop_id: i64,
    pub id: i64,
}

impl<'a> Subject<'a> {
    pub fn new(kind: &'a str, shop_id: i64, id: i64) -> Self {
        Self { kind, shop_id, id }
    }
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

/// Appends an event inside the caller's transaction: `action` (e.g. `hazard.opened`) done by
/// `actor` at `at` to `subject`, with what changed as a JSON object.
pub(crate) async fn record(
    tx: &mut Transaction<'static, Any>,
    subject: Subject<'_>,
    action: &str,
    actor: &Actor,
    at: i64,
    details: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO events (shop_id, at, actor, role, action, subject_type, subject_id, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(subject.shop_id)
    .bind(at)
    .bind(actor.name.as_str())
    .bind(actor.role)
    .bind(action)
    .bind(subject.kind)
    .bind(subject.id)
    .bind(details.to_string())
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

impl Store {
    /// Every event about one subject (e.g. a hazard), in the order they happened.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn subject_events(
        &self,
        subject_type: &str,
        subject_id: i64,
    ) -> Result<Vec<EventRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, shop_id, at, actor, role, action, subject_type, subject_id, details \
             FROM events WHERE subject_type = $1 AND subject_id = $2 ORDER BY id",
        )
        .bind(subject_type)
        .bind(subject_id)
        .fetch_all(self.pool())
        .await
    }

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
        st.fetch_page::<EventRecord>("id", page, self.pool(), |r| r.id)
            .await
    }
}
