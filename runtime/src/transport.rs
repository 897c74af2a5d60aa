//! The one place every request goes through: headers, auth, retries, throttling, tracing, and
//! the mapping of progenitor's results into [`Error`].
//!
//! The generated client calls it through progenitor's `ClientHooks` (`pre` for headers and the
//! token, `exec` for sending with retries); paging follows `@odata.nextLink` through the same
//! functions. Per-call facts (client request id, attempts, last status, raw body) live in a
//! task-local [`CallContext`], so errors keep them even where progenitor's error does not.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use progenitor_client::ResponseValue;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use tracing::Instrument;
use url::Url;

use crate::auth::{AccessToken, TokenCache};
use crate::error::{redact_bytes, redact_str, ApiError, DecodeError, Error, ODataError};
use crate::response::{Response, ResponseMetadata};
use crate::retry::{Decision, Outcome, Pacing, RetryPolicy, ThrottleGate};

const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const RETRY_ATTEMPT: HeaderName = HeaderName::from_static("retry-attempt");
const PREFER: HeaderName = HeaderName::from_static("prefer");
/// Asks Graph to send enum members added after the client was built; the open enums keep them.
const PREFER_UNKNOWN_ENUMS: HeaderValue = HeaderValue::from_static("include-unknown-enum-members");
/// How many distinct bearer tokens (the most recent) errors are redacted of.
const REMEMBERED_TOKENS: usize = 4;

tokio::task_local! {
    static CALL: Arc<CallContext>;
}

/// What one logical call (all its attempts) has seen so far.
#[derive(Debug)]
pub(crate) struct CallContext {
    client_request_id: String,
    started: Instant,
    state: Mutex<CallState>,
}

#[derive(Debug, Default)]
struct CallState {
    attempts: u32,
    status: Option<StatusCode>,
    headers: HeaderMap,
    body: Option<Bytes>,
    error: Option<Error>,
}

impl CallContext {
    fn new() -> Arc<CallContext> {
        Arc::new(CallContext {
            client_request_id: uuid::Uuid::new_v4().to_string(),
            started: Instant::now(),
            state: Mutex::new(CallState::default()),
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut CallState) -> R) -> R {
        // The state holds plain values replaced field by field; a panic elsewhere cannot leave it
        // half-updated in a way that matters, so a poisoned lock is still usable.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    fn current() -> Option<Arc<CallContext>> {
        CALL.try_with(Arc::clone).ok()
    }

    fn take_error(&self) -> Option<Error> {
        self.with(|s| s.error.take())
    }
}

/// Limits of one client, set on [`crate::ClientBuilder`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The largest response body read, in bytes.
    pub max_response_body_bytes: u64,
    /// The most pages a listing follows, if limited.
    pub max_pages: Option<u64>,
}

/// Settings shared by every request of a generated crate's `Client` and its clones: the HTTP
/// client, base URL, token cache, retry policy, throttle gate and limits.
pub struct Transport {
    shared: Arc<Shared>,
}

struct Shared {
    http: reqwest::Client,
    base_url: Url,
    tokens: Option<TokenCache>,
    retry: RetryPolicy,
    gate: ThrottleGate,
    user_agent: HeaderValue,
    limits: Limits,
    /// The bearer tokens most recently sent (secrets only), to redact from errors.
    sent_tokens: Mutex<Vec<String>>,
}

impl Clone for Transport {
    fn clone(&self) -> Self {
        Transport {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.shared.base_url.as_str())
            .field("tokens", &self.shared.tokens)
            .field("retry", &self.shared.retry)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub(crate) fn new(
        http: reqwest::Client,
        base_url: Url,
        tokens: Option<TokenCache>,
        retry: RetryPolicy,
        pacing: Pacing,
        user_agent: HeaderValue,
        limits: Limits,
    ) -> Transport {
        Transport {
            shared: Arc::new(Shared {
                http,
                base_url,
                tokens,
                retry,
                gate: ThrottleGate::with_pacing(pacing),
                user_agent,
                limits,
                sent_tokens: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The most pages a listing follows by default (`None`: no limit).
    pub fn max_pages(&self) -> Option<u64> {
        self.shared.limits.max_pages
    }

    /// The largest response body read, in bytes.
    pub fn max_response_body_bytes(&self) -> u64 {
        self.shared.limits.max_response_body_bytes
    }

    /// Notes a bearer token sent, so errors never show it.
    fn remember_token(&self, header: &HeaderValue) {
        let Ok(text) = header.to_str() else {
            return;
        };
        let secret = text.strip_prefix("Bearer ").unwrap_or(text).trim();
        if secret.is_empty() {
            return;
        }
        let mut sent = self
            .shared
            .sent_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if sent.iter().any(|s| s == secret) {
            return;
        }
        if sent.len() >= REMEMBERED_TOKENS {
            sent.remove(0);
        }
        sent.push(secret.to_string());
    }

    /// The secrets errors are redacted of.
    fn secrets(&self) -> Vec<String> {
        self.shared
            .sent_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The base URL, e.g. `https://graph.microsoft.com/beta`.
    pub fn base_url(&self) -> &Url {
        &self.shared.base_url
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.shared.retry
    }

    /// The client-wide throttle gate (shared by every clone of the client).
    pub fn throttle_gate(&self) -> &ThrottleGate {
        &self.shared.gate
    }

    /// Whether `url` has the same origin (scheme, host, port) as the base URL.
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.shared.base_url.origin()
    }

    /// Adds the per-call headers and the bearer token.
    async fn prepare(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        let context = CallContext::current();
        let client_request_id = context
            .as_ref()
            .map(|c| c.client_request_id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let headers = request.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&client_request_id) {
            headers.insert(CLIENT_REQUEST_ID, value);
        }
        headers.insert(PREFER, PREFER_UNKNOWN_ENUMS);
        headers.insert(reqwest::header::USER_AGENT, self.shared.user_agent.clone());
        let span = tracing::Span::current();
        span.record("method", request.method().as_str());
        span.record("path", request.url().path());
        if let Some(tokens) = &self.shared.tokens {
            // Tokens go only to the API's own origin, and never in clear text off this machine.
            if !self.same_origin(request.url()) {
                return Err(Error::InvalidRequest(format!(
                    "refusing to send credentials to {}, which is not the API origin {}",
                    request.url().origin().ascii_serialization(),
                    self.shared.base_url.origin().ascii_serialization()
                )));
            }
            crate::auth::check_token_destination(request.url())?;
            let token = tokens.token().await?;
            request
                .headers_mut()
                .insert(AUTHORIZATION, token.bearer_header_value()?);
        }
        Ok(())
    }

    /// Sends with retries (429/503/504 per the policy, one token refresh on 401), buffering the
    /// body so errors can keep it.
    pub async fn execute(&self, request: reqwest::Request) -> reqwest::Result<reqwest::Response> {
        let context = CallContext::current();
        let method = request.method().clone();
        let started = Instant::now();
        let mut retries = 0u32;
        let mut refreshed = false;
        let mut pending = request;
        loop {
            // Never wait at the client-wide gate (closed, or pacing) longer than this request's
            // own policy would.
            let allowed = self.shared.retry.longest_wait(started.elapsed());
            let ticket = match self.shared.gate.acquire(allowed).await {
                Ok(ticket) => ticket,
                Err(retry_after) => {
                    tracing::debug!(?retry_after, "throttle gate closed beyond the retry policy");
                    let error = Error::Throttled {
                        retry_after,
                        client_request_id: context.as_ref().map(|c| c.client_request_id.clone()),
                    };
                    return fail(context.as_deref(), error).await;
                }
            };
            let backup = pending.try_clone();
            if let Some(c) = &context {
                c.with(|s| s.attempts += 1);
            }
            let sent_token = pending.headers().get(AUTHORIZATION).cloned();
            if let Some(token) = &sent_token {
                self.remember_token(token);
            }
            let result = self.shared.http.execute(pending).await;
            let outcome = match &result {
                Ok(response) => {
                    Outcome::from_response(response.status(), response.headers(), SystemTime::now())
                }
                Err(e) if e.is_timeout() => Outcome::Timeout,
                Err(_) => Outcome::ConnectError,
            };
            tracing::debug!(attempt = retries + 1, outcome = ?outcome, "graph attempt finished");
            let unauthorized = matches!(&result, Ok(r) if r.status() == StatusCode::UNAUTHORIZED);
            if let (true, false, Some(tokens)) = (unauthorized, refreshed, &self.shared.tokens) {
                refreshed = true;
                if let Some(mut next) = backup.as_ref().and_then(reqwest::Request::try_clone) {
                    if let Some(sent) = sent_token.as_ref().and_then(|v| v.to_str().ok()) {
                        let secret = sent.trim_start_matches("Bearer ").to_string();
                        tokens.invalidate(&AccessToken::new(secret, None));
                    }
                    if let Ok(fresh) = tokens.token().await {
                        if let Ok(value) = fresh.bearer_header_value() {
                            next.headers_mut().insert(AUTHORIZATION, value);
                            tracing::debug!("401: retrying once with a fresh token");
                            pending = next;
                            continue;
                        }
                    }
                }
            }
            let throttled = matches!(
                outcome,
                Outcome::Status {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    ..
                }
            );
            match outcome {
                Outcome::Status {
                    retry_after: Some(delay),
                    ..
                } if throttled => {
                    // Every request of this client waits, not just this one; never longer than
                    // the policy's longest pause, so one huge Retry-After cannot stall the client.
                    self.shared
                        .gate
                        .throttled(&ticket, delay.min(self.shared.retry.max_delay()));
                    tracing::debug!(
                        paced_rate = self.shared.gate.paced_rate(),
                        "throttled: gate closed"
                    );
                }
                Outcome::Status { .. } if !throttled => self.shared.gate.admitted(&ticket),
                _ => {}
            }
            let decision = self
                .shared
                .retry
                .decide(&method, &outcome, retries, started.elapsed());
            match (decision, backup) {
                (Decision::RetryAfter(delay), Some(mut next)) => {
                    if let Outcome::Status {
                        status: StatusCode::TOO_MANY_REQUESTS,
                        retry_after: None,
                    } = outcome
                    {
                        self.shared.gate.throttled(&ticket, delay);
                    }
                    retries += 1;
                    if let Ok(value) = HeaderValue::from_str(&retries.to_string()) {
                        next.headers_mut().insert(RETRY_ATTEMPT, value);
                    }
                    tracing::debug!(?delay, retries, "retrying");
                    // With pacing, a throttled request waits at the gate only (closed for at
                    // least `delay` above), taking its turn with the others; without, it also
                    // sleeps on its own, as before pacing existed.
                    if !(throttled && self.shared.gate.pacing().is_enabled()) {
                        tokio::time::sleep(delay).await;
                    }
                    pending = next;
                }
                _ => return self.record(result, context.as_deref()).await,
            }
        }
    }

    /// Buffers the final response's body (at most `max_response_body_bytes`) into the call
    /// context and hands back an equivalent response.
    async fn record(
        &self,
        result: reqwest::Result<reqwest::Response>,
        context: Option<&CallContext>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut response = result?;
        let status = response.status();
        let headers = response.headers().clone();
        let version = response.version();
        let limit = self.shared.limits.max_response_body_bytes;
        let too_large = |declared: Option<u64>| Error::ResponseTooLarge {
            status,
            limit,
            declared,
            client_request_id: context.map(|c| c.client_request_id.clone()),
        };
        // The declared length is checked before reading anything.
        let declared = headers
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(declared) = declared.filter(|d| *d > limit) {
            return fail(context, too_large(Some(declared))).await;
        }
        // Reserve what is declared (within the limit); an undeclared body grows as it comes.
        let mut body = BytesMut::with_capacity(usize::try_from(declared.unwrap_or(0)).unwrap_or(0));
        // Chunks are what the connection yields (decompressed, if compression were on), so the
        // limit holds for what is kept in memory; reading stops at the first chunk past it.
        while let Some(chunk) = response.chunk().await? {
            if (body.len() as u64).saturating_add(chunk.len() as u64) > limit {
                return fail(context, too_large(declared)).await;
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        if let Some(c) = context {
            c.with(|s| {
                s.status = Some(status);
                s.headers = headers.clone();
                s.body = Some(body.clone());
            });
        }
        let span = tracing::Span::current();
        span.record("status", status.as_u16());
        if let Some(id) = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()) {
            span.record("request_id", id);
        }
        let mut rebuilt = http::Response::new(body);
        *rebuilt.status_mut() = status;
        *rebuilt.headers_mut() = headers;
        *rebuilt.version_mut() = version;
        Ok(reqwest::Response::from(rebuilt))
    }

    /// Runs one logical call of the generated client: a fresh client request id, a tracing span,
    /// and progenitor's result mapped to [`Error`]; a success keeps its [`ResponseMetadata`].
    pub async fn call<T, F>(&self, operation: &'static str, call: F) -> Result<Response<T>, Error>
    where
        F: std::future::Future<
            Output = Result<ResponseValue<T>, progenitor_client::Error<ODataError>>,
        >,
    {
        let context = CallContext::new();
        let span = call_span(operation, &context);
        let result = CALL
            .scope(Arc::clone(&context), call)
            .instrument(span.clone())
            .await;
        let result = match result {
            Ok(value) => {
                let metadata = metadata(&context, value.status(), value.headers());
                Ok(Response::new(value.into_inner(), metadata))
            }
            Err(error) => Err(self.map_error(error, &context).await),
        };
        finish_span(&span, &context, &result);
        result
    }

    /// GETs an absolute URL on the API's origin (a saved `@odata.nextLink`) and decodes it.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &str,
    ) -> Result<Response<T>, Error> {
        let parsed = Url::parse(url)
            .map_err(|e| Error::InvalidRequest(format!("invalid nextLink {url:?}: {e}")))?;
        if !self.same_origin(&parsed) {
            return Err(Error::InvalidRequest(format!(
                "nextLink {} is not on the API origin {}; not following it",
                parsed.origin().ascii_serialization(),
                self.shared.base_url.origin().ascii_serialization()
            )));
        }
        self.exchange(operation, Method::GET, parsed, None, |_, body| {
            serde_json::from_slice::<T>(body).map_err(|e| e.to_string())
        })
        .await
    }

    /// Sends one request that no generated method describes (`gsc api`, driven by a generated
    /// operation table) through the same path as every other call: headers, auth, retries,
    /// throttle gate, body limit, redaction, tracing. `body` is sent as `application/json`.
    /// A success body is returned as JSON: `null` when empty, a number for a `text/plain`
    /// count. `url` must be on the API's origin.
    #[doc(hidden)]
    pub async fn send_json(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Response<serde_json::Value>, Error> {
        if !self.same_origin(&url) {
            return Err(Error::InvalidRequest(format!(
                "{} is not on the API origin {}; not sending",
                url.origin().ascii_serialization(),
                self.shared.base_url.origin().ascii_serialization()
            )));
        }
        let body = match body {
            Some(value) => Some(
                serde_json::to_vec(value)
                    .map_err(|e| Error::InvalidRequest(format!("request body: {e}")))?,
            ),
            None => None,
        };
        self.exchange(operation, method, url, body, |_, body| {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(serde_json::Value::Null);
            }
            serde_json::from_slice(body).map_err(|e| e.to_string())
        })
        .await
    }

    /// One call outside the generated client: a fresh call context and span, the request
    /// prepared and executed like any other, a non-success status mapped to [`Error::Api`] and
    /// a success body decoded by `decode` (its error becomes [`Error::Decode`]), kept with its
    /// [`ResponseMetadata`].
    async fn exchange<T>(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        decode: impl FnOnce(StatusCode, &Bytes) -> Result<T, String>,
    ) -> Result<Response<T>, Error> {
        let context = CallContext::new();
        let span = call_span(operation, &context);
        let this = self.clone();
        let work = async move {
            let mut request = reqwest::Request::new(method, url);
            request.headers_mut().insert(
                reqwest::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
            if let Some(body) = body {
                request.headers_mut().insert(
                    reqwest::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                *request.body_mut() = Some(reqwest::Body::from(body));
            }
            this.prepare(&mut request).await?;
            let failed = |e: reqwest::Error| {
                let context = CallContext::current();
                context
                    .as_deref()
                    .and_then(CallContext::take_error)
                    .unwrap_or_else(|| transport_error(e, context.as_deref()))
            };
            let response = this.execute(request).await.map_err(failed)?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(failed)?;
            Ok::<_, Error>((status, headers, body))
        };
        let result = CALL
            .scope(Arc::clone(&context), work)
            .instrument(span.clone())
            .await;
        let secrets = self.secrets();
        let result = result.and_then(|(status, headers, body)| {
            if status.is_success() {
                decode(status, &body)
                    .map(|value| Response::new(value, metadata(&context, status, &headers)))
                    .map_err(|message| decode_error(&context, status, message, body, &secrets))
            } else {
                Err(api_error(&context, status, &secrets))
            }
        });
        finish_span(&span, &context, &result);
        result
    }

    async fn map_error(
        &self,
        error: progenitor_client::Error<ODataError>,
        context: &CallContext,
    ) -> Error {
        if let Some(stored) = context.with(|s| s.error.take()) {
            return stored;
        }
        let secrets = self.secrets();
        use progenitor_client::Error as P;
        match error {
            P::InvalidRequest(message) | P::Custom(message) => Error::InvalidRequest(message),
            P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
                transport_error(e, Some(context))
            }
            P::ErrorResponse(value) => api_error(context, value.status(), &secrets),
            P::InvalidResponsePayload(body, e) => {
                let status = context.with(|s| s.status).unwrap_or(StatusCode::OK);
                if status.is_success() {
                    decode_error(context, status, e.to_string(), body, &secrets)
                } else {
                    // An error status whose body is not a Graph error: still an API error, body kept.
                    api_error(context, status, &secrets)
                }
            }
            P::UnexpectedResponse(response) => {
                let status = response.status();
                if status.is_success() {
                    let body = context.with(|s| s.body.clone()).unwrap_or_default();
                    decode_error(
                        context,
                        status,
                        format!("unexpected success status {}", status.as_u16()),
                        body,
                        &secrets,
                    )
                } else {
                    api_error(context, status, &secrets)
                }
            }
        }
    }
}

fn call_span(operation: &'static str, context: &CallContext) -> tracing::Span {
    tracing::info_span!(
        "graph_call",
        operation,
        method = tracing::field::Empty,
        path = tracing::field::Empty,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
        client_request_id = %context.client_request_id,
    )
}

fn finish_span<T>(span: &tracing::Span, context: &CallContext, result: &Result<T, Error>) {
    let attempts = context.with(|s| s.attempts);
    span.record("attempts", attempts);
    span.record(
        "duration_ms",
        u64::try_from(context.started.elapsed().as_millis()).unwrap_or(u64::MAX),
    );
    let _guard = span.enter();
    match result {
        Ok(_) => tracing::debug!("graph call succeeded"),
        Err(error) => tracing::debug!(%error, "graph call failed"),
    }
}

/// The metadata of a success (no secret can be in a `request-id` the client did not send, but
/// it is the server's text: kept as sent, like the body).
fn metadata(context: &CallContext, status: StatusCode, headers: &HeaderMap) -> ResponseMetadata {
    ResponseMetadata {
        status,
        request_id: header(headers, &REQUEST_ID),
        client_request_id: context.client_request_id.clone(),
        attempts: context.with(|s| s.attempts).max(1),
    }
}

fn header(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn transport_error(error: reqwest::Error, context: Option<&CallContext>) -> Error {
    let client_request_id = context.map(|c| c.client_request_id.clone());
    if error.is_timeout() {
        return Error::Timeout {
            elapsed: context.map_or(Duration::ZERO, |c| c.started.elapsed()),
            client_request_id,
        };
    }
    Error::Transport {
        source: error.without_url(),
        client_request_id,
    }
}

fn decode_error(
    context: &CallContext,
    status: StatusCode,
    message: String,
    body: Bytes,
    secrets: &[String],
) -> Error {
    let headers = context.with(|s| s.headers.clone());
    let redact = |text: String| redact_str(&text, secrets);
    Error::Decode(Box::new(DecodeError {
        status,
        request_id: header(&headers, &REQUEST_ID).map(redact),
        client_request_id: header(&headers, &CLIENT_REQUEST_ID)
            .map(redact)
            .or_else(|| Some(context.client_request_id.clone())),
        // The decoder's message can quote the body.
        message: redact(message),
        body: redact_bytes(&body, secrets),
    }))
}

/// An API error from what the call context kept, with every bearer token this client sent
/// replaced by [`crate::error::REDACTED`] (the body is redacted before it is decoded, so no
/// field can carry a token).
fn api_error(context: &CallContext, status: StatusCode, secrets: &[String]) -> Error {
    let (headers, body, attempts) = context.with(|s| {
        (
            s.headers.clone(),
            s.body.clone().unwrap_or_default(),
            s.attempts,
        )
    });
    let body = redact_bytes(&body, secrets);
    let redacted_header =
        |name: &HeaderName| header(&headers, name).map(|v| redact_str(&v, secrets));
    let decoded: Option<ODataError> = serde_json::from_slice(&body).ok();
    let inner = decoded.as_ref().and_then(|d| d.error.inner_error.as_ref());
    Error::Api(Box::new(ApiError {
        status,
        code: decoded
            .as_ref()
            .map(|d| d.error.code.clone())
            .filter(|c| !c.is_empty()),
        message: decoded
            .as_ref()
            .map(|d| d.error.message.clone())
            .filter(|m| !m.is_empty()),
        request_id: redacted_header(&REQUEST_ID)
            .or_else(|| inner.and_then(|i| i.request_id.clone())),
        client_request_id: redacted_header(&CLIENT_REQUEST_ID)
            .or_else(|| inner.and_then(|i| i.client_request_id.clone()))
            .or_else(|| Some(context.client_request_id.clone())),
        date: inner
            .and_then(|i| i.date.clone())
            .or_else(|| redacted_header(&reqwest::header::DATE)),
        retry_after: headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| crate::retry::parse_retry_after(v, SystemTime::now())),
        attempts,
        body: decoded,
        raw_body: String::from_utf8_lossy(&body).into_owned(),
    }))
}

/// Ends an attempt with a typed `error`: kept in the call context (where [`Transport::call`]
/// and `get_json` find it before anything else) and surfaced to progenitor as a body error,
/// the only kind of `reqwest::Error` that can be made outside reqwest.
async fn fail(context: Option<&CallContext>, error: Error) -> reqwest::Result<reqwest::Response> {
    let message = error.to_string();
    if let Some(c) = context {
        c.with(|s| s.error = Some(error));
    }
    let failing = reqwest::Body::wrap_stream(futures::stream::once(async move {
        Err::<Bytes, std::io::Error>(std::io::Error::other(message))
    }));
    match reqwest::Response::from(http::Response::new(failing))
        .bytes()
        .await
    {
        Err(e) => Err(e),
        // Not reachable (the body's only item is an error); the kept error still wins.
        Ok(_) => Ok(reqwest::Response::from(http::Response::new(
            reqwest::Body::from(Vec::<u8>::new()),
        ))),
    }
}

/// progenitor's `pre` hook for a generated client: prepares `request` (auth and headers) or
/// fails it with the typed error kept for [`Transport::call`].
pub async fn hook_pre<E>(
    transport: &Transport,
    request: &mut reqwest::Request,
) -> Result<(), progenitor_client::Error<E>> {
    match transport.prepare(request).await {
        Ok(()) => Ok(()),
        Err(error) => {
            let message = error.to_string();
            // Keep the typed error for `Transport::call`; callers of the raw generated client
            // get its message.
            if let Some(context) = CallContext::current() {
                context.with(|s| s.error = Some(error));
            }
            Err(progenitor_client::Error::Custom(message))
        }
    }
}
