//! Raw-HTTP helpers shared by the emulator's integration tests.
#![allow(dead_code)]

use graph_security_copilot_emulator::{Emulator, EmulatorBuilder};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

pub const WS: &str = "/security/securityCopilot/workspaces/default";
pub const SESSION_TYPE: &str = "#microsoft.graph.security.securityCopilot.session";

/// A started emulator and a plain HTTP client for it.
pub struct Api {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

/// One response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    /// `error.code` and `error.message` of a Graph error body.
    pub fn error(&self) -> (String, String) {
        let body = self.json();
        (
            body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    }
}

/// A plain HTTP client. The workspace builds reqwest with `rustls-no-provider` (the client's
/// TLS is rustls on ring), so a process that builds its own `reqwest::Client` installs the
/// provider first, as an application using both would.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn start(builder: EmulatorBuilder) -> Api {
    Api {
        emulator: builder.start().await.expect("emulator starts"),
        http: http(),
        token: "test-token".to_string(),
    }
}

pub async fn start_default() -> Api {
    start(EmulatorBuilder::default()).await
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.emulator.base_url(), path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request is answered");
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body reads"),
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("Authorization", format!("Bearer {}", self.token))
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(
            self.request(reqwest::Method::POST, path)
                .header("Content-Type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> Reply {
        self.send(
            self.request(reqwest::Method::POST, path)
                .header("Content-Type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(
            self.request(reqwest::Method::PATCH, path)
                .header("Content-Type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    /// Creates a session and returns its id.
    pub async fn session(&self, name: &str) -> String {
        let reply = self
            .post(
                &format!("{WS}/sessions"),
                serde_json::json!({ "displayName": name }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json()["id"].as_str().unwrap().to_string()
    }

    /// Creates a prompt and returns its id.
    pub async fn prompt(&self, session: &str, content: &str) -> String {
        let reply = self
            .post(
                &format!("{WS}/sessions/{session}/prompts"),
                serde_json::json!({ "type": "prompt", "content": content }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json()["id"].as_str().unwrap().to_string()
    }

    /// Creates an evaluation and returns its id.
    pub async fn evaluation(&self, session: &str, prompt: &str) -> String {
        let reply = self
            .post(
                &format!("{WS}/sessions/{session}/prompts/{prompt}/evaluations"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json()["id"].as_str().unwrap().to_string()
    }
}

/// Whether a timestamp has Graph's shape: UTC, `Z`, at most 7 fraction digits, none trailing 0.
pub fn is_graph_time(text: &str) -> bool {
    let Some(body) = text.strip_suffix('Z') else {
        return false;
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let whole_ok = chrono::NaiveDateTime::parse_from_str(whole, "%Y-%m-%dT%H:%M:%S").is_ok();
    let fraction_ok = fraction.is_none_or(|f| {
        !f.is_empty() && f.len() <= 7 && f.bytes().all(|b| b.is_ascii_digit()) && !f.ends_with('0')
    });
    whole_ok && fraction_ok
}

/// The `value` of a list, as an array.
pub fn values(body: &Value) -> Vec<Value> {
    body["value"].as_array().cloned().unwrap_or_default()
}

/// A property of every item of a list.
pub fn column(body: &Value, property: &str) -> Vec<Value> {
    values(body).iter().map(|v| v[property].clone()).collect()
}
