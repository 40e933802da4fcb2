//! The committed OpenAPI document is what the code generates, and it is what the server serves.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
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

fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.insert(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    // A parameter naming an enum nobody registered left schemathesis unable to test it.
    let doc: Value = serde_json::from_str(COMMITTED).unwrap();
    let mut found = BTreeSet::new();
    refs(&doc, &mut found);
    let dangling: Vec<_> = found
        .iter()
        .filter(|r| {
            let name = r.trim_start_matches("#/components/schemas/");
            doc["components"]["schemas"].get(name).is_none()
        })
        .collect();
    assert!(!found.is_empty());
    assert!(dangling.is_empty(), "unresolvable: {dangling:?}");
}

#[test]
fn every_operation_documents_the_errors_it_can_answer() {
    let doc: Value = serde_json::from_str(COMMITTED).unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let has_body = op.get("requestBody").is_some();
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let mut expected = vec!["500", "503"];
            if has_body {
                expected.extend(["400", "413", "415", "422"]);
            }
            if !params.is_empty() {
                expected.push("422");
            }
            if params.iter().any(|p| p["in"] == "path") {
                expected.push("404");
            }
            if secured {
                expected.extend(["401", "403"]);
            }
            for status in expected {
                if op["responses"].get(status).is_none() {
                    missing.push(format!("{method} {path} {status}"));
                }
            }
            // `/readyz` answers 503 by design while not ready: a probe polls, it does not retry.
            let retry_after = &op["responses"]["503"]["headers"]["Retry-After"];
            if retry_after.is_null() && path != "/readyz" {
                missing.push(format!("{method} {path} 503 Retry-After"));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented answers: {missing:#?}");
}

#[test]
fn every_cursor_parameter_states_the_pattern_the_server_reads() {
    // The attributes must spell the patterns as literals; this holds them to the parser's constants.
    use shopcredit_service::domain::page::{CURSOR_PATTERN, RANK_CURSOR_PATTERN};
    let doc: Value = serde_json::from_str(COMMITTED).unwrap();
    let mut cursors = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "cursor" {
                    cursors += 1;
                    let ranked = ["/v1/shops", "/v1/hazards", "/v1/enforcement/cases"]
                        .contains(&path.as_str());
                    let expected = if path == "/v1/grids" {
                        r"^g1\.[A-Za-z0-9][A-Za-z0-9-]{0,15}$"
                    } else if path == "/v1/policies" {
                        r"^p1\.[a-z0-9][a-z0-9._-]{0,63}$"
                    } else if ranked {
                        RANK_CURSOR_PATTERN
                    } else {
                        CURSOR_PATTERN
                    };
                    assert_eq!(p["schema"]["pattern"], expected, "{path}");
                }
            }
        }
    }
    assert!(cursors >= 10, "{cursors}");
}

#[test]
fn a_page_size_is_a_64_bit_integer_in_the_document() {
    // Declared int32 while 2147483648 was accepted; the server now reads any int64 and caps it.
    let doc: Value = serde_json::from_str(COMMITTED).unwrap();
    let mut limits = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "limit" {
                    limits += 1;
                    assert_eq!(p["schema"]["format"], "int64", "{p}");
                    assert_eq!(p["schema"]["minimum"], 1, "{p}");
                }
            }
        }
    }
    assert!(limits > 5);
}

/// Field and parameter names that hold enumerated values wherever they appear.
const ENUMERATED: &[&str] = &[
    "status",
    "kind",
    "reason",
    "severity",
    "colour",
    "source",
    "step",
    "type",
    "role",
    "hazard_type",
    "outcome",
];

/// Where a name from [`ENUMERATED`] is free text, by (schema or path containing, field): why a
/// dispute was opened, a tip dismissed or a fix rejected, and how a case ended are a person's words.
const FREE_TEXT: &[(&str, &str)] = &[
    ("dispute", "reason"),
    ("tip", "reason"),
    ("verification", "reason"),
    ("hazardchapter", "reason"),
    ("case", "outcome"),
];

fn is_free_text(context: &str, field: &str) -> bool {
    let context = context.to_lowercase();
    FREE_TEXT
        .iter()
        .any(|&(within, name)| name == field && context.contains(within))
}

/// A schema that admits any string: `type: string` (nullable or not) with no `enum`, `const` or
/// `$ref` to narrow it.
fn is_bare_string(schema: &Value) -> bool {
    let Some(schema) = schema.as_object() else {
        return false;
    };
    if ["$ref", "enum", "const"]
        .iter()
        .any(|k| schema.contains_key(*k))
    {
        return false;
    }
    match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// Walks a schema (properties, items, compositions) and records every enumerated field that is a
/// bare string. `context` names the component or operation it belongs to, `at` where inside.
fn walk(schema: &Value, context: &str, at: &str, offenders: &mut BTreeSet<String>) {
    let Some(object) = schema.as_object() else {
        return;
    };
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let here = format!("{at}.{name}");
            if ENUMERATED.contains(&name.as_str())
                && !is_free_text(context, name)
                && is_bare_string(property)
            {
                offenders.insert(here.clone());
            }
            walk(property, context, &here, offenders);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(inner) = object.get(key) {
            walk(inner, context, &format!("{at}[]"), offenders);
        }
    }
    for key in ["allOf", "oneOf", "anyOf", "prefixItems"] {
        for inner in object
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(inner, context, at, offenders);
        }
    }
}

/// Every enumerated field or parameter of `doc` that is a bare string.
fn bare_enumerated_fields(doc: &Value) -> BTreeSet<String> {
    let mut offenders = BTreeSet::new();
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        walk(schema, name, name, &mut offenders);
    }
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let shared = item.get("parameters");
        for (method, op) in item.as_object().into_iter().flatten() {
            if !op.is_object() || method == "parameters" {
                continue;
            }
            let context = format!("{} {path}", method.to_uppercase());
            let parameters = op.get("parameters").into_iter().chain(shared);
            for parameter in parameters.filter_map(Value::as_array).flatten() {
                let name = parameter["name"].as_str().unwrap_or_default();
                let here = format!("{context} parameter {name}");
                if ENUMERATED.contains(&name)
                    && !is_free_text(&context, name)
                    && is_bare_string(&parameter["schema"])
                {
                    offenders.insert(here.clone());
                }
                walk(&parameter["schema"], &context, &here, &mut offenders);
            }
            let bodies = op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten();
            for (media, content) in bodies {
                let here = format!("{context} request {media}");
                walk(&content["schema"], &context, &here, &mut offenders);
            }
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    let here = format!("{context} {status} {media}");
                    walk(&content["schema"], &context, &here, &mut offenders);
                }
            }
        }
    }
    offenders
}

#[test]
fn every_enumerated_field_is_an_enum_in_the_document() {
    let doc: Value = serde_json::from_str(&shopcredit_service::openapi::document_json()).unwrap();
    let offenders = bare_enumerated_fields(&doc);
    assert!(
        offenders.is_empty(),
        "{} enumerated fields are bare strings in the OpenAPI document (give each an enum):\n  {}",
        offenders.len(),
        offenders.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn the_enum_check_finds_bare_strings_wherever_they_hide() {
    let doc = serde_json::json!({
        "components": {"schemas": {
            "Good": {"type": "object", "properties": {
                "status": {"$ref": "#/components/schemas/Status"},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "colour": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Colour"}]},
                "name": {"type": "string"}}},
            "DisputeView": {"type": "object", "properties": {"reason": {"type": "string"}}},
            "Bad": {"type": "object", "properties": {
                "severity": {"type": ["string", "null"]},
                "items": {"type": "array", "items": {"allOf": [{"type": "object",
                    "properties": {"step": {"type": "string"}}}]}}}}}},
        "paths": {"/v1/things": {"get": {
            "parameters": [{"name": "status", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"role": {"type": "string"}}}}}}}}}}
    });
    let found: Vec<String> = bare_enumerated_fields(&doc).into_iter().collect();
    assert_eq!(
        found,
        vec![
            "Bad.items[].step",
            "Bad.severity",
            "GET /v1/things 200 application/json.role",
            "GET /v1/things parameter status",
        ]
    );
}

/// Every string a client sends (request-body properties at any depth, path and query parameters)
/// that admits free text — a bare string, not an enum — and has no `maxLength`. `$ref`s into
/// `components` are followed; `seen` stops recursive schemas.
fn unbounded_strings(doc: &Value) -> BTreeSet<String> {
    fn walk(doc: &Value, schema: &Value, at: &str, seen: &[String], out: &mut BTreeSet<String>) {
        let Some(object) = schema.as_object() else {
            return;
        };
        if let Some(target) = object.get("$ref").and_then(Value::as_str) {
            let name = target.rsplit('/').next().unwrap_or(target).to_owned();
            if !seen.contains(&name) {
                let seen = [seen, std::slice::from_ref(&name)].concat();
                walk(doc, &doc["components"]["schemas"][&name], at, &seen, out);
            }
            return;
        }
        if is_bare_string(schema) && !object.contains_key("maxLength") {
            out.insert(at.to_owned());
        }
        for (name, property) in object
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            walk(doc, property, &format!("{at}.{name}"), seen, out);
        }
        for key in ["items", "additionalProperties"] {
            if let Some(inner) = object.get(key) {
                walk(doc, inner, &format!("{at}[]"), seen, out);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for inner in object
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(doc, inner, at, seen, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let context = format!("{} {path}", method.to_uppercase());
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap_or_default();
                let here = format!("{context} parameter {name}");
                walk(doc, &parameter["schema"], &here, &[], &mut out);
            }
            for (media, content) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let here = format!("{context} body {media}");
                walk(doc, &content["schema"], &here, &[], &mut out);
            }
        }
    }
    out
}

#[test]
fn every_string_a_client_sends_has_a_max_length_in_the_document() {
    let doc: Value = serde_json::from_str(&shopcredit_service::openapi::document_json()).unwrap();
    let unbounded = unbounded_strings(&doc);
    assert!(
        unbounded.is_empty(),
        "{} strings a client sends have no maxLength in the OpenAPI document (bound each, in \
         its validator attribute and its schema):\n  {}",
        unbounded.len(),
        unbounded.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn the_bound_check_follows_references_into_request_bodies() {
    let doc = serde_json::json!({
        "components": {"schemas": {
            "Evidence": {"type": "object", "properties": {
                "url": {"type": ["string", "null"]},
                "kind": {"type": "string", "enum": ["a"]},
                "sha256": {"type": "string", "maxLength": 64}}},
            "Node": {"type": "object", "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}},
        "paths": {"/v1/things/{code}": {"post": {
            "parameters": [
                {"name": "code", "in": "path", "schema": {"type": "string"}},
                {"name": "id", "in": "query", "schema": {"type": "integer"}}],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "evidence": {"type": "array", "items": {"$ref": "#/components/schemas/Evidence"}},
                    "tree": {"$ref": "#/components/schemas/Node"}}}}}},
            "responses": {"200": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"echo": {"type": "string"}}}}}}}}}}
    });
    let found: Vec<String> = unbounded_strings(&doc).into_iter().collect();
    assert_eq!(
        found,
        vec![
            "POST /v1/things/{code} body application/json.evidence[].url",
            "POST /v1/things/{code} body application/json.tree.name",
            "POST /v1/things/{code} parameter code",
        ]
    );
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
