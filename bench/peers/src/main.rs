//! The peers of bench/run's check: the same job (find the session by its cookie, check its
//! idle timeout, answer JSON) done by axum with tower-sessions, on its in-memory store or on
//! Redis. tower-sessions writes a session back only when it changed, so its idle expiry moves
//! only with `save` (`with_always_save`): the table measured tower-sessions that way,
//! writing back on every request; without it, a check is one Redis read, like sessiond's.
//!
//! Usage: sessiond-peers memory|redis://HOST:PORT/DB PORT [save]. `GET /login` starts a
//! session (its cookie is `id`), `GET /check` reads it: 401 without one.

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use time::Duration;
use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer, SessionStore};

async fn login(session: Session) -> Json<serde_json::Value> {
    session.insert("user", "bench").await.expect("insert");
    Json(serde_json::json!({"success": true}))
}

async fn check(session: Session) -> Result<Json<serde_json::Value>, StatusCode> {
    match session.get::<String>("user").await {
        Ok(Some(user)) => Ok(Json(serde_json::json!({
            "authenticated": true,
            "user": user,
            "expires_at": session.expiry_date().to_string(),
        }))),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

fn app<S: SessionStore + Clone>(store: S, always_save: bool) -> Router {
    let layer = SessionManagerLayer::new(store)
        .with_secure(false)
        .with_always_save(always_save)
        .with_expiry(Expiry::OnInactivity(Duration::minutes(30)));
    Router::new()
        .route("/login", get(login))
        .route("/check", get(check))
        .layer(layer)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (store, port) = (&args[1], &args[2]);
    let save = args.get(3).is_some_and(|a| a == "save");
    let app = if store == "memory" {
        app(MemoryStore::default(), save)
    } else {
        use tower_sessions_redis_store::RedisStore;
        use tower_sessions_redis_store::fred::prelude::*;
        let config = Config::from_url(store).expect("redis url");
        let pool = Pool::new(config, None, None, None, 4).expect("pool");
        pool.init().await.expect("redis");
        app(RedisStore::new(pool), save)
    };
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
