//! End-to-end test harness: the real application on a random port, a fresh database per test, on
//! SQLite and on PostgreSQL.
//!
//! PostgreSQL tests run when `SHOPCREDIT_TEST_POSTGRES_URL` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its own database on it. Without the
//! variable they are skipped with a notice, except under `CI=true`, where that is a failure.

mod postgres;

use std::io::Write;
use std::sync::Once;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shopcredit_service::auth::mint_token;
use shopcredit_service::config::Settings;
use shopcredit_service::domain::role::Role;
use shopcredit_service::domain::shop::GridCode;
use shopcredit_service::startup::{open_store, Application};
use shopcredit_service::storage::tokens::NewToken;
use shopcredit_service::storage::Store;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running application and a client for it.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub backend: Backend,
    pub database_url: String,
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

    /// Like [`TestApp::spawn`], with settings adjusted first (e.g. a short sweep interval).
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
        Some(Self::start(backend, database_url, dir, adjust).await)
    }

    /// A second instance on this app's database, as another replica behind a load balancer.
    pub async fn replica(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::start(self.backend, self.database_url.clone(), None, adjust).await
    }

    async fn start(
        backend: Backend,
        database_url: String,
        dir: Option<tempfile::TempDir>,
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
            ..Settings::default()
        };
        let mut settings = settings;
        adjust(&mut settings);
        let store = open_store(&settings)
            .await
            .expect("database opens and migrates");
        let app = Application::build_with_store(settings, store.clone())
            .await
            .expect("app builds");
        let base_url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            base_url,
            client: reqwest::Client::new(),
            store,
            backend,
            database_url,
            _dir: dir,
        }
    }

    /// Mints a token directly in the store (what `shopcredit token create` does).
    pub async fn token(&self, role: Role, shops: &[i64], grids: &[&str]) -> String {
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
                    label: None,
                    shops,
                    grids: &grids,
                },
                0,
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
        let next_year = (chrono::Utc::now() + chrono::Duration::days(365))
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

    /// Records a patrol observed at `observed_at` with `findings` (a JSON array) as `token`.
    pub async fn patrol(
        &self,
        token: &str,
        shop_id: i64,
        observed_at: chrono::DateTime<chrono::Utc>,
        findings: Value,
    ) -> Answer {
        let body = json!({"observed_at": observed_at.to_rfc3339(), "kind": "grid_patrol", "findings": findings});
        let answer = self
            .post(&format!("/v1/shops/{shop_id}/patrols"), Some(token), &body)
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        answer
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
