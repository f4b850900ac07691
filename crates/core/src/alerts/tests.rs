use super::*;
use crate::audit::AuditEvent;

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + minutes * 60).unwrap()
}

fn thresholds() -> Thresholds {
    Thresholds {
        creation_rate: 10.0,
        failure_rate: 2.0,
        avg_duration: 600.0,
        concurrent_sessions: 100.0,
        suspicious_rate: 1.0,
    }
}

fn event(kind: &str) -> AuditEvent {
    let mut e = AuditEvent::new(crate::audit::AuditKind::LoginSuccess, at(0));
    e.event_type = kind.to_owned();
    e
}

fn ended_after(seconds: f64) -> AuditEvent {
    let mut e = event("SESSION_LOGGED_OUT");
    e.details = serde_json::json!({ "duration_seconds": seconds });
    e
}

fn firing(e: &Evaluator) -> Vec<&'static str> {
    e.status()
        .iter()
        .filter(|s| s.firing)
        .map(|s| s.alert.as_str())
        .collect()
}

#[test]
fn a_rate_fires_above_its_threshold_over_the_window_and_clears_below_it() {
    let counts = AlertCounts::default();
    let mut eval = Evaluator::new(thresholds(), 60, 100, 10);
    assert!(eval.feed(counts.sample(at(0), 0)).is_empty());
    // 55 sessions in a minute, against 10 a minute.
    for _ in 0..55 {
        counts.observe(&event("SESSION_CREATED"));
    }
    let fired = eval.feed(counts.sample(at(1), 55));
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0].alert, AlertKind::CreationRate);
    assert!(fired[0].firing);
    assert_eq!(fired[0].value, 55.0);
    assert_eq!(firing(&eval), ["creation_rate"]);
    let status = &eval.status()[0];
    assert_eq!(status.since, Some(at(1)));

    // Still firing while the burst is inside the five-minute window (55 over 5 minutes is 11 a
    // minute), and said once only.
    for m in 2..=5 {
        assert!(eval.feed(counts.sample(at(m), 55)).is_empty(), "minute {m}");
    }
    assert_eq!(firing(&eval), ["creation_rate"]);
    // Once the burst slides out of the window, it clears, once.
    let cleared = eval.feed(counts.sample(at(7), 55));
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert!(!cleared[0].firing);
    assert_eq!(cleared[0].value, 0.0);
    assert!(eval.feed(counts.sample(at(8), 55)).is_empty());
    assert!(firing(&eval).is_empty());
    let kept: Vec<_> = eval.events().map(|e| (e.alert, e.firing)).collect();
    assert_eq!(
        kept,
        [
            (AlertKind::CreationRate, true),
            (AlertKind::CreationRate, false)
        ]
    );
}

#[test]
fn each_threshold_watches_its_own_events() {
    let counts = AlertCounts::default();
    let mut eval = Evaluator::new(thresholds(), 60, 100, 10);
    eval.feed(counts.sample(at(0), 0));
    for _ in 0..3 {
        counts.observe(&event("LOGIN_FAILED"));
    }
    for kind in ["SESSION_DRIFT", "TOKEN_REUSE_DETECTED"] {
        counts.observe(&event(kind));
    }
    // Events that are none of these move nothing.
    counts.observe(&event("LOGIN_SUCCESS"));
    counts.observe(&ended_after(1200.0));
    counts.observe(&ended_after(200.0));
    let fired = eval.feed(counts.sample(at(1), 101));
    let mut names: Vec<_> = fired.iter().map(|e| e.alert.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "avg_duration",
            "concurrent_sessions",
            "failure_rate",
            "suspicious_rate"
        ]
    );
    let value = |k: AlertKind| eval.status().iter().find(|s| s.alert == k).unwrap().value;
    assert_eq!(value(AlertKind::FailureRate), Some(3.0));
    assert_eq!(value(AlertKind::SuspiciousRate), Some(2.0));
    assert_eq!(value(AlertKind::AvgDuration), Some(700.0));
    assert_eq!(value(AlertKind::ConcurrentSessions), Some(101.0));
    assert_eq!(value(AlertKind::CreationRate), Some(0.0));
}

#[test]
fn a_threshold_of_zero_is_off_and_one_sample_is_no_rate() {
    let counts = AlertCounts::default();
    let off = Thresholds {
        creation_rate: 0.0,
        ..thresholds()
    };
    let mut eval = Evaluator::new(off, 60, 100, 10);
    for _ in 0..1000 {
        counts.observe(&event("SESSION_CREATED"));
    }
    eval.feed(counts.sample(at(0), 0));
    assert_eq!(eval.status()[0].value, None, "no rate from one sample");
    eval.feed(counts.sample(at(1), 0));
    for _ in 0..1000 {
        counts.observe(&event("SESSION_CREATED"));
    }
    assert!(eval.feed(counts.sample(at(2), 0)).is_empty());
    assert!(firing(&eval).is_empty());
}

#[test]
fn the_buffers_hold_no_more_than_their_sizes() {
    let counts = AlertCounts::default();
    // Two samples a window at most: the base of each rate is the sample before.
    let mut eval = Evaluator::new(thresholds(), 60, 2, 3);
    for m in 0..100 {
        // Flapping: a burst every other minute.
        if m % 2 == 1 {
            for _ in 0..20 {
                counts.observe(&event("SESSION_CREATED"));
            }
        }
        eval.feed(counts.sample(at(m), 0));
        assert!(eval.samples.len() <= 2);
        assert!(eval.events.len() <= 3);
    }
    let last: Vec<_> = eval.events().map(|e| e.at).collect();
    assert_eq!(last, [at(97), at(98), at(99)], "the newest are kept");
}

#[test]
fn a_long_interval_widens_the_window_to_four_samples() {
    let counts = AlertCounts::default();
    let mut eval = Evaluator::new(thresholds(), 600, 100, 10);
    eval.feed(counts.sample(at(0), 0));
    for _ in 0..150 {
        counts.observe(&event("SESSION_CREATED"));
    }
    // 150 in ten minutes is 15 a minute.
    eval.feed(counts.sample(at(10), 0));
    assert_eq!(eval.status()[0].value, Some(15.0));
    // Forty minutes later the window (4 x 10 minutes) still starts at the first sample.
    eval.feed(counts.sample(at(40), 0));
    assert_eq!(eval.status()[0].value, Some(150.0 / 40.0));
}

#[test]
fn a_health_check_is_reported_when_it_fails_and_when_it_recovers_only() {
    let monitor = Monitor::new(Evaluator::new(thresholds(), 60, 10, 10));
    let report = |store_ok: bool| HealthReport {
        at: at(0),
        checks: vec![
            HealthCheck {
                name: "store",
                ok: store_ok,
                detail: String::new(),
            },
            HealthCheck {
                name: "clock",
                ok: true,
                detail: String::new(),
            },
        ],
    };
    assert!(monitor.record_health(report(true)).is_empty(), "all well");
    let failed = monitor.record_health(report(false));
    assert_eq!(failed.len(), 1);
    assert!(!failed[0].ok && failed[0].name == "store");
    assert!(monitor.record_health(report(false)).is_empty(), "said once");
    let back = monitor.record_health(report(true));
    assert_eq!(back.len(), 1);
    assert!(back[0].ok);
    assert!(monitor.health().unwrap().ok());
}

#[test]
fn with_alerting_off_nothing_fires() {
    let monitor = Monitor::new(Evaluator::new(thresholds(), 60, 10, 10));
    monitor.configure(thresholds(), false, false);
    monitor.tick(at(0), 0);
    for _ in 0..100 {
        monitor.counts().observe(&event("SESSION_CREATED"));
    }
    assert!(monitor.tick(at(1), 1_000_000).is_empty());
    assert!(monitor.alerts().0.iter().all(|s| !s.firing));
}

#[test]
fn every_alert_fires_above_its_threshold_and_clears_below_it() {
    // For each alert: the events of one minute that put it over its threshold.
    type Burst<'a> = &'a dyn Fn(&AlertCounts);
    let over: [(AlertKind, Burst); 5] = [
        (AlertKind::CreationRate, &|c| {
            (0..11).for_each(|_| c.observe(&event("SESSION_CREATED")))
        }),
        (AlertKind::FailureRate, &|c| {
            (0..3).for_each(|_| c.observe(&event("LOGIN_FAILED")))
        }),
        (AlertKind::AvgDuration, &|c| c.observe(&ended_after(601.0))),
        (AlertKind::ConcurrentSessions, &|_| {}),
        (AlertKind::SuspiciousRate, &|c| {
            (0..2).for_each(|_| c.observe(&event("MALICIOUS_CSRF")))
        }),
    ];
    for (kind, burst) in over {
        let counts = AlertCounts::default();
        let mut eval = Evaluator::new(thresholds(), 60, 100, 10);
        eval.feed(counts.sample(at(0), 0));
        burst(&counts);
        let active = if kind == AlertKind::ConcurrentSessions {
            101
        } else {
            0
        };
        let fired = eval.feed(counts.sample(at(1), active));
        assert_eq!(fired.len(), 1, "{kind:?}: {fired:?}");
        assert!(fired[0].alert == kind && fired[0].firing, "{kind:?}");
        // Six quiet minutes later the burst has left the window (and the sessions ended).
        let cleared = eval.feed(counts.sample(at(7), 0));
        assert_eq!(cleared.len(), 1, "{kind:?}: {cleared:?}");
        assert!(cleared[0].alert == kind && !cleared[0].firing, "{kind:?}");
    }
}

#[test]
fn an_interval_of_any_length_is_no_panic() {
    let counts = AlertCounts::default();
    let mut eval = Evaluator::new(thresholds(), u64::MAX, 10, 10);
    eval.feed(counts.sample(at(0), 0));
    counts.observe(&event("SESSION_CREATED"));
    eval.feed(counts.sample(at(1), 0));
    assert_eq!(eval.status()[0].value, Some(1.0));
}
