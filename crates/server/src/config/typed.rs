//! The checked, typed configuration. Every rule of the configuration guide is enforced here
//! (docs/configuration.md), and every problem is reported at once, naming the variable, its value
//! and the rule. Values are read by their table constant (`vars.rs`); the server's own settings
//! are read in `server.rs`.

use std::collections::BTreeMap;

use sessiond_core::policy::Timeouts;
use sessiond_core::service::{CleanupSettings, ConcurrentPolicy, Suspicion, SuspiciousResponse};
use sessiond_core::{Settings, user::SUPERADMIN};

use super::raw::RawConfig;
use super::reader::Reader;
use super::server::ServerConfig;
use super::vars::*;

#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub check_interval_secs: u64,
    pub heartbeat_interval_secs: u64,
    pub sync_timeout_secs: u64,
    pub tab_response_timeout_secs: u64,
    pub localstorage_prefix: String,
    pub max_sync_data_size: u64,
}

/// What the server (not the core) does with the security settings; the rest is in
/// [`Settings`].
#[derive(Debug, Clone)]
pub struct Security {
    pub audit_logging: bool,
    pub security_check_interval_secs: u64,
}

/// Which operational endpoints are served, and what the monitoring job does.
#[derive(Debug, Clone)]
pub struct Monitoring {
    pub metrics_collection: bool,
    pub health_checks: bool,
    /// `SESSION_METRICS_INTERVAL_SECONDS`: how often the gauges that need the store are read
    /// and the alerts evaluated.
    pub metrics_interval_secs: u64,
    /// `SESSION_ENABLE_PERFORMANCE_MONITORING`: the latency histograms.
    pub performance: bool,
    /// `SESSION_ENABLE_ALERTING`.
    pub alerting: bool,
    /// `SESSION_ENABLE_CONSOLE_ALERTS`: alerts also printed to standard error as plain lines.
    pub console_alerts: bool,
    pub health_check_interval_secs: u64,
    /// `SESSION_METRICS_BUFFER_SIZE`: samples kept for the alerts' windows.
    pub metrics_buffer: usize,
    /// `SESSION_EVENTS_BUFFER_SIZE`: alert events kept for the admin API.
    pub events_buffer: usize,
    pub thresholds: sessiond_core::alerts::Thresholds,
}

#[derive(Debug, Clone)]
pub struct Features {
    pub cross_tab_sync: bool,
    pub platform_switching: bool,
    pub optimistic_ui: bool,
    pub background_cleanup: bool,
    pub anonymous_sessions: bool,
    /// `SESSION_FEATURE_ANALYTICS`: the session timeline and activity recording.
    pub analytics: bool,
    /// `SESSION_FEATURE_PERSISTENCE`: false keeps sessions in this process's memory.
    pub persistence: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    /// What the core enforces: timeouts, limits, roles, cleanup.
    pub service: Settings,
    pub sync: SyncConfig,
    pub security: Security,
    pub monitoring: Monitoring,
    pub features: Features,
    pub custom: BTreeMap<String, String>,
    pub server: ServerConfig,
    /// Every variable as an operator may see it, secrets redacted (`GET /api/admin/config`).
    pub shown: Vec<super::Shown>,
}

fn secs(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Config {
    pub fn from_raw(raw: &RawConfig) -> Result<Self, Vec<String>> {
        let mut r = Reader::new(raw);
        let environment =
            Environment::parse(&r.choice(SESSION_ENVIRONMENT)).unwrap_or(Environment::Development);

        let (idle, absolute, lifetime) = (
            r.number(SESSION_IDLE_TIMEOUT_SECONDS),
            r.number(SESSION_ABSOLUTE_TIMEOUT_SECONDS),
            r.number(SESSION_LIFETIME_SECONDS),
        );
        let (grace, cleanup_grace, warning) = (
            r.number(SESSION_EXPIRATION_GRACE_SECONDS),
            r.number(SESSION_CLEANUP_GRACE_SECONDS),
            r.number(SESSION_WARNING_THRESHOLD_SECONDS),
        );
        r.order(
            (SESSION_IDLE_TIMEOUT_SECONDS, idle),
            (SESSION_LIFETIME_SECONDS, lifetime),
            true,
            "the idle timeout should not exceed the session lifetime",
        );
        r.order(
            (SESSION_EXPIRATION_GRACE_SECONDS, grace),
            (SESSION_IDLE_TIMEOUT_SECONDS, idle),
            false,
            "the expiration grace period should be less than the idle timeout",
        );
        r.order(
            (SESSION_WARNING_THRESHOLD_SECONDS, warning),
            (SESSION_IDLE_TIMEOUT_SECONDS, idle),
            false,
            "the warning must come before the idle timeout ends the session",
        );
        r.order(
            (SESSION_IDLE_TIMEOUT_SECONDS, idle),
            (SESSION_ABSOLUTE_TIMEOUT_SECONDS, absolute),
            true,
            "the idle timeout cannot be longer than the absolute timeout",
        );
        if idle <= 900 && (warning >= idle || grace >= idle) {
            r.problem(format!(
                "SESSION_IDLE_TIMEOUT_SECONDS={idle}: a timeout this short needs a warning and a \
                 renewal grace shorter than it; seed 000's 5-minute timeout warned 1 minute \
                 before the end, which is SESSION_WARNING_THRESHOLD_SECONDS=60 (and, say, \
                 SESSION_EXPIRATION_GRACE_SECONDS=30) \
                 (docs/decisions/0019-seed-000s-five-minute-timeout.md)"
            ));
        }

        let cleanup = CleanupSettings {
            interval_secs: secs(r.number(SESSION_CLEANUP_INTERVAL_SECONDS)),
            batch_interval_secs: secs(r.number(SESSION_BATCH_CLEANUP_INTERVAL_SECONDS)),
            deep_interval_secs: secs(r.number(SESSION_DEEP_CLEANUP_INTERVAL_SECONDS)),
            batch_size: u32::try_from(r.number(SESSION_CLEANUP_BATCH_SIZE)).unwrap_or(u32::MAX),
            max_batches: u32::try_from(r.number(SESSION_MAX_CLEANUP_BATCHES)).unwrap_or(u32::MAX),
            max_expired_threshold: r.number(SESSION_MAX_EXPIRED_THRESHOLD),
            trigger_threshold: r.number(SESSION_CLEANUP_TRIGGER_THRESHOLD),
            expired_retention_days: secs(r.number(SESSION_EXPIRED_RETENTION_DAYS)),
            audit_retention_days: secs(r.number(SESSION_AUDIT_RETENTION_DAYS)),
        };
        r.order(
            (
                SESSION_CLEANUP_INTERVAL_SECONDS,
                cleanup.interval_secs as u64,
            ),
            (
                SESSION_BATCH_CLEANUP_INTERVAL_SECONDS,
                cleanup.batch_interval_secs as u64,
            ),
            false,
            "the cleanup interval should be less than the batch cleanup interval",
        );
        r.order(
            (
                SESSION_BATCH_CLEANUP_INTERVAL_SECONDS,
                cleanup.batch_interval_secs as u64,
            ),
            (
                SESSION_DEEP_CLEANUP_INTERVAL_SECONDS,
                cleanup.deep_interval_secs as u64,
            ),
            true,
            "the batch cleanup interval should not exceed the deep cleanup interval",
        );
        r.order(
            (SESSION_CLEANUP_TRIGGER_THRESHOLD, cleanup.trigger_threshold),
            (SESSION_MAX_EXPIRED_THRESHOLD, cleanup.max_expired_threshold),
            true,
            "the trigger threshold should not exceed the max expired threshold",
        );

        let sync = SyncConfig {
            check_interval_secs: r.number(SESSION_SYNC_CHECK_INTERVAL_SECONDS),
            heartbeat_interval_secs: r.number(SESSION_HEARTBEAT_INTERVAL_SECONDS),
            sync_timeout_secs: r.number(SESSION_SYNC_TIMEOUT_SECONDS),
            tab_response_timeout_secs: r.number(SESSION_TAB_RESPONSE_TIMEOUT_SECONDS),
            localstorage_prefix: r.text(SESSION_LOCALSTORAGE_PREFIX),
            max_sync_data_size: r.number(SESSION_MAX_SYNC_DATA_SIZE),
        };
        r.order(
            (SESSION_SYNC_TIMEOUT_SECONDS, sync.sync_timeout_secs),
            (
                SESSION_HEARTBEAT_INTERVAL_SECONDS,
                sync.heartbeat_interval_secs,
            ),
            false,
            "the sync timeout should be less than the heartbeat interval",
        );
        r.order(
            (
                SESSION_TAB_RESPONSE_TIMEOUT_SECONDS,
                sync.tab_response_timeout_secs,
            ),
            (SESSION_SYNC_TIMEOUT_SECONDS, sync.sync_timeout_secs),
            true,
            "a tab's response timeout should not exceed the sync timeout",
        );
        let prefix = &sync.localstorage_prefix;
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            r.problem(format!(
                "SESSION_LOCALSTORAGE_PREFIX={prefix:?}: use letters, digits, _ and - only"
            ));
        }

        let security = Security {
            audit_logging: r.flag(SESSION_ENABLE_AUDIT_LOGGING),
            security_check_interval_secs: r.number(SESSION_SECURITY_CHECK_INTERVAL_SECONDS),
        };
        let max_concurrent = r.number(SESSION_MAX_CONCURRENT_PER_USER);
        let keepalive = r.number(SESSION_KEEPALIVE_RATE_LIMIT);
        let lockout_threshold = r.number(SESSIOND_LOGIN_LOCKOUT_THRESHOLD);
        let lockout_secs = r.number(SESSIOND_LOGIN_LOCKOUT_SECONDS);
        let logins_per_ip = r.number(SESSIOND_LOGIN_RATE_LIMIT);
        let unknown_tokens = r.number(SESSIOND_UNKNOWN_TOKEN_LIMIT);
        let reauth_window = r.number(SESSIOND_REAUTH_WINDOW_SECONDS);
        let long_session = r.number(SESSIOND_LONG_SESSION_SECONDS);
        let hash_workers = match r.number(SESSIOND_HASH_WORKERS) {
            0 => sessiond_core::hashing::HashPool::default_workers(),
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let hash_queue = usize::try_from(r.number(SESSIOND_HASH_QUEUE)).unwrap_or(usize::MAX);
        let device_cookie_secs =
            i64::try_from(r.number(SESSIOND_DEVICE_COOKIE_DAYS).saturating_mul(86_400))
                .unwrap_or(i64::MAX);
        let suspicious_response = match r.choice(SESSIOND_SUSPICIOUS_RESPONSE).as_str() {
            "log" => SuspiciousResponse::Log,
            "revoke" => SuspiciousResponse::Revoke,
            _ => SuspiciousResponse::Reauth,
        };
        let concurrent_policy = match r.choice(SESSIOND_CONCURRENT_POLICY).as_str() {
            "deny_new" => ConcurrentPolicy::DenyNew,
            _ => ConcurrentPolicy::EvictOldest,
        };

        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let monitoring = Monitoring {
            metrics_collection: r.flag(SESSION_ENABLE_METRICS_COLLECTION),
            health_checks: r.flag(SESSION_ENABLE_HEALTH_CHECKS),
            metrics_interval_secs: r.number(SESSION_METRICS_INTERVAL_SECONDS).max(1),
            performance: r.flag(SESSION_ENABLE_PERFORMANCE_MONITORING),
            alerting: r.flag(SESSION_ENABLE_ALERTING),
            console_alerts: r.flag(SESSION_ENABLE_CONSOLE_ALERTS),
            health_check_interval_secs: r.number(SESSION_HEALTH_CHECK_INTERVAL_SECONDS).max(1),
            metrics_buffer: size(r.number(SESSION_METRICS_BUFFER_SIZE)),
            events_buffer: size(r.number(SESSION_EVENTS_BUFFER_SIZE)),
            thresholds: sessiond_core::alerts::Thresholds {
                creation_rate: r.float(SESSION_ALERT_CREATION_RATE),
                failure_rate: r.float(SESSION_ALERT_FAILURE_RATE),
                avg_duration: r.float(SESSION_ALERT_AVG_DURATION),
                concurrent_sessions: r.float(SESSION_ALERT_CONCURRENT_SESSIONS),
                suspicious_rate: r.float(SESSION_ALERT_SUSPICIOUS_RATE),
            },
        };
        if monitoring.metrics_buffer < 2 {
            r.problem(
                "SESSION_METRICS_BUFFER_SIZE: must be at least 2 (a rate needs two samples)".into(),
            );
        }

        let features = Features {
            cross_tab_sync: r.flag(SESSION_FEATURE_CROSS_TAB_SYNC),
            platform_switching: r.flag(SESSION_FEATURE_PLATFORM_SWITCHING),
            optimistic_ui: r.flag(SESSION_FEATURE_OPTIMISTIC_UI),
            background_cleanup: r.flag(SESSION_FEATURE_BACKGROUND_CLEANUP),
            anonymous_sessions: r.flag(SESSION_FEATURE_ANONYMOUS_SESSIONS),
            analytics: r.flag(SESSION_FEATURE_ANALYTICS),
            persistence: r.flag(SESSION_FEATURE_PERSISTENCE),
        };

        let roles: Vec<String> = r
            .text(SESSION_ROLES)
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if !roles.iter().any(|role| role == SUPERADMIN) {
            r.problem(format!(
                "SESSION_ROLES={:?}: must include {SUPERADMIN}",
                roles.join(",")
            ));
        }

        let server = super::server::read_server(&mut r, environment);
        if let Some(ldap) = &server.ldap {
            let mapped = ldap.group_roles.iter().map(|(_, role)| role);
            for role in mapped.chain([&ldap.default_role]) {
                if !roles.contains(role) {
                    r.problem(format!(
                        "SESSIOND_LDAP_*: role {role:?} is not one of SESSION_ROLES"
                    ));
                }
            }
        }
        let tokens = super::server::read_tokens(&mut r, server.public_url.as_deref());
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
            suspicion: r
                .flag(SESSION_ENABLE_SUSPICIOUS_DETECTION)
                .then(|| Suspicion {
                    threshold: u32::try_from(r.number(SESSION_SUSPICIOUS_ACTIVITY_THRESHOLD))
                        .unwrap_or(u32::MAX),
                    response: suspicious_response,
                }),
            context_switches_per_hour: u32::try_from(
                r.number(SESSION_MAX_PLATFORM_SWITCHES_PER_HOUR),
            )
            .unwrap_or(u32::MAX),
            lockout_threshold: u32::try_from(lockout_threshold).unwrap_or(u32::MAX),
            lockout_secs: i64::try_from(lockout_secs).unwrap_or(i64::MAX),
            logins_per_ip_per_minute: u32::try_from(logins_per_ip).unwrap_or(u32::MAX),
            unknown_tokens_per_ip_per_minute: u32::try_from(unknown_tokens).unwrap_or(u32::MAX),
            reauth_window_secs: i64::try_from(reauth_window).unwrap_or(i64::MAX),
            long_session_secs: i64::try_from(long_session).unwrap_or(i64::MAX),
            fingerprinting: r.flag(SESSION_ENABLE_FINGERPRINTING),
            device_cookie_secs,
            hash_workers,
            hash_queue,
            roles,
            cleanup,
            tokens,
            verify_anonymous: r.flag(SESSIOND_VERIFY_ANONYMOUS),
        };
        if !r.problems.is_empty() {
            return Err(r.problems);
        }
        Ok(Self {
            environment,
            service,
            sync,
            security,
            monitoring,
            features,
            custom: raw.custom.clone(),
            server,
            shown: super::shown(raw),
        })
    }
}
