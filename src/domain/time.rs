//! Timestamps: always UTC, always `YYYY-MM-DDTHH:MM:SS.sssZ` on the wire and in storage, so
//! that stored strings sort in time order.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// Formats a timestamp the one way the service writes them.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 timestamp (any fraction, `Z` or an offset), truncated to milliseconds.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    Some(truncate(t))
}

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// The current time, at the stored precision.
pub fn now() -> DateTime<Utc> {
    truncate(Utc::now())
}

/// A modification time strictly after `previous`, so that optimistic locking on
/// `LastModifiedDate` tells every version apart.
pub fn next_modified(previous: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    match parse(previous) {
        Some(prev) if prev >= now => prev + Duration::milliseconds(1),
        _ => now,
    }
}

/// The service's clock: readings never go backwards, even when the system clock does.
/// Writes read it inside their transaction, so commit order and timestamp order agree.
#[derive(Debug, Default)]
pub struct Clock {
    last_millis: AtomicI64,
}

impl Clock {
    /// The current time at the stored precision, never before an earlier reading.
    pub fn now(&self) -> DateTime<Utc> {
        let wall = now().timestamp_millis();
        let previous = self.last_millis.fetch_max(wall, Ordering::SeqCst);
        DateTime::from_timestamp_millis(wall.max(previous)).unwrap_or_else(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_orders() {
        let t = parse("2024-05-01T12:00:00.123456Z").unwrap();
        assert_eq!(format(t), "2024-05-01T12:00:00.123Z");
        assert_eq!(
            format(parse("2024-05-01T14:00:00+02:00").unwrap()),
            "2024-05-01T12:00:00.000Z"
        );
        let later = next_modified("2024-05-01T12:00:00.123Z", t);
        assert_eq!(format(later), "2024-05-01T12:00:00.124Z");
    }

    #[test]
    fn the_clock_never_goes_backwards() {
        let clock = Clock::default();
        let ahead = now() + Duration::hours(1);
        clock
            .last_millis
            .store(ahead.timestamp_millis(), Ordering::SeqCst);
        assert_eq!(
            clock.now(),
            ahead,
            "a reading never precedes an earlier one"
        );
        let mut last = clock.now();
        for _ in 0..1000 {
            let t = clock.now();
            assert!(t >= last);
            last = t;
        }
    }
}
