//! `GET /openapi.json` against what the server does and what docs/api.md says. Schemathesis
//! (`scripts/schemathesis`) holds the running server to the document; these tests hold the
//! document to the rest.

use std::collections::BTreeSet;

use serde_json::Value;
use sessiond_testkit::TestServer;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(vars: &[(&str, &str)]) -> (TestServer, Value) {
    let srv = TestServer::start(vars).await;
    let r = srv.browser().get("/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    (srv, r.body)
}

/// Every `(method, path, operation)` of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m.to_owned(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// The codes a response description lists: its `` `quoted` `` words.
fn codes_of(description: &str) -> impl Iterator<Item = &str> {
    description.split('`').skip(1).step_by(2)
}

/// The codes of docs/api.md's "Every error code" table and its end-code table.
fn codes_in_api_md() -> BTreeSet<String> {
    let md = include_str!("../../../../docs/api.md");
    let from = md.find("## End codes").unwrap();
    md[from..]
        .lines()
        .filter(|l| l.starts_with('|'))
        // The header rows, `| status | \`code\` | when |` and `| \`code\` | meaning |`.
        .filter(|l| !l.contains("| `code` |"))
        .flat_map(|l| {
            let cells: Vec<&str> = l.split('|').collect();
            // `| status | codes | when |` or `| code | meaning |`
            let cell = if cells.len() > 4 { cells[2] } else { cells[1] };
            codes_of(cell).map(str::to_owned).collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_every_operation_lists_its_error_codes() {
    let (_srv, doc) = document(&[]).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let documented = codes_in_api_md();
    let mut seen = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        for status in ["431", "500"] {
            assert!(
                responses.contains_key(status),
                "{method} {path} lacks {status}"
            );
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
        for (status, response) in responses {
            if !status.starts_with(['4', '5']) {
                continue;
            }
            let description = response["description"].as_str().unwrap();
            let codes: Vec<_> = codes_of(description).collect();
            assert!(!codes.is_empty(), "{method} {path} {status} names no code");
            for code in codes {
                assert!(
                    documented.contains(code),
                    "{method} {path} {status}: `{code}` is not in docs/api.md"
                );
                seen.insert(code.to_owned());
            }
        }
    }
    // `not_found` and `method_not_allowed` answer paths and methods that are not routes.
    let unused: Vec<_> = documented
        .iter()
        .filter(|c| {
            !seen.contains(*c) && !["not_found", "method_not_allowed"].contains(&c.as_str())
        })
        .collect();
    assert!(
        unused.is_empty(),
        "codes of docs/api.md no route lists: {unused:?}"
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_every_route_is_documented() {
    let (srv, doc) = document(&[("SESSION_FEATURE_ANONYMOUS_SESSIONS", "true")]).await;
    let client = reqwest::Client::new();
    let ops = operations(&doc);
    for (method, path, _) in &ops {
        let url = format!(
            "{}{}",
            srv.base,
            path.replace("{session_id}", "x").replace("{username}", "u")
        );
        let r = client
            .request(method.to_uppercase().parse().unwrap(), url)
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap_or_default();
        assert!(
            !matches!(
                body["code"].as_str(),
                Some("not_found" | "method_not_allowed")
            ),
            "{method} {path} is documented but not routed"
        );
    }
    let ids: Vec<_> = ops
        .iter()
        .map(|(_, _, op)| op["operationId"].clone())
        .collect();
    let unique: BTreeSet<_> = ids.iter().map(Value::to_string).collect();
    assert_eq!(unique.len(), ids.len(), "operationIds are unique: {ids:?}");
    let documented: BTreeSet<_> = ops.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    // The routes of docs/api.md's headings, each of which the document must carry.
    for route in [
        "post /api/session/login",
        "get /api/session/check",
        "post /api/session/check",
        "post /api/session/anonymous",
        "put /api/session/context",
        "patch /api/v1/sessions/{session_id}/data",
        "get /auth/verify",
        "get /openapi.json",
        "get /metrics",
        "get /logout",
    ] {
        assert!(documented.contains(route), "{route} is not documented");
    }
}

#[tokio::test]
async fn the_document_follows_the_configuration() {
    let (_srv, doc) = document(&[
        ("SESSION_ENABLE_METRICS_COLLECTION", "false"),
        ("SESSIOND_COOKIE_NAME", "app_sid"),
    ])
    .await;
    assert!(doc["paths"].get("/metrics").is_none());
    assert!(doc["paths"].get("/api/session/anonymous").is_none());
    let cookie = &doc["components"]["securitySchemes"]["session_cookie"];
    assert_eq!(
        (cookie["in"].as_str(), cookie["name"].as_str()),
        (Some("cookie"), Some("app_sid"))
    );
}
