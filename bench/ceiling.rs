//! The benchmark's ceiling: a minimal hyper server that answers every request with fixed
//! bytes (the exact body partnercentral-local returned for the same request), so each figure
//! of the harness can be read as a ratio of what the wire and the machine allow.
//!
//! Usage: `ceiling BODY_FILE` — prints `listening on http://127.0.0.1:PORT` to stderr.

use std::convert::Infallible;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: ceiling BODY_FILE");
    let body = Bytes::from(std::fs::read(&path)?);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let body = body.clone();
                async move {
                    // Read the request body as a real server must.
                    let _ = req.into_body().collect().await;
                    let resp = Response::builder()
                        .header("content-type", "application/x-amz-json-1.0")
                        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
                        .body(Full::new(body))
                        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())));
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
