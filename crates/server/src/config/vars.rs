//! Every variable sessiond reads, in one table: its type, default, per-environment presets,
//! section, status and meaning. Parsing, validation by type, the template, `config show` and
//! docs/configuration.md all come from here, and code names a variable by its constant
//! (`vars::SESSION_IDLE_TIMEOUT_SECONDS`), so a misspelt name does not compile.
//!
//! The table keeps the order docs/configuration.md shows.

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

/// What a value must look like; every set value is checked against it before anything reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true`/`false` (also 1/0, yes/no, on/off).
    Flag,
    /// A whole number, 0 included.
    Whole,
    /// A whole number above 0.
    Positive,
    /// A non-negative number.
    Number,
    /// One of these words, in any letter case.
    Choice(&'static [&'static str]),
    /// An `IP:PORT` socket address.
    Address,
    /// A URL that may hold a password: shown with the password redacted.
    Url,
    /// Comma-separated words.
    List,
    /// Never shown, echoed or logged.
    Secret,
    Text,
}

impl Kind {
    /// The type column of the reference.
    pub fn describe(self) -> String {
        match self {
            Self::Flag => "bool".into(),
            Self::Whole => "integer ≥ 0".into(),
            Self::Positive => "integer > 0".into(),
            Self::Number => "number ≥ 0".into(),
            Self::Choice(words) => words.join(" \\| "),
            Self::Address => "IP:PORT".into(),
            Self::Url => "URL".into(),
            Self::List => "list".into(),
            Self::Secret => "secret".into(),
            Self::Text => "text".into(),
        }
    }
}

#[derive(Debug)]
pub struct Var {
    pub name: &'static str,
    pub kind: Kind,
    /// Empty: unset unless given (or set by the environment's preset).
    pub default: &'static str,
    /// Per environment, in the order of [`ENVIRONMENTS`]; empty: no override.
    pub presets: [&'static str; 4],
    pub section: Section,
    pub help: &'static str,
}

impl Var {
    const fn new(kind: Kind, default: &'static str, section: Section, help: &'static str) -> Self {
        Self {
            name: "",
            kind,
            default,
            presets: [""; 4],
            section,
            help,
        }
    }

    const fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    const fn presets(mut self, presets: [&'static str; 4]) -> Self {
        self.presets = presets;
        self
    }

    /// The preset's value for `environment`, if it overrides the default.
    pub fn preset(&self, environment: Environment) -> Option<&'static str> {
        Some(self.presets[environment as usize]).filter(|v| !v.is_empty())
    }

    pub fn is_secret(&self) -> bool {
        self.kind == Kind::Secret
    }
}

const fn flag(default: &'static str, s: Section, help: &'static str) -> Var {
    Var::new(Kind::Flag, default, s, help)
}
const fn whole(default: &'static str, s: Section, help: &'static str) -> Var {
    Var::new(Kind::Whole, default, s, help)
}
const fn positive(default: &'static str, s: Section, help: &'static str) -> Var {
    Var::new(Kind::Positive, default, s, help)
}
const fn number(default: &'static str, s: Section, help: &'static str) -> Var {
    Var::new(Kind::Number, default, s, help)
}
const fn choice(
    words: &'static [&'static str],
    default: &'static str,
    s: Section,
    help: &'static str,
) -> Var {
    Var::new(Kind::Choice(words), default, s, help)
}
const fn address(default: &'static str, s: Section, help: &'static str) -> Var {
    Var::new(Kind::Address, default, s, help)
}
const fn url(default: &'static str, s: Section, help: &'static str) -> Var {
    Var::new(Kind::Url, default, s, help)
}
const fn list(default: &'static str, s: Section, help: &'static str) -> Var {
    Var::new(Kind::List, default, s, help)
}
const fn secret(s: Section, help: &'static str) -> Var {
    Var::new(Kind::Secret, "", s, help)
}
const fn text(default: &'static str, s: Section, help: &'static str) -> Var {
    Var::new(Kind::Text, default, s, help)
}

pub const ENVIRONMENTS: &[&str] = &["development", "testing", "staging", "production"];

/// Names the configuration guide's prose uses for variables its code reads under another name.
pub const ALIASES: &[(&str, &str)] = &[("SESSION_ENABLE_ANALYTICS", "SESSION_FEATURE_ANALYTICS")];

/// Declares each variable as a constant named after it, and [`VARS`], all of them in order.
macro_rules! table {
    ($($name:ident = $var:expr;)*) => {
        $(pub const $name: &Var = &$var.named(stringify!($name));)*
        pub const VARS: &[&Var] = &[$($name),*];
    };
}

use Section::*;

table! {
    SESSION_ENVIRONMENT = choice(ENVIRONMENTS, "development", General, "development | testing | staging | production: picks the preset below");
    SESSION_DEBUG_MODE = flag("false", General, "sessiond's own debug log lines (SESSIOND_LOG, when set, wins) and the configuration in force logged at start, secrets redacted")
        .presets(["true", "true", "false", "false"]);
    SESSION_ROLES = list("oss,netadmin,superadmin", General, "roles users may have (comma-separated; must include superadmin)");
    // The testing preset of the configuration guide shortens the lifetime to 30 minutes but keeps
    // the 24 h idle timeout, which breaks its own idle <= lifetime rule; idle follows lifetime
    // here (docs/decisions/0002-config-validation-rules.md).
    SESSION_IDLE_TIMEOUT_SECONDS = positive("86400", Timeouts, "end a session after this long without activity")
        .presets(["", "1800", "", ""]);
    SESSION_ABSOLUTE_TIMEOUT_SECONDS = positive("604800", Timeouts, "end a session this long after login, whatever the activity");
    SESSION_LIFETIME_SECONDS = positive("172800", Timeouts, "renewal interval: a token older than this is rotated on its next use")
        .presets(["86400", "1800", "172800", "172800"]);
    SESSION_EXPIRATION_GRACE_SECONDS = whole("300", Timeouts, "a rotated-out token is still accepted this long");
    SESSION_CLEANUP_GRACE_SECONDS = whole("600", Timeouts, "an ended session still answers why it ended for this long");
    SESSION_WARNING_THRESHOLD_SECONDS = positive("900", Timeouts, "checks answer warning: true when less than this remains");
    SESSION_KEEPALIVE_RATE_LIMIT = positive("10", Timeouts, "keep-alives per user per minute");
    SESSION_CLEANUP_INTERVAL_SECONDS = positive("1800", Cleanup, "how often expired sessions are marked and audited")
        .presets(["900", "300", "1800", "3600"]);
    SESSION_BATCH_CLEANUP_INTERVAL_SECONDS = positive("21600", Cleanup, "how often records past their retention are deleted");
    SESSION_DEEP_CLEANUP_INTERVAL_SECONDS = positive("86400", Cleanup, "how often old audit events are deleted");
    SESSION_CLEANUP_BATCH_SIZE = positive("100", Cleanup, "rows per cleanup batch")
        .presets(["", "10", "", "200"]);
    SESSION_MAX_CLEANUP_BATCHES = positive("10", Cleanup, "batches per cleanup run")
        .presets(["", "", "", "20"]);
    SESSION_MAX_EXPIRED_THRESHOLD = positive("1000", Cleanup, "with this many waiting, a run ignores the batch cap");
    SESSION_CLEANUP_TRIGGER_THRESHOLD = positive("500", Cleanup, "with this many waiting, cleanup runs before its interval");
    SESSION_EXPIRED_RETENTION_DAYS = whole("7", Cleanup, "ended session records are kept this long");
    SESSION_AUDIT_RETENTION_DAYS = positive("30", Cleanup, "audit events are kept this long");
    SESSION_SYNC_CHECK_INTERVAL_SECONDS = positive("2", Sync, "how soon the browser client retries a session check that failed");
    SESSION_HEARTBEAT_INTERVAL_SECONDS = positive("30", Sync, "leader-tab heartbeat");
    SESSION_SYNC_TIMEOUT_SECONDS = positive("5", Sync, "a tab state older than this is stale");
    SESSION_TAB_RESPONSE_TIMEOUT_SECONDS = positive("3", Sync, "how long a tab waits for the others to answer");
    SESSION_LOCALSTORAGE_PREFIX = text("sessiond_session_", Sync, "prefix of the client's localStorage keys");
    SESSION_MAX_SYNC_DATA_SIZE = positive("1024", Sync, "largest cross-tab message in bytes");
    SESSION_ENABLE_FINGERPRINTING = flag("true", Security, "record a user-agent fingerprint per session");
    SESSION_ENABLE_SUSPICIOUS_DETECTION = flag("true", Security, "score IP and user-agent drift");
    SESSION_ENABLE_AUDIT_LOGGING = flag("true", Security, "write audit events to the store (they are always logged)");
    SESSION_MAX_CONCURRENT_PER_USER = positive("5", Security, "sessions per user; the least recently active is evicted");
    SESSION_SUSPICIOUS_ACTIVITY_THRESHOLD = positive("10", Security, "suspicion score that triggers the configured response");
    SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR = positive("50", Security, "context switches per session per hour");
    SESSION_SECURITY_CHECK_INTERVAL_SECONDS = positive("300", Security, "how often the security check runs: it logs the audit chain's head as an anchor and deletes lapsed lockout and limit counters");
    SESSION_ENABLE_PERFORMANCE_MONITORING = flag("true", Monitoring, "the latency histograms of /metrics (sessiond_http_request_duration_seconds)")
        .presets(["true", "false", "true", "true"]);
    SESSION_ENABLE_METRICS_COLLECTION = flag("true", Monitoring, "serve /metrics");
    SESSION_ENABLE_HEALTH_CHECKS = flag("true", Monitoring, "serve /healthz and /readyz");
    SESSION_ENABLE_ALERTING = flag("true", Monitoring, "evaluate the SESSION_ALERT_* thresholds in the process: a log line when one fires or clears, sessiond_alert_firing, GET /api/admin/alerts");
    SESSION_ENABLE_CONSOLE_ALERTS = flag("false", Monitoring, "also print each alert that fires or clears as a plain line on standard error");
    SESSION_METRICS_INTERVAL_SECONDS = positive("60", Monitoring, "how often active_sessions is read from the store's tallies and the alerts are sampled; a scrape never queries the store");
    SESSION_HEALTH_CHECK_INTERVAL_SECONDS = positive("300", Monitoring, "how often the health check runs (store answers, cleanup keeps up, clock not gone back): logged when a check fails or recovers, sessiond_health_check_ok, GET /api/admin/alerts");
    SESSION_METRICS_BUFFER_SIZE = positive("1000", Monitoring, "alert samples kept (at least 2); a window reaches back at most this many samples");
    SESSION_EVENTS_BUFFER_SIZE = positive("500", Monitoring, "alert events (fired, cleared) kept for GET /api/admin/alerts");
    SESSION_ALERT_CREATION_RATE = number("100.0", Monitoring, "alert above this many sessions created per minute (over 5 minutes, or 4 samples if longer); 0: off");
    SESSION_ALERT_FAILURE_RATE = number("10.0", Monitoring, "alert above this many failed logins per minute; 0: off");
    SESSION_ALERT_AVG_DURATION = number("3600.0", Monitoring, "alert when the sessions that ended in the window lasted longer than this on average (s); 0: off");
    SESSION_ALERT_CONCURRENT_SESSIONS = number("1000.0", Monitoring, "alert above this many active sessions; 0: off");
    SESSION_ALERT_SUSPICIOUS_RATE = number("5.0", Monitoring, "alert above this many suspicious events per minute (drift, a suspicion score reached, session-id guessing, forged CSRF, refresh token reuse); 0: off");
    SESSION_FEATURE_CROSS_TAB_SYNC = flag("true", Features, "browser tabs share session state");
    SESSION_FEATURE_PLATFORM_SWITCHING = flag("true", Features, "sessions may switch context");
    SESSION_FEATURE_PERSISTENCE = flag("true", Features, "false: sessions live in this process's memory (memory://) and end with it; refused with a durable SESSIOND_STORE_URL set");
    SESSION_FEATURE_OPTIMISTIC_UI = flag("true", Features, "user activity in the page may extend the session");
    SESSION_FEATURE_BACKGROUND_CLEANUP = flag("true", Features, "run cleanup in the background");
    SESSION_FEATURE_ANALYTICS = flag("true", Features, "the session timeline and activity recording: the activity routes, both timeline routes and the errors a session met")
        .presets(["true", "false", "true", "true"]);
    SESSION_FEATURE_CLUSTERING = flag("false", Features, "several nodes act as one, which a shared store (postgres:// or redis://) is what makes true: set, memory and SQLite stores are refused");
    SESSION_FEATURE_DISTRIBUTED = flag("false", Features, "the same as SESSION_FEATURE_CLUSTERING, for nodes on several hosts: set, memory and SQLite stores are refused");
    SESSION_FEATURE_ANONYMOUS_SESSIONS = flag("false", Features, "sessions for visitors before login (POST /api/session/anonymous), upgraded on login");
    SESSION_FEATURE_CACHING = flag("false", Features, "a per-node cache of validated sessions and API keys, invalidated across nodes (docs/performance.md)");
    SESSIOND_BIND = address("127.0.0.1:8080", Server, "address to listen on");
    SESSIOND_BODY_READ_TIMEOUT_SECONDS = positive("10", Server, "a client must send a request's body within this long after its headers, or it is answered 408 and its connection closed");
    SESSIOND_HEADER_READ_TIMEOUT_SECONDS = positive("10", Server, "a client must send a request's headers within this long (also an idle keep-alive connection's next request), or its connection is closed");
    SESSIOND_MAX_CONNECTIONS = positive("1024", Server, "connections open at once; beyond them new clients wait to be accepted");
    SESSIOND_STORE_URL = url("sqlite://data/sessiond.db", Server, "sqlite://PATH, postgres://USER[:PASSWORD]@HOST[:PORT]/DB, redis://HOST:PORT, redis+cluster://HOST:PORT,HOST:PORT,... or memory://");
    SESSIOND_METRICS_BIND = text("", Server, "HOST:PORT of a listener of its own for /metrics (then the main listener does not serve it); empty: /metrics is on the main listener");
    SESSIOND_METRICS_TOKEN = secret(Server, "bearer token a scrape of /metrics must send (Authorization: Bearer ...); with neither this nor SESSIOND_METRICS_BIND, /metrics answers this host only");
    SESSIOND_STORE_POOL_SIZE = positive("8", Server, "store connections");
    SESSIOND_POSTGRES_SCHEMA = text("sessiond", Server, "PostgreSQL: the schema of sessiond's tables, its own (created at start or by migrate), so that the application's database can be shared; tables left in public by an older version stay in use until this is set");
    SESSIOND_STORE_TIMEOUT_SECONDS = positive("5", Server, "longest wait for a store connection");
    SESSIOND_CACHE_CAPACITY = positive("10000", Server, "sessions each node caches when SESSION_FEATURE_CACHING is on");
    SESSIOND_CACHE_TTL_SECONDS = positive("5", Server, "longest a cached session or API key is used without an invalidation notice (at most 60; notices reach every node within a second, on SQLite through the file)");
    SESSIOND_DATA_DIR = text("data", Server, "where a generated secret key is kept");
    SESSIOND_SECRET_KEY = secret(Server, "server key (32+ characters); generated into the data dir outside production");
    SESSIOND_SECRET_KEY_FILE = text("", Server, "file holding the server key");
    SESSIOND_COOKIE_NAME = text("sessiond", Server, "session cookie name (__Host- is prefixed when Secure)");
    SESSIOND_COOKIE_SECURE = flag("", Server, "Secure cookie: default true in staging/production, false otherwise")
        .presets(["false", "false", "true", "true"]);
    SESSIOND_ALLOW_INSECURE_COOKIE = flag("false", Server, "true lets production run with SESSIOND_COOKIE_SECURE=false, for a service reached over plain HTTP on purpose (a closed network). Behind a TLS-terminating proxy keep the cookie Secure: the browser sees HTTPS, whatever the proxy speaks to sessiond");
    SESSIOND_COOKIE_SAMESITE = choice(&["lax", "strict"], "lax", Server, "lax | strict");
    SESSIOND_SUSPICIOUS_RESPONSE = choice(&["log", "reauth", "revoke"], "reauth", Server, "at SESSION_SUSPICIOUS_ACTIVITY_THRESHOLD: log, reauth (end the session) or revoke (end all the user's)");
    SESSIOND_CONCURRENT_POLICY = choice(&["evict_oldest", "deny_new"], "evict_oldest", Server, "a login beyond SESSION_MAX_CONCURRENT_PER_USER: evict_oldest or deny_new");
    SESSIOND_LOGIN_LOCKOUT_THRESHOLD = positive("5", Server, "failed logins before an account is locked (counted by all nodes together)");
    SESSIOND_LOGIN_LOCKOUT_SECONDS = positive("60", Server, "first lock's length; each further lock doubles it, up to an hour");
    SESSIOND_DEVICE_COOKIE_DAYS = whole("180", Server, "a browser that logged in as a user gets a device cookie for this long: the account's lockout does not stop it (its own failures lock it); 0 turns device cookies off");
    SESSIOND_LOGIN_RATE_LIMIT = positive("60", Server, "login attempts per client address per minute (counted by all nodes together)");
    SESSIOND_UNKNOWN_TOKEN_LIMIT = positive("100", Server, "unknown session tokens per client address per minute before it is refused (429)");
    SESSIOND_LONG_SESSION_SECONDS = positive("86400", Server, "a session in use this long after its login adds 5 points to its suspicion score");
    SESSIOND_REAUTH_WINDOW_SECONDS = positive("900", Server, "how long after entering the password a session may revoke another session; later, POST /api/session/reauth first");
    SESSIOND_HASH_WORKERS = positive("", Server, "threads that run Argon2 for logins and password changes; empty: one per core");
    SESSIOND_HASH_QUEUE = whole("64", Server, "logins that may wait for a hashing thread; beyond them a login is answered 503 server_busy with Retry-After");
    SESSIOND_LDAP_URL = url("", Server, "ldaps://HOST:PORT (or ldap:// with SESSIOND_LDAP_STARTTLS) of an LDAP or Active Directory server; empty: no LDAP login");
    SESSIOND_LDAP_STARTTLS = flag("false", Server, "upgrade an ldap:// connection with StartTLS before the password is sent");
    SESSIOND_LDAP_CA_FILE = text("", Server, "PEM file of the CA that signed the LDAP server's certificate; empty: the system's roots");
    SESSIOND_LDAP_USER_DN = text("uid={username},ou=people,dc=example,dc=org", Server, "the DN to bind as, {username} replaced (AD: {username}@corp.example)");
    SESSIOND_LDAP_GROUP_BASE = text("", Server, "where groups with member=<user DN> are searched; empty: no group lookup");
    SESSIOND_LDAP_GROUP_ROLES = text("", Server, "GROUP_DN=ROLE pairs separated by ; (cn=netadmins,ou=groups,dc=example,dc=org=netadmin); groups are named by their full DN; the first match wins");
    SESSIOND_LDAP_DEFAULT_ROLE = text("oss", Server, "the role of LDAP users in no mapped group");
    SESSIOND_PUBLIC_URL = url("", Server, "the URL browsers reach sessiond at (https://auth.example.com); when set, an Origin header must match its scheme, host and port");
    SESSIOND_TRUSTED_PROXIES = list("", Server, "comma-separated addresses or CIDR ranges (10.0.0.0/8, fd00::/8) of the proxies whose X-Forwarded-* headers are believed; the client is the right-most X-Forwarded-For entry that is not one of them");
    SESSIOND_VERIFY_REDIRECT = flag("false", Server, "forward auth answers a browser's page request without a session with 302 to the login page, as /auth/verify?redirect=1 does, instead of 401");
    SESSIOND_VERIFY_ANONYMOUS = flag("false", Server, "forward auth lets a visitor's anonymous session (SESSION_FEATURE_ANONYMOUS_SESSIONS) through with 200; otherwise it is 401 anonymous_session, as no session is");
    SESSIOND_RETURN_HOSTS = list("", Server, "comma-separated hosts (host or host:port) besides sessiond's own that forward auth may send a browser back to after the login");
    SESSIOND_TOKEN_ISSUER = text("", Server, "the access tokens' iss; empty: SESSIOND_PUBLIC_URL, or sessiond without one");
    SESSIOND_TOKEN_AUDIENCE = text("sessiond", Server, "the access tokens' aud");
    SESSIOND_ACCESS_TOKEN_SECONDS = positive("900", Server, "an access token's lifetime (seed 003), never past its session's deadline");
    SESSIOND_REFRESH_TOKEN_SECONDS = positive("86400", Server, "a refresh token's lifetime after it was issued (seed 003), never past its session's deadline");
    SESSIOND_REFRESH_ROTATION = flag("true", Server, "each refresh gives a new refresh token, and a reused one revokes the session as stolen; false keeps one refresh token until it expires (seed 003's clients), still hashed and revocable, but a stolen one works as its owner's");
    SESSIOND_REFRESH_REUSE_GRACE_SECONDS = whole("10", Server, "how long a rotated-out refresh token still gets its session's current tokens (parallel refreshes, a lost answer); at most 30; 0: any reuse is theft");
    SESSIOND_TOKEN_LEEWAY_SECONDS = whole("5", Server, "clock skew allowed on an access token's exp and nbf; at most 60");
    SESSIOND_SIGNING_KEY_ROTATION_SECONDS = whole("2592000", Server, "a new access token signing key once the newest is this old (the old one verifies until its tokens expire); 0: only sessiond keys rotate");
    SESSIOND_LOG = text("info", Server, "log filter: a level (trace, debug, info, warn, error, off), then TARGET=LEVEL directives, e.g. info,sessiond::access=warn");
    SESSIOND_LOG_FORMAT = choice(&["auto", "json", "text"], "auto", Server, "auto (text on a terminal, JSON into a pipe or file) | json | text; colours only on a terminal, never with NO_COLOR set");
}

pub fn find(name: &str) -> Option<&'static Var> {
    VARS.iter().copied().find(|v| v.name == name)
}

/// `SESSION_ENVIRONMENT`, one of [`ENVIRONMENTS`].
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

    /// By name, in any letter case.
    pub fn parse(name: &str) -> Option<Self> {
        let all = [
            Self::Development,
            Self::Testing,
            Self::Staging,
            Self::Production,
        ];
        all.into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(name.trim()))
    }
}
