//! The checked, typed configuration. Every rule of seed 001 is enforced here, and every problem
//! is reported at once, naming the variable, its value and the rule.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use sessiond_core::cache::CacheSettings;
use sessiond_core::policy::Timeouts;
use sessiond_core::service::{CleanupSettings, ConcurrentPolicy, Suspicion, SuspiciousResponse};
use sessiond_core::{Settings, user::SUPERADMIN};
use sessiond_http::SameSite;

use super::raw::RawConfig;
use super::vars::ENVIRONMENTS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Testing,
    Staging,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        ENVIRONMENTS[self as usize]
    }
}

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

#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub check_interval_secs: u64,
    pub heartbeat_interval_secs: u64,
    pub sync_timeout_secs: u64,
    pub tab_response_timeout_secs: u64,
    pub localstorage_prefix: String,
    pub max_sync_data_size: u64,
}

#[derive(Debug, Clone)]
pub struct Security {
    pub fingerprinting: bool,
    pub suspicious_detection: bool,
    pub audit_logging: bool,
    pub suspicious_activity_threshold: u64,
    pub max_platform_switches_per_hour: u64,
    pub security_check_interval_secs: u64,
}

#[derive(Debug, Clone)]
pub struct Monitoring {
    pub performance_monitoring: bool,
    pub metrics_collection: bool,
    pub health_checks: bool,
    pub alerting: bool,
    pub console_alerts: bool,
    pub metrics_interval_secs: u64,
    pub health_check_interval_secs: u64,
    pub metrics_buffer_size: u64,
    pub events_buffer_size: u64,
    pub alert_thresholds: BTreeMap<&'static str, f64>,
}

#[derive(Debug, Clone)]
pub struct Features {
    pub cross_tab_sync: bool,
    pub platform_switching: bool,
    pub persistence: bool,
    pub optimistic_ui: bool,
    pub background_cleanup: bool,
    pub analytics: bool,
    pub clustering: bool,
    pub distributed: bool,
    pub caching: bool,
    pub anonymous_sessions: bool,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// `SESSIOND_HEADER_READ_TIMEOUT_SECONDS`, `SESSIOND_MAX_CONNECTIONS`.
    pub connections: crate::ConnectionLimits,
    pub store: StoreUrl,
    pub store_pool_size: u32,
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
    pub trusted_proxies: Vec<IpAddr>,
    /// LDAP / Active Directory login, when `SESSIOND_LDAP_URL` is set.
    pub ldap: Option<sessiond_auth_ldap::LdapSettings>,
    pub log_filter: String,
    pub log_json: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub debug_mode: bool,
    /// What the core enforces: timeouts, limits, roles, cleanup.
    pub service: Settings,
    pub sync: SyncConfig,
    pub security: Security,
    pub monitoring: Monitoring,
    pub features: Features,
    pub custom: BTreeMap<String, String>,
    pub server: ServerConfig,
}

/// Reads typed values, collecting every problem instead of stopping at the first.
struct Reader<'a> {
    raw: &'a RawConfig,
    problems: Vec<String>,
}

impl Reader<'_> {
    fn text(&self, name: &str) -> String {
        self.raw.get(name).unwrap_or_default().to_owned()
    }

    fn parsed<T: std::str::FromStr + Default>(&mut self, name: &str, what: &str) -> T {
        let value = self.text(name);
        value.parse().unwrap_or_else(|_| {
            self.problems
                .push(format!("{name}={value:?}: expected {what}"));
            T::default()
        })
    }

    /// A whole number that must be positive.
    fn positive(&mut self, name: &str) -> u64 {
        let n: u64 = self.parsed(name, "a whole number");
        if n == 0 && self.raw.get(name).is_some_and(|v| v.parse::<u64>().is_ok()) {
            self.problems.push(format!("{name}=0: must be positive"));
        }
        n
    }

    fn whole(&mut self, name: &str) -> u64 {
        self.parsed(name, "a whole number")
    }

    fn flag(&mut self, name: &str) -> bool {
        match self.text(name).to_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            other => {
                self.problems
                    .push(format!("{name}={other:?}: expected true or false"));
                false
            }
        }
    }

    fn float(&mut self, name: &str) -> f64 {
        let f: f64 = self.parsed(name, "a number");
        if f < 0.0 || !f.is_finite() {
            self.problems
                .push(format!("{name}={f}: must be a non-negative number"));
        }
        f
    }

    /// `a < b` (or `<=` when `or_equal`), reported with both names and values.
    fn order(&mut self, a: (&str, u64), b: (&str, u64), or_equal: bool, rule: &str) {
        let ok = if or_equal { a.1 <= b.1 } else { a.1 < b.1 };
        if !ok {
            let op = if or_equal { "<=" } else { "<" };
            self.problems.push(format!(
                "{}={} must be {op} {}={}: {rule}",
                a.0, a.1, b.0, b.1
            ));
        }
    }
}

fn secs(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Config {
    pub fn from_raw(raw: &RawConfig) -> Result<Self, Vec<String>> {
        let mut r = Reader {
            raw,
            problems: Vec::new(),
        };
        let env_name = r.text("SESSION_ENVIRONMENT").to_lowercase();
        let environment = match env_name.as_str() {
            "development" => Environment::Development,
            "testing" => Environment::Testing,
            "staging" => Environment::Staging,
            "production" => Environment::Production,
            other => {
                r.problems.push(format!(
                    "SESSION_ENVIRONMENT={other:?}: expected one of {}",
                    ENVIRONMENTS.join(", ")
                ));
                Environment::Development
            }
        };

        let (idle, absolute, lifetime) = (
            r.positive("SESSION_IDLE_TIMEOUT_SECONDS"),
            r.positive("SESSION_ABSOLUTE_TIMEOUT_SECONDS"),
            r.positive("SESSION_LIFETIME_SECONDS"),
        );
        let (grace, cleanup_grace, warning) = (
            r.whole("SESSION_EXPIRATION_GRACE_SECONDS"),
            r.whole("SESSION_CLEANUP_GRACE_SECONDS"),
            r.positive("SESSION_WARNING_THRESHOLD_SECONDS"),
        );
        r.order(
            ("SESSION_IDLE_TIMEOUT_SECONDS", idle),
            ("SESSION_LIFETIME_SECONDS", lifetime),
            true,
            "the idle timeout should not exceed the session lifetime",
        );
        r.order(
            ("SESSION_EXPIRATION_GRACE_SECONDS", grace),
            ("SESSION_IDLE_TIMEOUT_SECONDS", idle),
            false,
            "the expiration grace period should be less than the idle timeout",
        );
        r.order(
            ("SESSION_WARNING_THRESHOLD_SECONDS", warning),
            ("SESSION_IDLE_TIMEOUT_SECONDS", idle),
            false,
            "the warning must come before the idle timeout ends the session",
        );
        r.order(
            ("SESSION_IDLE_TIMEOUT_SECONDS", idle),
            ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", absolute),
            true,
            "the idle timeout cannot be longer than the absolute timeout",
        );
        if idle <= 900 && (warning >= idle || grace >= idle) {
            r.problems.push(format!(
                "SESSION_IDLE_TIMEOUT_SECONDS={idle}: a timeout this short needs a warning and a \
                 renewal grace shorter than it; seed 000's 5-minute timeout warned 1 minute \
                 before the end, which is SESSION_WARNING_THRESHOLD_SECONDS=60 (and, say, \
                 SESSION_EXPIRATION_GRACE_SECONDS=30) \
                 (docs/decisions/0019-seed-000s-five-minute-timeout.md)"
            ));
        }

        let cleanup = CleanupSettings {
            interval_secs: secs(r.positive("SESSION_CLEANUP_INTERVAL_SECONDS")),
            batch_interval_secs: secs(r.positive("SESSION_BATCH_CLEANUP_INTERVAL_SECONDS")),
            deep_interval_secs: secs(r.positive("SESSION_DEEP_CLEANUP_INTERVAL_SECONDS")),
            batch_size: u32::try_from(r.positive("SESSION_CLEANUP_BATCH_SIZE")).unwrap_or(u32::MAX),
            max_batches: u32::try_from(r.positive("SESSION_MAX_CLEANUP_BATCHES"))
                .unwrap_or(u32::MAX),
            max_expired_threshold: r.positive("SESSION_MAX_EXPIRED_THRESHOLD"),
            trigger_threshold: r.positive("SESSION_CLEANUP_TRIGGER_THRESHOLD"),
            expired_retention_days: secs(r.whole("SESSION_EXPIRED_RETENTION_DAYS")),
            audit_retention_days: secs(r.positive("SESSION_AUDIT_RETENTION_DAYS")),
        };
        r.order(
            (
                "SESSION_CLEANUP_INTERVAL_SECONDS",
                cleanup.interval_secs as u64,
            ),
            (
                "SESSION_BATCH_CLEANUP_INTERVAL_SECONDS",
                cleanup.batch_interval_secs as u64,
            ),
            false,
            "the cleanup interval should be less than the batch cleanup interval",
        );
        r.order(
            (
                "SESSION_BATCH_CLEANUP_INTERVAL_SECONDS",
                cleanup.batch_interval_secs as u64,
            ),
            (
                "SESSION_DEEP_CLEANUP_INTERVAL_SECONDS",
                cleanup.deep_interval_secs as u64,
            ),
            true,
            "the batch cleanup interval should not exceed the deep cleanup interval",
        );
        r.order(
            (
                "SESSION_CLEANUP_TRIGGER_THRESHOLD",
                cleanup.trigger_threshold,
            ),
            (
                "SESSION_MAX_EXPIRED_THRESHOLD",
                cleanup.max_expired_threshold,
            ),
            true,
            "the trigger threshold should not exceed the max expired threshold",
        );

        let sync = SyncConfig {
            check_interval_secs: r.positive("SESSION_SYNC_CHECK_INTERVAL_SECONDS"),
            heartbeat_interval_secs: r.positive("SESSION_HEARTBEAT_INTERVAL_SECONDS"),
            sync_timeout_secs: r.positive("SESSION_SYNC_TIMEOUT_SECONDS"),
            tab_response_timeout_secs: r.positive("SESSION_TAB_RESPONSE_TIMEOUT_SECONDS"),
            localstorage_prefix: r.text("SESSION_LOCALSTORAGE_PREFIX"),
            max_sync_data_size: r.positive("SESSION_MAX_SYNC_DATA_SIZE"),
        };
        r.order(
            ("SESSION_SYNC_TIMEOUT_SECONDS", sync.sync_timeout_secs),
            (
                "SESSION_HEARTBEAT_INTERVAL_SECONDS",
                sync.heartbeat_interval_secs,
            ),
            false,
            "the sync timeout should be less than the heartbeat interval",
        );
        r.order(
            (
                "SESSION_TAB_RESPONSE_TIMEOUT_SECONDS",
                sync.tab_response_timeout_secs,
            ),
            ("SESSION_SYNC_TIMEOUT_SECONDS", sync.sync_timeout_secs),
            true,
            "a tab's response timeout should not exceed the sync timeout",
        );
        let prefix = &sync.localstorage_prefix;
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            r.problems.push(format!(
                "SESSION_LOCALSTORAGE_PREFIX={prefix:?}: use letters, digits, _ and - only"
            ));
        }

        let security = Security {
            fingerprinting: r.flag("SESSION_ENABLE_FINGERPRINTING"),
            suspicious_detection: r.flag("SESSION_ENABLE_SUSPICIOUS_DETECTION"),
            audit_logging: r.flag("SESSION_ENABLE_AUDIT_LOGGING"),
            suspicious_activity_threshold: r.positive("SESSION_SUSPICIOUS_ACTIVITY_THRESHOLD"),
            max_platform_switches_per_hour: r.positive("SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR"),
            security_check_interval_secs: r.positive("SESSION_SECURITY_CHECK_INTERVAL_SECONDS"),
        };
        let max_concurrent = r.positive("SESSION_MAX_CONCURRENT_PER_USER");
        let keepalive = r.positive("SESSION_KEEPALIVE_RATE_LIMIT");
        let lockout_threshold = r.positive("SESSIOND_LOGIN_LOCKOUT_THRESHOLD");
        let lockout_secs = r.positive("SESSIOND_LOGIN_LOCKOUT_SECONDS");
        let logins_per_ip = r.positive("SESSIOND_LOGIN_RATE_LIMIT");
        let unknown_tokens = r.positive("SESSIOND_UNKNOWN_TOKEN_LIMIT");
        let reauth_window = r.positive("SESSIOND_REAUTH_WINDOW_SECONDS");
        let long_session = r.positive("SESSIOND_LONG_SESSION_SECONDS");
        let hash_workers = match r.text("SESSIOND_HASH_WORKERS").as_str() {
            "" => sessiond_core::hashing::HashPool::default_workers(),
            _ => usize::try_from(r.positive("SESSIOND_HASH_WORKERS")).unwrap_or(usize::MAX),
        };
        let hash_queue = usize::try_from(r.whole("SESSIOND_HASH_QUEUE")).unwrap_or(usize::MAX);
        let device_cookie_secs = i64::try_from(
            r.whole("SESSIOND_DEVICE_COOKIE_DAYS")
                .saturating_mul(86_400),
        )
        .unwrap_or(i64::MAX);
        let suspicious_response = match r
            .text("SESSIOND_SUSPICIOUS_RESPONSE")
            .to_lowercase()
            .as_str()
        {
            "log" => SuspiciousResponse::Log,
            "reauth" => SuspiciousResponse::Reauth,
            "revoke" => SuspiciousResponse::Revoke,
            other => {
                r.problems.push(format!(
                    "SESSIOND_SUSPICIOUS_RESPONSE={other:?}: expected log, reauth or revoke"
                ));
                SuspiciousResponse::Reauth
            }
        };
        let concurrent_policy = match r.text("SESSIOND_CONCURRENT_POLICY").to_lowercase().as_str() {
            "evict_oldest" => ConcurrentPolicy::EvictOldest,
            "deny_new" => ConcurrentPolicy::DenyNew,
            other => {
                r.problems.push(format!(
                    "SESSIOND_CONCURRENT_POLICY={other:?}: expected evict_oldest or deny_new"
                ));
                ConcurrentPolicy::EvictOldest
            }
        };

        let monitoring = Monitoring {
            performance_monitoring: r.flag("SESSION_ENABLE_PERFORMANCE_MONITORING"),
            metrics_collection: r.flag("SESSION_ENABLE_METRICS_COLLECTION"),
            health_checks: r.flag("SESSION_ENABLE_HEALTH_CHECKS"),
            alerting: r.flag("SESSION_ENABLE_ALERTING"),
            console_alerts: r.flag("SESSION_ENABLE_CONSOLE_ALERTS"),
            metrics_interval_secs: r.positive("SESSION_METRICS_INTERVAL_SECONDS"),
            health_check_interval_secs: r.positive("SESSION_HEALTH_CHECK_INTERVAL_SECONDS"),
            metrics_buffer_size: r.positive("SESSION_METRICS_BUFFER_SIZE"),
            events_buffer_size: r.positive("SESSION_EVENTS_BUFFER_SIZE"),
            alert_thresholds: [
                ("session_creation_rate", "SESSION_ALERT_CREATION_RATE"),
                ("session_failure_rate", "SESSION_ALERT_FAILURE_RATE"),
                ("avg_session_duration", "SESSION_ALERT_AVG_DURATION"),
                ("concurrent_sessions", "SESSION_ALERT_CONCURRENT_SESSIONS"),
                ("suspicious_activity_rate", "SESSION_ALERT_SUSPICIOUS_RATE"),
            ]
            .into_iter()
            .map(|(k, name)| (k, r.float(name)))
            .collect(),
        };

        let features = Features {
            cross_tab_sync: r.flag("SESSION_FEATURE_CROSS_TAB_SYNC"),
            platform_switching: r.flag("SESSION_FEATURE_PLATFORM_SWITCHING"),
            persistence: r.flag("SESSION_FEATURE_PERSISTENCE"),
            optimistic_ui: r.flag("SESSION_FEATURE_OPTIMISTIC_UI"),
            background_cleanup: r.flag("SESSION_FEATURE_BACKGROUND_CLEANUP"),
            analytics: r.flag("SESSION_FEATURE_ANALYTICS"),
            clustering: r.flag("SESSION_FEATURE_CLUSTERING"),
            distributed: r.flag("SESSION_FEATURE_DISTRIBUTED"),
            caching: r.flag("SESSION_FEATURE_CACHING"),
            anonymous_sessions: r.flag("SESSION_FEATURE_ANONYMOUS_SESSIONS"),
        };

        let roles: Vec<String> = r
            .text("SESSION_ROLES")
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if !roles.iter().any(|role| role == SUPERADMIN) {
            r.problems.push(format!(
                "SESSION_ROLES={:?}: must include {SUPERADMIN}",
                roles.join(",")
            ));
        }

        let server = read_server(&mut r, environment);
        if let Some(ldap) = &server.ldap {
            let mapped = ldap.group_roles.iter().map(|(_, role)| role);
            for role in mapped.chain([&ldap.default_role]) {
                if !roles.contains(role) {
                    r.problems.push(format!(
                        "SESSIOND_LDAP_*: role {role:?} is not one of SESSION_ROLES"
                    ));
                }
            }
        }
        let debug_mode = r.flag("SESSION_DEBUG_MODE");
        let service = Settings {
            timeouts: Timeouts {
                idle_secs: secs(idle),
                absolute_secs: secs(absolute),
                lifetime_secs: secs(lifetime),
                expiration_grace_secs: secs(grace),
                cleanup_grace_secs: secs(cleanup_grace),
                warning_secs: secs(warning),
            },
            keepalive_per_minute: u32::try_from(keepalive).unwrap_or(u32::MAX),
            max_concurrent_per_user: u32::try_from(max_concurrent).unwrap_or(u32::MAX),
            concurrent_policy,
            suspicion: security.suspicious_detection.then(|| Suspicion {
                threshold: u32::try_from(security.suspicious_activity_threshold)
                    .unwrap_or(u32::MAX),
                response: suspicious_response,
            }),
            context_switches_per_hour: u32::try_from(security.max_platform_switches_per_hour)
                .unwrap_or(u32::MAX),
            lockout_threshold: u32::try_from(lockout_threshold).unwrap_or(u32::MAX),
            lockout_secs: i64::try_from(lockout_secs).unwrap_or(i64::MAX),
            logins_per_ip_per_minute: u32::try_from(logins_per_ip).unwrap_or(u32::MAX),
            unknown_tokens_per_ip_per_minute: u32::try_from(unknown_tokens).unwrap_or(u32::MAX),
            reauth_window_secs: i64::try_from(reauth_window).unwrap_or(i64::MAX),
            long_session_secs: i64::try_from(long_session).unwrap_or(i64::MAX),
            fingerprinting: security.fingerprinting,
            device_cookie_secs,
            hash_workers,
            hash_queue,
            roles,
            cleanup,
        };
        if !r.problems.is_empty() {
            return Err(r.problems);
        }
        Ok(Self {
            environment,
            debug_mode,
            service,
            sync,
            security,
            monitoring,
            features,
            custom: raw.custom.clone(),
            server,
        })
    }
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

fn read_server(r: &mut Reader<'_>, environment: Environment) -> ServerConfig {
    let bind: SocketAddr = r.parsed_or(
        "SESSIOND_BIND",
        "an address such as 127.0.0.1:8080",
        ([127, 0, 0, 1], 8080).into(),
    );
    let url = r.text("SESSIOND_STORE_URL");
    let store = if url == "memory://" || url == "memory" {
        StoreUrl::Memory
    } else if url.starts_with("sqlite:") {
        if let Err(e) = sessiond_store_sqlite::path_of(&url) {
            r.problems.push(format!("SESSIOND_STORE_URL={url:?}: {e}"));
        }
        StoreUrl::Sqlite(url.clone())
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // The URL may carry a password: it is kept as a secret and shown redacted.
        StoreUrl::Postgres(Secret(url.clone()))
    } else if url.starts_with("redis://") || url.starts_with("redis+cluster://") {
        StoreUrl::Redis(Secret(url.clone()))
    } else {
        r.problems.push(format!(
            "SESSIOND_STORE_URL={:?}: expected sqlite://PATH, postgres://USER@HOST/DB, redis://HOST:PORT, redis+cluster://HOST:PORT,... or memory://",
            redact_url(&url)
        ));
        StoreUrl::Memory
    };
    let secret_key = r
        .raw
        .get("SESSIOND_SECRET_KEY")
        .map(|s| Secret(s.to_owned()));
    if secret_key
        .as_ref()
        .is_some_and(|k| k.0.len() < sessiond_core::SecretKey::MIN_LEN)
    {
        r.problems.push(format!(
            "SESSIOND_SECRET_KEY=<redacted>: must have at least {} characters",
            sessiond_core::SecretKey::MIN_LEN
        ));
    }
    let secret_key_file = r.raw.get("SESSIOND_SECRET_KEY_FILE").map(PathBuf::from);
    if environment == Environment::Production && secret_key.is_none() && secret_key_file.is_none() {
        r.problems.push(
            "SESSIOND_SECRET_KEY (or SESSIOND_SECRET_KEY_FILE) is required in production".into(),
        );
    }
    let cookie_secure = match r.raw.get("SESSIOND_COOKIE_SECURE") {
        Some(_) => r.flag("SESSIOND_COOKIE_SECURE"),
        None => matches!(environment, Environment::Staging | Environment::Production),
    };
    let insecure_cookie_allowed = r.flag("SESSIOND_ALLOW_INSECURE_COOKIE");
    if environment == Environment::Production && !cookie_secure && !insecure_cookie_allowed {
        r.problems.push(
            "SESSIOND_COOKIE_SECURE=false in production: the session cookie would cross the \
             network readable by anyone on the path. Serve over HTTPS, or set \
             SESSIOND_ALLOW_INSECURE_COOKIE=true if plain HTTP is on purpose"
                .into(),
        );
    }
    let cookie_name = r.text("SESSIOND_COOKIE_NAME");
    if cookie_name.is_empty()
        || !cookie_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
    {
        r.problems.push(format!(
            "SESSIOND_COOKIE_NAME={cookie_name:?}: use letters, digits, _ and - only"
        ));
    }
    let cookie_same_site = match r.text("SESSIOND_COOKIE_SAMESITE").to_lowercase().as_str() {
        "lax" => SameSite::Lax,
        "strict" => SameSite::Strict,
        other => {
            r.problems.push(format!(
                "SESSIOND_COOKIE_SAMESITE={other:?}: expected lax or strict"
            ));
            SameSite::Lax
        }
    };
    let mut trusted_proxies = Vec::new();
    for ip in r
        .text("SESSIOND_TRUSTED_PROXIES")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match ip.parse() {
            Ok(ip) => trusted_proxies.push(ip),
            Err(_) => r.problems.push(format!(
                "SESSIOND_TRUSTED_PROXIES: {ip:?} is not an IP address"
            )),
        }
    }
    let public_url = Some(r.text("SESSIOND_PUBLIC_URL")).filter(|u| !u.is_empty());
    if let Some(url) = &public_url
        && sessiond_http::csrf::normal_origin(url).is_none()
    {
        r.problems.push(format!(
            "SESSIOND_PUBLIC_URL={url:?}: expected http(s)://HOST[:PORT], with no path"
        ));
    }
    let ldap = read_ldap(r);
    let log_json = match r.text("SESSIOND_LOG_FORMAT").to_lowercase().as_str() {
        "json" => true,
        "text" => false,
        other => {
            r.problems.push(format!(
                "SESSIOND_LOG_FORMAT={other:?}: expected json or text"
            ));
            true
        }
    };
    let connections = crate::ConnectionLimits {
        header_read_timeout: std::time::Duration::from_secs(
            r.positive("SESSIOND_HEADER_READ_TIMEOUT_SECONDS"),
        ),
        max_connections: usize::try_from(r.positive("SESSIOND_MAX_CONNECTIONS"))
            .unwrap_or(usize::MAX),
    };
    ServerConfig {
        bind,
        connections,
        store,
        store_pool_size: u32::try_from(r.positive("SESSIOND_STORE_POOL_SIZE")).unwrap_or(u32::MAX),
        store_timeout_secs: r.positive("SESSIOND_STORE_TIMEOUT_SECONDS"),
        cache: r.flag("SESSION_FEATURE_CACHING").then(|| CacheSettings {
            capacity: usize::try_from(r.positive("SESSIOND_CACHE_CAPACITY")).unwrap_or(usize::MAX),
            ttl_secs: i64::try_from(r.positive("SESSIOND_CACHE_TTL_SECONDS")).unwrap_or(i64::MAX),
        }),
        data_dir: PathBuf::from(r.text("SESSIOND_DATA_DIR")),
        secret_key,
        secret_key_file,
        cookie_name,
        cookie_secure,
        cookie_same_site,
        insecure_cookie_allowed: insecure_cookie_allowed && !cookie_secure,
        public_url,
        trusted_proxies,
        ldap,
        log_filter: r.text("SESSIOND_LOG"),
        log_json,
    }
}

fn read_ldap(r: &mut Reader<'_>) -> Option<sessiond_auth_ldap::LdapSettings> {
    let url = r.text("SESSIOND_LDAP_URL");
    if url.is_empty() {
        return None;
    }
    let starttls = r.flag("SESSIOND_LDAP_STARTTLS");
    if !url.starts_with("ldap://") && !url.starts_with("ldaps://") {
        r.problems.push(format!(
            "SESSIOND_LDAP_URL={url:?}: expected ldaps://HOST:PORT or ldap://HOST:PORT"
        ));
    } else if starttls && url.starts_with("ldaps://") {
        r.problems.push(
            "SESSIOND_LDAP_STARTTLS=true with an ldaps:// URL: the connection is TLS already; \
             use one or the other"
                .to_owned(),
        );
    }
    let ca_file = r.text("SESSIOND_LDAP_CA_FILE");
    let user_dn = r.text("SESSIOND_LDAP_USER_DN");
    if !user_dn.contains("{username}") {
        r.problems.push(format!(
            "SESSIOND_LDAP_USER_DN={user_dn:?}: must contain {{username}}"
        ));
    }
    // DN=ROLE pairs apart by `;`: a DN has commas of its own.
    let mut group_roles = Vec::new();
    for pair in r
        .text("SESSIOND_LDAP_GROUP_ROLES")
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match pair.rsplit_once('=') {
            Some((group, role)) if group.contains('=') && !role.trim().is_empty() => {
                group_roles.push((group.trim().to_owned(), role.trim().to_owned()));
            }
            _ => r.problems.push(format!(
                "SESSIOND_LDAP_GROUP_ROLES: {pair:?} is not GROUP_DN=ROLE (a group is named by \
                 its full DN, e.g. cn=netadmins,ou=groups,dc=example,dc=org=netadmin; pairs are \
                 separated by ;)"
            )),
        }
    }
    let group_base = r.text("SESSIOND_LDAP_GROUP_BASE");
    Some(sessiond_auth_ldap::LdapSettings {
        url,
        starttls,
        ca_file: (!ca_file.is_empty()).then(|| ca_file.into()),
        user_dn,
        group_base: (!group_base.is_empty()).then_some(group_base),
        group_roles,
        default_role: r.text("SESSIOND_LDAP_DEFAULT_ROLE"),
        timeout: std::time::Duration::from_secs(r.positive("SESSIOND_STORE_TIMEOUT_SECONDS")),
    })
}

impl Reader<'_> {
    fn parsed_or<T: std::str::FromStr>(&mut self, name: &str, what: &str, fallback: T) -> T {
        let value = self.text(name);
        value.parse().unwrap_or_else(|_| {
            self.problems
                .push(format!("{name}={value:?}: expected {what}"));
            fallback
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::from_maps;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_the_seeds_and_development_is_valid() {
        let (c, _) = from_maps(&env(&[]), &env(&[])).unwrap();
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.service.timeouts.idle_secs, 86_400);
        assert_eq!(c.service.timeouts.absolute_secs, 604_800);
        assert_eq!(
            c.service.timeouts.lifetime_secs, 86_400,
            "development preset"
        );
        assert_eq!(c.service.timeouts.warning_secs, 900);
        assert_eq!(c.service.cleanup.interval_secs, 900, "development preset");
        assert!(!c.server.cookie_secure);
        assert!(c.debug_mode);
    }

    #[test]
    fn every_environment_preset_is_valid() {
        for e in ENVIRONMENTS {
            let key = "0123456789abcdef0123456789abcdef";
            let got = from_maps(
                &env(&[]),
                &env(&[("SESSION_ENVIRONMENT", e), ("SESSIOND_SECRET_KEY", key)]),
            );
            assert!(got.is_ok(), "{e}: {:?}", got.err());
        }
    }

    #[test]
    fn explicit_variables_win_over_the_preset_and_env_over_dotenv() {
        let dotenv = env(&[
            ("SESSION_ENVIRONMENT", "production"),
            ("SESSION_CLEANUP_BATCH_SIZE", "7"),
        ]);
        let process = env(&[
            ("SESSION_CLEANUP_BATCH_SIZE", "9"),
            ("SESSIOND_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("SESSION_CUSTOM_MAX_RETRIES", "3"),
            ("SESSION_IDEL_TIMEOUT_SECONDS", "5"),
        ]);
        let (c, raw) = from_maps(&dotenv, &process).unwrap();
        assert_eq!(c.environment, Environment::Production);
        assert_eq!(c.service.cleanup.batch_size, 9);
        assert_eq!(c.service.cleanup.max_batches, 20, "production preset");
        assert!(c.server.cookie_secure);
        assert_eq!(c.custom.get("max_retries").map(String::as_str), Some("3"));
        assert_eq!(raw.unknown, vec!["SESSION_IDEL_TIMEOUT_SECONDS"]);
    }

    #[test]
    fn every_problem_is_listed_with_variable_value_and_rule() {
        let bad = env(&[
            ("SESSION_IDLE_TIMEOUT_SECONDS", "100000"),
            ("SESSION_LIFETIME_SECONDS", "50000"),
            ("SESSION_CLEANUP_BATCH_SIZE", "0"),
            ("SESSION_SYNC_TIMEOUT_SECONDS", "40"),
            ("SESSION_MAX_CONCURRENT_PER_USER", "lots"),
            ("SESSION_ENABLE_FINGERPRINTING", "maybe"),
            ("SESSIOND_BIND", "nowhere"),
        ]);
        let problems = from_maps(&env(&[]), &bad).unwrap_err();
        let all = problems.join("\n");
        for needle in [
            "SESSION_IDLE_TIMEOUT_SECONDS=100000 must be <= SESSION_LIFETIME_SECONDS=50000",
            "SESSION_CLEANUP_BATCH_SIZE=0: must be positive",
            "SESSION_SYNC_TIMEOUT_SECONDS=40 must be < SESSION_HEARTBEAT_INTERVAL_SECONDS=30",
            "SESSION_MAX_CONCURRENT_PER_USER=\"lots\"",
            "SESSION_ENABLE_FINGERPRINTING=\"maybe\"",
            "SESSIOND_BIND=\"nowhere\"",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }

    #[test]
    fn ldap_takes_ldaps_or_ldap_and_starttls_only_on_ldap() {
        let ok = |vars: &[(&str, &str)]| from_maps(&env(&[]), &env(vars));
        let (c, _) = ok(&[
            ("SESSIOND_LDAP_URL", "ldaps://dc.corp.example:636"),
            ("SESSIOND_LDAP_CA_FILE", "/etc/ssl/corp-ca.pem"),
        ])
        .unwrap();
        let ldap = c.server.ldap.unwrap();
        assert!(!ldap.starttls);
        assert_eq!(ldap.ca_file, Some("/etc/ssl/corp-ca.pem".into()));
        let (c, _) = ok(&[
            ("SESSIOND_LDAP_URL", "ldap://dc.corp.example"),
            ("SESSIOND_LDAP_STARTTLS", "true"),
        ])
        .unwrap();
        assert!(c.server.ldap.unwrap().starttls);
        for (vars, needle) in [
            (
                &[("SESSIOND_LDAP_URL", "http://dc")][..],
                "expected ldaps://HOST:PORT or ldap://HOST:PORT",
            ),
            (
                &[
                    ("SESSIOND_LDAP_URL", "ldaps://dc"),
                    ("SESSIOND_LDAP_STARTTLS", "true"),
                ][..],
                "the connection is TLS already",
            ),
        ] {
            let all = ok(vars).unwrap_err().join("\n");
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }

    #[test]
    fn second_scale_timeouts_are_valid() {
        let short = env(&[
            ("SESSION_IDLE_TIMEOUT_SECONDS", "3"),
            ("SESSION_LIFETIME_SECONDS", "6"),
            ("SESSION_ABSOLUTE_TIMEOUT_SECONDS", "60"),
            ("SESSION_WARNING_THRESHOLD_SECONDS", "2"),
            ("SESSION_EXPIRATION_GRACE_SECONDS", "1"),
        ]);
        assert!(from_maps(&env(&[]), &short).is_ok());
    }

    #[test]
    fn store_urls_are_checked() {
        for bad in ["postgres-ish://x", "sqlite::memory:", "sqlite://"] {
            let problems = from_maps(&env(&[]), &env(&[("SESSIOND_STORE_URL", bad)])).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains("SESSIOND_STORE_URL")),
                "{bad}: {problems:?}"
            );
        }
        let (c, _) = from_maps(&env(&[]), &env(&[("SESSIOND_STORE_URL", "memory://")])).unwrap();
        assert_eq!(c.server.store, StoreUrl::Memory);
    }

    #[test]
    fn production_requires_a_secret_key() {
        let problems =
            from_maps(&env(&[]), &env(&[("SESSION_ENVIRONMENT", "production")])).unwrap_err();
        assert!(problems.iter().any(|p| p.contains("SESSIOND_SECRET_KEY")));
    }

    #[test]
    fn production_refuses_an_insecure_cookie_unless_told_it_is_on_purpose() {
        let prod = [
            ("SESSION_ENVIRONMENT", "production"),
            ("SESSIOND_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("SESSIOND_COOKIE_SECURE", "false"),
        ];
        let problems = from_maps(&env(&[]), &env(&prod)).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("SESSIOND_COOKIE_SECURE=false in production")),
            "{problems:?}"
        );
        let mut allowed = prod.to_vec();
        allowed.push(("SESSIOND_ALLOW_INSECURE_COOKIE", "true"));
        let (c, _) = from_maps(&env(&[]), &env(&allowed)).unwrap();
        assert!(!c.server.cookie_secure && c.server.insecure_cookie_allowed);
        let (c, _) = from_maps(&env(&[]), &env(&prod[..2])).unwrap();
        assert!(c.server.cookie_secure, "secure by default in production");
    }

    #[test]
    fn ldap_groups_are_mapped_by_full_dn_only() {
        let ldap = |roles: &str| {
            let vars = [
                ("SESSIOND_LDAP_URL", "ldaps://ldap.example.org"),
                ("SESSIOND_LDAP_GROUP_ROLES", roles),
            ];
            from_maps(&env(&[]), &env(&vars))
        };
        let problems = ldap("netadmins=netadmin").unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("full DN")),
            "{problems:?}"
        );
        let (c, _) = ldap(
            "cn=netadmins,ou=groups,dc=example,dc=org=netadmin; cn=root,ou=groups,dc=example,dc=org=superadmin",
        )
        .unwrap();
        let roles = c.server.ldap.unwrap().group_roles;
        assert_eq!(
            roles,
            [
                (
                    "cn=netadmins,ou=groups,dc=example,dc=org".to_owned(),
                    "netadmin".to_owned()
                ),
                (
                    "cn=root,ou=groups,dc=example,dc=org".to_owned(),
                    "superadmin".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("hunter2".into())), "<redacted>");
    }
}
