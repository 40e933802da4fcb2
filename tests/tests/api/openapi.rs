//! The committed OpenAPI document is what the code generates, and it is what the server serves.

use reqwest::{Method, StatusCode};
use shopcredit_e2e::{on_both_backends, TestApp};

const COMMITTED: &str = include_str!("../../../openapi/openapi.json");

#[test]
fn committed_openapi_document_matches_the_code() {
    let generated = shopcredit_service::openapi::document_json();
    assert!(
        generated == COMMITTED,
        "openapi/openapi.json is stale: regenerate it with \
         `cargo run --bin shopcredit -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn the_document_is_openapi_3_1_and_every_operation_has_responses() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
    }
}

async fn every_documented_route_is_served(app: TestApp) {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "1").replace("{code}", "ABCDEFGH");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = app.call(method.clone(), &concrete, None, None).await;
            assert_ne!(
                answer.error_code(),
                Some("unknown_route"),
                "{method} {path} is documented but not served"
            );
            assert_ne!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
    }
}

async fn the_served_document_and_docs_page_are_available(app: TestApp) {
    let served = app.get("/openapi.json", None).await;
    assert_eq!(served.status, StatusCode::OK);
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(served.body, committed);
    let docs = app
        .client
        .get(format!("{}/docs/", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let bare = app
        .client
        .get(format!("{}/docs", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::OK, "/docs redirects to /docs/");
}

on_both_backends!(
    every_documented_route_is_served,
    the_served_document_and_docs_page_are_available
);
