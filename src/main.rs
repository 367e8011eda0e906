//! The `partnercentral-local` command: parse the command line, set up logging, run.

use clap::Parser;
use partnercentral_local::config::{Cli, Command};
use partnercentral_local::logging;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Dropped last: flushes the log queue after everything else has said its last line.
    let _logging = logging::init();
    // Store work runs on the blocking pool; past a few threads more only add memory (each
    // thread gets its own allocator arena), since writes take one connection and reads four.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(8)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("partnercentral-local: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut args = match cli.command {
        Command::Serve(args) => args,
        Command::Aws(args) => {
            return runtime.block_on(async move {
                match partnercentral_local::admin::client::run(&args).await {
                    Ok(out) => {
                        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
                        std::process::ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("partnercentral-local aws: {e}");
                        std::process::ExitCode::FAILURE
                    }
                }
            });
        }
    };
    let ready_file = args.ready_file.take();
    if let Some(path) = &ready_file {
        // A file left by an earlier run must not pass for this one's.
        let _ = std::fs::remove_file(path);
    }
    let ready_at = ready_file.clone();
    let code = runtime.block_on(async move {
        let server = match partnercentral_local::start(args.into()).await {
            Ok(s) => s,
            Err(e) => {
                logging::line(&format!("partnercentral-local: {e}"));
                return std::process::ExitCode::FAILURE;
            }
        };
        // Handlers first: a harness may send SIGTERM as soon as it reads the ready line.
        let stop = shutdown_signal();
        tokio::spawn(logging::report_dropped());
        let ready = format!("partnercentral-local listening on {}", server.url());
        logging::line(&ready);
        // On stdout too, so that a harness may leave stderr to a file or to nobody.
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{ready}");
            let _ = out.flush();
        }
        if let Some(path) = &ready_at
            && let Err(e) = write_ready_file(path, &server.url())
        {
            tracing::error!(path = %path.display(), error = %e, "cannot write the ready file");
            let _ = server.shutdown().await;
            return std::process::ExitCode::FAILURE;
        }
        stop.await;
        tracing::info!("shutting down");
        match server.shutdown().await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                std::process::ExitCode::FAILURE
            }
        }
    });
    if let Some(path) = &ready_file {
        let _ = std::fs::remove_file(path);
    }
    code
}

/// Writes the ready file whole or not at all: a harness polling for it never reads half a URL.
fn write_ready_file(path: &std::path::Path, url: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, format!("{url}\n"))?;
    std::fs::rename(&partial, path)
}

/// A future that resolves on SIGINT or SIGTERM; the handlers are installed when it is
/// created, not when it is first polled.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
