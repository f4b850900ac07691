//! The server's own settings (`SESSIOND_*`): where to listen, the store, the key, the cookie,
//! proxies, LDAP and logging.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use sessiond_core::cache::CacheSettings;
use sessiond_http::SameSite;

use super::reader::Reader;
use super::vars::*;

/// A secret value: `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Self(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Memory,
    Sqlite(String),
    Postgres(Secret),
    /// `redis://` or `redis+cluster://host:port,...`.
    Redis(Secret),
}

/// Shown with any password redacted.
impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory://"),
            Self::Sqlite(url) => f.write_str(url),
            Self::Postgres(url) | Self::Redis(url) => f.write_str(&redact_url(url.expose())),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// `SESSIOND_HEADER_READ_TIMEOUT_SECONDS`, `SESSIOND_MAX_CONNECTIONS`.
    pub connections: crate::ConnectionLimits,
    pub store: StoreUrl,
    pub store_pool_size: u32,
    /// PostgreSQL's schema for sessiond's tables, and whether it was set rather than defaulted.
    pub postgres_schema: (String, bool),
    pub store_timeout_secs: u64,
    /// `SESSION_FEATURE_CACHING`: on with these settings, or off.
    pub cache: Option<CacheSettings>,
    pub data_dir: PathBuf,
    pub secret_key: Option<Secret>,
    pub secret_key_file: Option<PathBuf>,
    pub cookie_name: String,
    pub cookie_secure: bool,
    pub cookie_same_site: SameSite,
    /// `SESSIOND_ALLOW_INSECURE_COOKIE`: production without a Secure cookie, on purpose.
    pub insecure_cookie_allowed: bool,
    /// `SESSIOND_PUBLIC_URL`: where browsers reach sessiond.
    pub public_url: Option<String>,
    pub trusted_proxies: std::sync::Arc<sessiond_http::proxies::TrustedProxies>,
    /// `SESSIOND_VERIFY_REDIRECT`, `SESSIOND_RETURN_HOSTS`.
    pub returns: sessiond_http::return_to::ReturnSettings,
    /// LDAP / Active Directory login, when `SESSIOND_LDAP_URL` is set.
    pub ldap: Option<sessiond_auth_ldap::LdapSettings>,
    pub log_filter: String,
    /// `SESSION_DEBUG_MODE`: the configuration is logged at start.
    pub debug_mode: bool,
    pub log_json: bool,
    /// `SESSIOND_METRICS_BIND`: `/metrics` on a listener of its own.
    pub metrics_bind: Option<SocketAddr>,
    /// `SESSIOND_METRICS_TOKEN`: the bearer token a scrape must send.
    pub metrics_token: Option<Secret>,
}

/// `scheme://user:password@host/...` with the password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:<redacted>@{host}"),
        None => url.to_owned(),
    }
}

/// The longest `SESSIOND_CACHE_TTL_SECONDS`: the notices make a copy stop at once, and this is
/// the bound for a notice that was lost.
const MAX_CACHE_TTL_SECS: u64 = 60;

pub(super) fn read_server(r: &mut Reader<'_>, environment: Environment) -> ServerConfig {
    let bind = r.address(SESSIOND_BIND);
    let url = r.text(SESSIOND_STORE_URL);
    let store = if url == "memory://" || url == "memory" {
        StoreUrl::Memory
    } else if url.starts_with("sqlite:") {
        if let Err(e) = sessiond_store_sqlite::path_of(&url) {
            r.problem(format!("SESSIOND_STORE_URL={url:?}: {e}"));
        }
        StoreUrl::Sqlite(url.clone())
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // The URL may carry a password: it is kept as a secret and shown redacted.
        StoreUrl::Postgres(Secret::new(url.clone()))
    } else if url.starts_with("redis://") || url.starts_with("redis+cluster://") {
        StoreUrl::Redis(Secret::new(url.clone()))
    } else {
        r.problem(format!(
            "SESSIOND_STORE_URL={:?}: expected sqlite://PATH, postgres://USER@HOST/DB, redis://HOST:PORT, redis+cluster://HOST:PORT,... or memory://",
            redact_url(&url)
        ));
        StoreUrl::Memory
    };
    let store = persistence_and_clustering(r, store);
    let secret_key = r.optional(SESSIOND_SECRET_KEY).map(Secret::new);
    if secret_key
        .as_ref()
        .is_some_and(|k| k.expose().len() < sessiond_core::SecretKey::MIN_LEN)
    {
        r.problem(format!(
            "SESSIOND_SECRET_KEY=<redacted>: must have at least {} characters",
            sessiond_core::SecretKey::MIN_LEN
        ));
    }
    let secret_key_file = r.optional(SESSIOND_SECRET_KEY_FILE).map(PathBuf::from);
    if environment == Environment::Production && secret_key.is_none() && secret_key_file.is_none() {
        r.problem(
            "SESSIOND_SECRET_KEY (or SESSIOND_SECRET_KEY_FILE) is required in production".into(),
        );
    }
    // Every environment's preset sets it: Secure in staging and production.
    let cookie_secure = r.flag(SESSIOND_COOKIE_SECURE);
    let insecure_cookie_allowed = r.flag(SESSIOND_ALLOW_INSECURE_COOKIE);
    if environment == Environment::Production && !cookie_secure && !insecure_cookie_allowed {
        r.problem(
            "SESSIOND_COOKIE_SECURE=false in production: the session cookie would cross the \
             network readable by anyone on the path. Serve over HTTPS, or set \
             SESSIOND_ALLOW_INSECURE_COOKIE=true if plain HTTP is on purpose"
                .into(),
        );
    }
    let cookie_name = r.text(SESSIOND_COOKIE_NAME);
    if cookie_name.is_empty()
        || !cookie_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
    {
        r.problem(format!(
            "SESSIOND_COOKIE_NAME={cookie_name:?}: use letters, digits, _ and - only"
        ));
    }
    let cookie_same_site = match r.choice(SESSIOND_COOKIE_SAMESITE).as_str() {
        "strict" => SameSite::Strict,
        _ => SameSite::Lax,
    };
    let trusted_proxies =
        match sessiond_http::proxies::TrustedProxies::parse(&r.text(SESSIOND_TRUSTED_PROXIES)) {
            Ok(proxies) => proxies,
            Err(entry) => {
                r.problem(format!(
                    "SESSIOND_TRUSTED_PROXIES: {entry:?} is not an IP address or a CIDR range \
                     (10.0.0.0/8, fd00::/8)"
                ));
                Default::default()
            }
        };
    let mut return_hosts = Vec::new();
    for host in r
        .text(SESSIOND_RETURN_HOSTS)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let plain = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        if plain {
            return_hosts.push(host.to_ascii_lowercase());
        } else {
            r.problem(format!(
                "SESSIOND_RETURN_HOSTS: {host:?} is not a host or host:port (no scheme, no path)"
            ));
        }
    }
    let returns = sessiond_http::return_to::ReturnSettings {
        redirect_by_default: r.flag(SESSIOND_VERIFY_REDIRECT),
        hosts: return_hosts,
    };
    let public_url = r.optional(SESSIOND_PUBLIC_URL);
    if let Some(url) = &public_url
        && sessiond_http::csrf::normal_origin(url).is_none()
    {
        r.problem(format!(
            "SESSIOND_PUBLIC_URL={url:?}: expected http(s)://HOST[:PORT], with no path"
        ));
    }
    let ldap = super::ldap::read_ldap(r);
    let metrics_bind = match r.text(SESSIOND_METRICS_BIND).trim() {
        "" => None,
        text => match text.parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                r.problem(format!(
                    "SESSIOND_METRICS_BIND={text:?}: expected HOST:PORT, such as 127.0.0.1:9090"
                ));
                None
            }
        },
    };
    let metrics_token = r.optional(SESSIOND_METRICS_TOKEN).map(Secret::new);
    if metrics_token
        .as_ref()
        .is_some_and(|t| t.expose().len() < 16)
    {
        r.problem("SESSIOND_METRICS_TOKEN=<redacted>: must have at least 16 characters".into());
    }
    let log_json = match r.choice(SESSIOND_LOG_FORMAT).as_str() {
        "json" => true,
        "text" => false,
        // `auto`: a person at a terminal reads text; a pipe or a file feeds a log shipper.
        _ => !std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    // SESSION_DEBUG_MODE: sessiond's own debug lines, unless SESSIOND_LOG says otherwise.
    let debug_mode = r.flag(SESSION_DEBUG_MODE);
    let log_filter = if debug_mode && !r.given(SESSIOND_LOG) {
        DEBUG_FILTER.to_owned()
    } else {
        r.text(SESSIOND_LOG)
    };
    let schema = r.text(SESSIOND_POSTGRES_SCHEMA);
    let plain = schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !plain {
        r.problem(format!(
            "SESSIOND_POSTGRES_SCHEMA={schema:?}: a schema name is 1 to 63 lower-case letters, \
             digits and _, not starting with a digit"
        ));
    }
    let postgres_schema = (schema, r.given(SESSIOND_POSTGRES_SCHEMA));
    if let Err(why) = check_log_filter(&log_filter) {
        r.problem(format!("SESSIOND_LOG={log_filter:?}: {why}"));
    }
    let connections = crate::ConnectionLimits {
        header_read_timeout: std::time::Duration::from_secs(
            r.number(SESSIOND_HEADER_READ_TIMEOUT_SECONDS),
        ),
        body_read_timeout: std::time::Duration::from_secs(
            r.number(SESSIOND_BODY_READ_TIMEOUT_SECONDS),
        ),
        max_connections: usize::try_from(r.number(SESSIOND_MAX_CONNECTIONS)).unwrap_or(usize::MAX),
    };
    let cache_ttl = r.number(SESSIOND_CACHE_TTL_SECONDS);
    if cache_ttl > MAX_CACHE_TTL_SECS {
        r.problem(format!(
            "SESSIOND_CACHE_TTL_SECONDS={cache_ttl}: at most {MAX_CACHE_TTL_SECS}; it bounds how \
             long a node may use a copy whose invalidation notice was lost"
        ));
    }
    ServerConfig {
        bind,
        connections,
        store,
        store_pool_size: u32::try_from(r.number(SESSIOND_STORE_POOL_SIZE)).unwrap_or(u32::MAX),
        postgres_schema,
        store_timeout_secs: r.number(SESSIOND_STORE_TIMEOUT_SECONDS),
        cache: r.flag(SESSION_FEATURE_CACHING).then(|| CacheSettings {
            capacity: usize::try_from(r.number(SESSIOND_CACHE_CAPACITY)).unwrap_or(usize::MAX),
            ttl_secs: i64::try_from(cache_ttl.min(MAX_CACHE_TTL_SECS)).unwrap_or(5),
        }),
        data_dir: PathBuf::from(r.text(SESSIOND_DATA_DIR)),
        secret_key,
        secret_key_file,
        cookie_name,
        cookie_secure,
        cookie_same_site,
        insecure_cookie_allowed: insecure_cookie_allowed && !cookie_secure,
        public_url,
        trusted_proxies: std::sync::Arc::new(trusted_proxies),
        returns,
        ldap,
        log_filter,
        debug_mode,
        log_json,
        metrics_bind,
        metrics_token,
    }
}

/// `SESSIOND_TOKEN_*` and the token lifetimes.
pub(super) fn read_tokens(
    r: &mut Reader<'_>,
    public_url: Option<&str>,
) -> sessiond_core::service::TokenSettings {
    let grace = r.number(SESSIOND_REFRESH_REUSE_GRACE_SECONDS);
    if grace > 30 {
        r.problem(format!(
            "SESSIOND_REFRESH_REUSE_GRACE_SECONDS={grace}: at most 30, or a stolen refresh token \
             is honoured that long after its rotation"
        ));
    }
    let leeway = r.number(SESSIOND_TOKEN_LEEWAY_SECONDS);
    if leeway > 60 {
        r.problem(format!(
            "SESSIOND_TOKEN_LEEWAY_SECONDS={leeway}: at most 60"
        ));
    }
    let issuer = r
        .optional(SESSIOND_TOKEN_ISSUER)
        .or_else(|| public_url.map(str::to_owned))
        .unwrap_or_else(|| "sessiond".to_owned());
    let num = |r: &Reader<'_>, var| i64::try_from(r.number(var)).unwrap_or(i64::MAX);
    sessiond_core::service::TokenSettings {
        issuer,
        audience: r.text(SESSIOND_TOKEN_AUDIENCE),
        access_lifetime_secs: num(r, SESSIOND_ACCESS_TOKEN_SECONDS),
        refresh_lifetime_secs: num(r, SESSIOND_REFRESH_TOKEN_SECONDS),
        reuse_grace_secs: num(r, SESSIOND_REFRESH_REUSE_GRACE_SECONDS).min(30),
        leeway_secs: num(r, SESSIOND_TOKEN_LEEWAY_SECONDS).min(60),
        rotate_refresh: r.flag(SESSIOND_REFRESH_ROTATION),
        key_rotation_secs: num(r, SESSIOND_SIGNING_KEY_ROTATION_SECONDS),
    }
}

/// The log filter of `SESSION_DEBUG_MODE`: every sessiond crate (their targets all start with
/// `sessiond`) at debug, the libraries under it at info.
const DEBUG_FILTER: &str = "info,sessiond=debug";

/// `SESSION_FEATURE_PERSISTENCE=false` keeps sessions in memory: the default store gives way
/// to `memory://`, and a durable store set explicitly is refused, since the two settings
/// contradict each other. `SESSION_FEATURE_CLUSTERING` and `SESSION_FEATURE_DISTRIBUTED` say
/// that several nodes serve as one, which only a store they share makes true: memory and SQLite
/// are refused (docs/decisions/0051-feature-flags-that-act.md).
fn persistence_and_clustering(r: &mut Reader<'_>, store: StoreUrl) -> StoreUrl {
    let store = match store {
        StoreUrl::Memory => StoreUrl::Memory,
        _ if r.flag(SESSION_FEATURE_PERSISTENCE) => store,
        _ if !r.given(SESSIOND_STORE_URL) => StoreUrl::Memory,
        durable => {
            r.problem(format!(
                "SESSION_FEATURE_PERSISTENCE=false keeps sessions in memory, but \
                 SESSIOND_STORE_URL names a store ({durable}): set one or the other"
            ));
            durable
        }
    };
    for var in [SESSION_FEATURE_CLUSTERING, SESSION_FEATURE_DISTRIBUTED] {
        if r.flag(var) && matches!(store, StoreUrl::Memory | StoreUrl::Sqlite(_)) {
            r.problem(format!(
                "{}=true: nodes act as one only by sharing a store; {store} is this host's \
                 alone: set SESSIOND_STORE_URL to postgres://... or redis://...",
                var.name
            ));
        }
    }
    store
}

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// A log filter in tracing's `EnvFilter` syntax, held to what a person means by one: each
/// directive a level (`debug`) or `TARGET=LEVEL` (`sessiond_http=debug`). A bare word is, to
/// `EnvFilter`, a target to log at every level and everything else off: `verbose` would
/// silence the server.
fn check_log_filter(filter: &str) -> Result<(), String> {
    let levels = LEVELS.join(", ");
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = match directive.rsplit_once('=') {
            Some((_, level)) => level,
            None => directive,
        };
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "{directive:?} is not a level ({levels}) nor TARGET=LEVEL"
            ));
        }
    }
    tracing_subscriber::EnvFilter::try_new(filter)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
