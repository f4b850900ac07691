//! The shipped alert rules (`deploy/prometheus/`) and Grafana dashboard (`deploy/grafana/`) name
//! only metrics, labels and label values that sessiond really exports (a selector that matches
//! nothing makes an alert that never fires), and the exposition passes `promtool check
//! metrics`. `scripts/test` installs promtool; it also runs `promtool test rules`.

use std::collections::{BTreeMap, BTreeSet};

use sessiond_core::audit::AuditKind;
use sessiond_testkit::stores::{Backend, SharedStore};
use sessiond_testkit::{OutageStore, TestServer, config_with};

const RULES: &str = include_str!("../../../../deploy/prometheus/sessiond-alerts.yml");
const DASHBOARD: &str = include_str!("../../../../deploy/grafana/sessiond-dashboard.json");

/// Prometheus' own series, which the rules may name.
const PROMETHEUS_OWN: [(&str, &str); 1] = [("up", "job")];

/// One series selector of an expression.
#[derive(Debug)]
struct Selector {
    metric: String,
    /// (label, operator, value).
    matchers: Vec<(String, String, String)>,
}

/// The selectors of a PromQL expression and the labels of its `by (...)` clauses: a small
/// scanner for the subset of PromQL the rules use, not a parser.
fn selectors(expr: &str) -> (Vec<Selector>, Vec<String>) {
    const KEYWORDS: [&str; 11] = [
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "offset",
        "bool",
        "group_left",
        "group_right",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let (mut out, mut grouped) = (Vec::new(), Vec::new());
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += 1;
            }
            i += 1;
        } else if c == '[' {
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            skip_ws(&mut j);
            let next = chars.get(j).copied();
            if ["by", "without", "on", "ignoring"].contains(&word.as_str()) && next == Some('(') {
                let close = (j..chars.len()).find(|&k| chars[k] == ')').unwrap();
                let labels: String = chars[j + 1..close].iter().collect();
                grouped.extend(labels.split(',').map(|l| l.trim().to_owned()));
                i = close + 1;
            } else if next == Some('(')
                || KEYWORDS.contains(&word.as_str())
                || ["by", "without"]
                    .iter()
                    .any(|k| chars[j..].starts_with(&k.chars().collect::<Vec<_>>()))
            {
                // A function, an aggregation (`sum by (...)`), or an operator word.
            } else {
                let mut matchers = Vec::new();
                if next == Some('{') {
                    let close = (j..chars.len()).find(|&k| chars[k] == '}').unwrap();
                    let inner: String = chars[j + 1..close].iter().collect();
                    for m in split_matchers(&inner) {
                        let op_at = m.find(['=', '!']).unwrap();
                        let name = m[..op_at].trim().to_owned();
                        let rest = &m[op_at..];
                        let op_len = if rest.starts_with("=~")
                            || rest.starts_with("!=")
                            || rest.starts_with("!~")
                        {
                            2
                        } else {
                            1
                        };
                        let value = rest[op_len..].trim().trim_matches('"').to_owned();
                        matchers.push((name, rest[..op_len].to_owned(), value));
                    }
                    i = close + 1;
                }
                out.push(Selector {
                    metric: word,
                    matchers,
                });
            }
        } else {
            i += 1;
        }
    }
    (out, grouped)
}

/// Splits `a="x", b=~"y|z"` on the commas outside quotes.
fn split_matchers(inner: &str) -> Vec<String> {
    let (mut parts, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in inner.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// Every sample name of the exposition, with the labels and values its samples carry.
fn exported(text: &str) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, _) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, labels.trim_end_matches('}')),
            None => (series, ""),
        };
        let entry = out.entry(name.to_owned()).or_default();
        for pair in split_matchers(labels) {
            let (label, value) = pair.split_once('=').unwrap();
            entry
                .entry(label.to_owned())
                .or_default()
                .insert(value.trim_matches('"').to_owned());
        }
    }
    for (metric, label) in PROMETHEUS_OWN {
        out.entry(metric.to_owned())
            .or_default()
            .entry(label.to_owned())
            .or_default()
            .insert("sessiond".to_owned());
    }
    out
}

/// Whether a value is one sessiond can give `label`, though this run did not see it.
fn known_value(label: &str, value: &str) -> bool {
    match label {
        "event_type" => AuditKind::ALL.iter().any(|k| k.as_str() == value),
        "status_class" => ["1xx", "2xx", "3xx", "4xx", "5xx"].contains(&value),
        "error" => ["conflict", "unavailable", "corrupt"].contains(&value),
        _ => false,
    }
}

fn problems_of(
    expr: &str,
    exports: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let (found, grouped) = selectors(expr);
    assert!(!found.is_empty(), "no selector found in {expr}");
    for s in &found {
        let Some(labels) = exports.get(&s.metric) else {
            problems.push(format!("{}: not exported, in {expr}", s.metric));
            continue;
        };
        for (label, op, value) in &s.matchers {
            let Some(values) = labels.get(label) else {
                problems.push(format!("{}: no label {label}, in {expr}", s.metric));
                continue;
            };
            let wanted: Vec<&str> = if op.ends_with('~') {
                value.split('|').collect()
            } else {
                vec![value.as_str()]
            };
            for v in wanted {
                if !values.contains(v) && !known_value(label, v) {
                    problems.push(format!("{}: {label} is never {v:?}, in {expr}", s.metric));
                }
            }
        }
    }
    for label in grouped {
        let on_some = found.iter().any(|s| {
            exports
                .get(&s.metric)
                .is_some_and(|l| l.contains_key(&label))
        });
        if !on_some {
            problems.push(format!(
                "by ({label}): no selected metric has it, in {expr}"
            ));
        }
    }
    problems
}

/// A server that has produced a sample of every metric the rules and the dashboard read.
async fn exercised() -> String {
    // SQLite, for the pool's gauges; the cache, for its counters; an outage, for the store's
    // errors.
    let store = SharedStore::new(Backend::Sqlite);
    let outage = OutageStore::new(store.open().await);
    let vars = [("SESSION_FEATURE_CACHING", "true")];
    let srv = TestServer::start_with(config_with(&vars), outage.stores()).await;
    srv.add_user("alice", "oss").await;
    let b = srv.logged_in("alice").await;
    outage.set_down(true);
    assert_eq!(b.check().await.status, 503);
    outage.set_down(false);
    b.check().await;
    b.keepalive().await;
    srv.browser().login("alice", "wrong password").await;
    srv.browser().post("/api/session/keepalive", None).await;
    sessiond_server::refresh_gauges(&srv.state).await;
    sessiond_server::run_health_check(&srv.state).await;
    let text = srv.browser().get("/metrics").await.body;
    text.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_rule_and_panel_names_what_sessiond_exports() {
    let exports = exported(&exercised().await);
    let mut exprs: Vec<String> = RULES
        .lines()
        .filter_map(|l| l.trim().strip_prefix("expr: "))
        .map(str::to_owned)
        .collect();
    let alerts = RULES
        .lines()
        .filter(|l| l.trim().starts_with("- alert: "))
        .count();
    assert_eq!(exprs.len(), alerts, "one single-line expr per alert");
    let dashboard: serde_json::Value =
        serde_json::from_str(DASHBOARD).expect("the dashboard parses");
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(!panels.is_empty());
    for p in panels {
        for t in p["targets"].as_array().unwrap() {
            exprs.push(t["expr"].as_str().unwrap().to_owned());
        }
    }
    let problems: Vec<String> = exprs
        .iter()
        .flat_map(|e| problems_of(e, &exports))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_check_catches_a_selector_that_matches_nothing() {
    let exports = exported(
        "session_events_total{event_type=\"LOGIN_FAILED\"} 1\nsessiond_http_requests_total{route=\"/x\",status_class=\"2xx\"} 3\n",
    );
    let ok =
        "sum by (status_class) (rate(sessiond_http_requests_total{status_class=\"5xx\"}[5m])) > 0";
    assert!(problems_of(ok, &exports).is_empty());
    for bad in [
        "rate(session_event_total[5m]) > 0",
        "rate(session_events_total{event=\"LOGIN_FAILED\"}[5m]) > 0",
        "rate(session_events_total{event_type=~\"LOGIN_FAILED|LOGIN_FAIL\"}[5m]) > 0",
        "sum by (instance_name) (rate(session_events_total[5m]))",
    ] {
        assert_eq!(problems_of(bad, &exports).len(), 1, "{bad}");
    }
}

#[tokio::test]
async fn the_metric_names_pass_promtool() {
    use std::io::Write as _;
    let text = exercised().await;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("promtool ({e}): install Debian's prometheus package, or run scripts/test")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
