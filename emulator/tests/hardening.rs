//! Hostile requests: the emulator answers each in Graph's error format and keeps serving.
//!
//! Regression tests for issue 10: deep `$filter` nesting used to overflow the stack and abort
//! the process; a `text/plain` body was accepted; hyper's own 400/414/431 answers had no body.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use graph_security_copilot_emulator::odata::{MAX_FILTER_DEPTH, MAX_QUERY_OPTION_LENGTH};
use graph_security_copilot_emulator::{Emulator, RECORDED_TEXT_LIMIT};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn assert_bad_request(reply: &Reply, message: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(
        reply.error(),
        ("BadRequest".to_string(), message.to_string())
    );
    assert_eq!(
        reply.json()["error"]["innerError"]["request-id"],
        reply.header("request-id")
    );
}

/// The emulator still answers a plain list after the hostile requests.
async fn still_serving(api: &Api) {
    let reply = api.get(&format!("{WS}/sessions?$top=1")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn deeply_nested_filters_are_400_naming_the_limit() {
    let api = start_default().await;
    let sessions = format!("{WS}/sessions");
    let depth_message =
        format!("The $filter value exceeds the nesting depth limit of {MAX_FILTER_DEPTH}");
    let hostile = [
        // Parentheses: the old parser recursed once per '(' and aborted the process.
        format!("{}displayName eq 'x'{}", "(".repeat(600), ")".repeat(600)),
        // Function calls.
        format!(
            "{}displayName{}",
            "contains(".repeat(300),
            ",'x')".repeat(300)
        ),
        // `not` chains.
        format!("{}(displayName eq 'x')", "not ".repeat(1500)),
        // A long `and` chain is shallow to parse but builds a deep tree.
        vec!["displayName eq 'x'"; 300].join(" and "),
    ];
    for filter in &hostile {
        let reply = api
            .get(&format!("{sessions}?$filter={}", encode(filter)))
            .await;
        assert_bad_request(&reply, &depth_message);
    }
    // Exactly at the limit still works.
    let at_limit = format!(
        "{}displayName eq 'x'{}",
        "(".repeat(MAX_FILTER_DEPTH - 1),
        ")".repeat(MAX_FILTER_DEPTH - 1)
    );
    let reply = api
        .get(&format!("{sessions}?$filter={}", encode(&at_limit)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    still_serving(&api).await;
}

#[tokio::test]
async fn overlong_options_and_queries_are_400_naming_the_limit() {
    let api = start_default().await;
    let sessions = format!("{WS}/sessions");
    let long = format!("displayName eq '{}'", "x".repeat(MAX_QUERY_OPTION_LENGTH));
    let reply = api
        .get(&format!("{sessions}?$filter={}", encode(&long)))
        .await;
    assert_bad_request(
        &reply,
        &format!("The $filter value exceeds the length limit of {MAX_QUERY_OPTION_LENGTH}"),
    );
    let select = vec!["displayName"; 1000].join(",");
    let reply = api.get(&format!("{sessions}?$select={select}")).await;
    assert_bad_request(
        &reply,
        &format!("The $select value exceeds the length limit of {MAX_QUERY_OPTION_LENGTH}"),
    );
    let reply = api
        .get(&format!("{sessions}?other={}", "a".repeat(40 * 1024)))
        .await;
    assert_bad_request(
        &reply,
        "The query string value exceeds the length limit of 32768",
    );
    // The request log keeps a bounded prefix of what was sent.
    let logged = api.emulator.requests();
    let query = logged.iter().rev().find_map(|r| r.query.clone()).unwrap();
    assert_eq!(query.len(), RECORDED_TEXT_LIMIT + '…'.len_utf8());
    assert!(query.starts_with("other=aaa") && query.ends_with('…'));
    still_serving(&api).await;
}

#[tokio::test]
async fn bodies_must_be_json_415() {
    let api = start_default().await;
    let sessions = format!("{WS}/sessions");
    let body = json!({"displayName": "x"}).to_string();
    for (content_type, message) in [
        (
            Some("text/plain"),
            "The content type 'text/plain' is not supported; send the body as 'application/json'.",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            "The content type 'application/x-www-form-urlencoded' is not supported; send the body as 'application/json'.",
        ),
        (
            None,
            "The request has a body but no Content-Type; send it as 'application/json'.",
        ),
    ] {
        let mut request = api.request(Method::POST, &sessions).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let reply = api.send(request).await;
        assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            reply.error(),
            ("UnsupportedMediaType".to_string(), message.to_string())
        );
        assert!(reply.header("content-type").starts_with("application/json"));
    }
    // Nothing was created; JSON with parameters and any case is accepted.
    let list = api.get(&format!("{sessions}?$count=true")).await.json();
    assert_eq!(list["@odata.count"], 0);
    let reply = api
        .send(
            api.request(Method::POST, &sessions)
                .header("Content-Type", "Application/JSON; charset=utf-8")
                .body(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
}

#[tokio::test]
async fn slow_bodies_are_408() {
    let api = start(Emulator::builder().body_timeout(Duration::from_millis(200))).await;
    let (tx, rx) = futures::channel::mpsc::unbounded::<Result<Vec<u8>, std::io::Error>>();
    tx.unbounded_send(Ok(b"{\"displayName\":".to_vec()))
        .unwrap();
    let request = api
        .request(Method::POST, &format!("{WS}/sessions"))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(rx));
    let reply = api.send(request).await;
    drop(tx);
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(
        reply.error(),
        (
            "requestTimeout".to_string(),
            "The request body did not arrive within 200 ms.".to_string()
        )
    );
}

/// Sends raw bytes on a fresh connection and reads the whole answer (the server closes).
fn raw(api: &Api, request: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(api.emulator.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The server may answer and close before reading everything; that is fine.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {text:?}"));
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap_or_else(|| panic!("no content-length in {head}"))
        .parse()
        .unwrap();
    assert_eq!(length, body.len(), "{head}");
    assert!(head.contains("request-id: "), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let json: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("body {body:?} is not JSON: {e}"));
    assert!(json["error"]["innerError"]["date"].is_string(), "{json}");
    (status, json)
}

const PATH: &[u8] = b"/beta/security/securityCopilot/workspaces/default/sessions";
const HEADERS: &[u8] = b"Host: localhost\r\nAuthorization: Bearer t\r\n";

fn request(target: &[u8], extra: &[u8]) -> Vec<u8> {
    [b"GET ", target, b" HTTP/1.1\r\n", HEADERS, extra, b"\r\n"].concat()
}

#[tokio::test(flavor = "multi_thread")]
async fn http_layer_errors_have_graph_bodies() {
    let api = start_default().await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "invalid UTF-8 in the target",
            request(&[PATH, b"/\xff\xfe"].concat(), b""),
            400,
            "BadRequest",
        ),
        (
            "control character in the target",
            request(&[PATH, b"/\x01"].concat(), b""),
            400,
            "BadRequest",
        ),
        (
            "URI too long",
            request(&[PATH, b"?x=", &[b'a'; 70_000]].concat(), b""),
            414,
            "requestUriTooLong",
        ),
        (
            "too many headers",
            request(
                PATH,
                &(0..200)
                    .flat_map(|i| format!("x-h{i}: v\r\n").into_bytes())
                    .collect::<Vec<u8>>(),
            ),
            431,
            "requestHeaderFieldsTooLarge",
        ),
        (
            "head too large",
            request(PATH, &[b"x-big: ", &[b'b'; 300_000][..], b"\r\n"].concat()),
            431,
            "requestHeaderFieldsTooLarge",
        ),
    ];
    for (name, bytes, status, code) in cases {
        let (got, body) = tokio::task::block_in_place(|| raw(&api, &bytes));
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(body["error"]["code"], code, "{name}: {body}");
    }
    still_serving(&api).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_alive_responses_are_untouched_before_an_http_layer_error() {
    let api = start_default().await;
    // Two good requests then a bad one on one connection: the good answers come through as
    // they are, the bad one gets the Graph body.
    let good = request(PATH, b"");
    let bad = request(&[PATH, b"/\xff"].concat(), b"");
    let all = [good.clone(), good, bad].concat();
    let answer = tokio::task::block_in_place(|| {
        let mut stream = TcpStream::connect(api.emulator.local_addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(&all).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    });
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
    assert_eq!(answer.matches("HTTP/1.1 400 Bad Request").count(), 1);
    assert!(answer.ends_with("}}}"), "{answer}");
}
