//! Peak memory while streaming sessions across pages: it should not depend on the count.
//!
//! `cargo bench --bench memory` (results and reading in `BENCHMARKS.md`)
//!
//! The parent serves pages of 1,000 sessions on loopback, generated on the fly, each with an
//! `@odata.nextLink` to the next, and re-executes this binary once per measurement. Each child
//! consumes `client.workspace("default").sessions().list()` (or `.pages()`) without keeping
//! the items and prints its peak resident set (`VmHWM` in `/proc/self/status`), so every figure
//! comes from a fresh process that did nothing else. A child that collects everything into a
//! `Vec` is the control: it shows the measurement does see memory that grows with the count.

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::models::Session;
use graph_security_copilot::retry::RetryPolicy;
use graph_security_copilot::Client;

/// Sessions per page.
const PAGE: u64 = 1_000;

/// A `/proc/self/status` field in KiB (`VmHWM`, `VmRSS`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Serves `total` sessions in pages of [`PAGE`]; `$skiptoken` is the offset of the page.
fn serve(total: u64) -> support::Server {
    support::start(Arc::new(move |request| {
        let offset: u64 = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("$skiptoken=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let count = PAGE.min(total.saturating_sub(offset));
        let next = (offset + count < total).then(|| {
            let host = request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            format!(
                "http://{host}{}?$skiptoken={}",
                support::SESSIONS_PATH,
                offset + count
            )
        });
        let body = support::sessions_page(offset, count, next.as_deref());
        support::json_response(request, body.into())
    }))
}

/// The child: consume `count` sessions from `base_url` in `mode`, then report.
fn child(mode: &str, count: u64, base_url: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::builder()
        .base_url(base_url)
        .credential(StaticToken::new("t"))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    let started_kib = status_kib("VmHWM");
    let started = Instant::now();
    let seen = runtime.block_on(async {
        let sessions = client.workspace("default").sessions();
        match mode {
            // Items, one at a time, with `StreamExt::next`.
            "stream" => {
                let mut items = sessions.list();
                let mut seen = 0u64;
                while let Some(session) = items.next().await {
                    let session = session.expect("session");
                    assert!(session.id.is_some());
                    seen += 1;
                }
                seen
            }
            // Pages, with `try_fold` (the same shape as `try_for_each`).
            "pages" => sessions
                .list()
                .pages()
                .try_fold(0u64, |seen, page| async move {
                    Ok(seen + page.value.len() as u64)
                })
                .await
                .expect("pages"),
            // Control: keep every item.
            "collect" => {
                let all: Vec<Session> = sessions.list().try_collect().await.expect("collect");
                all.len() as u64
            }
            other => panic!("unknown mode {other:?}"),
        }
    });
    let elapsed = started.elapsed();
    assert_eq!(seen, count, "the stream ended early");
    println!(
        "items={seen} hwm_kib={} start_hwm_kib={started_kib} rss_kib={} ms={}",
        status_kib("VmHWM"),
        status_kib("VmRSS"),
        elapsed.as_millis()
    );
}

struct Run {
    hwm_kib: u64,
    start_kib: u64,
    ms: u64,
}

fn run_child(mode: &'static str, count: u64) -> Run {
    let server = serve(count);
    let output = Command::new(std::env::current_exe().expect("current exe"))
        .args(["--child", mode, &count.to_string(), &server.base_url()])
        .output()
        .expect("child process");
    drop(server);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child {mode} {count} failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |name: &str| -> u64 {
        stdout
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in child output {stdout:?}"))
    };
    assert_eq!(field("items"), count);
    Run {
        hwm_kib: field("hwm_kib"),
        start_kib: field("start_hwm_kib"),
        ms: field("ms"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let count = args[i + 2].parse().expect("count");
        child(&args[i + 1], count, &args[i + 3]);
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let (plan, repeats): (&[(&str, u64)], usize) = if support::benchmark_mode() {
        (
            &[
                ("stream", 1_000),
                ("stream", 10_000),
                ("stream", 100_000),
                ("stream", 1_000_000),
                ("pages", 10_000),
                ("pages", 100_000),
                ("collect", 10_000),
                ("collect", 100_000),
            ],
            3,
        )
    } else {
        (&[("stream", 10_000)], 1)
    };
    println!(
        "peak RSS (VmHWM) of fresh child processes, {repeats} per line (median [min, max]); \
         pages of {PAGE} sessions on loopback; growth = VmHWM at the end - VmHWM before the first request"
    );
    println!(
        "  {:<8} {:>9} {:>6} {:>26} {:>12} {:>12}",
        "mode", "sessions", "pages", "VmHWM KiB", "growth KiB", "median ms"
    );
    for &(mode, count) in plan {
        let mut runs: Vec<Run> = (0..repeats).map(|_| run_child(mode, count)).collect();
        let median = |runs: &mut Vec<Run>, key: fn(&Run) -> u64| {
            runs.sort_by_key(key);
            (
                key(&runs[runs.len() / 2]),
                key(&runs[0]),
                key(&runs[runs.len() - 1]),
            )
        };
        let (hwm, lo, hi) = median(&mut runs, |r| r.hwm_kib);
        let (growth, _, _) = median(&mut runs, |r| r.hwm_kib - r.start_kib);
        let (ms, _, _) = median(&mut runs, |r| r.ms);
        println!(
            "  {:<8} {:>9} {:>6} {:>26} {:>12} {:>12}",
            mode,
            count,
            count.div_ceil(PAGE),
            format!("{hwm} [{lo}, {hi}]"),
            growth,
            ms
        );
    }
}
