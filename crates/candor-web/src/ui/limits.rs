//! Login rate limits (X3). Two buckets are checked before a password is: one per
//! client address (30 attempts at once, then one every 2 seconds), and one per
//! account *and* address (5 attempts, then one every 3 minutes). Someone guessing a
//! password from one address is slowed to a crawl, while the account's owner, from
//! their own address, still signs in: nobody can lock a user out by failing on purpose.
//! The limits live in the server's memory; behind a proxy, the proxy's address is the
//! client's (Candor does not trust `X-Forwarded-For`).

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

pub struct LoginLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<(String, IpAddr)>,
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
            per_account: RateLimiter::keyed(quota(5, Duration::from_secs(180))),
        }
    }

    /// Whether one more attempt is allowed; counts it when it is. An IPv6 client is
    /// counted by its /64, which one subscriber usually holds whole.
    pub fn allow(&self, email: &str, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
            v4 => v4,
        };
        let email: String = email.chars().take(254).collect();
        if self.per_ip.len() > 100_000 {
            self.per_ip.retain_recent();
            self.per_account.retain_recent();
        }
        let account = (email.trim().to_lowercase(), ip);
        self.per_ip.check_key(&ip).is_ok() && self.per_account.check_key(&account).is_ok()
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
        for _ in 0..5 {
            assert!(l.allow("ana@example.com", a));
        }
        assert!(!l.allow("ANA@example.com", a), "sixth attempt from a");
        assert!(
            l.allow("ana@example.com", b),
            "the owner elsewhere still gets in"
        );
        assert!(l.allow("bob@example.com", a), "another account from a");
    }

    #[test]
    fn an_ipv6_subscriber_is_one_address() {
        let l = LoginLimits::new();
        for i in 0..5 {
            let ip: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            assert!(l.allow("ana@example.com", ip));
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
