//! What counts as the same client across a session's requests (docs/security.md rows 23 and 24).
//!
//! A user agent is reduced to its browser family and operating system: a browser updating
//! itself mid-session (Firefox 140 → 141) is the same client, and Firefox becoming curl is not.
//! An address is reduced to its network: the /16 of an IPv4 address, the /48 of an IPv6 one, so
//! moving between access points of one network is not drift and moving to another network is.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// Browser family and operating system, e.g. `firefox|linux`.
pub fn user_agent_signature(user_agent: &str) -> String {
    let ua = user_agent.to_ascii_lowercase();
    let family = [
        ("edg/", "edge"),
        ("opr/", "opera"),
        ("firefox/", "firefox"),
        ("chrome/", "chrome"),
        ("chromium/", "chrome"),
        ("safari/", "safari"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map_or_else(
        || ua.split(['/', ' ']).next().unwrap_or("").to_owned(),
        |(_, name)| (*name).to_owned(),
    );
    let os = [
        ("android", "android"),
        ("iphone", "ios"),
        ("ipad", "ios"),
        ("windows", "windows"),
        ("mac os x", "macos"),
        ("macintosh", "macos"),
        ("cros", "chromeos"),
        ("linux", "linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map_or("other", |(_, name)| name);
    format!("{family}|{os}")
}

/// The stored fingerprint: a short digest of the signature, so no user agent is kept twice.
pub fn fingerprint(user_agent: &str) -> String {
    Sha256::digest(user_agent_signature(user_agent).as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The network an address belongs to, for drift: /16 for IPv4, /48 for IPv6.
pub fn network(ip: &str) -> Option<String> {
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.0.0/16", o[0], o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

/// The key per-address limits count under: an IPv4 address itself, the /64 of an IPv6 one
/// (one subscriber gets a whole /64, so counting /128s would give each of them 2^64 budgets).
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX_140: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    const FIREFOX_141: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0";
    const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

    #[test]
    fn a_browser_update_is_the_same_client_and_another_tool_is_not() {
        assert_eq!(fingerprint(FIREFOX_140), fingerprint(FIREFOX_141));
        assert_ne!(fingerprint(FIREFOX_140), fingerprint("curl/8.5.0"));
        assert_eq!(user_agent_signature(CHROME_MAC), "chrome|macos");
        assert_eq!(user_agent_signature("curl/8.5.0"), "curl|other");
    }

    #[test]
    fn limits_count_ipv6_addresses_by_their_slash_64() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:bbbb::2")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("10.0.0.1"), "10.0.0.1");
        assert_eq!(address_key("::ffff:10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn networks_are_slash_16_and_slash_48() {
        assert_eq!(network("10.1.2.3"), network("10.1.200.7"));
        assert_ne!(network("10.1.2.3"), network("10.2.2.3"));
        assert_eq!(network("2001:db8:1::1").unwrap(), "2001:db8:1::/48");
        assert_eq!(network("not an address"), None);
    }
}
