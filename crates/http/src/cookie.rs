//! The session cookie: its name and attributes, and the `Set-Cookie` values that issue and
//! clear it.

use axum::http::HeaderValue;
use sessiond_core::Token;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
}

#[derive(Debug, Clone)]
pub struct CookieSettings {
    /// The name actually used: `__Host-` is prefixed whenever the cookie is `Secure`, which
    /// makes browsers refuse it from sibling domains and plain http.
    pub name: String,
    /// The device cookie's (`sessiond_core::device`): the same name with `_device` after it.
    pub device_name: String,
    pub secure: bool,
    pub same_site: SameSite,
}

impl CookieSettings {
    pub fn new(base_name: &str, secure: bool, same_site: SameSite) -> Self {
        let bare = base_name.strip_prefix("__Host-").unwrap_or(base_name);
        let name = if secure {
            format!("__Host-{bare}")
        } else {
            bare.to_owned()
        };
        Self {
            device_name: format!("{name}_device"),
            name,
            secure,
            same_site,
        }
    }

    /// A device cookie: it lives `max_age_secs`, is sent to sessiond only (`Path=/`,
    /// `HttpOnly`) and never on a request another site started (`SameSite=Strict`).
    pub fn issue_device(&self, token: &str, max_age_secs: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let value = format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age={}",
            self.device_name,
            max_age_secs.max(0)
        );
        // The token is ASCII (base64url, digits and dots).
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    fn attributes(&self) -> String {
        let same_site = match self.same_site {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
        };
        let secure = if self.secure { "; Secure" } else { "" };
        format!("Path=/; HttpOnly; SameSite={same_site}{secure}")
    }

    /// Issues `token`. Only a remember-me session gets a `Max-Age` (up to its absolute
    /// deadline); otherwise the cookie dies with the browser.
    pub fn issue(&self, token: &Token, max_age_secs: Option<i64>) -> HeaderValue {
        let max_age = max_age_secs
            .map(|s| format!("; Max-Age={}", s.max(0)))
            .unwrap_or_default();
        let value = format!(
            "{}={}; {}{max_age}",
            self.name,
            token.expose(),
            self.attributes()
        );
        // Name, token (base64url) and attributes are all visible ASCII.
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    pub fn clear(&self) -> HeaderValue {
        let value = format!("{}=; {}; Max-Age=0", self.name, self.attributes());
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// Clears every cookie named one of `names` that a browser could have sent to `path` on
    /// `host`: host-only or for a parent domain, at `path` or any path above it. A cookie
    /// tossed beside the real one (by a sibling subdomain, or a script on a path of this host)
    /// makes the session cookie ambiguous, and this is how the browser gets rid of it without
    /// knowing where it came from. Forms a browser refuses (a `Domain` on a `__Host-` cookie,
    /// a public suffix) are simply ignored by it.
    pub fn clear_everywhere(
        &self,
        names: &[String],
        host: Option<&str>,
        path: &str,
    ) -> Vec<HeaderValue> {
        let mut paths = vec!["/".to_owned()];
        let mut at = String::new();
        for segment in path
            .split('/')
            .filter(|s| !s.is_empty())
            .take(MAX_PATH_DEPTH)
        {
            at.push('/');
            at.push_str(segment);
            paths.push(at.clone());
        }
        let mut domains: Vec<Option<String>> = vec![None];
        if let Some(host) = host.map(host_name).filter(|h| is_dns_name(h)) {
            let labels: Vec<&str> = host.split('.').collect();
            // Down to the second-level name: a browser refuses a cookie for a top-level one.
            for i in (0..labels.len().saturating_sub(1))
                .rev()
                .take(MAX_PARENTS)
                .rev()
            {
                domains.push(Some(labels[i..].join(".")));
            }
        }
        let secure = if self.secure { "; Secure" } else { "" };
        let mut out = Vec::new();
        for name in names.iter().take(MAX_TOSSED_NAMES) {
            for path in &paths {
                for domain in &domains {
                    let domain = domain
                        .as_ref()
                        .map(|d| format!("; Domain={d}"))
                        .unwrap_or_default();
                    let value =
                        format!("{name}=; Path={path}{domain}; Max-Age=0; HttpOnly{secure}");
                    if let Ok(v) = HeaderValue::from_str(&value) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }
}

/// The clearing headers stay bounded whatever a request sends: a few names, a few path levels.
const MAX_TOSSED_NAMES: usize = 3;
const MAX_PATH_DEPTH: usize = 4;
const MAX_PARENTS: usize = 4;

/// `host[:port]` or `[v6]:port` without its port.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host;
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// A name a `Domain` attribute can carry: letters, digits, hyphens and dots, at least one dot,
/// and not an address.
fn is_dns_name(host: &str) -> bool {
    host.contains('.')
        && host.parse::<std::net::IpAddr>().is_err()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_cookie_gets_host_prefix_and_attributes() {
        let c = CookieSettings::new("sessiond", true, SameSite::Lax);
        let t = Token::generate().unwrap();
        let v = c.issue(&t, None);
        let v = v.to_str().unwrap();
        assert!(v.starts_with(&format!("__Host-sessiond={}", t.expose())));
        for attr in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
            assert!(v.contains(attr), "{v}");
        }
        assert!(!v.contains("Domain") && !v.contains("Max-Age"));
    }

    #[test]
    fn tossed_cookies_are_cleared_on_every_path_above_and_every_parent_domain() {
        let c = CookieSettings::new("sessiond", true, SameSite::Lax);
        let names = vec!["__Host-sessiond".to_owned(), "__HOST-sessiond".to_owned()];
        let all: Vec<String> = c
            .clear_everywhere(&names, Some("app.corp.example:8443"), "/api/session/login")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for want in [
            "__Host-sessiond=; Path=/; Max-Age=0; HttpOnly; Secure",
            "__HOST-sessiond=; Path=/api/session; Domain=corp.example; Max-Age=0; HttpOnly; Secure",
            "__Host-sessiond=; Path=/api/session/login; Domain=app.corp.example; Max-Age=0; HttpOnly; Secure",
        ] {
            assert!(all.iter().any(|v| v == want), "{want} in {all:#?}");
        }
        assert!(
            !all.iter().any(|v| v.contains("Domain=example;")),
            "no top-level domain"
        );
        assert_eq!(
            all.len(),
            2 * 4 * 3,
            "names × paths × (host-only + 2 domains)"
        );
        let ip = c.clear_everywhere(&names, Some("127.0.0.1:8080"), "/");
        assert!(ip.iter().all(|v| !v.to_str().unwrap().contains("Domain")));
        let deep = "/a/b/c/d/e/f/g/h";
        let many: Vec<String> = (0..10).map(|i| format!("n{i}")).collect();
        assert!(
            c.clear_everywhere(&many, Some("a.b.c.d.example"), deep)
                .len()
                <= 3 * 5 * 5
        );
    }

    #[test]
    fn plain_http_cookie_has_no_prefix_and_clear_expires_it() {
        let c = CookieSettings::new("sessiond", false, SameSite::Strict);
        assert_eq!(c.name, "sessiond");
        let cleared = c.clear();
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
    }
}
