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
use tracing::field::{Field, Visit};
use tracing::{Event, Instrument, Level, Metadata, Subscriber};
use tracing_core::callsite::{DefaultCallsite, Identifier};
use tracing_core::field::{FieldSet, Value};
use tracing_core::Kind;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Installs the global `tracing` subscriber (once; later calls are ignored, which suits tests).
pub fn init_tracing(filter: &str, format: &str) {
    let _ = subscriber(filter, format, std::io::stderr).try_init();
}

/// The service's subscriber: `filter` (an `EnvFilter` directive; `info` if it does not parse),
/// lines as `text` or `json` to `writer`, client mistakes at WARN.
fn subscriber<W>(filter: &str, format: &str, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    MISTAKE_CALLSITE.register();
    let lines = tracing_subscriber::fmt::layer().with_writer(writer);
    let lines = if format == "json" {
        lines.json().boxed()
    } else {
        lines.boxed()
    };
    tracing_subscriber::registry()
        .with(lines)
        .with(filter)
        .with(ClientMistakesAtWarn)
}

/// Where client mistakes are logged.
pub const CLIENT_MISTAKES_TARGET: &str = "shopcredit::http::client";

/// actix-http logs at ERROR every connection that ended because the client sent a request it could
/// not parse ("stream error: request parse error: invalid Header provided") or sent it too slowly,
/// after it has already answered 400 or 408. Those are the client's mistakes, and anyone could
/// flood the error log with them, burying real faults and waking whoever is on call. This layer
/// says them again at WARN under [`CLIENT_MISTAKES_TARGET`] and drops the ERROR. Filtering the
/// dispatcher's target instead would hide them entirely, and with them its real errors (a response
/// body failing, an I/O error), which stay errors.
///
/// The WARN is an event built here and handed to the layers below: `tracing::warn!` would be
/// silently dropped, since tracing ignores events raised while a subscriber is handling one.
struct ClientMistakesAtWarn;

/// Where the WARN comes from, for the subscriber: a fixed callsite, as `tracing`'s macros make one.
static MISTAKE_CALLSITE: DefaultCallsite = DefaultCallsite::new(&MISTAKE);
static MISTAKE: Metadata<'static> = Metadata::new(
    "client mistake",
    CLIENT_MISTAKES_TARGET,
    Level::WARN,
    Some(file!()),
    Some(line!()),
    Some(module_path!()),
    FieldSet::new(&["message", "cause"], Identifier(&MISTAKE_CALLSITE)),
    Kind::EVENT,
);

/// The dispatcher's messages for connections the client broke.
const CLIENT_CAUSES: &[&str] = &[
    "request parse error",
    "request did not complete within the specified timeout",
];

impl<S: Subscriber> Layer<S> for ClientMistakesAtWarn {
    // `event_enabled` runs before any layer records the event, so the ERROR is dropped whole; it
    // is the one hook that can both drop an event and say it again at another level.
    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, S>) -> bool {
        let Some(cause) = client_mistake(event) else {
            return true;
        };
        if ctx.enabled(&MISTAKE) {
            let fields = MISTAKE.fields();
            if let (Some(message), Some(cause_field)) =
                (fields.field("message"), fields.field("cause"))
            {
                let text = "connection refused: the client sent a malformed or incomplete request";
                let values: [(&Field, Option<&dyn Value>); 2] = [
                    (&message, Some(&text as &dyn Value)),
                    (&cause_field, Some(&cause.as_str() as &dyn Value)),
                ];
                ctx.event(&Event::new(&MISTAKE, &fields.value_set(&values)));
            }
        }
        false
    }
}

/// The message of an actix-http dispatcher ERROR that reports a client's mistake.
fn client_mistake(event: &Event<'_>) -> Option<String> {
    let meta = event.metadata();
    if *meta.level() != Level::ERROR || !meta.target().starts_with("actix_http::h1") {
        return None;
    }
    let mut message = Message(None);
    event.record(&mut message);
    message
        .0
        .filter(|text| CLIENT_CAUSES.iter().any(|cause| text.contains(cause)))
}

/// Records an event's `message` field.
struct Message(Option<String>);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// The service's Prometheus metrics, in a registry of their own.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    sweep_failures: IntCounterVec,
    auth_failures: IntCounterVec,
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
        let auth_failures = IntCounterVec::new(
            Opts::new(
                "auth_failures_total",
                "Bearer tokens that matched no live token, by outcome: rejected (401) or throttled (429)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(sweep_failures.clone()))?;
        registry.register(Box::new(auth_failures.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            sweep_failures,
            auth_failures,
        })
    }

    /// Counts one item the sweep skipped at `stage` (rescore, escalate, open_case, close_case).
    pub fn sweep_failure(&self, stage: &str) {
        self.sweep_failures.with_label_values(&[stage]).inc();
    }

    /// Counts one bad bearer token, `rejected` (401) or `throttled` (429).
    pub fn auth_failure(&self, outcome: &str) {
        self.auth_failures.with_label_values(&[outcome]).inc();
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log lines written during a test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Captured {
        type Writer = Captured;

        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    /// The JSON lines the service's subscriber writes, under `filter`, while `emit` runs.
    fn logged(filter: &str, emit: impl FnOnce()) -> Vec<serde_json::Value> {
        let out = Captured::default();
        tracing::subscriber::with_default(subscriber(filter, "json", out.clone()), emit);
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// What actix-http's HTTP/1 dispatcher logs when a client sends a header it cannot parse.
    fn malformed_header() {
        let err = "request parse error: invalid Header provided";
        tracing::error!(target: "actix_http::h1::dispatcher", "stream error: {}", err);
    }

    #[test]
    fn a_malformed_header_from_a_client_is_logged_at_warn_not_error() {
        let lines = logged("info", malformed_header);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["target"], CLIENT_MISTAKES_TARGET);
        let cause = lines[0]["fields"]["cause"].as_str().unwrap();
        assert!(cause.contains("invalid Header provided"), "{cause}");
    }

    #[test]
    fn an_error_only_log_shows_no_client_mistakes() {
        assert_eq!(
            logged("error", malformed_header),
            Vec::<serde_json::Value>::new()
        );
    }

    #[test]
    fn the_dispatchers_own_failures_stay_errors() {
        let lines = logged("info", || {
            tracing::error!(
                target: "actix_http::h1::dispatcher",
                "Response payload stream error: {}",
                "database went away"
            )
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["level"], "ERROR");
    }
}
