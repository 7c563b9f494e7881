//! Slows down guessing: after `limit` failed sign-ins or bad tokens from one address within
//! a minute, that address is refused (429, `Retry-After`) until the minute is over, without
//! any credential being checked. In process and approximate, which is all it needs to be.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; past it, finished windows are forgotten first.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug)]
pub struct FailureLimiter {
    limit: u32,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailureLimiter {
    /// `limit` failures per address per minute; 0 turns the limiter off.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` while `ip` is over its limit.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get(&ip) {
            Some(&(start, count)) if count >= self.limit && start.elapsed() < WINDOW => {
                Err((WINDOW - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failure of `ip`.
    pub fn fail(&self, ip: IpAddr) {
        if self.limit == 0 {
            return;
        }
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, (start, _)| start.elapsed() < WINDOW);
            if failures.len() >= MAX_TRACKED {
                failures.clear();
            }
        }
        let entry = failures.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_per_address() {
        let limiter = FailureLimiter::new(3);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert_eq!(limiter.check(a), Ok(()));
            limiter.fail(a);
        }
        let wait = limiter.check(a).expect_err("over the limit");
        assert!((1..=60).contains(&wait));
        assert_eq!(limiter.check(b), Ok(()), "other addresses are not affected");
    }

    #[test]
    fn zero_means_off() {
        let limiter = FailureLimiter::new(0);
        let a: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..100 {
            limiter.fail(a);
        }
        assert_eq!(limiter.check(a), Ok(()));
    }
}
