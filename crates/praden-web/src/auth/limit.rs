//! The login rate limit: at most [`LoginLimits::per_user`] failed logins per user name and
//! [`LoginLimits::per_ip`] per client address within [`LoginLimits::window`]. The failures
//! are kept in the store (`login_failures`), so the processes behind one reverse proxy share
//! the limit and a restart does not reset it.

use praden_store::{Store, StoreError};
use std::net::IpAddr;
use std::time::Duration;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_user: usize,
    /// Higher than per user: an office's monitors may all reach praden from one NAT address.
    pub per_ip: usize,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_user: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Addresses a reverse proxy connects from (`10.0.0.5`, `172.16.0.0/12`, `::1`): behind one,
/// every login comes from the proxy, and the per-address limit would count the whole office
/// together, so the client's address is read from `X-Forwarded-For` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRange {
    net: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for ProxyRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not an address or a range such as 172.16.0.0/12");
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let bits = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        if prefix > bits {
            return Err(bad());
        }
        Ok(Self { net, prefix })
    }
}

impl ProxyRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (a, b, bits) = match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => (u32::from(n) as u128, u32::from(i) as u128, 32),
            (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
            _ => return false,
        };
        let shift = bits - u32::from(self.prefix);
        shift >= bits || (a >> shift) == (b >> shift)
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the rightmost
/// address in `X-Forwarded-For` that is not one (the leftmost ones are the client's to write).
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[ProxyRange],
) -> Option<IpAddr> {
    let is_proxy = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    let peer = peer?;
    if !is_proxy(peer) {
        return Some(peer);
    }
    let mut last = peer;
    for hop in forwarded_for.unwrap_or("").rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if is_proxy(ip) => last = ip,
            Ok(ip) => return Some(ip),
            Err(_) => break,
        }
    }
    Some(last)
}

/// Failed logins, counted in the store: every praden process on the database counts against
/// the same limit, and a restart forgets nothing.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    limits: LoginLimits,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self { limits }
    }

    /// `Some(wait)` when a login for `username` from `ip` must be refused now: the time until
    /// the oldest counted failure leaves the window.
    pub async fn blocked(
        &self,
        store: &Store,
        username: &str,
        ip: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<Option<Duration>, StoreError> {
        let keys = self.limited_keys(username, ip);
        let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
        let failures = store
            .login_failures(&names, now - self.limits.window)
            .await?;
        let mut wait: Option<Duration> = None;
        for (key, limit) in keys {
            let times: Vec<OffsetDateTime> = failures
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, at)| *at)
                .collect();
            if let Some(w) = wait_for(&times, limit, self.limits.window, now) {
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
        Ok(wait)
    }

    /// Counts a failed login against the user name and the address.
    pub async fn failed(
        &self,
        store: &Store,
        username: &str,
        ip: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let keys: Vec<String> = self
            .limited_keys(username, ip)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        store
            .record_login_failure(&keys, now, now - self.limits.window)
            .await
    }

    /// A successful login clears the user name's failures (not the address's).
    pub async fn succeeded(&self, store: &Store, username: &str) -> Result<(), StoreError> {
        store.clear_login_failures(&user_key(username)).await
    }

    fn limited_keys(&self, username: &str, ip: Option<IpAddr>) -> Vec<(String, usize)> {
        let mut keys = vec![(user_key(username), self.limits.per_user)];
        if let Some(ip) = ip {
            keys.push((format!("ip:{ip}"), self.limits.per_ip));
        }
        keys
    }
}

fn user_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

/// With `times` the failures of one key within the window (oldest first): how long until
/// one more attempt is allowed, if it is not now — until the failure that must leave the
/// window for it does.
fn wait_for(
    times: &[OffsetDateTime],
    limit: usize,
    window: Duration,
    now: OffsetDateTime,
) -> Option<Duration> {
    if times.len() < limit {
        return None;
    }
    let oldest = times[times.len() - limit];
    let w: Duration = (oldest + window - now).try_into().unwrap_or_default();
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_key_is_blocked_at_its_limit_until_the_oldest_counted_failure_leaves_the_window() {
        let t0 = datetime!(2026-12-04 10:00 UTC);
        let s = |n| time::Duration::seconds(n);
        let window = Duration::from_secs(60);
        let times = [t0, t0 + s(10), t0 + s(20)];
        assert_eq!(wait_for(&times[..2], 3, window, t0 + s(25)), None);
        assert_eq!(
            wait_for(&times, 3, window, t0 + s(25)),
            Some(Duration::from_secs(35))
        );
        // With more failures than the limit, the one `limit` from the newest decides.
        let more = [t0, t0 + s(10), t0 + s(20), t0 + s(30)];
        assert_eq!(
            wait_for(&more, 3, window, t0 + s(35)),
            Some(Duration::from_secs(35))
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_forwarded_address() {
        let trusted: Vec<ProxyRange> = ["172.16.0.0/12", "::1"]
            .iter()
            .map(|r| r.parse().unwrap())
            .collect();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // A direct client is itself, whatever it claims.
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("10.1.1.1"), &trusted),
            ip("203.0.113.9")
        );
        // Through the proxy: the address it saw, not the one the client wrote before it.
        assert_eq!(
            client_ip(ip("172.18.0.3"), Some("6.6.6.6, 203.0.113.9"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("172.18.0.3"), Some("203.0.113.9, 172.20.0.2"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(client_ip(ip("::1"), None, &trusted), ip("::1"));
        assert_eq!(
            client_ip(ip("172.18.0.3"), Some("junk"), &trusted),
            ip("172.18.0.3")
        );
        assert!(!"10.0.0.0/8"
            .parse::<ProxyRange>()
            .unwrap()
            .contains("11.0.0.1".parse().unwrap()));
        assert!("0.0.0.0/0"
            .parse::<ProxyRange>()
            .unwrap()
            .contains("11.0.0.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<ProxyRange>().is_err());
        assert!("proxy".parse::<ProxyRange>().is_err());
    }

    #[test]
    fn keys_name_the_user_case_insensitively_and_the_address() {
        let l = LoginLimiter::new(LoginLimits::default());
        let keys = l.limited_keys(" Somchai ", Some("10.0.0.1".parse().unwrap()));
        assert_eq!(keys[0], ("user:somchai".to_string(), 5));
        assert_eq!(keys[1], ("ip:10.0.0.1".to_string(), 20));
        assert_eq!(l.limited_keys("x", None).len(), 1);
    }
}
