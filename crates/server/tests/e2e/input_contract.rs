//! The input contract (docs/api.md, "Input"): one family of bad inputs (NUL, other control
//! characters, a lone surrogate, an over-long value, a wrong format) sent to every string every
//! route takes, on every store, through the real binary. Every answer is a 400 with a code, the
//! same on every store, and the log has no store warning: before the contract, a NUL in a
//! username was a 503 "store unavailable" on PostgreSQL alone.
//!
//! The routes and their fields come from the server's own `/openapi.json`, so a new route or
//! field is covered without a change here.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sessiond_core::api_key::Scope;
use sessiond_core::service::NewApiKey;
use sessiond_testkit::{PASSWORD, TestServer};

use crate::binary::{FreshDatabase, sessiond_fed, start_with_log, workdir};

/// Each case's (status, code), by the case's name.
type Answers = BTreeMap<String, (u16, String)>;

/// A bad value: text, or JSON no Rust string can hold (a lone surrogate's escape).
#[derive(Clone)]
enum Bad {
    Text(String),
    Surrogate,
}

/// What each field is given when it is not the one under test.
fn valid(field: &str, user: &str) -> Value {
    match field {
        "username" => json!(user),
        "password" | "current_password" => json!(PASSWORD),
        "new_password" => json!("another long password"),
        "role" => json!("oss"),
        "ip" => json!("10.0.0.1"),
        "event_type" => json!("SESSION_WARNING_SHOWN"),
        "type" => json!("page_view"),
        _ => json!("x"),
    }
}

/// A value the field's format refuses, for fields that have one beyond their length and
/// characters.
fn wrong_format(field: &str) -> Option<&'static str> {
    Some(match field {
        "username" => "two words",
        "ip" => "300.1.1.1",
        "session_id" => "not-a-session-id",
        "token" | "refresh_token" | "device_token" | "type" => "has space",
        "role" => "no-such-role",
        "since" => "yesterday",
        "event_type" => "SESSION_UNKNOWN",
        _ => return None,
    })
}

fn family(field: &str, max_length: Option<u64>) -> Vec<(&'static str, Bad)> {
    let mut bad = vec![
        ("nul", Bad::Text("a\0b".into())),
        ("bell", Bad::Text("a\u{7}b".into())),
        ("crlf", Bad::Text("a\r\nb".into())),
        ("c1_control", Bad::Text("a\u{85}b".into())),
        ("lone_surrogate", Bad::Surrogate),
    ];
    if let Some(max) = max_length {
        let long = usize::try_from(max).unwrap() + 1;
        bad.push(("over_long", Bad::Text("a".repeat(long))));
    }
    if let Some(v) = wrong_format(field) {
        bad.push(("wrong_format", Bad::Text(v.into())));
    }
    bad
}

/// A schema with its `$ref`, and the `oneOf [schema, null]` of an optional field, followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return resolve(doc, &doc["components"]["schemas"][name]);
    }
    if let Some(options) = schema["oneOf"].as_array()
        && let Some(other) = options.iter().find(|o| o["type"] != "null")
        && options.iter().any(|o| o["type"] == "null")
    {
        return resolve(doc, other);
    }
    schema
}

fn is_string(schema: &Value) -> bool {
    schema["type"] == "string"
        || schema["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("string")))
        || schema["oneOf"]
            .as_array()
            .is_some_and(|o| o.iter().all(|s| s["type"] == "string"))
}

/// Where a bad value goes.
#[derive(Clone)]
enum Slot {
    Body(String),
    Path(String),
    Query(String),
}

/// One request: an operation, a slot, a bad value.
struct Case {
    method: reqwest::Method,
    path: String,
    auth: Vec<String>,
    required: Vec<String>,
    slot: Slot,
    name: &'static str,
    bad: Bad,
}

impl Case {
    fn key(&self) -> String {
        let (kind, field) = match &self.slot {
            Slot::Body(f) => ("body", f),
            Slot::Path(f) => ("path", f),
            Slot::Query(f) => ("query", f),
        };
        format!("{} {} {kind}.{field} {}", self.method, self.path, self.name)
    }
}

/// Every (operation, string field, bad value) of the document. Forward auth is left out: a
/// proxy's question is answered only 200 or 401 (docs/api.md, "Forward auth"), and its
/// parameters never reach a store.
fn cases(doc: &Value) -> Vec<Case> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["tags"][0] == "forward-auth" {
                continue;
            }
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let auth: Vec<String> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r.as_object().unwrap().keys().cloned())
                .collect();
            let mut slots = Vec::new();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let schema = resolve(doc, &p["schema"]);
                let name = p["name"].as_str().unwrap().to_owned();
                let slot = match p["in"].as_str() {
                    Some("path") => Slot::Path(name),
                    Some("query") => Slot::Query(name),
                    _ => continue,
                };
                if is_string(schema) {
                    slots.push((slot, schema.clone()));
                }
            }
            let body = &op["requestBody"]["content"]["application/json"]["schema"];
            let body = resolve(doc, body);
            let mut required = Vec::new();
            for (field, schema) in body["properties"].as_object().into_iter().flatten() {
                let schema = resolve(doc, schema);
                if is_string(schema) {
                    slots.push((Slot::Body(field.clone()), schema.clone()));
                }
            }
            for r in body["required"].as_array().into_iter().flatten() {
                required.push(r.as_str().unwrap().to_owned());
            }
            for (slot, schema) in slots {
                let (Slot::Body(field) | Slot::Path(field) | Slot::Query(field)) = &slot;
                for (name, bad) in family(field, schema["maxLength"].as_u64()) {
                    out.push(Case {
                        method: method.clone(),
                        path: path.clone(),
                        auth: auth.clone(),
                        required: required.clone(),
                        slot: slot.clone(),
                        name,
                        bad,
                    });
                }
            }
        }
    }
    out
}

fn percent_encoded(bad: &Bad) -> String {
    match bad {
        // U+D800 as UTF-8 would write it, which UTF-8 forbids.
        Bad::Surrogate => "a%ED%A0%80b".into(),
        Bad::Text(t) => t
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'-' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect(),
    }
}

/// A server on one store, and what a client holds against it.
struct Target {
    base: String,
    user: String,
    session_id: String,
    cookie: String,
    csrf: String,
    access_token: String,
    api_key: String,
    http: reqwest::Client,
}

impl Target {
    async fn send(&self, case: &Case) -> (u16, String) {
        let mut path = case.path.replace("{session_id}", &self.session_id);
        path = path
            .replace("{username}", &self.user)
            .replace("{user}", &self.user);
        let mut query = String::new();
        let mut body = serde_json::Map::new();
        for field in &case.required {
            body.insert(field.clone(), valid(field, &self.user));
        }
        const HOLE: &str = "\u{e000}hole";
        match &case.slot {
            Slot::Path(p) => {
                let value = match p.as_str() {
                    "session_id" => &self.session_id,
                    _ => &self.user,
                };
                path = path.replace(value.as_str(), &percent_encoded(&case.bad));
            }
            Slot::Query(q) => query = format!("?{q}={}", percent_encoded(&case.bad)),
            Slot::Body(f) => {
                body.insert(f.clone(), json!(HOLE));
            }
        }
        let mut text = Value::Object(body).to_string();
        let bad_json = match &case.bad {
            Bad::Text(t) => json!(t).to_string(),
            Bad::Surrogate => r#""a\ud800b""#.to_owned(),
        };
        text = text.replace(&json!(HOLE).to_string(), &bad_json);
        let mut req = self
            .http
            .request(case.method.clone(), format!("{}{path}{query}", self.base));
        let has_body = matches!(case.method.as_str(), "POST" | "PUT" | "PATCH");
        if has_body {
            req = req.header("content-type", "application/json").body(text);
        }
        // The admin API takes a key or a superadmin's cookie: the user here is no superadmin.
        if case.auth.iter().any(|a| a == "api_key") {
            req = req.bearer_auth(&self.api_key);
        } else if case.auth.iter().any(|a| a == "session_cookie") {
            req = req
                .header("cookie", format!("sessiond={}", self.cookie))
                .header("x-csrf-token", &self.csrf);
        } else if case.auth.iter().any(|a| a == "access_token") {
            req = req.bearer_auth(&self.access_token);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        (
            status,
            body["code"].as_str().unwrap_or("(no JSON code)").to_owned(),
        )
    }
}

/// The variables of every server the test starts.
const VARS: [(&str, &str); 3] = [
    // One key for every run: the signing keys that runs before left on a shared store (Redis)
    // open with it.
    (
        "SESSIOND_SECRET_KEY",
        "input-contract-test-secret-key-0123456789",
    ),
    ("SESSIOND_LOGIN_RATE_LIMIT", "100000"),
    ("SESSIOND_UNKNOWN_TOKEN_LIMIT", "100000"),
];

/// A user of this run's own: a store other runs share (Redis) keeps theirs.
fn fresh_user() -> String {
    let hex = sessiond_core::Token::generate().unwrap().hash().to_hex();
    format!("contract{}", &hex[..8])
}

/// Every case against the server at `base`, as `user`, who has `api_key`.
async fn answers(base: String, user: String, api_key: String) -> Answers {
    let http = reqwest::Client::new();
    let login = json!({"username": user, "password": PASSWORD});
    let r = http
        .post(format!("{base}/api/session/login"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix("sessiond="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .next()
        .unwrap();
    let body: Value = r.json().await.unwrap();
    let r = http
        .post(format!("{base}/api/token/login"))
        .json(&login)
        .send()
        .await
        .unwrap();
    let tokens: Value = r.json().await.unwrap();
    let doc: Value = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let target = Target {
        base,
        user,
        session_id: body["session_id"].as_str().unwrap().to_owned(),
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        access_token: tokens["access_token"].as_str().unwrap().to_owned(),
        api_key,
        http,
    };
    let mut answers = BTreeMap::new();
    for case in cases(&doc) {
        answers.insert(case.key(), target.send(&case).await);
    }
    answers
}

/// Every case against the binary on `store_url`: its answers, and its log.
async fn on_the_binary(store_url: &str) -> (Answers, String) {
    let dir = workdir();
    let user = fresh_user();
    let mut vars = VARS.to_vec();
    vars.push(("SESSIOND_STORE_URL", store_url));
    let add = ["users", "add", &user, "--role", "oss", "--password-stdin"];
    sessiond_fed(&dir, &vars, &add, PASSWORD);
    let create = ["api-keys", "create", &user, "--scope", "admin"];
    let api_key = sessiond_fed(&dir, &vars, &create, "").trim().to_owned();
    let (_server, addr, log) = start_with_log(&dir, &vars);
    let answers = answers(format!("http://{addr}"), user, api_key).await;
    (answers, std::fs::read_to_string(log).unwrap())
}

/// Every case against the memory store, which lives in the server's process where the CLI
/// cannot reach it: the same server in this process, its user and key made through the
/// service. It has no store to fail, and its log is this process's.
async fn on_memory() -> Answers {
    let srv = TestServer::start(&VARS).await;
    let user = fresh_user();
    srv.add_user(&user, "oss").await;
    let key = NewApiKey::new(&user, &[Scope::Admin]);
    let secret = srv.state.service.admin().create_api_key(key).await.unwrap();
    answers(srv.base.clone(), user, secret.expose().to_owned()).await
}

#[tokio::test]
async fn every_route_gives_every_store_the_same_400_for_the_same_bad_input() {
    let pg = FreshDatabase::create("sessiond_contract");
    let redis = std::env::var("SESSIOND_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let cluster = std::env::var("SESSIOND_TEST_REDIS_CLUSTER_URL")
        .unwrap_or_else(|_| "redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002".into());
    let stores = [
        "sqlite://data/sessiond.db".to_owned(),
        pg.url.clone(),
        redis,
        cluster,
    ];
    // Every problem on every store, so that a failure shows the whole difference.
    let mut problems = Vec::new();
    let memory = on_memory().await;
    assert!(memory.len() > 100, "only {} cases", memory.len());
    let mut runs = vec![("memory://".to_owned(), memory.clone(), String::new())];
    for store in stores {
        let (answers, log) = on_the_binary(&store).await;
        runs.push((store, answers, log));
    }
    for (store, answers, log) in &runs {
        for (case, (status, code)) in answers {
            let coded = [
                "invalid_request",
                "malformed_json",
                "invalid_path",
                "invalid_event_type",
            ]
            .contains(&code.as_str());
            if *status != 400 || !coded {
                problems.push(format!("{case} on {store}: {status} {code}"));
            }
        }
        for line in log.lines() {
            if line.contains("store unavailable") || line.contains("ERROR") {
                problems.push(format!("on {store}, the log says: {line}"));
            }
        }
        if answers.len() != memory.len() {
            let (n, m) = (answers.len(), memory.len());
            problems.push(format!("{n} cases on {store}, {m} in memory"));
        }
        if answers != &memory {
            for (case, answer) in answers {
                if memory.get(case) != Some(answer) {
                    let there = memory.get(case);
                    problems.push(format!(
                        "{case}: {answer:?} on {store}, {there:?} in memory"
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
