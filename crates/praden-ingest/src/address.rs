//! Which addresses a source may make praden connect to. A feed URL, or a redirect from one,
//! pointing into our own network (a database port, a cloud metadata service) must not turn
//! praden into a proxy for it; so private, loopback, link-local, unique-local and metadata
//! addresses are refused after DNS resolution and on every redirect. A source marked
//! `allow_private_network` may reach a private address at its own configured origin (scheme,
//! host and port) only: its requests elsewhere, and redirects leaving that origin (another
//! port of the same host, `localhost`, a name resolving privately), are checked like any
//! other source's (see `fetch`).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;

/// Why a request was refused before any connection was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} is a private or reserved address ({ip}); refused (set allow_private_network = true on the source to allow it)")]
pub struct ForbiddenAddress {
    pub host: String,
    pub ip: IpAddr,
}

/// Whether `ip` is outside the public internet.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique-local, which holds the EC2 metadata address fd00:ec2::254.
                || (first & 0xfe00) == 0xfc00
                // fe80::/10 link-local.
                || (first & 0xffc0) == 0xfe80
                // 64:ff9b::/96 NAT64 can reach any IPv4 address, private ones included.
                || (v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
                    && is_forbidden_v4(v4_tail(v6)))
        }
    }
}

fn v4_tail(v6: Ipv6Addr) -> Ipv4Addr {
    let o = v6.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        // 169.254.0.0/16, which holds the cloud metadata address 169.254.169.254.
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT: private in practice.
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24 protocol assignments, 198.18.0.0/15 benchmarking, 240/4 reserved.
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

/// The address of a URL whose host is written as an IP literal: such hosts are never looked
/// up, so the resolver below does not see them and they are checked here.
pub fn literal_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Refuses `url` if its host is a forbidden IP literal.
pub fn check_url(url: &url::Url) -> Result<(), ForbiddenAddress> {
    match literal_ip(url) {
        Some(ip) if is_forbidden(ip) => Err(ForbiddenAddress {
            host: url.host_str().unwrap_or_default().to_string(),
            ip,
        }),
        _ => Ok(()),
    }
}

/// A DNS resolver for reqwest that drops forbidden addresses, and fails when nothing public
/// is left, so the connection is never attempted.
#[derive(Debug, Default)]
pub struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let fut: Pin<Box<dyn Future<Output = _> + Send>> = Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| !is_forbidden(a.ip()))
                .collect();
            match (public.is_empty(), addrs.first()) {
                (false, _) => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
                (true, Some(first)) => Err(Box::new(ForbiddenAddress {
                    host,
                    ip: first.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                (true, None) => Err(format!("{host} has no address").into()),
            }
        });
        fut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(s: &str) -> bool {
        is_forbidden(s.parse().unwrap())
    }

    #[test]
    fn private_and_reserved_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a00:1",
        ] {
            assert!(forbidden(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "203.150.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(!forbidden(ip), "{ip} should pass");
        }
    }

    #[test]
    fn literal_hosts_are_checked_without_dns() {
        let refused = |u: &str| check_url(&url::Url::parse(u).unwrap()).is_err();
        assert!(refused("http://127.0.0.1:8080/feed"));
        assert!(refused("http://[::1]/feed"));
        assert!(refused("http://169.254.169.254/latest/meta-data/"));
        // The URL parser normalises other spellings of an IPv4 address.
        assert!(refused("http://0x7f.1/feed"));
        assert!(refused("http://2130706433/feed"));
        assert!(!refused("https://www.matichon.co.th/feed"));
        assert!(!refused("http://203.150.1.1/feed"));
    }
}
