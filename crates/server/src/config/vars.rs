//! Every variable sessiond reads, with its seed 001 default, in one table. Parsing, the
//! template, `config show` and the README's reference all come from here.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Timeouts,
    Cleanup,
    Sync,
    Security,
    Monitoring,
    Features,
    General,
    Server,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Self::Timeouts => "Session timeouts",
            Self::Cleanup => "Session cleanup",
            Self::Sync => "Cross-tab synchronisation",
            Self::Security => "Session security",
            Self::Monitoring => "Monitoring",
            Self::Features => "Feature flags",
            Self::General => "Environment",
            Self::Server => "Server (sessiond)",
        }
    }
}

pub struct Var {
    pub name: &'static str,
    /// Empty: unset unless given (or set by the environment's preset).
    pub default: &'static str,
    pub section: Section,
    pub secret: bool,
    pub help: &'static str,
}

const fn v(name: &'static str, default: &'static str, section: Section, help: &'static str) -> Var {
    Var {
        name,
        default,
        section,
        secret: false,
        help,
    }
}

use Section::*;

pub const VARS: &[Var] = &[
    v(
        "SESSION_ENVIRONMENT",
        "development",
        General,
        "development | testing | staging | production: picks the preset below",
    ),
    v("SESSION_DEBUG_MODE", "false", General, "verbose logging"),
    v(
        "SESSION_ROLES",
        "oss,netadmin,superadmin",
        General,
        "roles users may have (comma-separated; must include superadmin)",
    ),
    v(
        "SESSION_IDLE_TIMEOUT_SECONDS",
        "86400",
        Timeouts,
        "end a session after this long without activity",
    ),
    v(
        "SESSION_ABSOLUTE_TIMEOUT_SECONDS",
        "604800",
        Timeouts,
        "end a session this long after login, whatever the activity",
    ),
    v(
        "SESSION_LIFETIME_SECONDS",
        "172800",
        Timeouts,
        "renewal interval: a token older than this is rotated on its next use",
    ),
    v(
        "SESSION_EXPIRATION_GRACE_SECONDS",
        "300",
        Timeouts,
        "a rotated-out token is still accepted this long",
    ),
    v(
        "SESSION_CLEANUP_GRACE_SECONDS",
        "600",
        Timeouts,
        "an ended session still answers why it ended for this long",
    ),
    v(
        "SESSION_WARNING_THRESHOLD_SECONDS",
        "900",
        Timeouts,
        "checks answer warning: true when less than this remains",
    ),
    v(
        "SESSION_KEEPALIVE_RATE_LIMIT",
        "10",
        Timeouts,
        "keep-alives per user per minute",
    ),
    v(
        "SESSION_CLEANUP_INTERVAL_SECONDS",
        "1800",
        Cleanup,
        "how often expired sessions are marked and audited",
    ),
    v(
        "SESSION_BATCH_CLEANUP_INTERVAL_SECONDS",
        "21600",
        Cleanup,
        "how often records past their retention are deleted",
    ),
    v(
        "SESSION_DEEP_CLEANUP_INTERVAL_SECONDS",
        "86400",
        Cleanup,
        "how often old audit events are deleted",
    ),
    v(
        "SESSION_CLEANUP_BATCH_SIZE",
        "100",
        Cleanup,
        "rows per cleanup batch",
    ),
    v(
        "SESSION_MAX_CLEANUP_BATCHES",
        "10",
        Cleanup,
        "batches per cleanup run",
    ),
    v(
        "SESSION_MAX_EXPIRED_THRESHOLD",
        "1000",
        Cleanup,
        "with this many waiting, a run ignores the batch cap",
    ),
    v(
        "SESSION_CLEANUP_TRIGGER_THRESHOLD",
        "500",
        Cleanup,
        "with this many waiting, cleanup runs before its interval",
    ),
    v(
        "SESSION_EXPIRED_RETENTION_DAYS",
        "7",
        Cleanup,
        "ended session records are kept this long",
    ),
    v(
        "SESSION_AUDIT_RETENTION_DAYS",
        "30",
        Cleanup,
        "audit events are kept this long",
    ),
    v(
        "SESSION_SYNC_CHECK_INTERVAL_SECONDS",
        "2",
        Sync,
        "how soon the browser client retries a session check that failed",
    ),
    v(
        "SESSION_HEARTBEAT_INTERVAL_SECONDS",
        "30",
        Sync,
        "leader-tab heartbeat",
    ),
    v(
        "SESSION_SYNC_TIMEOUT_SECONDS",
        "5",
        Sync,
        "a tab state older than this is stale",
    ),
    v(
        "SESSION_TAB_RESPONSE_TIMEOUT_SECONDS",
        "3",
        Sync,
        "how long a tab waits for the others to answer",
    ),
    v(
        "SESSION_LOCALSTORAGE_PREFIX",
        "sessiond_session_",
        Sync,
        "prefix of the client's localStorage keys",
    ),
    v(
        "SESSION_MAX_SYNC_DATA_SIZE",
        "1024",
        Sync,
        "largest cross-tab message in bytes",
    ),
    v(
        "SESSION_ENABLE_FINGERPRINTING",
        "true",
        Security,
        "record a user-agent fingerprint per session",
    ),
    v(
        "SESSION_ENABLE_SUSPICIOUS_DETECTION",
        "true",
        Security,
        "score IP and user-agent drift",
    ),
    v(
        "SESSION_ENABLE_AUDIT_LOGGING",
        "true",
        Security,
        "write audit events to the store (they are always logged)",
    ),
    v(
        "SESSION_MAX_CONCURRENT_PER_USER",
        "5",
        Security,
        "sessions per user; the least recently active is evicted",
    ),
    v(
        "SESSION_SUSPICIOUS_ACTIVITY_THRESHOLD",
        "10",
        Security,
        "suspicion score that triggers the configured response",
    ),
    v(
        "SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR",
        "50",
        Security,
        "context switches per session per hour",
    ),
    v(
        "SESSION_SECURITY_CHECK_INTERVAL_SECONDS",
        "300",
        Security,
        "how often the security check runs: it logs the audit chain's head as an anchor and deletes lapsed lockout and limit counters",
    ),
    v(
        "SESSION_ENABLE_PERFORMANCE_MONITORING",
        "true",
        Monitoring,
        "collect performance data",
    ),
    v(
        "SESSION_ENABLE_METRICS_COLLECTION",
        "true",
        Monitoring,
        "serve /metrics",
    ),
    v(
        "SESSION_ENABLE_HEALTH_CHECKS",
        "true",
        Monitoring,
        "serve /healthz and /readyz",
    ),
    v(
        "SESSION_ENABLE_ALERTING",
        "true",
        Monitoring,
        "evaluate alert thresholds",
    ),
    v(
        "SESSION_ENABLE_CONSOLE_ALERTS",
        "false",
        Monitoring,
        "print alerts to the console",
    ),
    v(
        "SESSION_METRICS_INTERVAL_SECONDS",
        "60",
        Monitoring,
        "metrics collection interval",
    ),
    v(
        "SESSION_HEALTH_CHECK_INTERVAL_SECONDS",
        "300",
        Monitoring,
        "health check interval",
    ),
    v(
        "SESSION_METRICS_BUFFER_SIZE",
        "1000",
        Monitoring,
        "metrics buffer size",
    ),
    v(
        "SESSION_EVENTS_BUFFER_SIZE",
        "500",
        Monitoring,
        "events buffer size",
    ),
    v(
        "SESSION_ALERT_CREATION_RATE",
        "100.0",
        Monitoring,
        "alert: sessions created per minute",
    ),
    v(
        "SESSION_ALERT_FAILURE_RATE",
        "10.0",
        Monitoring,
        "alert: failures per minute",
    ),
    v(
        "SESSION_ALERT_AVG_DURATION",
        "3600.0",
        Monitoring,
        "alert: average session duration (s)",
    ),
    v(
        "SESSION_ALERT_CONCURRENT_SESSIONS",
        "1000.0",
        Monitoring,
        "alert: concurrent sessions",
    ),
    v(
        "SESSION_ALERT_SUSPICIOUS_RATE",
        "5.0",
        Monitoring,
        "alert: suspicious events per minute",
    ),
    v(
        "SESSION_FEATURE_CROSS_TAB_SYNC",
        "true",
        Features,
        "browser tabs share session state",
    ),
    v(
        "SESSION_FEATURE_PLATFORM_SWITCHING",
        "true",
        Features,
        "sessions may switch context",
    ),
    v(
        "SESSION_FEATURE_PERSISTENCE",
        "true",
        Features,
        "sessions persist in the store",
    ),
    v(
        "SESSION_FEATURE_OPTIMISTIC_UI",
        "true",
        Features,
        "user activity in the page may extend the session",
    ),
    v(
        "SESSION_FEATURE_BACKGROUND_CLEANUP",
        "true",
        Features,
        "run cleanup in the background",
    ),
    v(
        "SESSION_FEATURE_ANALYTICS",
        "true",
        Features,
        "session analytics",
    ),
    v(
        "SESSION_FEATURE_CLUSTERING",
        "false",
        Features,
        "experimental: clustering",
    ),
    v(
        "SESSION_FEATURE_DISTRIBUTED",
        "false",
        Features,
        "experimental: distributed sessions",
    ),
    v(
        "SESSION_FEATURE_ANONYMOUS_SESSIONS",
        "false",
        Features,
        "sessions for visitors before login (POST /api/session/anonymous), upgraded on login",
    ),
    v(
        "SESSION_FEATURE_CACHING",
        "false",
        Features,
        "experimental: per-node cache of validated sessions",
    ),
    v(
        "SESSIOND_BIND",
        "127.0.0.1:8080",
        Server,
        "address to listen on",
    ),
    v(
        "SESSIOND_HEADER_READ_TIMEOUT_SECONDS",
        "10",
        Server,
        "a client must send a request's headers within this long (also an idle keep-alive connection's next request), or its connection is closed",
    ),
    v(
        "SESSIOND_MAX_CONNECTIONS",
        "1024",
        Server,
        "connections open at once; beyond them new clients wait to be accepted",
    ),
    v(
        "SESSIOND_STORE_URL",
        "sqlite://data/sessiond.db",
        Server,
        "sqlite://PATH, postgres://USER[:PASSWORD]@HOST[:PORT]/DB, redis://HOST:PORT, redis+cluster://HOST:PORT,HOST:PORT,... or memory://",
    ),
    v("SESSIOND_STORE_POOL_SIZE", "8", Server, "store connections"),
    v(
        "SESSIOND_STORE_TIMEOUT_SECONDS",
        "5",
        Server,
        "longest wait for a store connection",
    ),
    v(
        "SESSIOND_CACHE_CAPACITY",
        "10000",
        Server,
        "sessions each node caches when SESSION_FEATURE_CACHING is on",
    ),
    v(
        "SESSIOND_CACHE_TTL_SECONDS",
        "5",
        Server,
        "longest a cached session is used without an invalidation notice",
    ),
    v(
        "SESSIOND_DATA_DIR",
        "data",
        Server,
        "where a generated secret key is kept",
    ),
    Var {
        secret: true,
        ..v(
            "SESSIOND_SECRET_KEY",
            "",
            Server,
            "server key (32+ characters); generated into the data dir outside production",
        )
    },
    v(
        "SESSIOND_SECRET_KEY_FILE",
        "",
        Server,
        "file holding the server key",
    ),
    v(
        "SESSIOND_COOKIE_NAME",
        "sessiond",
        Server,
        "session cookie name (__Host- is prefixed when Secure)",
    ),
    v(
        "SESSIOND_COOKIE_SECURE",
        "",
        Server,
        "Secure cookie: default true in staging/production, false otherwise",
    ),
    v(
        "SESSIOND_ALLOW_INSECURE_COOKIE",
        "false",
        Server,
        "true lets production run with SESSIOND_COOKIE_SECURE=false (behind plain HTTP on purpose, e.g. a TLS-terminating proxy on the same host); otherwise that is refused at start",
    ),
    v("SESSIOND_COOKIE_SAMESITE", "lax", Server, "lax | strict"),
    v(
        "SESSIOND_SUSPICIOUS_RESPONSE",
        "reauth",
        Server,
        "at SESSION_SUSPICIOUS_ACTIVITY_THRESHOLD: log, reauth (end the session) or revoke (end all the user's)",
    ),
    v(
        "SESSIOND_CONCURRENT_POLICY",
        "evict_oldest",
        Server,
        "a login beyond SESSION_MAX_CONCURRENT_PER_USER: evict_oldest or deny_new",
    ),
    v(
        "SESSIOND_LOGIN_LOCKOUT_THRESHOLD",
        "5",
        Server,
        "failed logins before an account is locked (counted by all nodes together)",
    ),
    v(
        "SESSIOND_LOGIN_LOCKOUT_SECONDS",
        "60",
        Server,
        "first lock's length; each further lock doubles it, up to an hour",
    ),
    v(
        "SESSIOND_DEVICE_COOKIE_DAYS",
        "180",
        Server,
        "a browser that logged in as a user gets a device cookie for this long: the account's lockout does not stop it (its own failures lock it); 0 turns device cookies off",
    ),
    v(
        "SESSIOND_LOGIN_RATE_LIMIT",
        "60",
        Server,
        "login attempts per client address per minute (counted by all nodes together)",
    ),
    v(
        "SESSIOND_UNKNOWN_TOKEN_LIMIT",
        "100",
        Server,
        "unknown session tokens per client address per minute before it is refused (429)",
    ),
    v(
        "SESSIOND_LONG_SESSION_SECONDS",
        "86400",
        Server,
        "a session in use this long after its login adds 5 points to its suspicion score",
    ),
    v(
        "SESSIOND_REAUTH_WINDOW_SECONDS",
        "900",
        Server,
        "how long after entering the password a session may revoke another session; later, POST /api/session/reauth first",
    ),
    v(
        "SESSIOND_HASH_WORKERS",
        "",
        Server,
        "threads that run Argon2 for logins and password changes; empty: one per core",
    ),
    v(
        "SESSIOND_HASH_QUEUE",
        "64",
        Server,
        "logins that may wait for a hashing thread; beyond them a login is answered 503 server_busy with Retry-After",
    ),
    v(
        "SESSIOND_LDAP_URL",
        "",
        Server,
        "ldaps://HOST:PORT (or ldap:// with SESSIOND_LDAP_STARTTLS) of an LDAP or Active Directory server; empty: no LDAP login",
    ),
    v(
        "SESSIOND_LDAP_STARTTLS",
        "false",
        Server,
        "upgrade an ldap:// connection with StartTLS before the password is sent",
    ),
    v(
        "SESSIOND_LDAP_CA_FILE",
        "",
        Server,
        "PEM file of the CA that signed the LDAP server's certificate; empty: the system's roots",
    ),
    v(
        "SESSIOND_LDAP_USER_DN",
        "uid={username},ou=people,dc=example,dc=org",
        Server,
        "the DN to bind as, {username} replaced (AD: {username}@corp.example)",
    ),
    v(
        "SESSIOND_LDAP_GROUP_BASE",
        "",
        Server,
        "where groups with member=<user DN> are searched; empty: no group lookup",
    ),
    v(
        "SESSIOND_LDAP_GROUP_ROLES",
        "",
        Server,
        "GROUP_DN=ROLE pairs separated by ; (cn=netadmins,ou=groups,dc=example,dc=org=netadmin); groups are named by their full DN; the first match wins",
    ),
    v(
        "SESSIOND_LDAP_DEFAULT_ROLE",
        "oss",
        Server,
        "the role of LDAP users in no mapped group",
    ),
    v(
        "SESSIOND_PUBLIC_URL",
        "",
        Server,
        "the URL browsers reach sessiond at (https://auth.example.com); when set, an Origin header must match its scheme, host and port",
    ),
    v(
        "SESSIOND_TRUSTED_PROXIES",
        "",
        Server,
        "comma-separated proxy IPs whose X-Forwarded-For is believed",
    ),
    v(
        "SESSIOND_LOG",
        "info",
        Server,
        "log filter (tracing EnvFilter syntax)",
    ),
    v("SESSIOND_LOG_FORMAT", "json", Server, "json | text"),
];

/// Seed 001's per-environment overrides. A variable set explicitly wins over these.
pub fn preset(environment: &str) -> &'static [(&'static str, &'static str)] {
    match environment {
        "development" => &[
            ("SESSION_DEBUG_MODE", "true"),
            ("SESSION_LIFETIME_SECONDS", "86400"),
            ("SESSION_CLEANUP_INTERVAL_SECONDS", "900"),
            ("SESSION_ENABLE_PERFORMANCE_MONITORING", "true"),
            ("SESSION_FEATURE_ANALYTICS", "true"),
            ("SESSIOND_COOKIE_SECURE", "false"),
        ],
        // The seed's testing preset shortens the lifetime to 30 minutes but keeps the 24 h idle
        // timeout, which breaks its own idle <= lifetime rule; idle follows lifetime here
        // (docs/decisions/0002-config-validation-rules.md).
        "testing" => &[
            ("SESSION_DEBUG_MODE", "true"),
            ("SESSION_LIFETIME_SECONDS", "1800"),
            ("SESSION_IDLE_TIMEOUT_SECONDS", "1800"),
            ("SESSION_CLEANUP_INTERVAL_SECONDS", "300"),
            ("SESSION_ENABLE_PERFORMANCE_MONITORING", "false"),
            ("SESSION_FEATURE_ANALYTICS", "false"),
            ("SESSION_CLEANUP_BATCH_SIZE", "10"),
            ("SESSIOND_COOKIE_SECURE", "false"),
        ],
        "staging" => &[
            ("SESSION_DEBUG_MODE", "false"),
            ("SESSION_LIFETIME_SECONDS", "172800"),
            ("SESSION_CLEANUP_INTERVAL_SECONDS", "1800"),
            ("SESSION_ENABLE_PERFORMANCE_MONITORING", "true"),
            ("SESSION_FEATURE_ANALYTICS", "true"),
            ("SESSIOND_COOKIE_SECURE", "true"),
        ],
        "production" => &[
            ("SESSION_DEBUG_MODE", "false"),
            ("SESSION_LIFETIME_SECONDS", "172800"),
            ("SESSION_CLEANUP_INTERVAL_SECONDS", "3600"),
            ("SESSION_ENABLE_PERFORMANCE_MONITORING", "true"),
            ("SESSION_FEATURE_ANALYTICS", "true"),
            ("SESSION_CLEANUP_BATCH_SIZE", "200"),
            ("SESSION_MAX_CLEANUP_BATCHES", "20"),
            ("SESSIOND_COOKIE_SECURE", "true"),
        ],
        _ => &[],
    }
}

pub const ENVIRONMENTS: [&str; 4] = ["development", "testing", "staging", "production"];

/// Names seed 001's prose uses for variables its code reads under another name.
pub const ALIASES: &[(&str, &str)] = &[("SESSION_ENABLE_ANALYTICS", "SESSION_FEATURE_ANALYTICS")];

/// Variables that are read and validated now but act only once the part of sessiond that uses
/// them ships; the configuration reference says so rather than imply they work.
pub fn pending(name: &str) -> Option<&'static str> {
    const ALERTS: &str = "alerting";
    Some(match name {
        "SESSION_ENABLE_PERFORMANCE_MONITORING"
        | "SESSION_ENABLE_ALERTING"
        | "SESSION_ENABLE_CONSOLE_ALERTS"
        | "SESSION_METRICS_INTERVAL_SECONDS"
        | "SESSION_HEALTH_CHECK_INTERVAL_SECONDS"
        | "SESSION_METRICS_BUFFER_SIZE"
        | "SESSION_EVENTS_BUFFER_SIZE"
        | "SESSION_ALERT_CREATION_RATE"
        | "SESSION_ALERT_FAILURE_RATE"
        | "SESSION_ALERT_AVG_DURATION"
        | "SESSION_ALERT_CONCURRENT_SESSIONS"
        | "SESSION_ALERT_SUSPICIOUS_RATE" => ALERTS,
        "SESSION_FEATURE_CLUSTERING" | "SESSION_FEATURE_DISTRIBUTED" => "multi-node stores",
        "SESSION_DEBUG_MODE" | "SESSION_FEATURE_PERSISTENCE" | "SESSION_FEATURE_ANALYTICS" => {
            "a later release"
        }
        _ => return None,
    })
}

pub fn find(name: &str) -> Option<&'static Var> {
    VARS.iter().find(|v| v.name == name)
}
