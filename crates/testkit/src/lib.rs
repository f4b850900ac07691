//! Test helpers: [`TestServer`] runs the real sessiond (same composition root as `main`) on
//! port 0 with a [`ManualClock`], and [`Browser`] talks to it over HTTP keeping its cookie like
//! a browser would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::Value;
use sessiond_core::service::NewUser;
use sessiond_core::{Clock, ManualClock};
use sessiond_http::AppState;
use sessiond_server::config::{self, Config};
use tokio::sync::oneshot;

mod nginx;
mod outage;
mod proxies;
mod services;
pub mod stores;
pub use nginx::PrivateNginx;
pub use outage::OutageStore;
pub use proxies::{PrivateCaddy, PrivateTraefik};
pub use services::{LDAP_PASSWORD, PrivatePostgres, PrivateRedis, PrivateSlapd, free_port};

pub const PASSWORD: &str = "correct horse battery";

/// Variables every test server starts from; a test's own variables override them.
pub fn base_vars() -> BTreeMap<String, String> {
    [
        ("SESSION_ENVIRONMENT", "testing"),
        ("SESSIOND_STORE_URL", "memory://"),
        (
            "SESSIOND_SECRET_KEY",
            "test-secret-key-0123456789abcdef0123",
        ),
        ("SESSIOND_BIND", "127.0.0.1:0"),
        ("SESSION_IDLE_TIMEOUT_SECONDS", "600"),
        ("SESSION_LIFETIME_SECONDS", "1200"),
        ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "3600"),
        ("SESSION_WARNING_THRESHOLD_SECONDS", "120"),
        ("SESSION_EXPIRATION_GRACE_SECONDS", "30"),
        ("SESSION_CLEANUP_GRACE_SECONDS", "300"),
        // The testing preset turns these off (seed 001); the tests cover what they switch on.
        ("SESSION_FEATURE_ANALYTICS", "true"),
        ("SESSION_ENABLE_PERFORMANCE_MONITORING", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

pub fn config_with(vars: &[(&str, &str)]) -> Config {
    let mut env = base_vars();
    for (k, v) in vars {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    config::from_maps(&BTreeMap::new(), &env)
        .map(|(c, _)| c)
        .unwrap_or_else(|p| panic!("bad test config: {p:?}"))
}

pub struct TestServer {
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub config: Config,
    /// The store the server was started on, for a test to look at directly: the service
    /// hands out no stores.
    pub stores: sessiond_core::Stores,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start(vars: &[(&str, &str)]) -> Self {
        let config = config_with(vars);
        let stores = sessiond_server::open_store(&config.server).await.unwrap();
        Self::start_with(config, stores).await
    }

    /// Starts on a store the test built (to wrap it, or to share it between servers).
    pub async fn start_with(config: Config, stores: sessiond_core::Stores) -> Self {
        let clock = Arc::new(ManualClock::at_epoch());
        let state =
            sessiond_server::build_with_store(&config, stores.clone(), clock.clone()).unwrap();
        let listener = tokio::net::TcpListener::bind(config.server.bind)
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = state.clone();
        let limits = config.server.connections;
        tokio::spawn(async move {
            sessiond_server::serve_on(listener, serving, limits, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            clock,
            state,
            config,
            stores,
            stop: Some(stop),
        }
    }

    pub async fn add_user(&self, name: &str, role: &str) {
        let new = NewUser {
            username: name.into(),
            display_name: None,
            role: role.into(),
            password: PASSWORD.into(),
            contexts: vec![],
        };
        self.state.service.admin().create_user(new).await.unwrap();
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base, &self.state.cookie.name)
    }

    /// A browser already logged in as `name` (who must exist).
    pub async fn logged_in(&self, name: &str) -> Browser {
        let b = self.browser();
        let r = b.login(name, PASSWORD).await;
        assert_eq!(r.status, 200, "login of {name}: {}", r.body);
        b
    }

    /// The stored record of the session `b` holds (found through a passive check).
    pub async fn stored_session(&self, b: &Browser) -> sessiond_core::Session {
        let id = b.check().await.body["session_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        self.stores
            .sessions
            .session_by_id(&id)
            .await
            .unwrap()
            .unwrap()
    }

    /// The audit events of type `kind`, newest first.
    pub async fn audited(&self, kind: &str) -> Vec<sessiond_core::audit::AuditEvent> {
        let q = sessiond_core::audit::AuditQuery {
            limit: 1000,
            ..Default::default()
        };
        let events = self.stores.audit.audit_events(&q).await.unwrap();
        events
            .into_iter()
            .filter(|e| e.event_type == kind)
            .collect()
    }

    /// `session_cache_hits_total` from /metrics (`SESSION_FEATURE_CACHING`).
    pub async fn cache_hits(&self) -> u64 {
        let body = self.browser().get("/metrics").await.body;
        let text = body.as_str().unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("session_cache_hits_total "))
            .map(|n| n.trim().parse().unwrap())
            .unwrap_or_else(|| panic!("no cache counters in /metrics:\n{text}"))
    }

    /// Checks with `b` until the check is answered from this node's cache: the cache is live
    /// (its invalidation feed is connected) and holds `b`'s session.
    pub async fn wait_for_cache_hit(&self, b: &Browser) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let before = self.cache_hits().await;
            let r = b.check().await;
            if r.status == 200 && self.cache_hits().await > before {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never served from the cache; last check: {} {}",
                r.status,
                r.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance_secs(secs);
    }

    pub fn now(&self) -> sessiond_core::Timestamp {
        self.clock.now()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An HTTP response, decoded.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    /// The body without its `request_id`, which differs for every request: for comparing
    /// two answers that must be the same.
    pub fn answer(&self) -> Value {
        let mut body = self.body.clone();
        if let Some(map) = body.as_object_mut() {
            map.remove("request_id");
        }
        body
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn set_cookie(&self) -> Option<&str> {
        self.header(SET_COOKIE.as_str())
    }
}

/// Keeps one session cookie, as a browser does for our origin.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookie_name: String,
    cookie: Mutex<Option<String>>,
    /// The other cookies sessiond set (the device cookie), sent back as a browser would.
    others: Mutex<BTreeMap<String, String>>,
    /// The CSRF token from the last answer that carried one, sent on unsafe requests as the
    /// browser client does.
    csrf: Mutex<Option<String>>,
    pub user_agent: String,
}

impl Browser {
    pub fn new(base: &str, cookie_name: &str) -> Self {
        Self {
            // A test sees each answer, redirects included, as a browser's network panel would.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookie_name: cookie_name.to_owned(),
            cookie: Mutex::new(None),
            others: Mutex::new(BTreeMap::new()),
            csrf: Mutex::new(None),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into(),
        }
    }

    /// The raw token the browser holds (what an attacker would steal).
    pub fn token(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// Another cookie this browser holds (the device cookie, say).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.others.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: Option<&str>) {
        let mut others = self.others.lock().unwrap();
        match value {
            Some(v) => drop(others.insert(name.to_owned(), v.to_owned())),
            None => drop(others.remove(name)),
        }
    }

    pub fn set_token(&self, token: Option<&str>) {
        *self.cookie.lock().unwrap() = token.map(str::to_owned);
    }

    pub fn csrf(&self) -> Option<String> {
        self.csrf.lock().unwrap().clone()
    }

    pub fn set_csrf(&self, csrf: Option<&str>) {
        *self.csrf.lock().unwrap() = csrf.map(str::to_owned);
    }

    pub async fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Resp {
        self.request_with(method, path, body, &[]).await
    }

    /// A request with extra headers (`Origin`, `Sec-Fetch-Site`, ...).
    pub async fn request_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let unsafe_method = method != reqwest::Method::GET && method != reqwest::Method::HEAD;
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        // An empty user agent sends none at all.
        if !self.user_agent.is_empty() {
            req = req.header("user-agent", &self.user_agent);
        }
        let mut cookies: Vec<String> = self
            .others
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if let Some(token) = self.token() {
            cookies.push(format!("{}={token}", self.cookie_name));
        }
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        if let Some(csrf) = self.csrf().filter(|_| unsafe_method) {
            req = req.header("x-csrf-token", csrf);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if let Some(csrf) = body.get("csrf_token").and_then(Value::as_str) {
            self.set_csrf(Some(csrf));
        }
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attrs) = value.split_once(';').unwrap_or((value, ""));
            let (name, token) = pair.split_once('=').unwrap();
            let cleared = token.is_empty() || attrs.contains("Max-Age=0");
            if name == self.cookie_name {
                self.set_token(if cleared { None } else { Some(token) });
                if cleared {
                    self.set_csrf(None);
                }
            } else if cleared {
                self.others.lock().unwrap().remove(name);
            } else {
                self.others
                    .lock()
                    .unwrap()
                    .insert(name.to_owned(), token.to_owned());
            }
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> Resp {
        self.request(reqwest::Method::POST, path, body).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.request(reqwest::Method::DELETE, path, None).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Resp {
        self.post(
            "/api/session/login",
            Some(serde_json::json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn check(&self) -> Resp {
        self.post("/api/session/check", None).await
    }

    pub async fn keepalive(&self) -> Resp {
        self.post("/api/session/keepalive", None).await
    }
}
