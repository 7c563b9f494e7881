//! Time, injected: every rule that depends on "now" (month windows, rollover, future-dated
//! events) asks the clock in the application state, so tests can move time instead of waiting.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that runs with the wall clock from a chosen instant, and can be moved.
/// Used by tests to cross month edges at exact instants.
#[derive(Debug, Clone)]
pub struct ShiftedClock {
    offset: Arc<Mutex<Duration>>,
}

impl ShiftedClock {
    /// A clock that reads `start` now and advances in real time from there.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            offset: Arc::new(Mutex::new(start - Utc::now())),
        }
    }

    /// Jumps to `instant`, then keeps running.
    pub fn set(&self, instant: DateTime<Utc>) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset = instant - Utc::now();
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        Utc::now() + offset
    }
}
