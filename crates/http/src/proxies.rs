//! Trusted proxies (`SESSIOND_TRUSTED_PROXIES`): whose `X-Forwarded-*` headers are believed,
//! and the client's address behind them (docs/security.md row 24).
//!
//! Proxies are addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`). A peer is matched in its
//! canonical form, so a proxy reaching a dual-stack listener as `::ffff:10.0.0.1` is
//! `10.0.0.1`. The client is read from `X-Forwarded-For` right to left: each proxy appends the
//! address it saw, so the entries on the right are our own proxies' and the first one that is
//! not a trusted proxy is the client. What stands to its left was written by the client and
//! proves nothing.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Headers only a proxy should send; from anyone else they are ignored, and the first few
/// peers that send one are named in the log, since that is usually a proxy left out of
/// `SESSIOND_TRUSTED_PROXIES`.
const PROXY_HEADERS: [&str; 5] = [
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-real-ip",
    "forwarded",
];

/// Peers named in the log: a bound, so a flood of them is not a flood of log lines.
const WARNED_PEERS: usize = 16;

/// Longest `X-Forwarded-For` walk: a chain of proxies is short, a forged list may not be.
const MAX_HOPS: usize = 32;

#[derive(Debug, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    warned: Mutex<HashSet<IpAddr>>,
}

impl TrustedProxies {
    /// From the setting's comma-separated addresses and ranges; `Err` names the first that is
    /// neither.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| entry.to_owned())?;
            nets.push(canonical_net(net));
        }
        Ok(Self {
            nets,
            warned: Mutex::default(),
        })
    }

    /// Whether none is configured.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Ranges that trust everyone (`0.0.0.0/0`, `::/0`), which `serve` warns of.
    pub fn trusts_everyone(&self) -> bool {
        self.nets.iter().any(|n| n.prefix_len() == 0)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's own, unless the peer is a trusted proxy; then the
    /// right-most `X-Forwarded-For` entry that is not a trusted proxy (or the left-most one, when
    /// every entry is). An entry that is not an address ends the walk at the hop to its right:
    /// whatever wrote it is not a proxy of ours.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        let entries = headers
            .get_all("x-forwarded-for")
            .iter()
            .rev()
            .flat_map(|v| v.to_str().unwrap_or("?").rsplit(','))
            .take(MAX_HOPS);
        for entry in entries {
            let Some(ip) = parse_entry(entry) else { break };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }

    /// Says once per peer (for the first few) that a proxy header came from a peer that is not
    /// a trusted proxy. Every request passes here (`sessiond_http::app`).
    pub fn note_untrusted(&self, peer: IpAddr, headers: &HeaderMap) {
        let Some(name) = PROXY_HEADERS.iter().find(|h| headers.contains_key(**h)) else {
            return;
        };
        let peer = peer.to_canonical();
        if self.contains(peer) {
            return;
        }
        let mut warned = self.warned.lock().unwrap_or_else(|p| p.into_inner());
        if warned.len() < WARNED_PEERS && warned.insert(peer) {
            tracing::warn!(
                %peer,
                header = name,
                "a proxy header came from a peer that is not in SESSIOND_TRUSTED_PROXIES: it is \
                 ignored, and the client is taken to be the peer. If this peer is your proxy, add \
                 it (an address or a CIDR range); otherwise someone is trying to pass for another \
                 address"
            );
        }
    }
}

/// An IPv4-mapped range written in IPv6 (`::ffff:10.0.0.0/104`) as the IPv4 range it is.
fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4)
            }
            _ => net,
        },
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, with or without a port (`1.2.3.4:80`,
/// `[2001:db8::1]:80`), quotes around it tolerated.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    entry
        .parse::<SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_and_mapped_peers_are_trusted() {
        let p = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7, fd00::/8, ::ffff:172.16.0.0/108")
            .unwrap();
        assert!(p.contains(ip("10.1.2.3")) && p.contains(ip("192.0.2.7")));
        assert!(p.contains(ip("::ffff:10.1.2.3")), "an IPv4-mapped peer");
        assert!(p.contains(ip("fd12::1")) && p.contains(ip("172.16.9.9")));
        assert!(!p.contains(ip("192.0.2.8")) && !p.contains(ip("11.0.0.1")));
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/33").unwrap_err(),
            "10.0.0.0/33"
        );
        assert_eq!(
            TrustedProxies::parse("proxy.local").unwrap_err(),
            "proxy.local"
        );
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .unwrap()
                .trusts_everyone()
        );
    }

    #[test]
    fn the_client_is_the_right_most_entry_that_is_not_a_trusted_proxy() {
        let p = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.1");
        // The client forged the first entry; two of our proxies appended theirs.
        let h = xff(&["6.6.6.6, 198.51.100.7, 10.0.0.9", "10.0.0.5"]);
        assert_eq!(p.client(peer, &h), ip("198.51.100.7"));
        assert_eq!(p.client(ip("::ffff:10.0.0.1"), &h), ip("198.51.100.7"));
        for (value, client) in [
            ("198.51.100.7:4711", "198.51.100.7"),
            ("[2001:db8::1]:443, 10.0.0.2", "2001:db8::1"),
            ("\"::ffff:198.51.100.7\"", "198.51.100.7"),
            ("10.0.0.3, 10.0.0.2", "10.0.0.3"),
            ("unknown, 10.0.0.2", "10.0.0.2"),
            ("198.51.100.7, garbage", "10.0.0.1"),
        ] {
            assert_eq!(p.client(peer, &xff(&[value])), ip(client), "{value}");
        }
        assert_eq!(p.client(peer, &HeaderMap::new()), peer);
        let stranger = ip("203.0.113.9");
        assert_eq!(
            p.client(stranger, &h),
            stranger,
            "believed only from a proxy"
        );
    }
}
