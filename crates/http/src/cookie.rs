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
    fn plain_http_cookie_has_no_prefix_and_clear_expires_it() {
        let c = CookieSettings::new("sessiond", false, SameSite::Strict);
        assert_eq!(c.name, "sessiond");
        let cleared = c.clear();
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
    }
}
