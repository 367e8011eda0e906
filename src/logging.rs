//! Logging: the one line per request (and everything else `tracing` says) written to stderr
//! off the request path.
//!
//! A request formats its line and hands it to a bounded queue; one thread writes the queue
//! to stderr. When the queue is full — stderr is slower than the requests, or nobody reads
//! it (a test harness that read the ready line and stopped) — the line is dropped and
//! counted, never waited for: requests do not slow down or freeze because of their log.
//! The count of dropped lines is reported on stderr once it can be written again, in
//! `GET /_admin/health` (`logLinesDropped`) and at shutdown. Stopping the server flushes what
//! the queue holds (waiting at most about a second for a stuck stderr).

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Lines the queue holds before new ones are dropped (about 3 MB of typical request lines).
pub const QUEUE_LINES: usize = 16_384;

static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();
static WRITER: OnceLock<NonBlocking> = OnceLock::new();

/// What keeps the writer thread alive; dropping it flushes the queue.
pub struct Logging {
    guard: Option<WorkerGuard>,
}

impl Drop for Logging {
    fn drop(&mut self) {
        let dropped = dropped_lines();
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "log lines were dropped because stderr was not read fast enough"
            );
        }
        drop(self.guard.take());
    }
}

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), the usual format, ANSI
/// colours only on a terminal, written through the bounded queue.
pub fn init() -> Logging {
    let stderr = std::io::stderr();
    let ansi = std::io::IsTerminal::is_terminal(&stderr);
    // Buffered: the writer thread flushes whenever the queue is empty, so lines that arrive
    // together leave in one write.
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(QUEUE_LINES)
        .lossy(true)
        .thread_name("partnercentral-local-log")
        .finish(std::io::BufWriter::with_capacity(64 * 1024, stderr));
    let _ = DROPPED.set(writer.error_counter());
    let _ = WRITER.set(writer.clone());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(writer)
        .with_ansi(ansi)
        .init();
    Logging { guard: Some(guard) }
}

/// Log lines dropped so far because the queue was full (0 when logging is not set up here,
/// e.g. a server started in-process by a test).
pub fn dropped_lines() -> usize {
    DROPPED.get().map_or(0, ErrorCounter::dropped_lines)
}

/// Writes a bare line (no log format) to stderr in order with the log lines, e.g. the ready
/// line; straight to stderr when logging is not set up here.
pub fn line(text: &str) {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'\n');
    match WRITER.get() {
        Some(writer) => {
            let _ = writer.clone().write_all(&bytes);
        }
        None => {
            let _ = std::io::stderr().write_all(&bytes);
        }
    }
}

/// Says on stderr how many lines were dropped since the last report, when that grew; run
/// every few seconds, so the report itself is written once stderr drains again.
pub async fn report_dropped() {
    static REPORTED: AtomicUsize = AtomicUsize::new(0);
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(5));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = dropped_lines();
        let before = REPORTED.load(Ordering::Relaxed);
        if now > before {
            tracing::warn!(
                dropped = now - before,
                total = now,
                "log lines dropped: the log queue was full (stderr not read fast enough)"
            );
            // Only count what is known to have been reported: the warning itself may have
            // been dropped too, in which case the next tick says it again.
            if dropped_lines() == now {
                REPORTED.store(now, Ordering::Relaxed);
            }
        }
    }
}
