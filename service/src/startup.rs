//! Builds the HTTP application: state, configuration of extractors, routes, docs and middleware.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use utoipa_swagger_ui::SwaggerUi;

use shopcredit_scoring::ValidPolicy;

use crate::assessor::{load_current_policy, rescore, PolicyCache};
use crate::config::Settings;
use crate::domain::checklist::Checklists;
use crate::domain::review::AbuseRules;
use crate::extract;
use crate::jobs;
use crate::openapi;
use crate::routes::{self, fallback::RouteTable};
use crate::storage::{PoolSettings, Store};
use crate::telemetry::{observe_requests, Metrics};

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
    /// The scoring policy in force (deadlines by severity, scorecard, timers).
    pub policies: PolicyCache,
    pub checklists: Checklists,
    pub abuse: AbuseRules,
}

impl AppState {
    /// The current time in epoch milliseconds: the one place handlers read the clock.
    pub fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    /// The scoring policy in force.
    pub fn policy(&self) -> Arc<ValidPolicy> {
        self.policies.get()
    }

    /// Rescores a shop after its evidence changed. The write has already committed, so a failure
    /// here is logged, not answered: the sweep rescores the shop on its next pass.
    pub async fn rescore_after_write(&self, shop_id: i64) {
        let policy = self.policy();
        if let Err(e) = rescore(&self.store, &policy, shop_id, self.now_ms()).await {
            tracing::error!(shop_id, error = %e, "rescore after write failed; the sweep will retry");
        }
    }

    /// Today's date in the district (expiry dates are local calendar dates).
    pub fn today(&self) -> chrono::NaiveDate {
        let offset = chrono::Duration::minutes(i64::from(self.settings.utc_offset_minutes));
        (chrono::Utc::now() + offset).date_naive()
    }
}

/// Connects to the configured database and applies migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(
        &settings.database_url,
        PoolSettings {
            max_connections: settings.db_max_connections,
            acquire_timeout: Duration::from_secs(settings.db_acquire_timeout_secs),
        },
    )
    .await?;
    store.migrate().await?;
    Ok(store)
}

/// `/docs` → `/docs/`, where Swagger UI resolves its assets relative to the trailing slash.
async fn redirect_to_docs() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    store: Store,
}

impl Application {
    /// Opens the store, migrates it and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        Self::build_with_store(settings, store).await
    }

    /// Builds the server over an existing store, and starts the deadline sweep.
    pub async fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<Self> {
        let policy = load_current_policy(&store, chrono::Utc::now().timestamp_millis()).await?;
        let listener = TcpListener::bind(&settings.bind_addr)
            .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", settings.bind_addr))?;
        let port = listener.local_addr()?.port();
        let metrics = Metrics::new()?;
        let document = openapi::document();
        let routes_table = web::Data::new(RouteTable::from_openapi(&document));
        let max_body = settings.max_body_bytes;
        let workers = settings.workers;
        let state = web::Data::new(AppState {
            store: store.clone(),
            settings: Arc::new(settings),
            metrics: metrics.clone(),
            policies: PolicyCache::new(policy),
            checklists: Checklists::builtin().map_err(|e| anyhow::anyhow!(e.0))?,
            abuse: AbuseRules::default(),
        });
        if state.settings.sweep_interval_secs > 0 {
            jobs::spawn_sweeper(
                state.clone(),
                Duration::from_secs(state.settings.sweep_interval_secs),
            );
        }
        let metrics = web::Data::new(metrics);
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(routes_table.clone())
                .app_data(extract::json_config(max_body))
                .app_data(extract::payload_config(max_body))
                .app_data(extract::query_config())
                .app_data(extract::path_config())
                .configure(|cfg| {
                    routes::configure(&mut utoipa_actix_web::service_config::ServiceConfig::new(
                        cfg,
                    ))
                })
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", document.clone()))
                .route("/docs", web::get().to(redirect_to_docs))
                .default_service(web::to(routes::fallback::not_matched))
                .wrap(from_fn(observe_requests))
        })
        .listen(listener)?
        .shutdown_timeout(10);
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            store,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (SIGTERM is graceful, SIGINT forced).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
