//! Bodies as streams, for the whole-state transfers (`GET|PUT /_admin/state`) whose
//! documents can be larger than memory should hold: a blocking [`Read`] over a request body
//! that an async pump feeds, and a blocking [`Write`] into a response body.
//!
//! Written by hand because the bridge is the small part: the pump also enforces the idle
//! timeout and drains what a client still sends after an early refusal (so that it reads
//! the refusal instead of a reset connection).

use std::io::{self, Read, Write};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body_util::BodyExt;
use tokio::sync::mpsc;

/// Chunks in flight between the async side and the blocking side.
const CHUNKS_IN_FLIGHT: usize = 8;
/// Size of the chunks an export sends.
const CHUNK_BYTES: usize = 256 * 1024;

/// A request body read from blocking code (on tokio's blocking pool, never on a worker).
pub struct BodyReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

/// Starts streaming `body`: the reader for blocking code, and the pump to run alongside it
/// (it ends when the body does). A pause of more than `idle` between two parts of the body
/// ends it with a `TimedOut` error.
pub fn request_body(
    body: Body,
    idle: Duration,
) -> (BodyReader, impl Future<Output = ()> + Send + 'static) {
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let reader = BodyReader {
        rx,
        current: Bytes::new(),
    };
    (reader, pump(body, tx, idle))
}

async fn pump(mut body: Body, tx: mpsc::Sender<io::Result<Bytes>>, idle: Duration) {
    // Once the reader is gone (it refused the document), the rest is read and dropped.
    let mut reading = true;
    loop {
        let part = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "The request body did not arrive: nothing came for {} ms",
                    idle.as_millis()
                ),
            )),
            Ok(None) => return,
            Ok(Some(Err(e))) => Err(io::Error::other(e.to_string())),
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => Ok(data),
                Err(_) => continue, // trailers
            },
        };
        match part {
            Ok(data) => {
                if reading && tx.send(Ok(data)).await.is_err() {
                    reading = false;
                }
            }
            Err(e) => {
                if reading {
                    let _ = tx.send(Err(e)).await;
                }
                return;
            }
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(data)) => self.current = data,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// A response body written from blocking code, in chunks; writing fails once the client has
/// gone away.
pub struct BodyWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

/// Starts a streamed response body: the writer for blocking code and the body to answer.
/// The body ends when the writer is dropped; [`BodyWriter::abort`] ends it with an error, so
/// that the client sees a cut connection rather than a short document.
pub fn response_body() -> (BodyWriter, Body) {
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|part| (part, rx))
    });
    (
        BodyWriter {
            tx,
            buf: Vec::with_capacity(CHUNK_BYTES),
        },
        Body::from_stream(stream),
    )
}

impl BodyWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }

    /// Ends the body with an error: the client's read fails instead of ending early.
    pub fn abort(self, why: &str) {
        let _ = self
            .tx
            .blocking_send(Err(io::Error::other(why.to_string())));
    }
}

impl Write for BodyWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
