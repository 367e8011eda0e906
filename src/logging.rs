//! Logging: the one line per request (and everything else `tracing` says) written to stderr
//! off the request path.
//!
//! A request formats its line (the usual `tracing-subscriber` format) and appends it to a
//! bounded buffer; one thread writes the buffer to stderr every few milliseconds. When the
//! buffer is full — stderr is slower than the requests, or nobody reads it (a test harness
//! that read the ready line and stopped) — the line is dropped and counted, never waited
//! for: requests do not slow down or freeze because of their log. The count of dropped lines
//! is reported on stderr once it can be written again, in `GET /_admin/health`
//! (`logLinesDropped`) and at shutdown. Stopping the server flushes the buffer (waiting at
//! most about a second for a stuck stderr).
//!
//! Written by hand rather than with `tracing-appender`'s non-blocking writer: that writer
//! allocates each line and wakes its thread for every one of them; at tens of thousands of
//! requests a second on two cores those wake-ups cost more than the formatting (measured in
//! `bench/RESULTS.md`). Here a line is one copy into a buffer under a short lock, and the
//! writer thread wakes on a timer.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Bytes the buffer holds before new lines are dropped (about 20,000 request lines).
pub const BUFFER_BYTES: usize = 4 << 20;
/// How often the writer thread writes what the buffer holds.
const WRITE_EVERY: Duration = Duration::from_millis(10);

/// The buffer between the lines' writers (any thread) and the one thread writing stderr.
struct Shared {
    buffer: Mutex<Vec<u8>>,
    dropped: AtomicUsize,
    stopping: AtomicBool,
}

impl Shared {
    /// Appends one whole line, or drops it when the buffer is full.
    fn push(&self, line: &[u8]) {
        // A poisoned lock only means a thread panicked while appending: the bytes are still
        // a buffer of whole lines (a partial append cannot happen inside extend_from_slice
        // without an allocation failure, which aborts).
        let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        if buffer.len() + line.len() > BUFFER_BYTES {
            drop(buffer);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        buffer.extend_from_slice(line);
    }

    /// Takes what the buffer holds, leaving `spare` (emptied) in its place.
    fn take(&self, spare: Vec<u8>) -> Vec<u8> {
        let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *buffer, spare)
    }
}

static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();
/// Whether request lines may take the direct path (logging set up here, without colours).
static DIRECT: AtomicBool = AtomicBool::new(false);

/// What stops the writer thread; dropping it flushes the buffer.
pub struct Logging {
    shared: Arc<Shared>,
    done: std::sync::mpsc::Receiver<()>,
    thread: std::thread::Thread,
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
        self.shared.stopping.store(true, Ordering::Release);
        self.thread.unpark();
        // A stderr nobody reads may block the last write for ever: wait a second at most.
        let _ = self.done.recv_timeout(Duration::from_secs(1));
    }
}

/// The writer `tracing-subscriber` formats each event into: one `write` per event.
#[derive(Clone)]
struct Queue(Arc<Shared>);

/// One event's bytes, collected then appended whole.
struct Line<'a> {
    shared: &'a Shared,
    bytes: Vec<u8>,
}

impl<'a> MakeWriter<'a> for Queue {
    type Writer = Line<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.0,
            bytes: Vec::new(),
        }
    }
}

impl Write for Line<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        // The formatter writes an event with one call; more calls are collected so that the
        // line is appended whole.
        if self.bytes.is_empty() && data.ends_with(b"\n") {
            self.shared.push(data);
        } else {
            self.bytes.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        if !self.bytes.is_empty() {
            self.shared.push(&self.bytes);
        }
    }
}

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), the usual format, ANSI
/// colours only on a terminal, written through the bounded buffer; starts the writer thread.
pub fn init() -> Logging {
    let shared = Arc::new(Shared {
        buffer: Mutex::new(Vec::with_capacity(64 * 1024)),
        dropped: AtomicUsize::new(0),
        stopping: AtomicBool::new(false),
    });
    let _ = SHARED.set(shared.clone());
    let (done_tx, done) = std::sync::mpsc::channel();
    let writer = shared.clone();
    let thread = std::thread::Builder::new()
        .name("pcl-log".into())
        .spawn(move || {
            let mut stderr = std::io::stderr();
            let mut spare = Vec::with_capacity(64 * 1024);
            loop {
                let stopping = writer.stopping.load(Ordering::Acquire);
                let mut chunk = writer.take(spare);
                if !chunk.is_empty() {
                    // A write error (stderr closed) loses these lines; nothing else can be done.
                    let _ = stderr.write_all(&chunk);
                    let _ = stderr.flush();
                }
                chunk.clear();
                spare = chunk;
                if stopping {
                    let _ = done_tx.send(());
                    return;
                }
                std::thread::park_timeout(WRITE_EVERY);
            }
        });
    let thread = match thread {
        Ok(handle) => handle.thread().clone(),
        Err(e) => {
            // No thread, no queue: log straight to stderr as before.
            eprintln!("partnercentral-local: cannot start the log writer ({e}); logging directly");
            tracing_subscriber::fmt()
                .with_env_filter(filter())
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .init();
            let (_, done) = std::sync::mpsc::channel();
            return Logging {
                shared,
                done,
                thread: std::thread::current(),
            };
        }
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(Queue(shared.clone()))
        .with_ansi(ansi)
        .init();
    DIRECT.store(!ansi, Ordering::Release);
    Logging {
        shared,
        done,
        thread,
    }
}

/// Targets kept at `info` whatever `RUST_LOG` asks: the PostgreSQL client logs every query's
/// parameters at `debug` and below, and they are request data (sensitive members included).
const QUIET_TARGETS: [&str; 2] = ["tokio_postgres=info", "postgres=info"];

fn filter() -> EnvFilter {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for directive in QUIET_TARGETS {
        if let Ok(d) = directive.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Log lines dropped so far because the buffer was full (0 when logging is not set up here,
/// e.g. a server started in-process by a test).
pub fn dropped_lines() -> usize {
    SHARED
        .get()
        .map_or(0, |s| s.dropped.load(Ordering::Relaxed))
}

/// Writes a bare line (no log format) to stderr in order with the log lines, e.g. the ready
/// line; straight to stderr when logging is not set up here.
pub fn line(text: &str) {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'\n');
    match SHARED.get() {
        Some(shared) => shared.push(&bytes),
        None => {
            let _ = std::io::stderr().write_all(&bytes);
        }
    }
}

/// Says on stderr how many lines were dropped since the last report, when that grew; run
/// every few seconds, so the report itself is written once stderr drains again.
pub async fn report_dropped() {
    static REPORTED: AtomicUsize = AtomicUsize::new(0);
    let mut ticks = tokio::time::interval(Duration::from_secs(5));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = dropped_lines();
        let before = REPORTED.load(Ordering::Relaxed);
        if now > before {
            tracing::warn!(
                dropped = now - before,
                total = now,
                "log lines dropped: the log buffer was full (stderr not read fast enough)"
            );
            // Only count what is known to have been reported: if the warning itself was
            // dropped, the count grew and the next tick says it again.
            if dropped_lines() == now {
                REPORTED.store(now, Ordering::Relaxed);
            }
        }
    }
}

/// Logs the line of one API request, in exactly the layout `tracing-subscriber` gives the
/// `tracing::info!` event it stands for (timestamp, level, target, `request`, then the fields,
/// strings quoted as `Debug` quotes them), formatted by hand straight into the buffer: the
/// general formatter costs several per cent of the throughput of a cheap request. Answers
/// `false` when the caller must emit the event itself (logging not set up here, colours on).
pub fn request(
    operation: &str,
    account: &str,
    catalog: &str,
    status: u16,
    latency_us: u64,
    request_id: &str,
) -> bool {
    if !DIRECT.load(Ordering::Acquire) {
        return false;
    }
    let Some(shared) = SHARED.get() else {
        return false;
    };
    if !tracing::enabled!(target: "partnercentral_local::http", tracing::Level::INFO) {
        return true;
    }
    thread_local! {
        static LINE: std::cell::RefCell<(i64, String, Vec<u8>)> =
            const { std::cell::RefCell::new((i64::MIN, String::new(), Vec::new())) };
    }
    LINE.with(|cell| {
        let Ok(mut cell) = cell.try_borrow_mut() else {
            return false;
        };
        let (second, prefix, line) = &mut *cell;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if *second != secs {
            let Some(at) = chrono::DateTime::from_timestamp(secs, 0) else {
                return false;
            };
            *prefix = at.format("%Y-%m-%dT%H:%M:%S").to_string();
            *second = secs;
        }
        line.clear();
        // Writing to a Vec cannot fail.
        let _ = writeln!(
            line,
            "{prefix}.{:06}Z  INFO partnercentral_local::http: request operation={operation:?} \
             account={account:?} catalog={catalog:?} status={status} latency_us={latency_us} \
             request_id={request_id}",
            now.subsec_micros()
        );
        shared.push(line);
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `tracing-subscriber` writes for the request event, without colours.
    fn by_tracing(op: &str, account: &str, catalog: &str) -> String {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: "partnercentral_local::http",
                operation = op,
                account = account,
                catalog = catalog,
                status = 404u16,
                latency_us = 1226u64,
                request_id = %"abd1a3c5-f8e4-4af4-94fe-1e2c16ab1254",
                "request"
            );
        });
        String::from_utf8(out.lock().unwrap().clone()).unwrap()
    }

    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_direct_request_line_is_the_line_tracing_writes() {
        let shared = SHARED.get_or_init(|| {
            Arc::new(Shared {
                buffer: Mutex::new(Vec::new()),
                dropped: AtomicUsize::new(0),
                stopping: AtomicBool::new(false),
            })
        });
        DIRECT.store(true, Ordering::Release);
        for (op, account, catalog) in [
            ("GetOpportunity", "123456789012", "Sandbox"),
            ("-", "-", "-"),
            ("X", "a\"b\\c", "tab\there \u{7f} é"),
        ] {
            let expected = by_tracing(op, account, catalog);
            shared.take(Vec::new());
            // Under a subscriber that enables `info`, as the server's does.
            let enabling = tracing_subscriber::fmt()
                .with_writer(std::io::sink)
                .finish();
            tracing::subscriber::with_default(enabling, || {
                assert!(request(
                    op,
                    account,
                    catalog,
                    404,
                    1226,
                    "abd1a3c5-f8e4-4af4-94fe-1e2c16ab1254"
                ));
            });
            let direct = String::from_utf8(shared.take(Vec::new())).unwrap();
            // The timestamps differ by when each was taken; their shape must not.
            let (t1, rest1) = expected.split_once(' ').unwrap();
            let (t2, rest2) = direct.split_once(' ').unwrap();
            assert_eq!(rest2, rest1);
            assert_eq!(t1.len(), t2.len(), "{t1} vs {t2}");
            assert!(t2.ends_with('Z') && t2.as_bytes()[10] == b'T' && t2.as_bytes()[19] == b'.');
        }
    }
}
