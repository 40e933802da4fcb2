//! HEAD on a GET route answers what GET would, without the body (RFC 9110 §9.3.2): monitors and
//! caches use it to check a resource cheaply.

use reqwest::{Method, StatusCode};
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

/// Sends `method` to `path` and answers its status, headers and the bytes of its body.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body read").to_vec();
    (status, headers, body)
}

async fn head_on_a_get_route_answers_like_get_without_a_body(app: TestApp) {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, "甲店", "G01").await;
    let (other, _) = app.shop_with_owner(&admin, "乙店", "G02").await;
    let other_owner = app
        .token(Role::Owner, &[other["id"].as_i64().unwrap()], &[])
        .await;
    let id = shop["id"].as_i64().unwrap();
    let code = shop["code"].as_str().unwrap();
    let cases: Vec<(String, Option<&str>)> = vec![
        ("/healthz".to_owned(), None),
        ("/v1/public/how-scores-work".to_owned(), None),
        (format!("/v1/public/shops/{code}"), None),
        ("/v1/public/shops/ZZZZZZZZ".to_owned(), None),
        (format!("/v1/shops/{id}"), Some(&owner)),
        (format!("/v1/shops/{id}/score"), Some(&owner)),
        (format!("/v1/shops/{id}"), None),
        (format!("/v1/shops/{id}"), Some(&other_owner)),
        ("/v1/policies/current".to_owned(), Some(&owner)),
        ("/openapi.json".to_owned(), None),
    ];
    for (path, token) in cases {
        let (get_status, get_headers, get_body) = raw(&app, Method::GET, &path, token).await;
        let (status, headers, body) = raw(&app, Method::HEAD, &path, token).await;
        assert_eq!(status, get_status, "HEAD {path} as {token:?}");
        assert!(body.is_empty(), "HEAD {path} has a body");
        assert_eq!(
            headers.get("content-type"),
            get_headers.get("content-type"),
            "HEAD {path}"
        );
        assert_eq!(
            headers.get("content-length").and_then(|v| v.to_str().ok()),
            Some(get_body.len().to_string().as_str()),
            "HEAD {path}: Content-Length is the GET body's length"
        );
    }
}

async fn head_where_there_is_no_get_is_405_naming_the_methods(app: TestApp) {
    let (status, headers, body) = raw(&app, Method::HEAD, "/v1/reviews/decisions", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
    assert!(body.is_empty());
    let wrong = app.call(Method::DELETE, "/v1/shops/1", None, None).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.headers["allow"], "GET, HEAD, PATCH");
}

on_both_backends!(
    head_on_a_get_route_answers_like_get_without_a_body,
    head_where_there_is_no_get_is_405_naming_the_methods,
);
