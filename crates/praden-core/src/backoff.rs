//! Waiting longer after each failure in a row: a source that keeps failing, a webhook that
//! keeps refusing. One rule for all of them.

use std::time::Duration;

/// The wait after the `failures`-th failure in a row (1-based; 0 counts as 1): `base`,
/// doubled per failure after the first, at most `cap`. Never overflows.
pub fn backoff(base: Duration, failures: u64, cap: Duration) -> Duration {
    let doublings = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(31);
    base.saturating_mul(1u32 << doublings).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_second_failure_up_to_the_cap() {
        let (base, cap) = (Duration::from_secs(30), Duration::from_secs(3600));
        assert_eq!(backoff(base, 0, cap), base);
        assert_eq!(backoff(base, 1, cap), base);
        assert_eq!(backoff(base, 2, cap), Duration::from_secs(60));
        assert_eq!(backoff(base, 4, cap), Duration::from_secs(240));
        assert_eq!(backoff(base, 12, cap), cap);
        assert_eq!(backoff(base, u64::MAX, cap), cap);
        assert_eq!(backoff(Duration::MAX, 40, Duration::MAX), Duration::MAX);
    }
}
