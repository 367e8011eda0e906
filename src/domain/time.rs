//! Timestamps: always UTC, always `YYYY-MM-DDTHH:MM:SS.sssZ` on the wire and in storage, so
//! that stored strings sort in time order.

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
}
