//! The last API calls, kept in memory for the web console's activity page: a bounded ring
//! ([`CAPACITY`] calls, oldest dropped first) of what each request's log line says — operation,
//! account, catalog, status, error, latency, request id — with a sequence number so that a
//! poller can ask for what is new. [`super::api`] records every call, successful or not, after
//! its answer is made; recording is one short lock and no formatting. Nothing else reads or
//! writes it, and it is never persisted (a restart starts empty).

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// How many calls are kept.
pub const CAPACITY: usize = 500;

/// One API call, as its log line tells it.
#[derive(Debug, Clone)]
pub struct Call {
    /// Increases by one per call, from 1, for as long as the server runs.
    pub seq: u64,
    /// When the answer was made (the machine's time, as the log line's).
    pub at: DateTime<Utc>,
    pub operation: Option<String>,
    pub account: Option<String>,
    pub catalog: Option<String>,
    pub status: u16,
    /// The error's name (`ThrottlingException`, ...) when the call failed.
    pub error: Option<&'static str>,
    pub latency_us: u64,
    pub request_id: String,
}

/// The ring of recent calls.
#[derive(Debug, Default)]
pub struct RecentCalls {
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    next_seq: u64,
    calls: VecDeque<Call>,
}

impl RecentCalls {
    /// Records a call (its `seq` is assigned here).
    pub fn record(&self, mut call: Call) {
        let mut ring = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        ring.next_seq += 1;
        call.seq = ring.next_seq;
        if ring.calls.len() >= CAPACITY {
            ring.calls.pop_front();
        }
        ring.calls.push_back(call);
    }

    /// Up to `limit` of the newest calls, newest first.
    pub fn newest(&self, limit: usize) -> Vec<Call> {
        let ring = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        ring.calls.iter().rev().take(limit).cloned().collect()
    }

    /// The sequence number of the newest call (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(op: &str) -> Call {
        Call {
            seq: 0,
            at: Utc::now(),
            operation: Some(op.into()),
            account: None,
            catalog: None,
            status: 200,
            error: None,
            latency_us: 1,
            request_id: "r".into(),
        }
    }

    #[test]
    fn keeps_the_newest_calls_in_order_and_bounded() {
        let recent = RecentCalls::default();
        assert_eq!(recent.last_seq(), 0);
        for i in 0..CAPACITY + 10 {
            recent.record(call(&format!("Op{i}")));
        }
        assert_eq!(recent.last_seq(), (CAPACITY + 10) as u64);
        let all = recent.newest(usize::MAX);
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].seq, (CAPACITY + 10) as u64);
        assert_eq!(
            all[0].operation.as_deref(),
            Some(format!("Op{}", CAPACITY + 9).as_str())
        );
        assert_eq!(all[CAPACITY - 1].seq, 11);
        assert_eq!(recent.newest(3).len(), 3);
    }
}
