//! `graph-security-copilot-emulator`: serves the Security Copilot emulator on a local port until
//! Ctrl-C, for tests and tools in any language.
//!
//! ```text
//! cargo run -p graph-security-copilot-emulator -- --port 8080 --page-size 50 \
//!     --fault 429,first=2,retry-after=1 --fault 503,fraction=0.1 --seed 7
//! cargo run -p graph-security-copilot-emulator -- --rate-limit 50/2s
//! # another crate's spec (e.g. one `graph-spec new-crate` wrote), with the generic profile
//! cargo run -p graph-security-copilot-emulator -- \
//!     --csdl ../graph-call-records/spec/callRecords.csdl.xml \
//!     --overlay ../graph-call-records/spec/overlay.xml
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use graph_security_copilot_emulator::{Emulator, FaultRule, Generic, RateLimit, Spec};

/// An in-memory emulator of the Microsoft Graph beta Security Copilot API.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on. Keep it on loopback: the emulator has no real authentication.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Accept only this bearer token (default: any non-empty bearer token).
    #[arg(long)]
    token: Option<String>,
    /// Items per page before @odata.nextLink (0: no server-driven paging).
    #[arg(long, default_value_t = graph_security_copilot_emulator::DEFAULT_PAGE_SIZE)]
    page_size: usize,
    /// A fault rule, repeatable: KIND[,OPTION=VALUE]... with KIND 429, 503, 504,
    /// latency=DURATION, drop or drop-response, and options first=N, fraction=F,
    /// route=OPERATION_ID|PATH_TEMPLATE, method=METHOD, retry-after=SECONDS|date:SECONDS|none.
    #[arg(long = "fault", value_name = "RULE")]
    faults: Vec<FaultRule>,
    /// Rate-limit mode: at most N requests per DURATION per bearer token (e.g. 50/2s, 10/500ms,
    /// 600/1m), in a fixed window that starts at the token's first request after its previous
    /// window ended; beyond it, Graph's 429 with Retry-After in whole seconds to the window's end.
    #[arg(long, value_name = "N/DURATION")]
    rate_limit: Option<RateLimit>,
    /// Seed for fault decisions (fractions).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Largest request body in bytes (larger ones get 413).
    #[arg(long, default_value_t = graph_security_copilot_emulator::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// How long a request body may take to arrive, in milliseconds (slower ones get 408).
    #[arg(long, default_value_t = 30_000)]
    body_timeout_ms: u64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Milliseconds from an evaluation's creation until it runs.
    #[arg(long, default_value_t = 200)]
    evaluation_running_ms: u64,
    /// Milliseconds an evaluation runs before it completes.
    #[arg(long, default_value_t = 800)]
    evaluation_completed_ms: u64,
    /// Accept only the query options the spec documents for each operation.
    #[arg(long)]
    strict_query_options: bool,
    /// Start without workspace `default` and its plugins.
    #[arg(long)]
    empty: bool,
    /// Serve this CSDL document instead of the bundled Security Copilot spec, with the generic
    /// profile (no seed data; containers the spec cannot create are treated as present).
    #[arg(long, value_name = "FILE", requires = "overlays")]
    csdl: Option<PathBuf>,
    /// An overlay for `--csdl` (repeatable): what is exposed.
    #[arg(long = "overlay", value_name = "FILE")]
    overlays: Vec<PathBuf>,
}

/// The spec of `--csdl` and `--overlay`, with file names in errors.
fn custom_spec(csdl: &Path, overlays: &[PathBuf]) -> Result<Spec, String> {
    let read =
        |path: &Path| std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()));
    let name = |path: &Path| path.display().to_string();
    let csdl_text = read(csdl)?;
    let overlay_texts = overlays
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let overlay_names: Vec<String> = overlays.iter().map(|p| name(p)).collect();
    let named: Vec<(&str, &str)> = overlay_names
        .iter()
        .zip(&overlay_texts)
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Spec::from_documents((&name(csdl), &csdl_text), &named).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut builder = Emulator::builder()
        .address(SocketAddr::new(args.host, args.port))
        .page_size(args.page_size)
        .seed(args.seed)
        .max_body_bytes(args.max_body_bytes)
        .body_timeout(Duration::from_millis(args.body_timeout_ms))
        .latency(Duration::from_millis(args.latency_ms))
        .evaluation_delays(
            Duration::from_millis(args.evaluation_running_ms),
            Duration::from_millis(args.evaluation_completed_ms),
        )
        .strict_query_options(args.strict_query_options)
        .seed_data(!args.empty)
        .request_log(0);
    if let Some(token) = &args.token {
        builder = builder.token(token.clone());
    }
    if let Some(csdl) = &args.csdl {
        match custom_spec(csdl, &args.overlays) {
            Ok(spec) => builder = builder.spec(spec).profile(Generic),
            Err(error) => {
                eprintln!("error: cannot load the spec: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    for rule in &args.faults {
        builder = builder.fault(rule.clone());
    }
    if let Some(limit) = &args.rate_limit {
        builder = builder.rate_limit(limit.limit(), limit.window());
    }
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match &args.csdl {
        Some(csdl) => println!(
            "Graph emulator for {} listening on {}",
            csdl.display(),
            emulator.base_url()
        ),
        None => {
            println!(
                "Security Copilot emulator listening on {}",
                emulator.base_url()
            );
            println!(
                "  try: curl -H 'Authorization: Bearer {}' {}/security/securityCopilot/workspaces/default/sessions",
                args.token.as_deref().unwrap_or("anything"),
                emulator.base_url()
            );
        }
    }
    for rule in &args.faults {
        println!("  fault: {rule:?}");
    }
    if let Some(limit) = &args.rate_limit {
        println!(
            "  rate limit: {} requests per {:?} per bearer token",
            limit.limit(),
            limit.window()
        );
    }
    println!("Press Ctrl-C to stop.");
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {error}");
    }
    match emulator.rate_limit_counts() {
        Some(counts) => println!(
            "Stopping after {} requests (rate limit: {} admitted, {} throttled).",
            emulator.request_count(),
            counts.admitted,
            counts.throttled
        ),
        None => println!("Stopping after {} requests.", emulator.request_count()),
    }
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
