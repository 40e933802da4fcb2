//! Cursor pagination: stable across inserts, capped, defaulted.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::Value;
use shopcredit_e2e::{on_both_backends, TestApp};

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn paging_visits_every_shop_once_even_while_shops_are_added(app: TestApp) {
    let admin = app.admin().await;
    for i in 0..7 {
        app.create_shop(&admin, &format!("店{i}"), "G01").await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/shops?limit=3&cursor={c}"),
            None => "/v1/shops?limit=3".to_owned(),
        };
        let page = app.get(&path, Some(&admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(names(&page.body).len() <= 3);
        seen.extend(names(&page.body));
        pages += 1;
        // A shop registered between pages lands after the cursor, never shifting earlier pages.
        if pages == 1 {
            app.create_shop(&admin, "新来的", "G01").await;
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7)
        .map(|i| format!("店{i}"))
        .chain(["新来的".to_owned()])
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
}

async fn page_size_defaults_to_50_and_is_capped_at_200(app: TestApp) {
    let admin = app.admin().await;
    for i in 0..205 {
        app.create_shop(&admin, &format!("店{i:03}"), "G01").await;
    }
    let default = app.get("/v1/shops", Some(&admin)).await;
    assert_eq!(names(&default.body).len(), 50);
    let capped = app.get("/v1/shops?limit=1000", Some(&admin)).await;
    assert_eq!(capped.status, StatusCode::OK);
    let first: Vec<String> = names(&capped.body);
    assert_eq!(first.len(), 200);
    let cursor = capped.body["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let rest = app
        .get(
            &format!("/v1/shops?limit=1000&cursor={cursor}"),
            Some(&admin),
        )
        .await;
    assert_eq!(names(&rest.body).len(), 5);
    assert!(rest.body["next_cursor"].is_null());
    let all: HashSet<String> = first.into_iter().chain(names(&rest.body)).collect();
    assert_eq!(all.len(), 205);
    // Any 64-bit size is capped, as the document's int64 says; below 1 or beyond 64 bits is refused.
    let huge = app
        .get("/v1/shops?limit=9223372036854775807", Some(&admin))
        .await;
    assert_eq!(names(&huge.body).len(), 200, "{}", huge.text);
    for bad in ["0", "-1", "9223372036854775808"] {
        let refused = app
            .get(&format!("/v1/shops?limit={bad}"), Some(&admin))
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(refused.body["error"]["code"], "validation_failed", "{bad}");
    }
}

async fn public_search_pages_too(app: TestApp) {
    let admin = app.admin().await;
    for i in 0..5 {
        app.create_shop(&admin, &format!("面馆{i}"), "G01").await;
    }
    let first = app.get("/v1/public/shops?q=面馆&limit=2", None).await;
    assert_eq!(names(&first.body), vec!["面馆0", "面馆1"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/v1/public/shops?q=面馆&limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(names(&second.body), vec!["面馆2", "面馆3"]);
}

on_both_backends!(
    paging_visits_every_shop_once_even_while_shops_are_added,
    page_size_defaults_to_50_and_is_capped_at_200,
    public_search_pages_too,
);
