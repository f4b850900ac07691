//! The settings that switch features and the monitoring: persistence, clustering, debug mode
//! and the alerts.

use super::StoreUrl;
use super::from_maps;
use super::tests::env;

#[test]
fn persistence_off_keeps_sessions_in_memory_and_refuses_a_durable_store_set_with_it() {
    let off = ("SESSION_FEATURE_PERSISTENCE", "false");
    let (c, _) = from_maps(&env(&[]), &env(&[off])).unwrap();
    assert_eq!(
        c.server.store,
        StoreUrl::Memory,
        "the default store gives way"
    );
    let durable = ("SESSIOND_STORE_URL", "sqlite://data/other.db");
    let problems = from_maps(&env(&[]), &env(&[off, durable])).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("SESSION_FEATURE_PERSISTENCE=false")),
        "{problems:?}"
    );
    let (c, _) = from_maps(&env(&[]), &env(&[])).unwrap();
    assert!(
        matches!(c.server.store, StoreUrl::Sqlite(_)),
        "on by default"
    );
}

#[test]
fn clustering_needs_a_store_the_nodes_share() {
    for var in ["SESSION_FEATURE_CLUSTERING", "SESSION_FEATURE_DISTRIBUTED"] {
        for local in ["memory://", "sqlite://data/sessiond.db"] {
            let problems = from_maps(
                &env(&[]),
                &env(&[(var, "true"), ("SESSIOND_STORE_URL", local)]),
            )
            .unwrap_err();
            assert!(
                problems
                    .iter()
                    .any(|p| p.starts_with(&format!("{var}=true"))),
                "{var} with {local}: {problems:?}"
            );
        }
        let shared = ("SESSIOND_STORE_URL", "redis://127.0.0.1:6379");
        assert!(from_maps(&env(&[]), &env(&[(var, "true"), shared])).is_ok());
    }
}

#[test]
fn debug_mode_logs_sessiond_at_debug_unless_the_log_filter_is_set() {
    let debug = ("SESSION_DEBUG_MODE", "true");
    let (c, _) = from_maps(&env(&[]), &env(&[debug])).unwrap();
    assert!(c.server.debug_mode);
    assert_eq!(c.server.log_filter, "info,sessiond=debug");
    let (c, _) = from_maps(&env(&[]), &env(&[debug, ("SESSIOND_LOG", "warn")])).unwrap();
    assert_eq!(c.server.log_filter, "warn");
    let key = ("SESSIOND_SECRET_KEY", "0123456789abcdef0123456789abcdef");
    let production = ("SESSION_ENVIRONMENT", "production");
    let (c, _) = from_maps(&env(&[]), &env(&[production, key])).unwrap();
    assert!(!c.server.debug_mode, "production preset");
    assert_eq!(c.server.log_filter, "info");
}

#[test]
fn the_alert_settings_reach_the_monitoring() {
    let (c, _) = from_maps(
        &env(&[]),
        &env(&[
            ("SESSION_ALERT_FAILURE_RATE", "2.5"),
            ("SESSION_METRICS_BUFFER_SIZE", "20"),
            ("SESSION_EVENTS_BUFFER_SIZE", "7"),
        ]),
    )
    .unwrap();
    let m = &c.monitoring;
    assert_eq!(m.thresholds.failure_rate, 2.5);
    assert_eq!(m.thresholds.creation_rate, 100.0, "seed 001's default");
    assert_eq!((m.metrics_buffer, m.events_buffer), (20, 7));
    let problems = from_maps(&env(&[]), &env(&[("SESSION_METRICS_BUFFER_SIZE", "1")])).unwrap_err();
    assert!(problems[0].contains("at least 2"), "{problems:?}");
}
