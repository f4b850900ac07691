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

/// A schema with its `$ref`, and the `oneOf [schema, null]` of an optional field, followed.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(r) = schema["$ref"].as_str() {
        return resolved(
            doc,
            &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        );
    }
    match schema["oneOf"].as_array().map(Vec::as_slice) {
        Some([one, null]) if null["type"] == "null" => resolved(doc, one),
        _ => schema,
    }
}

/// Whether a string schema says more than "a string": a pattern, a format or a list.
fn constrained(schema: &Value) -> bool {
    let own = ["pattern", "format", "enum"]
        .iter()
        .any(|k| schema.get(k).is_some());
    let alternatives = schema["oneOf"]
        .as_array()
        .is_some_and(|o| o.iter().all(constrained));
    own || alternatives
}

/// The input contract (docs/api.md, "Input"): every string a route takes in its path, query
/// or body is held to a rule the document states, and each rule's schema is the one
/// `sessiond_core::input` checks. Forward auth's parameters and the headers are left out: a
/// proxy's question is answered 200 or 401 whatever they hold, and they never reach a store.
#[tokio::test]
async fn every_string_a_route_takes_has_the_rule_the_server_checks() {
    use sessiond_core::input;
    let (_srv, doc) = document(&[]).await;
    let mut loose = Vec::new();
    for (method, path, op) in operations(&doc) {
        if op["tags"][0] == "forward-auth" {
            continue;
        }
        let mut strings = Vec::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] != "header" {
                strings.push((p["name"].clone(), resolved(&doc, &p["schema"])));
            }
        }
        let body = &op["requestBody"]["content"]["application/json"]["schema"];
        for (name, schema) in resolved(&doc, body)["properties"]
            .as_object()
            .into_iter()
            .flatten()
        {
            strings.push((Value::from(name.as_str()), resolved(&doc, schema)));
        }
        for (name, schema) in strings {
            let text = schema["type"] == "string"
                || schema["type"]
                    .as_array()
                    .is_some_and(|t| t.contains(&"string".into()));
            if text && !constrained(schema) {
                loose.push(format!("{method} {path} {name}"));
            }
        }
    }
    assert!(loose.is_empty(), "strings without a rule: {loose:?}");

    let rules = [
        ("Username", input::USERNAME),
        ("Password", input::PASSWORD),
        ("NewPassword", input::NEW_PASSWORD),
        ("ContextName", input::CONTEXT),
        ("RoleName", input::ROLE),
        ("DisplayName", input::DISPLAY_NAME),
        ("UserAgent", input::USER_AGENT),
        ("SessionToken", input::TOKEN),
        ("ActivityType", input::ACTIVITY_TYPE),
    ];
    for (name, rule) in rules {
        let schema = &doc["components"]["schemas"][name];
        assert_eq!(schema["pattern"], rule.pattern(), "{name}");
        assert_eq!(schema["maxLength"], rule.max_length(), "{name}");
        let min = (rule.min > 0).then_some(rule.min);
        assert_eq!(
            schema["minLength"].as_u64(),
            min.map(|m| m as u64),
            "{name}"
        );
    }
    let roles = &doc["components"]["schemas"]["RoleName"]["enum"];
    assert_eq!(roles, &serde_json::json!(["oss", "netadmin", "superadmin"]));
}

/// Two answer types of one name would share one schema in the document, and one route's
/// answers would then violate it (`HealthBody` of `/readyz` once met the admin API's health
/// report). Every named schema a route points to is the one its handler answers with.
#[tokio::test]
async fn the_health_routes_keep_their_own_schema() {
    let srv = TestServer::start(&[]).await;
    let doc = srv.browser().get("/openapi.json").await.body;
    let health = &doc["components"]["schemas"]["HealthBody"];
    assert!(health["properties"].get("status").is_some(), "{health}");
    let report = &doc["components"]["schemas"]["HealthReportBody"];
    assert!(report["properties"].get("checks").is_some(), "{report}");
}
