//! A tiny statement builder: appends SQL and numbered placeholders (`$1…$N`, accepted by SQLite and
//! PostgreSQL alike — sqlx's `QueryBuilder` emits `?` under `Any`, which PostgreSQL rejects).

use sqlx::any::AnyArguments;
use sqlx::{Any, AnyPool};

use crate::domain::page::{Page, PageRequest, RankCursor};

/// A value bound to a placeholder. Nullable values go through here (`NullFloat`, `NullText`), not
/// through a bare `.bind(Option<f64>)`: see [`Statement::query_as`] for why.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Float(f64),
    Text(String),
    NullFloat,
    NullText,
}

/// SQL text with its bound values, in order.
#[derive(Debug, Default)]
pub(crate) struct Statement {
    sql: String,
    args: Vec<Arg>,
}

impl Statement {
    pub(crate) fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends the next placeholder and remembers its value.
    pub(crate) fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }

    /// Ends the statement as one page of a list ordered by `id_column`: rows after the cursor, one
    /// more than the limit to tell whether another page follows. The one paging rule of every list.
    pub(crate) async fn fetch_page<T>(
        mut self,
        id_column: &str,
        page: PageRequest,
        pool: &AnyPool,
        id_of: impl Fn(&T) -> i64,
    ) -> Result<Page<T>, sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        if let Some(after) = page.after {
            self.push(&format!(" AND {id_column} > "))
                .bind(Arg::Int(after.last_id()));
        }
        self.push(&format!(" ORDER BY {id_column} LIMIT "))
            .bind(Arg::Int(i64::from(page.limit.get()) + 1));
        let rows = self.query_as::<T>().fetch_all(pool).await?;
        Ok(Page::from_rows(rows, page.limit, id_of))
    }

    /// Ends the statement as one page of a list ordered by `rank_sql` (descending) then `id_column`:
    /// rows after the cursor, one more than the limit to tell whether another page follows. The
    /// paging rule of every list not in plain id order (worst first, oldest deadline first…).
    pub(crate) async fn fetch_ranked_page<T>(
        mut self,
        rank_sql: &str,
        id_column: &str,
        after: Option<RankCursor>,
        limit: u32,
        pool: &AnyPool,
        position: impl Fn(&T) -> RankCursor,
    ) -> Result<(Vec<T>, Option<RankCursor>), sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        if let Some(after) = after {
            self.push(&format!(" AND (({rank_sql}) < "))
                .bind(Arg::Int(after.rank))
                .push(&format!(" OR (({rank_sql}) = "))
                .bind(Arg::Int(after.rank))
                .push(&format!(" AND {id_column} > "))
                .bind(Arg::Int(after.id))
                .push("))");
        }
        self.push(&format!(" ORDER BY ({rank_sql}) DESC, {id_column} LIMIT "))
            .bind(Arg::Int(i64::from(limit) + 1));
        let mut rows = self.query_as::<T>().fetch_all(pool).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(position)
        } else {
            None
        };
        Ok((rows, next))
    }

    /// The statement as a query. One that binds a NULL is not kept in the connection's cache of
    /// prepared statements: PostgreSQL fixes each parameter's type when a statement is prepared,
    /// from the values of its first execution, and sqlx 0.8's `Any` driver sends a NULL `f64` as
    /// a NULL `float4` (sqlx issue #4284). A cached statement first run without a location then
    /// refuses every location ("incorrect binary data format in bind parameter"). An unnamed
    /// statement is prepared for this execution only, so a NULL never decides the type that later
    /// values are sent with. (A `CAST` in the SQL would not help: sqlx names the parameter types
    /// itself when it prepares, so the parameter stays `float4` whatever the SQL casts it to.)
    pub(crate) fn query_as<T>(&self) -> sqlx::query::QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let binds_null = self
            .args
            .iter()
            .any(|a| matches!(a, Arg::NullFloat | Arg::NullText));
        let mut q = sqlx::query_as::<_, T>(&self.sql).persistent(!binds_null);
        for arg in &self.args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Float(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::NullFloat => q.bind(Option::<f64>::None),
                Arg::NullText => q.bind(Option::<String>::None),
            };
        }
        q
    }
}
