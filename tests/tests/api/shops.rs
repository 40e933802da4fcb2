//! Registering, reading, changing, filtering and closing shops.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::json;
use shopcredit_e2e::{on_both_backends, shop_body, TestApp};

async fn a_registered_shop_has_an_id_and_an_unambiguous_door_code(app: TestApp) {
    let admin = app.admin().await;
    let answer = app
        .post("/v1/shops", Some(&admin), &shop_body("老王面馆", "g01"))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let shop = &answer.body;
    assert!(shop["id"].as_i64().is_some());
    assert_eq!(
        shop["grid"], "G01",
        "grid codes are normalised to upper case"
    );
    assert_eq!(shop["status"], "open");
    let code = shop["code"].as_str().unwrap();
    assert_eq!(code.len(), 8);
    assert!(code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
    assert_eq!(shop["public_url"], format!("http://shops.example/s/{code}"));
    assert_eq!(
        answer.headers["location"],
        format!("/v1/shops/{}", shop["id"])
    );
    let read = app
        .get(&format!("/v1/shops/{}", shop["id"]), Some(&admin))
        .await;
    assert_eq!(&read.body, shop);
}

async fn door_codes_are_unique_and_not_sequential(app: TestApp) {
    let admin = app.admin().await;
    let mut codes = Vec::new();
    for i in 0..20 {
        let shop = app.create_shop(&admin, &format!("店{i}"), "G01").await;
        codes.push(shop["code"].as_str().unwrap().to_owned());
    }
    let unique: HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), codes.len());
    let mut sorted = codes.clone();
    sorted.sort();
    assert_ne!(sorted, codes, "codes must not follow registration order");
}

async fn a_patch_changes_only_the_given_fields(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "老王面馆", "G01").await;
    let path = format!("/v1/shops/{}", shop["id"]);
    let changed = app
        .patch(
            &path,
            Some(&admin),
            &json!({"name": "老王牛肉面", "grid": "G07", "owner_phone": "+86 138-0000-1111"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["name"], "老王牛肉面");
    assert_eq!(changed.body["grid"], "G07");
    assert_eq!(changed.body["owner_phone"], "+8613800001111");
    assert_eq!(changed.body["address"], shop["address"]);
    assert_eq!(
        changed.body["code"], shop["code"],
        "the door code never changes"
    );
    let cleared = app
        .patch(&path, Some(&admin), &json!({"lat": null, "lon": null}))
        .await;
    assert_eq!(cleared.body["lat"], serde_json::Value::Null);
}

async fn the_shop_list_filters_by_grid_category_and_text(app: TestApp) {
    let admin = app.admin().await;
    app.create_shop(&admin, "湖边餐厅", "G01").await;
    app.create_shop(&admin, "山脚餐厅", "G02").await;
    let mut retail = shop_body("便民超市", "G01");
    retail["category"] = json!("retail");
    app.post("/v1/shops", Some(&admin), &retail).await;
    let names = |path: String| {
        let (app, admin) = (&app, &admin);
        async move {
            let answer = app.get(&path, Some(admin)).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
            answer.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        names("/v1/shops?grid=g01".into()).await,
        vec!["湖边餐厅", "便民超市"]
    );
    assert_eq!(
        names("/v1/shops?category=retail".into()).await,
        vec!["便民超市"]
    );
    assert_eq!(
        names(format!("/v1/shops?q={}", "山脚")).await,
        vec!["山脚餐厅"]
    );
    assert_eq!(
        names("/v1/shops?grid=G01&category=restaurant".into()).await,
        vec!["湖边餐厅"]
    );
    assert!(
        names("/v1/shops?q=%25".into()).await.is_empty(),
        "LIKE wildcards are literal"
    );
}

async fn a_closed_shop_is_kept_and_hidden_from_public_search(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "关门小店", "G01").await;
    let code = shop["code"].as_str().unwrap();
    let closed = app
        .patch(
            &format!("/v1/shops/{}", shop["id"]),
            Some(&admin),
            &json!({"status": "closed"}),
        )
        .await;
    assert_eq!(closed.body["status"], "closed");
    let search = app.get("/v1/public/shops?q=关门", None).await;
    assert!(search.body["items"].as_array().unwrap().is_empty());
    let by_code = app.get(&format!("/v1/public/shops/{code}"), None).await;
    assert_eq!(by_code.status, StatusCode::OK);
    assert_eq!(by_code.body["status"], "closed");
    let kept = app
        .get(&format!("/v1/shops/{}", shop["id"]), Some(&admin))
        .await;
    assert_eq!(kept.status, StatusCode::OK);
}

on_both_backends!(
    a_registered_shop_has_an_id_and_an_unambiguous_door_code,
    door_codes_are_unique_and_not_sequential,
    a_patch_changes_only_the_given_fields,
    the_shop_list_filters_by_grid_category_and_text,
    a_closed_shop_is_kept_and_hidden_from_public_search,
);
