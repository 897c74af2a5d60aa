//! Safe under load: concurrent creates lose nothing, concurrent reads see consistent lists.

mod common;

use std::collections::HashSet;

use common::*;
use graph_security_copilot_emulator::Emulator;
use reqwest::StatusCode;
use serde_json::{json, Value};

const TASKS: usize = 16;
const CREATES: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_tasks_times_m_creates_are_all_listed() {
    let api = std::sync::Arc::new(start(Emulator::builder().page_size(50)).await);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let api = std::sync::Arc::clone(&api);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for m in 0..CREATES {
                let reply = api
                    .post(
                        &format!("{WS}/sessions"),
                        json!({ "displayName": format!("task {t} create {m}") }),
                    )
                    .await;
                assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
                ids.push(reply.json()["id"].as_str().unwrap().to_string());
                // Reads interleave with the writes.
                let list = api.get(&format!("{WS}/sessions?$top=5")).await;
                assert_eq!(list.status, StatusCode::OK);
            }
            ids
        }));
    }
    let mut created = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(created.insert(id), "duplicate id");
        }
    }
    assert_eq!(created.len(), TASKS * CREATES);

    // Page through everything.
    let mut listed = HashSet::new();
    let mut times = HashSet::new();
    let mut url = api.url(&format!("{WS}/sessions?$count=true"));
    loop {
        let body: Value = api
            .http
            .get(&url)
            .bearer_auth("t")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["@odata.count"], (TASKS * CREATES) as u64);
        for item in values(&body) {
            assert!(listed.insert(item["id"].as_str().unwrap().to_string()));
            assert!(times.insert(item["createdDateTime"].as_str().unwrap().to_string()));
        }
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(listed, created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_prompts_in_many_sessions() {
    let api = std::sync::Arc::new(start_default().await);
    let mut sessions = Vec::new();
    for i in 0..8 {
        sessions.push(api.session(&format!("s{i}")).await);
    }
    let mut tasks = Vec::new();
    for session in sessions.clone() {
        for _ in 0..3 {
            let api = std::sync::Arc::clone(&api);
            let session = session.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..10 {
                    api.prompt(&session, &format!("prompt {n}")).await;
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    for session in sessions {
        let body = api
            .get(&format!(
                "{WS}/sessions/{session}/prompts?$count=true&$top=0"
            ))
            .await
            .json();
        assert_eq!(body["@odata.count"], 30);
    }
}
