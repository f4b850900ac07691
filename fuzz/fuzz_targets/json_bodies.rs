//! Any bytes as the JSON body of every endpoint that takes one, through the real router on a
//! memory store, with and without a live session: the answer is always a JSON error or success,
//! never a 5xx or a panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request, header};
use libfuzzer_sys::fuzz_target;
use sessiond_core::audit::Auditor;
use sessiond_core::memory::MemoryStore;
use sessiond_core::service::NewUser;
use sessiond_core::{ClientInfo, ManualClock, SecretKey, SessionService, Settings};
use sessiond_http::state::{ClientConfig, ClientFeatures, Shared, SyncSettings};
use sessiond_http::{AppState, CookieSettings, Endpoints, Metrics, SameSite};
use tower::ServiceExt;

struct World {
    rt: tokio::runtime::Runtime,
    state: AppState,
    cookie: String,
    csrf: String,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let stores = MemoryStore::stores();
        let service = SessionService::new(
            stores.clone(),
            Arc::new(ManualClock::at_epoch()),
            Settings {
                logins_per_ip_per_minute: u32::MAX,
                ..Settings::default()
            },
            SecretKey::generate().unwrap(),
            Auditor::new(stores.audit.clone(), true),
        )
        .unwrap();
        let (cookie, csrf) = rt.block_on(async {
            let user = NewUser {
                username: "alice".into(),
                display_name: None,
                role: "oss".into(),
                password: "a long enough password".into(),
                contexts: vec!["lab".into()],
            };
            service.admin().create_user(user).await.unwrap();
            let issued = service
                .browser().login(
                    "alice",
                    "a long enough password",
                    false,
                    &ClientInfo::default(),
                    None,
                    None,
                )
                .await
                .unwrap();
            let csrf = service.browser().csrf_token(&issued.session);
            (issued.token.expose().to_owned(), csrf)
        });
        let state = AppState::new(Shared {
            service: Arc::new(service),
            cookie: CookieSettings::new("sessiond", false, SameSite::Lax),
            metrics: Arc::new(Metrics::new(true)),
            monitor: Default::default(),
            public_origin: None,
            trusted_proxies: Default::default(),
            returns: Default::default(),
            endpoints: Endpoints::default(),
            metrics_access: Default::default(),
            settings_shown: Vec::new(),
            custom: Default::default(),
            client: ClientConfig {
                idle_timeout_seconds: 600,
                absolute_timeout_seconds: 3600,
                warning_threshold_seconds: 60,
                keepalive_max_retries: 3,
                login_url: "/login".into(),
                sync: SyncSettings {
                    check_interval_seconds: 2,
                    heartbeat_interval_seconds: 30,
                    sync_timeout_seconds: 5,
                    tab_response_timeout_seconds: 3,
                    localstorage_prefix: "s_".into(),
                    max_sync_data_size: 1024,
                },
                features: ClientFeatures {
                    cross_tab_sync: true,
                    optimistic_ui: false,
                    platform_switching: true,
                },
                custom: Default::default(),
            },
        });
        World {
            rt,
            state,
            cookie,
            csrf,
        }
    })
}

const ROUTES: [(&str, &str); 9] = [
    ("POST", "/api/session/login"),
    ("POST", "/api/session/reauth"),
    ("POST", "/api/session/password"),
    ("POST", "/api/session/logout-all"),
    ("POST", "/api/session/events"),
    ("PUT", "/api/session/context"),
    ("POST", "/api/session/check"),
    ("POST", "/api/token/refresh"),
    ("POST", "/api/token/logout"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let w = world();
    let (method, path) = ROUTES[usize::from(selector) % ROUTES.len()];
    let mut req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    // Logging out everywhere would end the session the other inputs use.
    if selector & 0x80 != 0 && path != "/api/session/logout-all" {
        req = req
            .header(header::COOKIE, format!("sessiond={}", w.cookie))
            .header("x-csrf-token", &w.csrf);
    }
    let req = req.body(Body::from(body.to_vec())).unwrap();
    let res =
        w.rt.block_on(sessiond_http::app(w.state.clone()).oneshot(req))
            .unwrap();
    assert!(
        !res.status().is_server_error(),
        "{method} {path} answered {}",
        res.status()
    );
});
