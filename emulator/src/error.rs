//! Errors in Microsoft Graph's body format.
//!
//! ```json
//! {
//!   "error": {
//!     "code": "itemNotFound",
//!     "message": "...",
//!     "innerError": {
//!       "date": "2025-10-22T20:12:57",
//!       "request-id": "…",
//!       "client-request-id": "…"
//!     }
//!   }
//! }
//! ```

use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

use crate::odata::ODataError;

/// An error response the emulator sends: status, Graph `code`, message, and extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error.code`.
    pub code: &'static str,
    /// `error.message`.
    pub message: String,
    /// `error.innerError.code`, when there is a more specific code (`throttledRequest`).
    pub inner_code: Option<&'static str>,
    /// `error.target`, e.g. the offending property.
    pub target: Option<String>,
    /// Extra response headers (`Retry-After`, `Allow`, `WWW-Authenticate`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl GraphError {
    /// An error with no inner code, target or extra headers.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
            inner_code: None,
            target: None,
            headers: Vec::new(),
        }
    }

    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 400 `BadRequest` about one property of the body.
    pub fn invalid_property(property: &str, message: impl Into<String>) -> Self {
        let mut error = Self::bad_request(message);
        error.target = Some(property.to_string());
        error
    }

    /// 404 `itemNotFound` for a key that does not exist.
    pub fn item_not_found(type_name: &str, key_property: &str, key: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            format!("The {type_name} with {key_property} '{key}' was not found."),
        )
    }

    /// 404 for a path the API does not have.
    pub fn resource_not_found(segment: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Sets `innerError.code`.
    pub fn with_inner_code(mut self, code: &'static str) -> Self {
        self.inner_code = Some(code);
        self
    }

    /// The JSON body, with the request ids and the date in `innerError`.
    pub fn body(&self, request_id: &str, client_request_id: &str, date: &str) -> Value {
        let mut inner = Map::new();
        if let Some(code) = &self.inner_code {
            inner.insert("code".into(), json!(code));
        }
        inner.insert("date".into(), json!(date));
        inner.insert("request-id".into(), json!(request_id));
        inner.insert("client-request-id".into(), json!(client_request_id));
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        if let Some(target) = &self.target {
            error.insert("target".into(), json!(target));
        }
        error.insert("innerError".into(), Value::Object(inner));
        json!({ "error": error })
    }
}

impl From<ODataError> for GraphError {
    fn from(error: ODataError) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error.code(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_graph_shape() {
        let error = GraphError::item_not_found("session", "id", "x").with_inner_code("inner");
        let body = error.body("r", "c", "2025-01-01T00:00:00");
        assert_eq!(
            body,
            json!({"error": {
                "code": "itemNotFound",
                "message": "The session with id 'x' was not found.",
                "innerError": {"code": "inner", "date": "2025-01-01T00:00:00", "request-id": "r", "client-request-id": "c"}
            }})
        );
    }
}
