//! Client overhead: one page of 100 sessions through our client and through plain
//! `reqwest` + `serde_json`, against the same loopback server, in the same run.
//!
//! `cargo bench --bench client` (results and reading in `BENCHMARKS.md`)
//!
//! Criterion measures each variant; then a paired run alternates the variants round by round
//! (so load from other processes hits them alike) and prints each one's time as a ratio of the
//! baseline's in the same round. The baseline is what a careful caller would write by hand:
//! the same URL and headers (a static bearer token, `Accept`, a fresh `client-request-id`,
//! `Prefer`, the same `User-Agent`), the same timeouts, and `.json()` into a typed struct with the
//! same four properties (`DateTime<Utc>` dates), `@odata.context` and `@odata.nextLink`.

mod support;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use criterion::Criterion;
use futures::TryStreamExt;
use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::models::Session;
use graph_security_copilot::retry::RetryPolicy;
use graph_security_copilot::{Client, Page};
use serde::Deserialize;

const TOKEN: &str = "t";
const USER_AGENT: &str = concat!("graph-security-copilot/", env!("CARGO_PKG_VERSION"));

/// The baseline's page: what a hand-written client would declare.
#[derive(Deserialize)]
#[allow(dead_code)] // decoded for the cost of it; black_box keeps it
struct PlainPage {
    #[serde(rename = "@odata.context")]
    context: Option<String>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    value: Vec<PlainSession>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct PlainSession {
    id: String,
    created_date_time: DateTime<Utc>,
    last_modified_date_time: DateTime<Utc>,
    display_name: Option<String>,
}

/// Plain reqwest, decoded into `T`.
async fn plain<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> T {
    http.get(url)
        .bearer_auth(TOKEN)
        .header(reqwest::header::ACCEPT, "application/json")
        .header("client-request-id", uuid::Uuid::new_v4().to_string())
        .header("prefer", "include-unknown-enum-members")
        .header(reqwest::header::USER_AGENT, USER_AGENT)
        .send()
        .await
        .expect("baseline request")
        .error_for_status()
        .expect("baseline status")
        .json()
        .await
        .expect("baseline decode")
}

async fn ours_page(client: &Client) -> Page<Session> {
    client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .expect("client page")
}

async fn ours_stream(client: &Client) -> Vec<Session> {
    client
        .workspace("default")
        .sessions()
        .list()
        .try_collect()
        .await
        .expect("client stream")
}

/// The item stream as `pages().try_flatten()` would give it: the adapter proposed in
/// `BENCHMARKS.md` for `paging::items` (no per-item future, no `VecDeque`).
async fn ours_pages_flattened(client: &Client) -> Vec<Session> {
    client
        .workspace("default")
        .sessions()
        .list()
        .pages()
        .map_ok(|page| {
            futures::stream::iter(
                page.value
                    .into_iter()
                    .map(Ok::<_, graph_security_copilot::Error>),
            )
        })
        .try_flatten()
        .try_collect()
        .await
        .expect("client pages")
}

async fn ours_raw(client: &Client) -> Page<Session> {
    client
        .raw()
        .list_workspace_sessions()
        .workspace_id("default")
        .send()
        .await
        .expect("raw call")
        .into_inner()
}

/// One request's headers and URI, as the server saw them.
type Seen = Vec<(String, String)>;

struct Fixture {
    server: support::Server,
    capture: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    body: Bytes,
    client: Client,
    http: reqwest::Client,
    url: String,
}

fn fixture() -> Fixture {
    let body = Bytes::from(support::sessions_page(0, 100, None));
    let capture = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler: support::Handler = {
        let (body, capture, seen) = (body.clone(), capture.clone(), seen.clone());
        Arc::new(move |request| {
            if capture.load(Ordering::Relaxed) {
                let mut headers: Seen = request
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        let value = if k == "client-request-id" {
                            "<uuid>".to_string()
                        } else {
                            String::from_utf8_lossy(v.as_bytes()).into_owned()
                        };
                        (k.to_string(), value)
                    })
                    .collect();
                headers.sort();
                headers.insert(0, (request.method().to_string(), request.uri().to_string()));
                seen.lock().unwrap().push(headers);
            }
            support::json_response(request, body.clone())
        })
    };
    let server = support::start(handler);
    let client = Client::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    let http = reqwest::Client::builder()
        .timeout(graph_security_copilot::DEFAULT_TIMEOUT)
        .connect_timeout(graph_security_copilot::DEFAULT_CONNECT_TIMEOUT)
        .build()
        .expect("reqwest client");
    let url = server.sessions_url();
    Fixture {
        server,
        capture,
        seen,
        body,
        client,
        http,
        url,
    }
}

/// Both clients must do the same network work: same method, URI and headers (the
/// `client-request-id` value aside), and the same items back.
fn check_same_requests(runtime: &tokio::runtime::Runtime, f: &Fixture) {
    f.capture.store(true, Ordering::Relaxed);
    let (ours, theirs) = runtime.block_on(async {
        let ours = ours_page(&f.client).await;
        let theirs: PlainPage = plain(&f.http, &f.url).await;
        (ours, theirs)
    });
    f.capture.store(false, Ordering::Relaxed);
    let seen = std::mem::take(&mut *f.seen.lock().unwrap());
    assert_eq!(seen.len(), 2, "expected one request from each client");
    assert_eq!(
        seen[0], seen[1],
        "our client and the baseline sent different requests"
    );
    assert_eq!(ours.value.len(), 100);
    assert_eq!(theirs.value.len(), 100);
    for (a, b) in ours.value.iter().zip(&theirs.value) {
        assert_eq!(a.id.as_deref(), Some(b.id.as_str()));
        assert_eq!(a.created_date_time, Some(b.created_date_time));
        assert_eq!(a.display_name.clone().flatten(), b.display_name);
    }
    eprintln!(
        "same request from both clients ({} on {}; {} bytes of JSON back):",
        seen[0][0].0,
        f.server.addr,
        f.body.len()
    );
    for (name, value) in &seen[0][1..] {
        let value = if name == "authorization" {
            "Bearer <static>"
        } else {
            value
        };
        eprintln!("  {name}: {value}");
    }
}

fn criterion_benches(c: &mut Criterion, runtime: &tokio::runtime::Runtime, f: &Fixture) {
    let mut group = c.benchmark_group("list_100_sessions");
    group.bench_function("reqwest_serde_typed", |b| {
        b.to_async(runtime)
            .iter(|| async { black_box(plain::<PlainPage>(&f.http, &f.url).await) })
    });
    group.bench_function("client_page", |b| {
        b.to_async(runtime)
            .iter(|| async { black_box(ours_page(&f.client).await) })
    });
    group.bench_function("client_stream_collect", |b| {
        b.to_async(runtime)
            .iter(|| async { black_box(ours_stream(&f.client).await) })
    });
    group.bench_function("client_raw_generated", |b| {
        b.to_async(runtime)
            .iter(|| async { black_box(ours_raw(&f.client).await) })
    });
    group.bench_function("reqwest_serde_page_session", |b| {
        b.to_async(runtime)
            .iter(|| async { black_box(plain::<Page<Session>>(&f.http, &f.url).await) })
    });
    group.finish();

    // Where the time goes without the network: decoding the same 100-session body.
    let mut group = c.benchmark_group("decode_100_sessions");
    let body = f.body.clone();
    group.bench_function("plain_struct", |b| {
        b.iter(|| black_box(serde_json::from_slice::<PlainPage>(black_box(&body)).unwrap()))
    });
    group.bench_function("page_session_model", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Page<Session>>(black_box(&body)).unwrap()))
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap()))
    });
    group.finish();
}

type Variant<'a> = (
    &'static str,
    Box<dyn Fn() -> futures::future::LocalBoxFuture<'a, ()> + 'a>,
);

/// Alternates the variants round by round (rotating their order), `calls` calls each per
/// round, and prints each variant's median time per call and its median ratio to the
/// baseline (the first variant) within the same round.
fn paired(
    runtime: &tokio::runtime::Runtime,
    variants: &[Variant<'_>],
    rounds: usize,
    calls: usize,
) {
    let mut per_call = vec![Vec::with_capacity(rounds); variants.len()];
    for round in 0..rounds {
        for k in 0..variants.len() {
            let v = (round + k) % variants.len();
            let started = Instant::now();
            runtime.block_on(async {
                for _ in 0..calls {
                    (variants[v].1)().await;
                }
            });
            per_call[v].push(started.elapsed() / calls as u32);
        }
    }
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        (xs[xs.len() / 2], xs[xs.len() / 4], xs[xs.len() * 3 / 4])
    };
    println!(
        "\npaired: {rounds} rounds x {calls} calls per variant, order rotated each round; \
         ratio = variant / baseline within a round (median [p25, p75])"
    );
    let base = &per_call[0];
    for (i, (name, _)) in variants.iter().enumerate() {
        let (us, _, _) = median(per_call[i].iter().map(Duration::as_secs_f64).collect());
        let (r, r25, r75) = median(
            per_call[i]
                .iter()
                .zip(base)
                .map(|(x, b)| x.as_secs_f64() / b.as_secs_f64())
                .collect(),
        );
        println!(
            "  {name:<28} {:>8.1} us/call   ratio {r:.3} [{r25:.3}, {r75:.3}]",
            us * 1e6
        );
    }
}

fn variants(f: &Fixture) -> Vec<Variant<'_>> {
    vec![
        (
            "reqwest_serde_typed",
            Box::new(|| {
                Box::pin(async {
                    black_box(plain::<PlainPage>(&f.http, &f.url).await);
                })
            }),
        ),
        (
            "client_page",
            Box::new(|| {
                Box::pin(async {
                    black_box(ours_page(&f.client).await);
                })
            }),
        ),
        (
            "client_stream_collect",
            Box::new(|| {
                Box::pin(async {
                    black_box(ours_stream(&f.client).await);
                })
            }),
        ),
        (
            "client_pages_try_flatten",
            Box::new(|| {
                Box::pin(async {
                    black_box(ours_pages_flattened(&f.client).await);
                })
            }),
        ),
        (
            "client_raw_generated",
            Box::new(|| {
                Box::pin(async {
                    black_box(ours_raw(&f.client).await);
                })
            }),
        ),
        (
            "reqwest_serde_page_session",
            Box::new(|| {
                Box::pin(async {
                    black_box(plain::<Page<Session>>(&f.http, &f.url).await);
                })
            }),
        ),
    ]
}

/// `GSC_BENCH_PROFILE=<variant>:<calls>`: only run that many calls of one variant (after 50
/// to warm up), for a profiler (`perf record`, `valgrind --tool=callgrind`), then exit.
fn profile(runtime: &tokio::runtime::Runtime, f: &Fixture, spec: &str) {
    let (name, calls) = spec.split_once(':').unwrap_or((spec, "1000"));
    let calls: u32 = calls.parse().expect("GSC_BENCH_PROFILE=<variant>:<calls>");
    let variants = variants(f);
    let Some((_, run)) = variants.iter().find(|(n, _)| *n == name) else {
        let names: Vec<_> = variants.iter().map(|(n, _)| *n).collect();
        panic!("unknown variant {name:?}; one of {names:?}");
    };
    runtime.block_on(async {
        for _ in 0..50 {
            run().await;
        }
    });
    let started = Instant::now();
    runtime.block_on(async {
        for _ in 0..calls {
            run().await;
        }
    });
    println!(
        "{name}: {calls} calls, {:.1} us/call",
        started.elapsed().as_secs_f64() * 1e6 / f64::from(calls)
    );
}

fn main() {
    // reqwest is built with `rustls-no-provider` here (the client's TLS is rustls on ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let f = fixture();
    if let Ok(spec) = std::env::var("GSC_BENCH_PROFILE") {
        profile(&runtime, &f, &spec);
        return;
    }
    check_same_requests(&runtime, &f);

    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    criterion_benches(&mut c, &runtime, &f);
    c.final_summary();

    let variants = variants(&f);
    if support::benchmark_mode() {
        paired(&runtime, &variants, 200, 20);
    } else {
        println!("\n(smoke test: one round, not a measurement)");
        paired(&runtime, &variants, 1, 2);
    }
}
