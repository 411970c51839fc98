//! Login rate limits (X3). Two buckets: one per client address, checked before any
//! password is (30 attempts at once, then one every 2 seconds), and one per account
//! *and* address that only failed attempts use (5 failures, then one every 3 minutes;
//! once it is empty, that account is refused from that address until it refills, even
//! with the right password). Someone guessing a
//! password from one address is slowed to a crawl, while the account's owner, from
//! their own address, still signs in: nobody can lock a user out by failing on purpose.
//! The limits live in the server's memory; behind a proxy, the proxy's address is the
//! client's (Candor does not trust `X-Forwarded-For`).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

type Key = (String, IpAddr);

pub struct LoginLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    failures: DefaultKeyedRateLimiter<Key>,
    blocked: Mutex<HashMap<Key, Instant>>,
}

fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("a non-zero burst"))
}

impl LoginLimits {
    pub fn new() -> Self {
        Self {
            per_ip: RateLimiter::keyed(quota(30, Duration::from_secs(2))),
            failures: RateLimiter::keyed(quota(5, Duration::from_secs(180))),
            blocked: Mutex::default(),
        }
    }

    pub(crate) fn key(email: &str, ip: IpAddr) -> Key {
        // An IPv6 client is counted by its /64, which one subscriber usually holds whole.
        let ip = match ip {
            IpAddr::V6(v6) => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
            v4 => v4,
        };
        let email: String = email.trim().chars().take(254).collect();
        (email.to_lowercase(), ip)
    }

    /// Whether an attempt may be made now (it is counted against the address).
    #[cfg(test)]
    pub fn allow(&self, email: &str, ip: IpAddr) -> bool {
        self.check(email, ip).is_ok()
    }

    /// `Ok` when an attempt may be made now (it is counted against the address), else
    /// how long to wait: the `Retry-After` of the 429.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        let key = Self::key(email, ip);
        let now = Instant::now();
        let mut blocked = self.blocked.lock().expect("limits lock");
        if blocked.len() > 100_000 {
            blocked.retain(|_, until| *until > now);
            self.per_ip.retain_recent();
            self.failures.retain_recent();
        }
        if let Some(until) = blocked.get(&key).filter(|until| **until > now) {
            return Err(*until - now);
        }
        blocked.remove(&key);
        self.per_ip
            .check_key(&key.1)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Counts a failed attempt; the account is refused from that address once its
    /// failures outrun the bucket.
    pub fn failed(&self, email: &str, ip: IpAddr) {
        let key = Self::key(email, ip);
        if let Err(not_until) = self.failures.check_key(&key) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            self.blocked
                .lock()
                .expect("limits lock")
                .insert(key, Instant::now() + wait);
        }
    }
}

/// Limits on the portal's sign-in links (X3): per client address (20 at once, then
/// one every 30 seconds) and per address typed *and* client address (3, then one every
/// 5 minutes). No limit counts an address typed from everywhere: a stranger asking for
/// links to someone's address from their own machine uses up their own buckets, never
/// the owner's, so nobody can keep a person out of their portal.
pub struct LinkLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_address: DefaultKeyedRateLimiter<Key>,
}

impl LinkLimits {
    pub fn new() -> Self {
        Self {
            per_ip: RateLimiter::keyed(quota(20, Duration::from_secs(30))),
            per_address: RateLimiter::keyed(quota(3, Duration::from_secs(300))),
        }
    }

    /// `Ok` when a link may be sent now (it is counted), else how long to wait.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        let key = LoginLimits::key(email, ip);
        let now = DefaultClock::default().now();
        if self.per_ip.len() > 100_000 {
            self.per_ip.retain_recent();
            self.per_address.retain_recent();
        }
        self.per_ip
            .check_key(&key.1)
            .and_then(|()| self.per_address.check_key(&key))
            .map_err(|not_until| not_until.wait_time_from(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_limited_from_one_address_not_from_another() {
        let l = LoginLimits::new();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..20 {
            assert!(l.allow("ana@example.com", a), "successes cost nothing");
        }
        for _ in 0..6 {
            assert!(l.allow("ana@example.com", a));
            l.failed("ana@example.com", a);
        }
        assert!(!l.allow("ANA@example.com", a), "after six failures from a");
        let wait = l.check("ana@example.com", a).unwrap_err();
        assert!(
            wait > Duration::from_secs(60) && wait <= Duration::from_secs(180),
            "{wait:?}"
        );
        assert!(
            l.allow("ana@example.com", b),
            "the owner elsewhere still gets in"
        );
        assert!(l.allow("bob@example.com", a), "another account from a");
    }

    #[test]
    fn links_to_one_address_are_limited_per_client_not_for_everyone() {
        let l = LinkLimits::new();
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        let owner: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check("ana@example.com", stranger).is_ok());
        }
        let wait = l.check("ANA@example.com", stranger).unwrap_err();
        assert!(wait > Duration::from_secs(200), "{wait:?}");
        assert!(
            l.check("ana@example.com", owner).is_ok(),
            "the owner still gets a link from their own address"
        );
        for i in 0..16 {
            assert!(l.check(&format!("p{i}@example.com"), stranger).is_ok());
        }
        assert!(
            l.check("someone@example.com", stranger).is_err(),
            "20 links from one client address, then one every 30 s"
        );
    }

    #[test]
    fn an_ipv6_subscriber_is_one_address() {
        let l = LoginLimits::new();
        for i in 0..6 {
            let ip: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            l.failed("ana@example.com", ip);
        }
        let same_64: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert!(!l.allow("ana@example.com", same_64));
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(l.allow("ana@example.com", other_64));
    }

    #[test]
    fn an_address_is_limited_across_accounts() {
        let l = LoginLimits::new();
        let a: IpAddr = "192.0.2.9".parse().unwrap();
        let allowed = (0..40)
            .filter(|i| l.allow(&format!("u{i}@example.com"), a))
            .count();
        assert_eq!(allowed, 30);
    }
}
