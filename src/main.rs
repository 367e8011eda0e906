//! The `partnercentral-local` command: parse the command line, set up logging, run.

use clap::Parser;
use partnercentral_local::config::{Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
    let args = match cli.command {
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
    runtime.block_on(async move {
        let server = match partnercentral_local::start(args.into()).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("partnercentral-local: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        // Handlers first: a harness may send SIGTERM as soon as it reads the ready line.
        let stop = shutdown_signal();
        eprintln!("partnercentral-local listening on {}", server.url());
        stop.await;
        tracing::info!("shutting down");
        match server.shutdown().await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("partnercentral-local: {e}");
                std::process::ExitCode::FAILURE
            }
        }
    })
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
