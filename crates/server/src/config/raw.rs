//! Raw configuration: every value as a string with where it came from, before any checking.
//! Layers, lowest first: defaults, the environment's preset, the `.env` file, the process
//! environment.

use std::collections::BTreeMap;
use std::path::Path;

use super::Environment;
use super::vars::{self, ALIASES, VARS, Var};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    Preset,
    DotEnv,
    Environment,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Preset => "preset",
            Self::DotEnv => ".env",
            Self::Environment => "env",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub values: BTreeMap<&'static str, (String, Source)>,
    /// `SESSION_CUSTOM_*`, keyed by the lower-cased rest of the name (the configuration guide's custom settings).
    pub custom: BTreeMap<String, String>,
    /// `SESSION_*`/`SESSIOND_*` names we do not know: probably typos, worth a warning.
    pub unknown: Vec<String>,
}

impl RawConfig {
    /// Layers `dotenv` and then `env` (both name → value) over the defaults and the preset of
    /// the environment they select.
    pub fn layered(dotenv: &BTreeMap<String, String>, env: &BTreeMap<String, String>) -> Self {
        let mut raw = Self::default();
        let explicit = |name: &str| env.get(name).or_else(|| dotenv.get(name));
        // An unknown environment has no preset; the typed check reports it.
        let environment = explicit(vars::SESSION_ENVIRONMENT.name)
            .map_or(Some(Environment::Development), |e| Environment::parse(e));
        for var in VARS {
            let preset = environment.and_then(|e| var.preset(e));
            if let Some(value) = preset {
                raw.values
                    .insert(var.name, (value.to_owned(), Source::Preset));
            } else if !var.default.is_empty() {
                raw.values
                    .insert(var.name, (var.default.to_owned(), Source::Default));
            }
        }
        for (layer, source) in [(dotenv, Source::DotEnv), (env, Source::Environment)] {
            for (name, value) in layer {
                raw.set(name, value, source);
            }
        }
        raw.unknown.sort();
        raw.unknown.dedup();
        raw
    }

    fn set(&mut self, name: &str, value: &str, source: Source) {
        let name = ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map_or(name, |(_, real)| real);
        if let Some(var) = vars::find(name) {
            self.values
                .insert(var.name, (value.trim().to_owned(), source));
        } else if let Some(key) = name.strip_prefix("SESSION_CUSTOM_") {
            self.custom.insert(key.to_lowercase(), value.to_owned());
        } else if name.starts_with("SESSION_") || name.starts_with("SESSIOND_") {
            self.unknown.push(name.to_owned());
        }
    }

    /// The value, unless unset or empty.
    pub fn get(&self, var: &Var) -> Option<&str> {
        self.given(var).filter(|v| !v.is_empty())
    }

    /// The value as given, empty included.
    pub fn given(&self, var: &Var) -> Option<&str> {
        self.values.get(var.name).map(|(v, _)| v.as_str())
    }

    pub fn source(&self, var: &Var) -> Option<Source> {
        self.values.get(var.name).map(|(_, s)| *s)
    }
}

/// Reads a `.env` file into a map; a missing file is an empty map.
pub fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, String> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let iter = dotenvy::from_path_iter(path).map_err(|e| format!("{}: {e}", path.display()))?;
    iter.map(|item| item.map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}

/// The process environment's `SESSION_*` and `SESSIOND_*` variables.
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("SESSION_") || k.starts_with("SESSIOND_"))
        .collect()
}
