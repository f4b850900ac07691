//! Reads typed values out of a [`RawConfig`]. Every set value is first checked against its
//! variable's [`Kind`], all of them, so a person sees every problem at once; the typed getters
//! then never fail (a value that failed its check reads as the variable's default).

use std::collections::HashSet;

use super::raw::RawConfig;
use super::vars::{Kind, VARS, Var};

pub(super) struct Reader<'a> {
    pub(super) raw: &'a RawConfig,
    pub(super) problems: Vec<String>,
    /// Variables whose value failed its kind's check.
    bad: HashSet<&'static str>,
}

/// "a or b", "a, b or c".
fn one_of(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn parse_flag(value: &str) -> Option<bool> {
    match value.to_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// What is wrong with `value` as a `var`, in words; a secret is never checked, so never echoed.
fn kind_problem(var: &Var, value: &str) -> Option<String> {
    let name = var.name;
    let expected = |what: &str| format!("{name}={value:?}: expected {what}");
    match var.kind {
        Kind::Flag => parse_flag(value)
            .is_none()
            .then(|| expected("true or false")),
        Kind::Whole => value
            .parse::<u64>()
            .is_err()
            .then(|| expected("a whole number")),
        Kind::Positive => match value.parse::<u64>() {
            Err(_) => Some(expected("a whole number")),
            Ok(0) => Some(format!("{name}=0: must be positive")),
            Ok(_) => None,
        },
        Kind::Number => match value.parse::<f64>() {
            Err(_) => Some(expected("a number")),
            Ok(f) if f < 0.0 || !f.is_finite() => {
                Some(format!("{name}={f}: must be a non-negative number"))
            }
            Ok(_) => None,
        },
        Kind::Choice(words) => {
            (!words.contains(&value.to_lowercase().as_str())).then(|| expected(&one_of(words)))
        }
        Kind::Address => value
            .parse::<std::net::SocketAddr>()
            .is_err()
            .then(|| expected("an address such as 127.0.0.1:8080")),
        Kind::Url | Kind::List | Kind::Secret | Kind::Text => None,
    }
}

impl<'a> Reader<'a> {
    pub(super) fn new(raw: &'a RawConfig) -> Self {
        let mut reader = Self {
            raw,
            problems: Vec::new(),
            bad: HashSet::new(),
        };
        for var in VARS {
            let Some(value) = raw.given(var) else {
                continue;
            };
            let required = !var.default.is_empty();
            let problem = if value.is_empty() && !required {
                None
            } else {
                kind_problem(var, value)
            };
            if let Some(problem) = problem {
                reader.problems.push(problem);
                reader.bad.insert(var.name);
            }
        }
        reader
    }

    /// The value, or its default when it failed its check.
    fn value(&self, var: &Var) -> &str {
        if self.bad.contains(var.name) {
            var.default
        } else {
            self.raw.get(var).unwrap_or_default()
        }
    }

    pub(super) fn text(&self, var: &Var) -> String {
        self.value(var).to_owned()
    }

    /// Whether the variable was set in the environment or the `.env` file, rather than left
    /// to its default or its environment's preset.
    pub(super) fn given(&self, var: &Var) -> bool {
        matches!(
            self.raw.source(var),
            Some(super::Source::DotEnv | super::Source::Environment)
        )
    }

    /// The value when one is set (not empty).
    pub(super) fn optional(&self, var: &Var) -> Option<String> {
        Some(self.text(var)).filter(|v| !v.is_empty())
    }

    pub(super) fn flag(&self, var: &Var) -> bool {
        debug_assert_eq!(var.kind, Kind::Flag, "{}", var.name);
        parse_flag(self.value(var)).unwrap_or(false)
    }

    /// A whole number (`Whole` or `Positive`); unset optional numbers read as 0.
    pub(super) fn number(&self, var: &Var) -> u64 {
        debug_assert!(
            matches!(var.kind, Kind::Whole | Kind::Positive),
            "{}",
            var.name
        );
        self.value(var).parse().unwrap_or(0)
    }

    /// A `Number` (a decimal number, at least 0).
    pub(super) fn float(&self, var: &Var) -> f64 {
        debug_assert_eq!(var.kind, Kind::Number, "{}", var.name);
        self.value(var).parse().unwrap_or(0.0)
    }

    /// One of the variable's words, lower-cased.
    pub(super) fn choice(&self, var: &Var) -> String {
        debug_assert!(matches!(var.kind, Kind::Choice(_)), "{}", var.name);
        self.value(var).to_lowercase()
    }

    pub(super) fn address(&self, var: &Var) -> std::net::SocketAddr {
        self.value(var)
            .parse()
            .unwrap_or_else(|_| ([127, 0, 0, 1], 8080).into())
    }

    pub(super) fn problem(&mut self, problem: String) {
        self.problems.push(problem);
    }

    /// `a < b` (or `<=` when `or_equal`), reported with both names and values.
    pub(super) fn order(&mut self, a: (&Var, u64), b: (&Var, u64), or_equal: bool, rule: &str) {
        let ok = if or_equal { a.1 <= b.1 } else { a.1 < b.1 };
        if !ok {
            let op = if or_equal { "<=" } else { "<" };
            self.problems.push(format!(
                "{}={} must be {op} {}={}: {rule}",
                a.0.name, a.1, b.0.name, b.1
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_as_a_person_writes_them() {
        assert_eq!(one_of(&["json", "text"]), "json or text");
        assert_eq!(
            one_of(&["log", "reauth", "revoke"]),
            "log, reauth or revoke"
        );
    }
}
