//! End-to-end test harness: the real application on a random port, a fresh database per test, on
//! SQLite and on PostgreSQL.
//!
//! PostgreSQL tests run when `SHOPCREDIT_TEST_POSTGRES_URL` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its own database on it. Without the
//! variable they are skipped with a notice, except under `CI=true`, where that is a failure.

mod postgres;
mod proxy;

pub use proxy::FaultyProxy;

use std::io::Write;
use std::sync::{Arc, Once};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shopcredit_service::auth::mint_token;
use shopcredit_service::clock::{Clock, SharedClock, ShiftedClock};
use shopcredit_service::config::Settings;
use shopcredit_service::domain::role::Role;
use shopcredit_service::domain::shop::{GridCode, GridName};
use shopcredit_service::startup::{open_store, Application};
use shopcredit_service::state::AppState;
use shopcredit_service::storage::tokens::NewToken;
use shopcredit_service::storage::Store;
use shopcredit_service::sweep::{sweep_once, SweepPass};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor};

/// The grids every test app has registered at start (grids are a registry: shops and inspectors'
/// tokens must name a registered one).
pub const TEST_GRIDS: &[&str] = &[
    "G01", "G02", "G03", "G04", "G05", "G06", "G07", "G08", "G09",
];

/// How long [`TestApp::job`] waits for a job to finish.
const JOB_PATIENCE: StdDuration = StdDuration::from_secs(10);
/// Pause between two polls of a job.
const JOB_POLL: StdDuration = StdDuration::from_millis(20);

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running application, a client for it, and its clock.
///
/// Tests never sleep for the service: they move the app's clock ([`TestApp::advance`]) and run the
/// sweep themselves ([`TestApp::sweep`]); no sweep runs in the background unless a test asks for one.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub backend: Backend,
    /// The database, as the test reaches it (straight, even when the app goes through a proxy).
    pub database_url: String,
    /// The state the handlers share, to run the sweep and jobs on directly.
    pub state: Arc<AppState>,
    /// The app's own clock: real time plus an offset that [`TestApp::advance`] moves.
    pub clock: Arc<ShiftedClock>,
    _dir: Option<tempfile::TempDir>,
}

/// An HTTP answer: status, headers and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The envelope's error code, if this is an error answer.
    pub fn error_code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }

    /// The `Location` header (where a `201` or `202` points); panics when there is none.
    pub fn location(&self) -> &str {
        self.headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{} without a Location header: {}", self.status, self.text))
    }

    /// Panics unless this is what a client may see when the database is briefly out of reach: 503
    /// in the envelope (`unavailable`) with a `Retry-After` of whole seconds.
    pub fn assert_unavailable(&self) {
        assert_eq!(
            self.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "expected 503: {} {}",
            self.status,
            self.text
        );
        assert_eq!(self.error_code(), Some("unavailable"), "{}", self.text);
        let seconds = self
            .headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        assert!(
            seconds.is_some_and(|s| s >= 1),
            "503 without Retry-After in seconds: {:?}",
            self.headers
        );
    }

    /// The field names of a validation error.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["error"]["fields"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

impl TestApp {
    /// Starts the app on a fresh database; `None` when the backend is not available (PostgreSQL
    /// without a URL outside CI).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings adjusted first.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        init_test_logging();
        let (database_url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("shopcredit.db").display());
                (url, Some(dir))
            }
            Backend::Postgres => (postgres::fresh_database().await?, None),
        };
        let clock = Arc::new(ShiftedClock::new());
        let app = Self::start(backend, database_url, dir, clock, adjust).await;
        for grid in TEST_GRIDS {
            app.register_grid(grid).await;
        }
        Some(app)
    }

    /// Starts the app on a fresh PostgreSQL database that it reaches through a [`FaultyProxy`], to
    /// fail the network between them; `None` when PostgreSQL is not available. The test's own
    /// connections ([`TestApp::execute_sql`]) go straight to the server.
    pub async fn spawn_behind_proxy() -> Option<(TestApp, Arc<FaultyProxy>)> {
        init_test_logging();
        let direct = postgres::fresh_database().await?;
        let proxy = FaultyProxy::start(postgres::server_addr(&direct).await).await;
        let proxied = postgres::via_local_port(&direct, proxy.port());
        let clock = Arc::new(ShiftedClock::new());
        let app = Self::start(Backend::Postgres, direct, None, clock, |s| {
            s.database_url = proxied;
        })
        .await;
        for grid in TEST_GRIDS {
            app.register_grid(grid).await;
        }
        Some((app, proxy))
    }

    /// Registers a grid directly in the store (what `shopcredit grid create` does).
    pub async fn register_grid(&self, code: &str) {
        let code = GridCode::parse(code).expect("grid code");
        let name = GridName::parse(&format!("网格 {}", code.as_str())).expect("grid name");
        self.store
            .create_grid(&code, &name, self.clock.now_ms())
            .await
            .expect("grid registered");
    }

    /// A second instance on this app's database, as another replica behind a load balancer. It has
    /// a clock of its own, set to the same instant as this app's.
    pub async fn replica(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let clock = Arc::new(ShiftedClock::new());
        clock.set(self.clock.now_ms());
        Self::start(self.backend, self.database_url.clone(), None, clock, adjust).await
    }

    /// Another instance on this app's database with a pool of one connection, so every request
    /// reuses the same connection and its cache of prepared statements.
    pub async fn single_connection(&self) -> TestApp {
        self.replica(|s| s.db_max_connections = 1).await
    }

    async fn start(
        backend: Backend,
        database_url: String,
        dir: Option<tempfile::TempDir>,
        clock: Arc<ShiftedClock>,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let settings = Settings {
            database_url: database_url.clone(),
            bind_addr: "127.0.0.1:0".to_owned(),
            public_base_url: "http://shops.example".to_owned(),
            workers: 1,
            db_max_connections: 8,
            max_body_bytes: 64 * 1024,
            // Tests play many residents by sending X-Forwarded-For through "a proxy" on loopback.
            trusted_proxies: vec!["127.0.0.1".to_owned()],
            // Each test runs the sweep itself, after moving the clock, instead of waiting for it.
            sweep_interval_secs: 0,
            ..Settings::default()
        };
        let mut settings = settings;
        adjust(&mut settings);
        let store = open_store(&settings)
            .await
            .expect("database opens and migrates");
        let shared: SharedClock = clock.clone();
        let app = Application::build_with_clock(settings, store.clone(), shared)
            .await
            .expect("app builds");
        let base_url = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().into_inner();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            base_url,
            client: reqwest::Client::new(),
            store,
            backend,
            database_url,
            state,
            clock,
            _dir: dir,
        }
    }

    /// The app's current time (what it stamps on records and judges deadlines against).
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.clock.now_ms()).expect("clock in range")
    }

    /// Moves this app's clock forward by `by` (backwards when negative); a replica's clock is its
    /// own and stays where it was.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// Runs one sweep pass on this app, as the background sweeper would; panics if the pass fails.
    pub async fn sweep(&self) -> SweepPass {
        sweep_once(&self.state)
            .await
            .unwrap_or_else(|e| panic!("sweep pass failed: {e}"))
    }

    /// Polls a job (`Location` of a `202 Accepted`, as a path or an absolute URL) as `token` until it
    /// has `succeeded` or `failed`, and answers its last view.
    pub async fn job(&self, location: &str, token: &str) -> Value {
        let path = location.strip_prefix(&self.base_url).unwrap_or(location);
        assert!(
            path.starts_with("/v1/jobs/"),
            "not a job location: {location}"
        );
        let started = Instant::now();
        loop {
            let answer = self.get(path, Some(token)).await;
            assert_eq!(answer.status, StatusCode::OK, "GET {path}: {}", answer.text);
            match answer.body["status"].as_str() {
                Some("succeeded" | "failed") => return answer.body,
                Some("queued" | "running") => {}
                other => panic!(
                    "job {path} has an unexpected status {other:?}: {}",
                    answer.text
                ),
            }
            assert!(
                started.elapsed() < JOB_PATIENCE,
                "job {path} did not finish within {JOB_PATIENCE:?}; last seen: {}",
                answer.text
            );
            tokio::time::sleep(JOB_POLL).await;
        }
    }

    /// Runs statements on the app's database over a connection of the test's own (to inject
    /// faults or corrupt rows the way a bad migration or a manual edit would).
    pub async fn execute_sql(&self, statements: &[String]) {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = SqliteConnection::connect(&self.database_url)
                    .await
                    .expect("a second connection to the SQLite database");
                for statement in statements {
                    conn.execute(statement.as_str())
                        .await
                        .unwrap_or_else(|e| panic!("{statement}: {e}"));
                }
            }
            Backend::Postgres => {
                let mut conn = PgConnection::connect(&self.database_url)
                    .await
                    .expect("a second connection to the PostgreSQL database");
                for statement in statements {
                    conn.execute(statement.as_str())
                        .await
                        .unwrap_or_else(|e| panic!("{statement}: {e}"));
                }
            }
        }
    }

    /// Runs statements on the PostgreSQL server as an administrator, from its administrative
    /// database: `{db}` in a statement stands for this test's database. Panics on SQLite.
    pub async fn execute_on_server(&self, statements: &[&str]) {
        assert_eq!(self.backend, Backend::Postgres, "a PostgreSQL server only");
        let db = postgres::database_name(&self.database_url);
        let statements: Vec<String> = statements.iter().map(|s| s.replace("{db}", db)).collect();
        postgres::on_server(&statements).await;
    }

    /// Mints a token directly in the store (what `shopcredit token create` does).
    pub async fn token(&self, role: Role, shops: &[i64], grids: &[&str]) -> String {
        self.labelled_token(role, None, shops, grids).await
    }

    /// Mints a token with a label (`shopcredit token create --label`).
    pub async fn labelled_token(
        &self,
        role: Role,
        label: Option<&str>,
        shops: &[i64],
        grids: &[&str],
    ) -> String {
        let grids: Vec<GridCode> = grids
            .iter()
            .map(|g| GridCode::parse(g).expect("grid"))
            .collect();
        let minted = mint_token();
        self.store
            .insert_token(
                &NewToken {
                    hash: &minted.hash,
                    prefix: &minted.display_prefix,
                    role,
                    label,
                    shops,
                    grids: &grids,
                },
                self.clock.now_ms(),
            )
            .await
            .expect("token stored");
        minted.secret
    }

    pub async fn admin(&self) -> String {
        self.token(Role::Admin, &[], &[]).await
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request sent");
        Self::answer(response).await
    }

    /// Turns a response into an [`Answer`].
    pub async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// Registers a shop in `grid` and mints a token for its owner.
    pub async fn shop_with_owner(&self, admin: &str, name: &str, grid: &str) -> (Value, String) {
        let shop = self.create_shop(admin, name, grid).await;
        let owner = self
            .token(Role::Owner, &[shop["id"].as_i64().expect("id")], &[])
            .await;
        (shop, owner)
    }

    /// Answers for every item of a shop's checklist: all pass (tracked items expire in a year),
    /// except the items in `failing`, which fail with a note.
    pub async fn answers(&self, shop_id: i64, owner: &str, failing: &[&str]) -> Vec<Value> {
        let checklist = self
            .get(&format!("/v1/shops/{shop_id}/checklist"), Some(owner))
            .await;
        assert_eq!(checklist.status, StatusCode::OK, "{}", checklist.text);
        let next_year = (self.now() + chrono::Duration::days(365))
            .format("%Y-%m-%d")
            .to_string();
        checklist.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| {
                let id = item["id"].as_str().expect("id");
                if failing.contains(&id) {
                    json!({"item_id": id, "result": "fail", "note": "坏了 broken"})
                } else if item["tracks_expiry"] == true {
                    json!({"item_id": id, "result": "pass", "expires_on": next_year})
                } else {
                    json!({"item_id": id, "result": "pass"})
                }
            })
            .collect()
    }

    /// Records a patrol observed at `observed_at` (take it from [`TestApp::now`]) with `findings`
    /// (a JSON array) as `token`.
    pub async fn patrol(
        &self,
        token: &str,
        shop_id: i64,
        observed_at: DateTime<Utc>,
        findings: Value,
    ) -> Answer {
        let body = json!({"observed_at": observed_at.to_rfc3339(), "kind": "grid_patrol", "findings": findings});
        let answer = self
            .post(&format!("/v1/shops/{shop_id}/patrols"), Some(token), &body)
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        answer
    }

    /// The owner claims a hazard fixed (`open` → `awaiting_verification`); panics unless 201.
    pub async fn claim_fix(&self, owner: &str, hazard: i64) {
        let body = json!({"note": "已整改 fixed"});
        let path = format!("/v1/hazards/{hazard}/rectifications");
        let claimed = self.post(&path, Some(owner), &body).await;
        assert_eq!(claimed.status, StatusCode::CREATED, "{}", claimed.text);
    }

    /// An inspector accepts the claimed fix (the hazard closes); panics unless 201.
    pub async fn verify_fix(&self, inspector: &str, hazard: i64) {
        let body = json!({"outcome": "accepted"});
        let path = format!("/v1/hazards/{hazard}/verifications");
        let verified = self.post(&path, Some(inspector), &body).await;
        assert_eq!(verified.status, StatusCode::CREATED, "{}", verified.text);
    }

    /// The owner claims the fix and the inspector verifies it.
    pub async fn fix_hazard(&self, owner: &str, inspector: &str, hazard: i64) {
        self.claim_fix(owner, hazard).await;
        self.verify_fix(inspector, hazard).await;
    }

    /// The shop's score as its `token` holder sees it.
    pub async fn score(&self, token: &str, shop_id: i64) -> Value {
        let answer = self
            .get(&format!("/v1/shops/{shop_id}/score"), Some(token))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body
    }

    /// Sends a public request as the resident at `client_ip`.
    pub async fn post_as_client(&self, path: &str, client_ip: &str, body: &Value) -> Answer {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("x-forwarded-for", client_ip)
            .json(body)
            .send()
            .await
            .expect("request sent");
        Self::answer(response).await
    }

    /// Sends a GET as the client at `client_ip`, with `token` as its bearer token if given.
    pub async fn get_as_client(&self, path: &str, client_ip: &str, token: Option<&str>) -> Answer {
        let mut request = self
            .client
            .get(format!("{}{path}", self.base_url))
            .header("x-forwarded-for", client_ip);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Self::answer(request.send().await.expect("request sent")).await
    }

    /// The value of a Prometheus counter with exactly these labels (0 when it has not counted yet).
    pub async fn counter(&self, name: &str, labels: &str) -> u64 {
        let metrics = self.get("/metrics", None).await;
        assert_eq!(metrics.status, StatusCode::OK, "{}", metrics.text);
        let prefix = format!("{name}{{{labels}}} ");
        metrics
            .text
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .map_or(0, |v| {
                v.trim().parse().expect("a counter is a whole number")
            })
    }

    /// Registers a shop in `grid` as `token` and answers its JSON; panics unless 201.
    pub async fn create_shop(&self, token: &str, name: &str, grid: &str) -> Value {
        let answer = self
            .post("/v1/shops", Some(token), &shop_body(name, grid))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        answer.body
    }
}

/// A valid shop registration body.
pub fn shop_body(name: &str, grid: &str) -> Value {
    json!({
        "name": name,
        "address": format!("{name} 文三路 1 号"),
        "category": "restaurant",
        "grid": grid,
        "lat": 30.27,
        "lon": 120.15,
        "owner_name": "王芳",
        "owner_phone": "13800138000"
    })
}

/// Writes straight to the process's stderr: libtest captures `eprintln!`, not this, so the notice
/// shows even when the test passes.
pub fn notice(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn init_test_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            shopcredit_service::telemetry::init_tracing(&filter, "text");
        }
    });
}

/// Generates one `#[tokio::test]` per backend for each named `async fn(TestApp)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::TestApp::spawn($crate::Backend::Sqlite).await.expect("sqlite app");
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::TestApp::spawn($crate::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}
