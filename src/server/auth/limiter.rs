//! Slows down guessing: after `limit` failed sign-ins or bad tokens from one address within
//! a minute, that address is refused (429, `Retry-After`) until the minute is over, without
//! any credential being checked. In process and approximate, which is all it needs to be.
//!
//! Time comes from the application's [`Clock`], so tests move it instead of waiting. An
//! IPv6 client is counted by its /64 network: one host usually holds a whole /64, and
//! counting each address apart would let it rotate through them.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, Utc};

use crate::server::clock::Clock;

const WINDOW: Duration = Duration::seconds(60);
/// Addresses remembered at most. Past it, finished windows are forgotten first, then a
/// tenth (see [`evict`]): a flood of new addresses never wipes the counts of the others.
const MAX_TRACKED: usize = 10_000;

pub struct FailureLimiter {
    limit: u32,
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    count: u32,
}

impl std::fmt::Debug for FailureLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureLimiter")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// What the limiter counts an address as: itself, or for IPv6 its /64 network.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

impl FailureLimiter {
    /// `limit` failures per address per minute; 0 turns the limiter off.
    pub fn new(limit: u32, clock: Arc<dyn Clock>) -> Self {
        Self {
            limit,
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Window>> {
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Seconds until `window` ends, if it is still running and full.
    fn refusal(&self, window: Option<&Window>, now: DateTime<Utc>) -> Option<u64> {
        let window = window?;
        let left = window.start + WINDOW - now;
        (window.count >= self.limit && left > Duration::zero())
            .then(|| u64::try_from(left.num_seconds()).unwrap_or(0).max(1))
    }

    /// `Err(seconds to wait)` while `ip` is over its limit.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = self.clock.now();
        match self.refusal(self.lock().get(&key(ip)), now) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts one attempt of `ip` before it is checked, or refuses it (`Err(seconds to
    /// wait)`) when the address is over its limit. Counting first means requests sent at
    /// the same moment cannot all slip in before the first of them fails.
    pub fn attempt(&self, ip: IpAddr) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = self.clock.now();
        let mut windows = self.lock();
        if let Some(wait) = self.refusal(windows.get(&key(ip)), now) {
            return Err(wait);
        }
        Self::count(&mut windows, key(ip), now);
        Ok(())
    }

    /// Gives back an attempt that succeeded.
    pub fn forgive(&self, ip: IpAddr) {
        if let Some(window) = self.lock().get_mut(&key(ip)) {
            window.count = window.count.saturating_sub(1);
        }
    }

    /// Counts one failure of `ip`.
    pub fn fail(&self, ip: IpAddr) {
        if self.limit == 0 {
            return;
        }
        let now = self.clock.now();
        Self::count(&mut self.lock(), key(ip), now);
    }

    fn count(windows: &mut HashMap<IpAddr, Window>, key: IpAddr, now: DateTime<Utc>) {
        if !windows.contains_key(&key) && windows.len() >= MAX_TRACKED {
            evict(windows, now);
        }
        let window = windows.entry(key).or_insert(Window {
            start: now,
            count: 0,
        });
        if now - window.start >= WINDOW {
            *window = Window {
                start: now,
                count: 0,
            };
        }
        window.count = window.count.saturating_add(1);
    }
}

/// Forgets finished windows; if that frees nothing, the tenth least worth keeping: the
/// fewest failures first (an address over its limit is the one to remember), then the
/// oldest.
fn evict(windows: &mut HashMap<IpAddr, Window>, now: DateTime<Utc>) {
    windows.retain(|_, w| now - w.start < WINDOW);
    if windows.len() < MAX_TRACKED {
        return;
    }
    let rank = |w: &Window| (w.count, w.start);
    let mut ranks: Vec<(u32, DateTime<Utc>)> = windows.values().map(rank).collect();
    let cut = MAX_TRACKED / 10;
    let (_, &mut threshold, _) = ranks.select_nth_unstable(cut);
    windows.retain(|_, w| rank(w) >= threshold);
    // Ties at the threshold: drop just enough of them.
    let mut extra = windows.len().saturating_sub(MAX_TRACKED - cut);
    windows.retain(|_, w| {
        let drop = extra > 0 && rank(w) == threshold;
        extra -= usize::from(drop);
        !drop
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::clock::ShiftedClock;

    fn limiter(limit: u32) -> (FailureLimiter, ShiftedClock) {
        let start = DateTime::parse_from_rfc3339("2026-11-15T12:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let clock = ShiftedClock::starting_at(start);
        (FailureLimiter::new(limit, Arc::new(clock.clone())), clock)
    }

    #[test]
    fn refuses_after_the_limit_per_address_until_the_minute_is_over() {
        let (limiter, clock) = limiter(3);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert_eq!(limiter.check(a), Ok(()));
            limiter.fail(a);
        }
        let wait = limiter.check(a).expect_err("over the limit");
        assert!((59..=60).contains(&wait), "{wait}");
        assert_eq!(limiter.check(b), Ok(()), "other addresses are not affected");
        let start = clock.now();
        clock.set(start + Duration::seconds(59));
        assert!(limiter.check(a).is_err(), "still inside the minute");
        clock.set(start + Duration::seconds(61));
        assert_eq!(limiter.check(a), Ok(()), "a new minute");
        assert_eq!(limiter.attempt(a), Ok(()));
    }

    #[test]
    fn attempts_count_before_the_check_and_successes_are_given_back() {
        let (limiter, _clock) = limiter(2);
        let a: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(limiter.attempt(a), Ok(()));
        assert_eq!(limiter.attempt(a), Ok(()));
        assert!(
            limiter.attempt(a).is_err(),
            "the third is refused before any check"
        );
        limiter.forgive(a);
        assert_eq!(limiter.attempt(a), Ok(()), "a success does not count");
    }

    #[test]
    fn zero_means_off() {
        let (limiter, _clock) = limiter(0);
        let a: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..100 {
            limiter.fail(a);
            assert_eq!(limiter.attempt(a), Ok(()));
        }
        assert_eq!(limiter.check(a), Ok(()));
    }

    #[test]
    fn a_flood_of_new_addresses_does_not_reset_the_others() {
        let (limiter, clock) = limiter(3);
        let victim: IpAddr = [192, 0, 2, 7].into();
        let start = clock.now();
        for _ in 0..3 {
            limiter.fail(victim);
        }
        for i in 0..(3 * MAX_TRACKED as u32) {
            clock.set(start + Duration::milliseconds(i64::from(i % 1000)));
            limiter.fail(IpAddr::V4((0x0a00_0000 + i).into()));
        }
        assert!(
            limiter.check(victim).is_err(),
            "the victim's count survived"
        );
        assert!(limiter.lock().len() <= MAX_TRACKED);
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_network() {
        let (limiter, _clock) = limiter(2);
        let one: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let two: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        limiter.fail(one);
        limiter.fail(two);
        assert!(limiter.check(one).is_err());
        assert_eq!(limiter.check(other), Ok(()));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(key(mapped), IpAddr::from([10, 0, 0, 1]));
    }
}
