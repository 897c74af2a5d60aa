//! Goodput under a fixed-window rate limit: K GETs at concurrency C through the client, against
//! the emulator's rate-limit mode and against a minimal fixed-window server of this bench's
//! own, with pacing off (the behaviour before adaptive pacing) and on (the default).
//!
//! ```sh
//! cargo bench --bench throttling                  # everything (about 10 minutes)
//! cargo bench --bench throttling -- after fixed 128   # filters: before|after, emulator|fixed, C
//! ```
//!
//! Goodput = K / (wall time from the first send to the last success × N / window): 1.0 is the
//! limit's sustained rate (more is possible because the first window's N requests go at once).
//! Lost = calls that ended in an error. Wasted = 429s the server sent. Targets (issue 11), with
//! K = 300 and the default retry policy: goodput ≥ 0.9, 0 lost, wasted ≤ max(0, C − N) + K/5.
//! Results and reading in `BENCHMARKS.md`. Everything stays on 127.0.0.1; every run is bounded
//! (K calls, each within the retry policy's 180 s budget, and a 400 s cap per run).

mod support;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::retry::Pacing;
use graph_security_copilot::Client;
use graph_security_copilot_emulator::Emulator;
use http_body_util::Full;
use hyper::Response;

const TOKEN: &str = "bench-token";
const RUN_CAP: Duration = Duration::from_secs(400);

#[derive(Clone, Copy, PartialEq)]
enum ServerKind {
    Emulator,
    Fixed,
}

struct Limit {
    n: u64,
    window: Duration,
}

struct RunResult {
    wall: Duration,
    lost: u64,
    wasted: u64,
    admitted: u64,
    timed_out: bool,
}

/// The bench's own fixed-window server: one window for everyone (the bench sends one token),
/// started by the first request after the previous window ended; over the limit, 429 with
/// `Retry-After` in whole seconds to the window's end, rounded up, and a Graph error body.
struct FixedWindow {
    server: support::Server,
    throttled: Arc<AtomicU64>,
    admitted: Arc<AtomicU64>,
}

fn fixed_window(limit: &Limit) -> FixedWindow {
    let n = limit.n;
    let window = limit.window;
    let state: Arc<Mutex<Option<(Instant, u64)>>> = Arc::new(Mutex::new(None));
    let throttled = Arc::new(AtomicU64::new(0));
    let admitted = Arc::new(AtomicU64::new(0));
    let (t, a) = (Arc::clone(&throttled), Arc::clone(&admitted));
    let page = Bytes::from(support::sessions_page(0, 1, None));
    let trace = std::env::var_os("GSC_BENCH_TRACE").is_some();
    let first = std::sync::OnceLock::<Instant>::new();
    let handler: support::Handler = Arc::new(move |request| {
        let now = Instant::now();
        first.get_or_init(|| now);
        let left = {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            match *state {
                Some((start, count)) if now.duration_since(start) < window => {
                    if count < n {
                        *state = Some((start, count + 1));
                        None
                    } else {
                        Some(window - now.duration_since(start))
                    }
                }
                _ => {
                    *state = Some((now, 1));
                    None
                }
            }
        };
        match left {
            None => {
                a.fetch_add(1, Ordering::Relaxed);
                support::json_response(request, page.clone())
            }
            Some(left) => {
                t.fetch_add(1, Ordering::Relaxed);
                if trace {
                    eprintln!(
                        "429 at {:?}",
                        now.duration_since(*first.get_or_init(|| now))
                    );
                }
                let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                let body = r#"{"error":{"code":"activityLimitReached","message":"The request has been throttled","innerError":{"code":"throttledRequest"}}}"#;
                let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                *response.status_mut() = http::StatusCode::TOO_MANY_REQUESTS;
                response.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(seconds.max(1)),
                );
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                response
            }
        }
    });
    FixedWindow {
        server: support::start(handler),
        throttled,
        admitted,
    }
}

/// The emulator in rate-limit mode, on its own thread and runtime (like the fixed server), so
/// the client under test has the bench's runtime to itself.
struct EmulatorThread {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<(u64, u64)>>,
}

fn emulator(limit: &Limit) -> EmulatorThread {
    let (n, window) = (limit.n, limit.window);
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("emulator runtime");
        runtime.block_on(async move {
            let emulator = Emulator::builder()
                .rate_limit(n, window)
                .request_log(0)
                .start()
                .await
                .expect("emulator starts");
            let _ = url_tx.send(emulator.base_url().to_string());
            let _ = stopped.await;
            let counts = emulator.rate_limit_counts().unwrap_or_default();
            emulator.shutdown().await;
            (counts.admitted, counts.throttled)
        })
    });
    let base_url = url_rx.recv().expect("emulator base URL");
    EmulatorThread {
        base_url,
        stop: Some(stop),
        thread: Some(thread),
    }
}

impl EmulatorThread {
    fn finish(mut self) -> (u64, u64) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread
            .take()
            .map(|t| t.join().unwrap_or((0, 0)))
            .unwrap_or((0, 0))
    }
}

async fn run_calls(
    base_url: &str,
    k: usize,
    concurrency: usize,
    pacing: bool,
) -> (Duration, u64, bool) {
    let client = Client::builder()
        .base_url(base_url)
        .credential(StaticToken::new(TOKEN))
        .pacing(if pacing {
            Pacing::default()
        } else {
            Pacing::disabled()
        })
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicU64::new(0));
    let last_success = Arc::new(Mutex::new(None::<Instant>));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, next, lost, last) = (
                client.clone(),
                Arc::clone(&next),
                Arc::clone(&lost),
                Arc::clone(&last_success),
            );
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < k {
                    match client.workspace("default").sessions().list().page().await {
                        Ok(_) => {
                            let now = Instant::now();
                            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                            if last.is_none_or(|l| l < now) {
                                *last = Some(now);
                            }
                        }
                        Err(error) => {
                            lost.fetch_add(1, Ordering::Relaxed);
                            eprintln!("  lost: {error}");
                        }
                    }
                }
            })
        })
        .collect();
    let all = futures::future::join_all(workers);
    let timed_out = tokio::time::timeout(RUN_CAP, all).await.is_err();
    let last = *last_success.lock().unwrap_or_else(|e| e.into_inner());
    let wall = last.map_or(Duration::ZERO, |l| l - start);
    let lost = if timed_out {
        // Calls not finished count as lost.
        k as u64 - lost.load(Ordering::Relaxed).min(k as u64)
    } else {
        lost.load(Ordering::Relaxed)
    };
    (wall, lost, timed_out)
}

fn run(
    runtime: &tokio::runtime::Runtime,
    kind: ServerKind,
    limit: &Limit,
    k: usize,
    concurrency: usize,
    pacing: bool,
) -> RunResult {
    match kind {
        ServerKind::Fixed => {
            let server = fixed_window(limit);
            let (wall, lost, timed_out) =
                runtime.block_on(run_calls(&server.server.base_url(), k, concurrency, pacing));
            RunResult {
                wall,
                lost,
                wasted: server.throttled.load(Ordering::Relaxed),
                admitted: server.admitted.load(Ordering::Relaxed),
                timed_out,
            }
        }
        ServerKind::Emulator => {
            let emulator = emulator(limit);
            let (wall, lost, timed_out) =
                runtime.block_on(run_calls(&emulator.base_url, k, concurrency, pacing));
            let (admitted, wasted) = emulator.finish();
            RunResult {
                wall,
                lost,
                wasted,
                admitted,
                timed_out,
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |options: &[&str], value: &str| {
        !args.iter().any(|a| options.contains(&a.as_str())) || args.iter().any(|a| a == value)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let benchmark = support::benchmark_mode();
    let (k, concurrencies): (usize, &[usize]) = if benchmark {
        (300, &[16, 64, 128])
    } else {
        println!("(smoke test: K = 20 at concurrency 16 against 10 per 1 s, pacing on; not a measurement)");
        (20, &[16])
    };
    let setups: Vec<(ServerKind, &str, Limit)> = if benchmark {
        vec![
            (
                ServerKind::Emulator,
                "emulator",
                Limit {
                    n: 50,
                    window: Duration::from_secs(2),
                },
            ),
            (
                ServerKind::Fixed,
                "fixed",
                Limit {
                    n: 50,
                    window: Duration::from_secs(2),
                },
            ),
            (
                ServerKind::Fixed,
                "fixed",
                Limit {
                    n: 10,
                    window: Duration::from_secs(1),
                },
            ),
        ]
    } else {
        vec![(
            ServerKind::Fixed,
            "fixed",
            Limit {
                n: 10,
                window: Duration::from_secs(1),
            },
        )]
    };
    let modes: &[(bool, &str)] = if benchmark {
        &[(false, "before"), (true, "after")]
    } else {
        &[(true, "after")]
    };
    println!("K = {k}, default retry policy; goodput = K / (wall × N/window)\n");
    println!("| server | limit | pacing | C | wall (s) | goodput | lost | wasted 429s | wasted target | admitted | met |");
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (kind, name, limit) in &setups {
        if !wants(&["emulator", "fixed"], name) {
            continue;
        }
        for (pacing, mode) in modes {
            if !wants(&["before", "after"], mode) {
                continue;
            }
            for &c in concurrencies {
                let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
                if !numbers.is_empty() && !numbers.contains(&c) {
                    continue;
                }
                if std::env::var_os("GSC_BENCH_TRACE").is_some() {
                    eprintln!("RUN {name} {}/{:?} {mode} C={c}", limit.n, limit.window);
                }
                let result = run(&runtime, *kind, limit, k, c, *pacing);
                let rate = limit.n as f64 / limit.window.as_secs_f64();
                let goodput = if result.wall.is_zero() {
                    0.0
                } else {
                    k as f64 / (result.wall.as_secs_f64() * rate)
                };
                let target = (c as u64).saturating_sub(limit.n) + k as u64 / 5;
                let met = goodput >= 0.9
                    && result.lost == 0
                    && result.wasted <= target
                    && !result.timed_out;
                println!(
                    "| {name} | {}/{}s | {} | {c} | {:.2} | {goodput:.2} | {} | {} | {target} | {} | {} |",
                    limit.n,
                    limit.window.as_secs(),
                    if *pacing { "on (after)" } else { "off (before)" },
                    result.wall.as_secs_f64(),
                    result.lost,
                    result.wasted,
                    result.admitted,
                    if result.timed_out { "timed out" } else if met { "yes" } else { "no" },
                );
            }
        }
    }
}
