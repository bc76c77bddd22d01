//! `zai-dash`: the relay server and the command-line tools of zai-dash.
//!
//! Run `zai-dash serve --demo` for a dashboard on two simulated variants,
//! or `zai-dash serve --variant production=URL --variant canary=URL`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use zai_dash_server::{
    cli::{self, ParseArgs, SnapshotArgs},
    config::ServeConfig,
    serve,
    verdict::{self, VerdictArgs},
};

/// A live dashboard for zai-proxy: relay server and metric tools.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard and relay the configured variants' /metrics.
    Serve(Box<ServeConfig>),
    /// Parse a Prometheus text exposition: one JSON object per sample.
    Parse(ParseArgs),
    /// The MetricSnapshot JSON for the window between two scrapes.
    Snapshot(SnapshotArgs),
    /// Watch production and the canary, then judge the canary (exit 0
    /// Pass, 1 Fail, 2 Marginal or not enough data, 3 unreachable).
    Verdict(Box<VerdictArgs>),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Serve(config) => serve_command(*config),
        Command::Parse(args) => cli::parse_command(&args),
        Command::Snapshot(args) => cli::snapshot_command(&args),
        Command::Verdict(args) => verdict::verdict_command(&args),
    }
}

#[tokio::main]
async fn serve_command(config: ServeConfig) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match TcpListener::bind(config.listen).await {
        Ok(listener) => serve::run(listener, config).await,
        Err(e) => Err(std::io::Error::new(
            e.kind(),
            format!("cannot listen on {}: {e}", config.listen),
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zai-dash: {e}");
            ExitCode::FAILURE
        }
    }
}
