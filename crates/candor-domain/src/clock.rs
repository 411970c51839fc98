use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// The only source of "now": deadlines and retention are tested by moving a
/// [`FixedClock`], never by sleeping.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        to_micros(OffsetDateTime::now_utc())
    }
}

/// Candor keeps time to the microsecond, PostgreSQL's precision, so a value reads back
/// equal (and hashes equal) on every backend.
pub fn to_micros(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .expect("a truncated nanosecond is in range")
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct FixedClock {
    unix_nanos: AtomicI64,
}

impl FixedClock {
    pub fn new(at: OffsetDateTime) -> Self {
        Self {
            unix_nanos: AtomicI64::new(at.unix_timestamp_nanos() as i64),
        }
    }

    pub fn advance(&self, by: time::Duration) {
        self.unix_nanos
            .fetch_add(by.whole_nanoseconds() as i64, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        let nanos = self.unix_nanos.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(nanos as i128).expect("clock within range")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_advanced() {
        let start = time::macros::datetime!(2026-01-01 00:00 UTC);
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(time::Duration::days(31));
        assert_eq!(clock.now(), time::macros::datetime!(2026-02-01 00:00 UTC));
    }
}
