//! A bounded load test of the emulator: POST create and GET list over 64 concurrent keep-alive
//! connections on loopback, a fixed number of requests per phase (and a time cap), then a check
//! that every acknowledged create is listed.
//!
//! ```text
//! cargo bench -p graph-security-copilot-emulator --bench load
//! LOAD_REQUESTS=50000 LOAD_CONNECTIONS=64 cargo bench -p graph-security-copilot-emulator --bench load
//! ```
//!
//! Client and server share the machine, so the figures include the load generator's own cost.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_security_copilot_emulator::Emulator;
use serde_json::{json, Value};

const WS: &str = "/security/securityCopilot/workspaces/default";
/// No phase runs longer than this, whatever the request count.
const PHASE_CAP: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Create,
    List,
    Mixed,
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    created: usize,
    elapsed: Duration,
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn phase(base: &str, kind: Kind, requests: usize, connections: usize) -> Outcome {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        // One client per worker: one keep-alive connection each.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client builds");
        let next = Arc::clone(&next);
        let base = base.to_string();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut errors, mut created) = (0usize, 0usize);
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests || started.elapsed() > PHASE_CAP {
                    break;
                }
                let create = match kind {
                    Kind::Create => true,
                    Kind::List => false,
                    Kind::Mixed => n.is_multiple_of(2),
                };
                let sent = Instant::now();
                let result = if create {
                    http.post(format!("{base}{WS}/sessions"))
                        .bearer_auth("load")
                        .header("Content-Type", "application/json")
                        .body(json!({ "displayName": format!("load {n}") }).to_string())
                        .send()
                        .await
                } else {
                    http.get(format!("{base}{WS}/sessions?$top=20&$select=displayName"))
                        .bearer_auth("load")
                        .send()
                        .await
                };
                let ok = match result {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body = response.bytes().await;
                        body.is_ok() && (status == 200 || status == 201)
                    }
                    Err(_) => false,
                };
                latencies.push(sent.elapsed());
                if !ok {
                    errors += 1;
                } else if create {
                    created += 1;
                }
            }
            (latencies, errors, created)
        }));
    }
    let mut outcome = Outcome {
        latencies: Vec::with_capacity(requests),
        errors: 0,
        created: 0,
        elapsed: Duration::ZERO,
    };
    for worker in workers {
        let (latencies, errors, created) = worker.await.expect("worker finishes");
        outcome.latencies.extend(latencies);
        outcome.errors += errors;
        outcome.created += created;
    }
    outcome.elapsed = started.elapsed();
    outcome
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut outcome: Outcome) -> usize {
    outcome.latencies.sort_unstable();
    let count = outcome.latencies.len();
    let rate = count as f64 / outcome.elapsed.as_secs_f64();
    println!(
        "{name:<22} {count:>7} req in {:>6.2} s = {rate:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   errors {}",
        outcome.elapsed.as_secs_f64(),
        percentile(&outcome.latencies, 50.0).as_secs_f64() * 1e3,
        percentile(&outcome.latencies, 99.0).as_secs_f64() * 1e3,
        outcome.latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        outcome.errors,
    );
    outcome.created
}

fn main() {
    // reqwest is built with `rustls-no-provider` in this workspace (rustls on ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let requests = env("LOAD_REQUESTS", 20_000);
    let connections = env("LOAD_CONNECTIONS", 64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime starts");
    runtime.block_on(async move {
        let emulator = Emulator::builder()
            .page_size(100)
            .request_log(0)
            .start()
            .await
            .expect("emulator starts");
        let base = emulator.base_url().to_string();
        println!(
            "emulator load test: {requests} requests per phase, {connections} connections, {} ({} cores)",
            base,
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        let mut created = 0;
        created += report("POST create session", phase(&base, Kind::Create, requests, connections).await);
        report("GET list sessions", phase(&base, Kind::List, requests, connections).await);
        created += report("mixed 50/50", phase(&base, Kind::Mixed, requests, connections).await);

        let http = reqwest::Client::new();
        let body: Value = http
            .get(format!("{base}{WS}/sessions?$count=true&$top=0"))
            .bearer_auth("load")
            .send()
            .await
            .expect("count answered")
            .json()
            .await
            .expect("count decodes");
        let listed = body["@odata.count"].as_u64().unwrap_or(0) as usize;
        println!(
            "acknowledged creates {created}, listed {listed}, lost writes {}",
            created.saturating_sub(listed)
        );
        emulator.shutdown().await;
    });
}
