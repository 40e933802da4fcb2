//! What answers when no route matched: 405 with `Allow` when the path exists for other methods,
//! otherwise 404 — both in the error envelope. And HEAD, which every GET route answers.
//!
//! actix registers each macro-routed handler as its own resource guarded by method, so an
//! unregistered method on a known path would fall through to a plain 404; the route table, built
//! from the OpenAPI document, tells the two apart.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// The documented paths and their methods.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    /// Builds the table from an OpenAPI document's paths.
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = split(path)
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                (segments, methods_of(item))
            })
            .collect();
        Self { routes }
    }

    /// The methods allowed on `path`, if the path is known at all.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let wanted: Vec<&str> = split(path).collect();
        let mut methods: Vec<String> = self
            .routes
            .iter()
            .filter(|(segments, _)| matches(segments, &wanted))
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        if methods.is_empty() {
            return None;
        }
        methods.sort();
        methods.dedup();
        Some(methods)
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn matches(segments: &[Segment], wanted: &[&str]) -> bool {
    segments.len() == wanted.len()
        && segments.iter().zip(wanted).all(|(s, w)| match s {
            Segment::Param => true,
            Segment::Literal(l) => l == w,
        })
}

fn methods_of(item: &utoipa::openapi::PathItem) -> Vec<String> {
    let ops = [
        ("GET", item.get.is_some()),
        ("POST", item.post.is_some()),
        ("PUT", item.put.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
    ];
    let mut methods: Vec<String> = ops
        .iter()
        .filter(|(_, present)| *present)
        .map(|(m, _)| (*m).to_owned())
        .collect();
    if item.get.is_some() {
        methods.push("HEAD".to_owned());
    }
    methods
}

/// Middleware: HEAD is routed as GET (RFC 9110 §9.3.2), so every GET route answers it with the same
/// status and headers; the HTTP/1 encoder, which saw the request's HEAD, sends no body. A path
/// known to have no GET keeps its HEAD and gets the fallback's 405.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        let known = req
            .app_data::<web::Data<RouteTable>>()
            .and_then(|table| table.allowed(req.path()));
        // An unknown path (the docs, or nothing) goes on as GET too: its GET answers for it.
        let has_get = match known {
            Some(methods) => methods.iter().any(|m| m == "GET"),
            None => true,
        };
        if has_get {
            req.head_mut().method = Method::GET;
        }
    }
    next.call(req).await
}

/// The default service of the app.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn not_matched(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(match table.allowed(req.path()) {
        Some(allowed) if !allowed.iter().any(|m| m == req.method().as_str()) => {
            ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                allowed: allowed.join(", "),
            }
        }
        _ => ApiError::UnknownRoute(format!("{} {}", req.method(), req.path())),
    })
}
