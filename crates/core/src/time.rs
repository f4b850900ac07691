//! Time for the whole service comes from a [`Clock`], so that tests can move it instead of sleeping.
//!
//! Every instant is a [`Timestamp`] (an absolute UTC instant): there is no way to build a naive
//! local time here, which makes seed 000's "offset-naive and offset-aware" bug impossible.

use std::sync::Mutex;

pub use jiff::{SignedDuration, Timestamp};

/// Source of the current time.
///
/// ```
/// use sessiond_core::time::{Clock, Timestamp};
///
/// /// A clock stopped at one instant.
/// struct Frozen(Timestamp);
///
/// impl Clock for Frozen {
///     fn now(&self) -> Timestamp {
///         self.0
///     }
/// }
///
/// let t = Timestamp::from_second(1_700_000_000).unwrap();
/// assert_eq!(Frozen(t).now(), t);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the real clock
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to: for tests and demos.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock that reads `start` until moved.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// A fixed, readable starting point: 2030-01-01T00:00:00Z.
    pub fn at_epoch() -> Self {
        Self::new(Timestamp::from_second(1_893_456_000).unwrap_or(Timestamp::UNIX_EPOCH))
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = now.checked_add(by).unwrap_or(*now);
    }

    /// Moves the clock on by `secs` seconds.
    pub fn advance_secs(&self, secs: i64) {
        self.advance(SignedDuration::from_secs(secs));
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Adds whole seconds, saturating at the representable range instead of failing.
pub fn plus_secs(t: Timestamp, secs: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs(secs))
        .unwrap_or(if secs >= 0 {
            Timestamp::MAX
        } else {
            Timestamp::MIN
        })
}

/// Whole seconds from `from` to `to` (negative when `to` is earlier).
pub fn secs_between(from: Timestamp, to: Timestamp) -> i64 {
    to.duration_since(from).as_secs()
}

/// Milliseconds since the Unix epoch: how stores persist instants.
pub fn to_millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// The inverse of [`to_millis`]; out-of-range values clamp (they can only come from a corrupt row).
pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(if ms >= 0 {
        Timestamp::MAX
    } else {
        Timestamp::MIN
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_epoch();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance_secs(90);
        assert_eq!(secs_between(t0, clock.now()), 90);
    }

    #[test]
    fn millis_round_trip() {
        let t = ManualClock::at_epoch().now();
        assert_eq!(from_millis(to_millis(t)), t);
    }
}
