//! Adaptive pacing end to end: a client and its clones against the emulator's rate-limit mode.
//! (The pacing logic itself, with exact release times, is tested with paused time in
//! `src/retry.rs`; these tests assert outcomes, never speed.)

use std::time::Duration;

use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::retry::Pacing;
use graph_security_copilot::Client;
use graph_security_copilot_emulator::Emulator;

async fn burst(client: &Client, calls: usize) -> Vec<Result<(), graph_security_copilot::Error>> {
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .workspace("default")
                    .sessions()
                    .list()
                    .page()
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_of_a_client_pace_after_a_429_and_lose_nothing() {
    let emulator = Emulator::builder()
        .rate_limit(3, Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .base_url(emulator.base_url())
        .credential(StaticToken::new("pacing-test-token"))
        .build()
        .unwrap();
    assert!(
        client.throttle_gate().pacing().is_enabled(),
        "on by default"
    );
    assert_eq!(client.throttle_gate().paced_rate(), None);
    // Ten calls from ten clones at once: more than a window admits.
    for result in burst(&client, 10).await {
        result.unwrap();
    }
    let counts = emulator.rate_limit_counts().unwrap();
    assert_eq!(counts.admitted, 10);
    assert!(counts.throttled >= 1, "{counts:?}");
    // Every clone shares the gate, which learned at most the admitted rate.
    let rate = client
        .throttle_gate()
        .paced_rate()
        .expect("pacing after a 429");
    assert!(rate > 0.0 && rate <= 3.0, "{rate}");
    assert!(client.clone().throttle_gate().paced_rate().is_some());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_can_be_turned_off() {
    let emulator = Emulator::builder()
        .rate_limit(3, Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .base_url(emulator.base_url())
        .credential(StaticToken::new("pacing-test-token"))
        .pacing(Pacing::disabled())
        .build()
        .unwrap();
    assert!(!client.throttle_gate().pacing().is_enabled());
    for result in burst(&client, 4).await {
        result.unwrap();
    }
    assert!(emulator.rate_limit_counts().unwrap().throttled >= 1);
    assert_eq!(client.throttle_gate().paced_rate(), None);
    emulator.shutdown().await;
}
