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

/// The service's clock: the system's time plus an offset the control plane sets (`/_admin/clock`),
/// so that a test can jump ahead (expiry) without waiting. Readings never go backwards, even
/// when the system clock does, except when the offset is set back on purpose. Writes read it
/// inside their transaction, so commit order and timestamp order agree. Signature checks do not
/// use it: clients sign with their own clock.
#[derive(Debug, Default)]
pub struct Clock {
    last_millis: AtomicI64,
    offset_millis: AtomicI64,
}

impl Clock {
    /// The current time at the stored precision, never before an earlier reading.
    pub fn now(&self) -> DateTime<Utc> {
        let wall = now().timestamp_millis() + self.offset_millis.load(Ordering::SeqCst);
        let previous = self.last_millis.fetch_max(wall, Ordering::SeqCst);
        DateTime::from_timestamp_millis(wall.max(previous)).unwrap_or_else(now)
    }

    /// How far the clock is from the system's time, in milliseconds.
    pub fn offset_millis(&self) -> i64 {
        self.offset_millis.load(Ordering::SeqCst)
    }

    /// Sets the offset; readings may go back when it does (the guard starts again).
    pub fn set_offset_millis(&self, offset: i64) {
        self.offset_millis.store(offset, Ordering::SeqCst);
        self.last_millis.store(i64::MIN, Ordering::SeqCst);
    }
}

/// Parses an ISO 8601 duration of weeks, days, hours, minutes and seconds (`P16D`, `PT1H30M`,
/// `P1W`, `PT0.5S`), in milliseconds. Years and months (no fixed length) and negative
/// durations are refused.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = |why: &str| {
        format!("'{text}' is not an ISO 8601 duration of the form PnW, PnDTnHnMnS: {why}")
    };
    let rest = text
        .strip_prefix('P')
        .ok_or_else(|| bad("it must start with P"))?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err(bad("nothing follows T")),
        None => (rest, None),
    };
    let mut total = 0f64;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, f64)]| -> Result<(), String> {
        let mut number = String::new();
        let mut allowed = units.iter();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let Some(&(_, millis)) = allowed.by_ref().find(|(u, _)| *u == c) else {
                return Err(bad(&format!(
                    "unit '{c}' is not allowed here (years and months have no fixed length; use days)"
                )));
            };
            let n: f64 = number.parse().map_err(|_| bad("a number is missing"))?;
            total += n * millis;
            number.clear();
            any = true;
        }
        if number.is_empty() {
            Ok(())
        } else {
            Err(bad("a number has no unit"))
        }
    };
    take(date, &[('W', 604_800_000.0), ('D', 86_400_000.0)])?;
    if let Some(t) = time {
        take(t, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)])?;
    }
    if !any {
        return Err(bad("it names no amount"));
    }
    if total > 3_153_600_000_000_000.0 {
        return Err(bad("it is longer than 100,000 years"));
    }
    Ok(total.round() as i64)
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
    fn durations() {
        assert_eq!(parse_duration("P16D"), Ok(16 * 86_400_000));
        assert_eq!(parse_duration("P1W"), Ok(604_800_000));
        assert_eq!(parse_duration("PT1H30M"), Ok(5_400_000));
        assert_eq!(parse_duration("P1DT0.5S"), Ok(86_400_500));
        for bad in [
            "", "P", "16D", "P1Y", "P1M", "PT", "P-1D", "PT1D", "P1", "PxD",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_offset_moves_the_clock_and_may_take_it_back() {
        let clock = Clock::default();
        let before = clock.now();
        clock.set_offset_millis(86_400_000);
        assert!(clock.now() >= before + Duration::hours(23));
        clock.set_offset_millis(0);
        assert!(clock.now() < before + Duration::hours(1));
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
