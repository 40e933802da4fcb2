//! Builds the HTTP application: state, configuration of extractors, routes, docs and middleware.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use utoipa_swagger_ui::SwaggerUi;

use crate::assessor::{load_current_policy, PolicyCache};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::domain::checklist::Checklists;
use crate::domain::review::AbuseRules;
use crate::extract;
use crate::jobs;
use crate::openapi;
use crate::outage::fail_fast_while_unreachable;
use crate::routes::{self, fallback::RouteTable};
use crate::state::AppState;
use crate::storage::{PoolSettings, Store};
use crate::sweep;
use crate::telemetry::{observe_requests, Metrics};
use crate::throttle::BadTokenThrottle;

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

/// Every `every`, until the process ends: one sweep pass, then any job left queued or abandoned by
/// a stopped replica.
fn spawn_background(state: web::Data<AppState>, every: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match sweep::sweep_once(&state).await {
                Ok(pass) if pass != sweep::SweepPass::default() => tracing::info!(?pass, "sweep"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweep failed; retrying next interval"),
            }
            if let Err(e) = jobs::run_queued(&state).await {
                tracing::warn!(error = %e, "job queue unreadable; retrying next interval");
            }
        }
    });
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
    state: web::Data<AppState>,
}

impl Application {
    /// Opens the store, migrates it and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        Self::build_with_store(settings, store).await
    }

    /// Builds the server over an existing store on the system clock, and starts the sweep.
    pub async fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, store, Arc::new(SystemClock)).await
    }

    /// Builds the server over an existing store and the given clock (tests move theirs).
    pub async fn build_with_clock(
        settings: Settings,
        store: Store,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let policy = load_current_policy(&store, clock.now_ms()).await?;
        let listener = TcpListener::bind(&settings.bind_addr)
            .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", settings.bind_addr))?;
        let port = listener.local_addr()?.port();
        let metrics = Metrics::new()?;
        let document = openapi::document();
        let routes_table = web::Data::new(RouteTable::from_openapi(&document));
        let max_body = settings.max_body_bytes;
        let workers = settings.workers;
        let bad_tokens = BadTokenThrottle::new(clock.clone(), settings.bad_token_burst);
        let state = web::Data::new(AppState {
            store: store.clone(),
            settings: Arc::new(settings),
            metrics: metrics.clone(),
            policies: PolicyCache::new(policy),
            checklists: Checklists::builtin().map_err(|e| anyhow::anyhow!(e.0))?,
            abuse: AbuseRules::default(),
            bad_tokens,
            clock,
        });
        if state.settings.sweep_interval_secs > 0 {
            spawn_background(
                state.clone(),
                Duration::from_secs(state.settings.sweep_interval_secs),
            );
        }
        let metrics = web::Data::new(metrics);
        let shared = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
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
                .wrap(from_fn(crate::idempotency::idempotent_posts))
                .wrap(from_fn(routes::fallback::head_as_get))
                .wrap(from_fn(extract::refuse_nul_in_path))
                .wrap(from_fn(fail_fast_while_unreachable))
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
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The state the handlers share (tests run the sweep and jobs on it directly).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (SIGTERM is graceful, SIGINT forced), probing the
    /// database's reachability meanwhile.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let probe = self.state.store.watch_reachability();
        let served = self.server.await;
        probe.abort();
        served
    }
}
