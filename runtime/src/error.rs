//! The crate's one error type, and the Graph error body it decodes.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::AuthError;

/// How many bytes of an undecodable body an error keeps for its message (the whole body is kept
/// in [`DecodeError::body`]).
const BODY_PREVIEW: usize = 512;

/// Everything that can go wrong calling the API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with a non-success status (Graph error body decoded when possible).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request never got a response (connection refused or reset, TLS, DNS...).
    #[error("transport error{}: {source}", request_id_suffix(None, client_request_id.as_deref()))]
    Transport {
        /// The underlying error.
        #[source]
        source: reqwest::Error,
        /// The `client-request-id` this call sent.
        client_request_id: Option<String>,
    },
    /// The request or the whole call took longer than allowed.
    #[error("timed out after {elapsed:?}{}", request_id_suffix(None, client_request_id.as_deref()))]
    Timeout {
        /// Time spent.
        elapsed: Duration,
        /// The `client-request-id` this call sent.
        client_request_id: Option<String>,
    },
    /// A success response whose body does not have the expected shape.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The request was refused before sending (empty id, unsupported query option, foreign nextLink...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No token could be obtained, or the token may not be sent to that URL.
    #[error("authentication: {0}")]
    Auth(#[from] AuthError),
    /// The client-wide throttle gate is closed for longer than this request's retry policy
    /// would wait, or, while pacing after a `429` ([`crate::retry::Pacing`]), this request's
    /// turn comes later than that (see [`crate::retry::RetryPolicy::longest_wait`]): the
    /// request was not sent.
    /// [`Error::is_throttled`] recognises this and an exhausted `429` alike.
    #[error("throttled: the service asked to wait {retry_after:?}, longer than the retry policy allows{}", request_id_suffix(None, client_request_id.as_deref()))]
    Throttled {
        /// How long the service still wants the client to wait.
        retry_after: Duration,
        /// The `client-request-id` this call would have sent.
        client_request_id: Option<String>,
    },
    /// The response body is larger than [`crate::ClientBuilder::max_response_body_bytes`]
    /// (default [`crate::DEFAULT_MAX_RESPONSE_BODY_BYTES`]). Reading stopped at the limit, or
    /// before reading when the declared `Content-Length` was already over it.
    #[error("response body exceeds the limit of {limit} bytes (max_response_body_bytes){}{}", declared.map(|d| format!("; Content-Length is {d}")).unwrap_or_default(), request_id_suffix(None, client_request_id.as_deref()))]
    ResponseTooLarge {
        /// The HTTP status of the response.
        status: StatusCode,
        /// The limit in bytes.
        limit: u64,
        /// The `Content-Length` the server declared, if any.
        declared: Option<u64>,
        /// The `client-request-id` this call sent.
        client_request_id: Option<String>,
    },
    /// A page's `@odata.nextLink` is one this stream has already followed: following it would
    /// loop forever.
    #[error("@odata.nextLink of page {page} repeats a link this listing already followed; not following it")]
    NextLinkLoop {
        /// The 1-based number of the page that carried the repeated link.
        page: u64,
    },
    /// An entity was turned into its handle (`sessions().handle(&session)`) but lacks its key
    /// property (absent, for example because `$select` left it out).
    #[error("the {entity_type} has no `{key}`, so it cannot name a resource")]
    MissingKey {
        /// The entity type's name (`session`).
        entity_type: &'static str,
        /// The key property (`id`).
        key: &'static str,
    },
    /// A listing reached its page limit ([`crate::ClientBuilder::max_pages`] or
    /// [`crate::request::ListRequest::max_pages`]) and still had a next page.
    #[error("the listing has more than {limit} pages (max_pages); stopped")]
    PageLimit {
        /// The limit.
        limit: u64,
    },
}

/// What replaces a bearer token this client sent wherever a server echoes it in an error
/// (tokens of at least [`MIN_REDACTED_LEN`] characters; the four most recent distinct ones).
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not redacted: they cannot be told apart from ordinary text
/// (replacing a one-letter "token" would garble every message), and no real Graph token is
/// that short (they are JWTs of a thousand characters or more).
pub const MIN_REDACTED_LEN: usize = 8;

/// The secrets worth redacting.
fn redactable(secrets: &[String]) -> impl Iterator<Item = &String> {
    secrets.iter().filter(|s| s.len() >= MIN_REDACTED_LEN)
}

/// Replaces every occurrence of each secret in `text` by [`REDACTED`].
pub(crate) fn redact_str(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in redactable(secrets) {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

/// [`redact_str`] for bytes that need not be UTF-8.
pub(crate) fn redact_bytes(bytes: &bytes::Bytes, secrets: &[String]) -> bytes::Bytes {
    let mut out: Option<Vec<u8>> = None;
    for secret in redactable(secrets) {
        let current: &[u8] = out.as_deref().unwrap_or(bytes);
        let finder = memchr::memmem::Finder::new(secret.as_bytes());
        if finder.find(current).is_none() {
            continue;
        }
        let mut next = Vec::with_capacity(current.len());
        let mut start = 0;
        for hit in finder.find_iter(current) {
            next.extend_from_slice(&current[start..hit]);
            next.extend_from_slice(REDACTED.as_bytes());
            start = hit + secret.len();
        }
        next.extend_from_slice(&current[start..]);
        out = Some(next);
    }
    match out {
        Some(redacted) => bytes::Bytes::from(redacted),
        None => bytes.clone(),
    }
}

fn request_id_suffix(request_id: Option<&str>, client_request_id: Option<&str>) -> String {
    match (request_id, client_request_id) {
        (Some(r), Some(c)) => format!(" (request-id {r}, client-request-id {c})"),
        (Some(r), None) => format!(" (request-id {r})"),
        (None, Some(c)) => format!(" (client-request-id {c})"),
        (None, None) => String::new(),
    }
}

impl Error {
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::ResponseTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's `request-id`, when it answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The `client-request-id` this call sent.
    pub fn client_request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.client_request_id.as_deref(),
            Error::Decode(e) => e.client_request_id.as_deref(),
            Error::Transport {
                client_request_id, ..
            }
            | Error::Timeout {
                client_request_id, ..
            }
            | Error::Throttled {
                client_request_id, ..
            }
            | Error::ResponseTooLarge {
                client_request_id, ..
            } => client_request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the service throttled this call: a `429` the retry policy could not (or was not
    /// allowed to) wait out, or a request refused before sending because the client-wide
    /// throttle gate is closed for longer than the policy would wait ([`Error::Throttled`]).
    /// [`Error::retry_after`] tells how long the service asked to wait.
    pub fn is_throttled(&self) -> bool {
        match self {
            Error::Throttled { .. } => true,
            Error::Api(e) => e.status == StatusCode::TOO_MANY_REQUESTS,
            _ => false,
        }
    }

    /// Whether the service answered `404 Not Found`.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the call timed out ([`Error::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// How long the service asked the client to wait (`Retry-After`, or what is left of the
    /// client-wide throttle), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Throttled { retry_after, .. } => Some(*retry_after),
            Error::Api(e) => e.retry_after,
            _ => None,
        }
    }

    /// The Graph error code (`itemNotFound`, `activityLimitReached`...), for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.code.as_deref(),
            _ => None,
        }
    }
}

/// A non-success response from the service.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Graph `error.code`.
    pub code: Option<String>,
    /// Graph `error.message`.
    pub message: Option<String>,
    /// The service's request id (`request-id` header, else `innerError.request-id`).
    pub request_id: Option<String>,
    /// The `client-request-id` (header, else `innerError.client-request-id`, else what we sent).
    pub client_request_id: Option<String>,
    /// `innerError.date`, or the `Date` header.
    pub date: Option<String>,
    /// The `Retry-After` the service asked for.
    pub retry_after: Option<Duration>,
    /// How many attempts the call made (retries included).
    pub attempts: u32,
    /// The decoded body, when it was a Graph error body.
    pub body: Option<ODataError>,
    /// The raw body, always kept (any bearer token this client sent is replaced by
    /// [`REDACTED`], here and in every other field).
    pub raw_body: String,
}

impl ApiError {
    /// The chain of inner error codes, outermost first (`throttledRequest`, `quota`).
    pub fn inner_codes(&self) -> Vec<&str> {
        let mut codes = Vec::new();
        let mut current = self
            .body
            .as_ref()
            .and_then(|b| b.error.inner_error.as_ref());
        while let Some(inner) = current {
            if let Some(code) = &inner.code {
                codes.push(code.as_str());
            }
            current = inner.inner_error.as_deref();
        }
        codes
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph API error {}", self.status.as_u16())?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        } else if !self.raw_body.is_empty() {
            write!(f, ": {}", preview(self.raw_body.as_bytes()))?;
        }
        f.write_str(&request_id_suffix(
            self.request_id.as_deref(),
            self.client_request_id.as_deref(),
        ))?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A response that does not decode as the operation's documented shape.
#[derive(Clone, Debug)]
pub struct DecodeError {
    /// HTTP status.
    pub status: StatusCode,
    /// The service's request id.
    pub request_id: Option<String>,
    /// The `client-request-id` sent.
    pub client_request_id: Option<String>,
    /// What the decoder said.
    pub message: String,
    /// The body as received, except that any bearer token this client sent is replaced by
    /// [`REDACTED`].
    pub body: bytes::Bytes,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode {} response{}: {}; body starts: {}",
            self.status.as_u16(),
            request_id_suffix(
                self.request_id.as_deref(),
                self.client_request_id.as_deref()
            ),
            self.message,
            preview(&self.body)
        )
    }
}

impl std::error::Error for DecodeError {}

fn preview(body: &[u8]) -> String {
    let cut = body.len().min(BODY_PREVIEW);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > cut {
        text.push('…');
    }
    format!("{text:?}")
}

/// The Graph error body: `{"error": {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ODataError {
    /// The error.
    pub error: MainError,
    /// Members this crate does not know; kept.
    #[serde(flatten)]
    pub additional_properties: Map<String, Value>,
}

/// The `error` object of a Graph error body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MainError {
    /// Machine-readable code, e.g. `itemNotFound`.
    #[serde(default)]
    pub code: String,
    /// Developer-facing message.
    #[serde(default)]
    pub message: String,
    /// The target of the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<ErrorDetail>>,
    /// The inner error (Graph writes `innerError`; OData's spelling `innererror` is read too).
    #[serde(
        rename = "innerError",
        alias = "innererror",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<InnerError>,
    /// Members this crate does not know; kept.
    #[serde(flatten)]
    pub additional_properties: Map<String, Value>,
}

/// One entry of `error.details`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ErrorDetail {
    /// Code.
    #[serde(default)]
    pub code: String,
    /// Message.
    #[serde(default)]
    pub message: String,
    /// Target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Members this crate does not know; kept.
    #[serde(flatten)]
    pub additional_properties: Map<String, Value>,
}

/// `error.innerError`: request ids, date, and possibly a more specific code and a nested error.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct InnerError {
    /// A more specific code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The service's request id.
    #[serde(
        rename = "request-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_id: Option<String>,
    /// The client's request id.
    #[serde(
        rename = "client-request-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_request_id: Option<String>,
    /// When the error happened, as the service wrote it (not always with a time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// A nested inner error.
    #[serde(
        rename = "innerError",
        alias = "innererror",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<Box<InnerError>>,
    /// Members this crate does not know; kept.
    #[serde(flatten)]
    pub additional_properties: Map<String, Value>,
}

impl InnerError {
    /// `date` as UTC: RFC 3339, or Graph's zone-less form (`2021-11-30T12:17:46`, which is UTC).
    pub fn date_time(&self) -> Option<DateTime<Utc>> {
        let text = self.date.as_deref()?;
        crate::codec::parse_datetime(text).ok().or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Vec<String> {
        vec!["eyJ0eXAiOiJKV1Qi.secret".to_string(), "short".to_string()]
    }

    #[test]
    fn every_occurrence_is_redacted_in_text_and_bytes() {
        let text = "Bearer eyJ0eXAiOiJKV1Qi.secret and again eyJ0eXAiOiJKV1Qi.secret";
        let expected = "Bearer [REDACTED] and again [REDACTED]";
        assert_eq!(redact_str(text, &secrets()), expected);
        let bytes = bytes::Bytes::from(text.as_bytes().to_vec());
        assert_eq!(&redact_bytes(&bytes, &secrets())[..], expected.as_bytes());
        // Bodies need not be UTF-8.
        let raw =
            bytes::Bytes::from([&b"\xff\xfe"[..], b"eyJ0eXAiOiJKV1Qi.secret", b"\xff"].concat());
        assert_eq!(
            &redact_bytes(&raw, &secrets())[..],
            b"\xff\xfe[REDACTED]\xff"
        );
    }

    #[test]
    fn short_secrets_and_clean_text_are_left_alone() {
        // A "token" shorter than MIN_REDACTED_LEN cannot be told apart from ordinary words.
        assert_eq!(redact_str("a short message", &secrets()), "a short message");
        let clean = bytes::Bytes::from_static(b"nothing to hide");
        assert_eq!(redact_bytes(&clean, &secrets()), clean);
    }
}
