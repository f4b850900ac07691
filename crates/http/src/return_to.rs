//! Where forward auth sends a browser without a session (`/auth/verify?redirect=1`, docs/api.md
//! "Forward auth"): a 302 to the login page, whose `next` brings it back after the login.
//!
//! The return address is the request the proxy holds, as the proxy says: `X-Original-URL`, or
//! `X-Forwarded-Proto`, `-Host` and `-Uri`. Those headers are believed only from
//! `SESSIOND_TRUSTED_PROXIES`; anyone else could name any host. Its host must be sessiond's own
//! (`SESSIOND_PUBLIC_URL`'s, else the request's `Host`) or one of `SESSIOND_RETURN_HOSTS`, or
//! there is no `next` at all. `next` is only ever a path: the login page is on the browser's own
//! host (the session cookie is host-only, so a login elsewhere would not sign it in here), and
//! it follows only paths of its own origin.

use axum::http::{HeaderMap, Method, header};

/// A return path longer than this is dropped: browsers and proxies cap URLs near 8 KiB, and the
/// login URL holds it percent-encoded.
const MAX_RETURN: usize = 2048;

/// The settings `/auth/verify` redirects by.
#[derive(Debug, Clone, Default)]
pub struct ReturnSettings {
    /// `SESSIOND_VERIFY_REDIRECT`: redirect browsers without `?redirect=1`.
    pub redirect_by_default: bool,
    /// `SESSIOND_RETURN_HOSTS`, lower-cased: `host` (any port) or `host:port`.
    pub hosts: Vec<String>,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Whether the held request is a browser's navigation to a page: GET (or HEAD), asking for
/// HTML, and not a script's request. A redirect would break anything else.
pub fn is_page_request(headers: &HeaderMap, method: &Method, trusted: bool) -> bool {
    let forwarded = trusted
        .then(|| header(headers, "x-forwarded-method").or(header(headers, "x-original-method")))
        .flatten();
    let get = match forwarded {
        Some(m) => m.eq_ignore_ascii_case("GET") || m.eq_ignore_ascii_case("HEAD"),
        None => method == Method::GET || method == Method::HEAD,
    };
    let html = header(headers, header::ACCEPT.as_str()).is_some_and(|a| a.contains("text/html"));
    let script = header(headers, "x-requested-with").is_some()
        || header(headers, "sec-fetch-mode").is_some_and(|m| m != "navigate");
    get && html && !script
}

/// Where a browser is sent back to after the login: the held request's origin, when the proxy
/// names its scheme, and its path, when that is a plain path of this host.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Return {
    /// `scheme://host[:port]`, an allowed host's.
    pub origin: Option<String>,
    pub path: Option<String>,
}

/// The way back, when the held request's host may be returned to.
pub fn return_to(
    headers: &HeaderMap,
    trusted: bool,
    own_host: Option<&str>,
    settings: &ReturnSettings,
) -> Option<Return> {
    if !trusted {
        return None;
    }
    let (scheme, host, path) = match header(headers, "x-original-url") {
        Some(url) => split_url(url)?,
        None => (
            header(headers, "x-forwarded-proto").map(str::to_ascii_lowercase),
            header(headers, "x-forwarded-host")?.to_owned(),
            header(headers, "x-forwarded-uri")?.to_owned(),
        ),
    };
    let host = host.to_ascii_lowercase();
    let allowed = own_host.is_some_and(|own| same_host(&host, &own.to_ascii_lowercase()))
        || settings.hosts.iter().any(|h| same_host(&host, h));
    if !allowed {
        return None;
    }
    let origin = scheme
        .filter(|s| s == "http" || s == "https")
        .map(|s| format!("{s}://{host}"));
    Some(Return {
        origin,
        path: plain_path(&path),
    })
}

/// `scheme://host[:port]/path?query` into its scheme, authority and path; nothing else parses.
fn split_url(url: &str) -> Option<(Option<String>, String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    (!authority.is_empty() && !authority.contains('@'))
        .then(|| (Some(scheme), authority.to_owned(), path))
}

/// `host` is `allowed`: the same name, and the same port when `allowed` names one.
fn same_host(host: &str, allowed: &str) -> bool {
    if allowed.contains(':') {
        return host == allowed;
    }
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    name == allowed
}

/// `path` written out again as a path of this host, when it is one: one leading slash, no
/// control characters or backslashes, and, once the URL parser has normalised it (dot segments,
/// also percent-encoded), still on this host with a path that cannot be read as an authority.
/// `/.//evil.example/x` passes every check of its first characters, and its normalised path is
/// `//evil.example/x`: a browser given that path goes to `evil.example`.
fn plain_path(path: &str) -> Option<String> {
    const HOST: &str = "sessiond.invalid";
    let plain = path.len() <= MAX_RETURN
        && path.starts_with('/')
        && !path.chars().any(|c| c.is_control() || c == '\\');
    if !plain {
        return None;
    }
    let url = url::Url::parse(&format!("http://{HOST}/"))
        .and_then(|base| base.join(path))
        .ok()?;
    let ours = url.host_str() == Some(HOST)
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && !url.path().starts_with("//");
    ours.then(|| url[url::Position::BeforePath..].to_owned())
}

/// The login page's address with `next`, for the `Location` of a 302: on the held request's
/// origin when the proxy named it, since a proxy may resolve a relative `Location` against its
/// request to sessiond (Traefik does, sending the browser to sessiond's private address);
/// relative otherwise, which is the browser's own host.
pub fn login_location(back: Option<&Return>) -> String {
    let origin = back.and_then(|b| b.origin.as_deref()).unwrap_or_default();
    match back.and_then(|b| b.path.as_deref()) {
        Some(path) => {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", path)
                .finish();
            format!("{origin}/login?{query}")
        }
        None => format!("{origin}/login"),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn return_path(
        headers: &HeaderMap,
        trusted: bool,
        own_host: Option<&str>,
        settings: &ReturnSettings,
    ) -> Option<String> {
        return_to(headers, trusted, own_host, settings)?.path
    }

    fn settings(hosts: &[&str]) -> ReturnSettings {
        ReturnSettings {
            redirect_by_default: false,
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    #[test]
    fn a_trusted_proxys_request_on_an_allowed_host_is_returned_to() {
        let h = headers(&[
            ("x-forwarded-host", "App.Example.com"),
            ("x-forwarded-uri", "/reports?month=11&y=2026"),
        ]);
        let got = return_path(&h, true, None, &settings(&["app.example.com"]));
        assert_eq!(got.as_deref(), Some("/reports?month=11&y=2026"));
        let h = headers(&[("x-original-url", "https://auth.example.com:8443/a?b=c")]);
        let got = return_path(&h, true, Some("auth.example.com:8443"), &settings(&[]));
        assert_eq!(got.as_deref(), Some("/a?b=c"));
    }

    #[test]
    fn no_return_to_other_hosts_or_from_untrusted_peers() {
        let evil = headers(&[
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-uri", "/x"),
        ]);
        assert_eq!(
            return_path(&evil, true, Some("app.example.com"), &settings(&[])),
            None
        );
        let ok = headers(&[
            ("x-forwarded-host", "app.example.com"),
            ("x-forwarded-uri", "/x"),
        ]);
        assert_eq!(
            return_path(&ok, false, Some("app.example.com"), &settings(&[])),
            None
        );
        // A listed port is that port only.
        let port = headers(&[
            ("x-forwarded-host", "app.example.com:9"),
            ("x-forwarded-uri", "/"),
        ]);
        assert_eq!(
            return_path(&port, true, None, &settings(&["app.example.com:8"])),
            None
        );
        for url in [
            "https://user@app.example.com/x",
            "javascript://app.example.com/x",
            "//app.example.com/x",
        ] {
            let h = headers(&[("x-original-url", url)]);
            assert_eq!(
                return_path(&h, true, None, &settings(&["app.example.com"])),
                None,
                "{url}"
            );
        }
    }

    /// Paths that start with one slash and still lead to another host once a browser has
    /// parsed them: dot segments (also percent-encoded) leaving `//host` behind, backslashes,
    /// tabs and newlines, userinfo, IDN hosts. The login page's tests read the same family.
    fn leaving() -> Vec<String> {
        serde_json::from_str(include_str!("../../../clients/js/test/leaving.json")).unwrap()
    }

    /// Not plain paths, though they stay on this host.
    const NOT_PLAIN: &[&str] = &["x", "/a\tb", "/a\\b"];

    #[test]
    fn only_plain_paths_are_returned_to() {
        let leaving = leaving();
        let all = leaving
            .iter()
            .map(String::as_str)
            .chain(NOT_PLAIN.iter().copied());
        for path in all {
            assert_eq!(plain_path(path), None, "{path:?}");
            if HeaderValue::from_str(path).is_err() {
                continue; // no header can carry it
            }
            let h = headers(&[
                ("x-forwarded-host", "app.example.com"),
                ("x-forwarded-uri", path),
            ]);
            assert_eq!(
                return_path(&h, true, None, &settings(&["app.example.com"])),
                None,
                "{path}"
            );
        }
        // Dot segments that stay on this host are returned normalised; encoded slashes are
        // not separators to a browser, so they stay a path of ours.
        for (path, normal) in [
            ("/a/./b/../c?x=1", "/a/c?x=1"),
            ("/%2e/reports", "/reports"),
            ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
            ("/r%C3%A9sum%C3%A9", "/r%C3%A9sum%C3%A9"),
        ] {
            let h = headers(&[
                ("x-forwarded-host", "app.example.com"),
                ("x-forwarded-uri", path),
            ]);
            let got = return_path(&h, true, None, &settings(&["app.example.com"]));
            assert_eq!(got.as_deref(), Some(normal), "{path}");
        }
        let long = format!("/{}", "a".repeat(MAX_RETURN));
        let h = headers(&[
            ("x-forwarded-host", "app.example.com"),
            ("x-forwarded-uri", &long),
        ]);
        assert_eq!(
            return_path(&h, true, None, &settings(&["app.example.com"])),
            None
        );
    }

    #[test]
    fn only_a_browsers_page_navigation_is_redirected() {
        let page = [("accept", "text/html,application/xhtml+xml")];
        assert!(is_page_request(&headers(&page), &Method::GET, false));
        assert!(!is_page_request(&headers(&page), &Method::POST, false));
        assert!(!is_page_request(
            &headers(&[("accept", "application/json")]),
            &Method::GET,
            false
        ));
        let xhr = [
            ("accept", "text/html"),
            ("x-requested-with", "XMLHttpRequest"),
        ];
        assert!(!is_page_request(&headers(&xhr), &Method::GET, false));
        let fetch = [("accept", "text/html"), ("sec-fetch-mode", "cors")];
        assert!(!is_page_request(&headers(&fetch), &Method::GET, false));
        // The held request's method, as a trusted proxy says, decides; not the subrequest's.
        let post = [("accept", "text/html"), ("x-forwarded-method", "POST")];
        assert!(!is_page_request(&headers(&post), &Method::GET, true));
        assert!(is_page_request(&headers(&post), &Method::GET, false));
    }

    #[test]
    fn the_return_path_is_encoded_into_next() {
        let back = Return {
            origin: None,
            path: Some("/reports?month=11&y=2026".into()),
        };
        assert_eq!(
            login_location(Some(&back)),
            "/login?next=%2Freports%3Fmonth%3D11%26y%3D2026"
        );
        assert_eq!(login_location(None), "/login");
    }

    #[test]
    fn the_login_page_is_on_the_held_requests_origin_when_the_proxy_names_it() {
        let h = headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "app.example.com:8443"),
            ("x-forwarded-uri", "/a?b=c"),
        ]);
        let back = return_to(&h, true, None, &settings(&["app.example.com"]));
        assert_eq!(
            login_location(back.as_ref()),
            "https://app.example.com:8443/login?next=%2Fa%3Fb%3Dc"
        );
        let h = headers(&[("x-original-url", "HTTPS://app.example.com//evil.example/")]);
        let back = return_to(&h, true, None, &settings(&["app.example.com"]));
        assert_eq!(
            login_location(back.as_ref()),
            "https://app.example.com/login"
        );
        // No scheme said, or a scheme that is not the web's: relative, as ever.
        for proto in [None, Some("javascript")] {
            let mut pairs = vec![
                ("x-forwarded-host", "app.example.com"),
                ("x-forwarded-uri", "/a"),
            ];
            pairs.extend(proto.map(|p| ("x-forwarded-proto", p)));
            let back = return_to(
                &headers(&pairs),
                true,
                None,
                &settings(&["app.example.com"]),
            );
            assert_eq!(login_location(back.as_ref()), "/login?next=%2Fa");
        }
    }
}
