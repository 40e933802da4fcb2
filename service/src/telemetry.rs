//! Structured logs (one line per request) and Prometheus metrics per route and status.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// Installs the global `tracing` subscriber (once; later calls are ignored, which suits tests).
pub fn init_tracing(filter: &str, format: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The service's Prometheus metrics, in a registry of their own.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    sweep_failures: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let labels = &["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            labels,
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method, route and status",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            labels,
        )?;
        let sweep_failures = IntCounterVec::new(
            Opts::new(
                "sweep_failures_total",
                "Shops, hazards or cases the sweep skipped after an error, by stage",
            ),
            &["stage"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(sweep_failures.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            sweep_failures,
        })
    }

    /// Counts one item the sweep skipped at `stage` (rescore, escalate, open_case, close_case).
    pub fn sweep_failure(&self, stage: &str) {
        self.sweep_failures.with_label_values(&[stage]).inc();
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    /// The text exposition format.
    pub fn render(&self) -> Result<String, String> {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .map_err(|e| e.to_string())?;
        String::from_utf8(buffer).map_err(|e| e.to_string())
    }
}

/// The `method` label of a request: one of the methods HTTP defines, or `other`. Labels come from a
/// closed set, so a client inventing methods cannot grow the metrics (and the server's memory).
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(m, _)| m == method)
        .map_or("other", |(_, label)| label)
}

/// The header that carries a request's id, taken from the client (or a proxy) or made here.
pub const REQUEST_ID: &str = "x-request-id";

/// The client's request id when it is a sane token (1–128 of `A-Za-z0-9._-`), else a fresh one:
/// a client cannot inject log syntax or unbounded text through it.
fn request_id_of(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
            hex::encode(bytes)
        })
}

/// Middleware: gives each request an id (echoed as `X-Request-Id` and carried by every log line of
/// the request, through a span), times it, counts it under its route pattern (not its raw path,
/// which would explode the label space) and logs one line.
pub async fn observe_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = method_label(req.method()).to_owned();
    let path = req.path().to_owned();
    let request_id = request_id_of(&req);
    let span = tracing::info_span!("request", request_id = %request_id, %method, %path);
    let mut result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let request_id = HeaderValue::from_str(&request_id).ok();
    let (status, route) = match &mut result {
        Ok(res) => {
            if let Some(value) = request_id {
                res.headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID), value);
            }
            let route = res.request().match_pattern();
            (
                res.status().as_u16(),
                route.unwrap_or_else(|| "unmatched".to_owned()),
            )
        }
        // Errors that escape the handlers' own envelope (rare, e.g. a request cut short by a
        // database outage): counted, logged, and answered with their envelope and the request id.
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            let mut response = e.error_response();
            if let Some(value) = request_id {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID), value);
            }
            *e = InternalError::from_response(e.to_string(), response).into();
            (status, "unmatched".to_owned())
        }
    };
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            target: "shopcredit::http",
            %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    result
}
