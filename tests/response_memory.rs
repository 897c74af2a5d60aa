//! Peak memory on an endless response body stays within the default cap (issue 10). Its own
//! test binary, so that no other test's allocations count towards the measured peak.

use std::time::Duration;

use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::retry::RetryPolicy;
use graph_security_copilot::{Client, Error, DEFAULT_MAX_RESPONSE_BODY_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const MIB: u64 = 1024 * 1024;

/// Peak memory of this process, from Linux's `VmHWM`.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A loopback server answering every request with an endless chunked 200.
async fn endless_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                let chunk = [b"10000\r\n".as_slice(), &[b' '; 0x10000], b"\r\n"].concat();
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                while socket.write_all(&chunk).await.is_ok() {}
            });
        }
    });
    format!("http://{address}/beta")
}

#[tokio::test]
async fn peak_memory_stays_within_the_default_cap_on_an_endless_body() {
    assert_eq!(DEFAULT_MAX_RESPONSE_BODY_BYTES, 32 * MIB);
    let client = Client::builder()
        .base_url(endless_server().await)
        .credential(StaticToken::new("token"))
        .retry_policy(RetryPolicy::disabled())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let error = tokio::time::timeout(
        Duration::from_secs(30),
        client.workspace("default").sessions().list().page(),
    )
    .await
    .expect("the cap ends the read, not the timeout")
    .unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooLarge { limit, declared: None, .. } if limit == 32 * MIB),
        "{error:?}"
    );
    if let Some(peak) = peak_rss_bytes() {
        // The cap, buffer growth (at most half the cap again) and the test process itself.
        assert!(
            peak < 32 * MIB + 16 * MIB + 32 * MIB,
            "peak RSS {peak} bytes"
        );
        eprintln!("peak RSS {} MiB", peak / MIB);
    }
}
