//! What a successful call returns besides its value: the status and the ids that tie it to the
//! service's logs (`request-id`) and to this client's (`client-request-id`).

use reqwest::StatusCode;

/// The status and ids of a successful response, for logs and support cases.
///
/// Every request builder's `send_with_metadata()` returns it beside the value, and every
/// [`Page`](crate::Page) of a listing carries its own ([`Page::metadata`](crate::Page::metadata)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMetadata {
    /// The HTTP status (`200`, `201`, `204`).
    pub status: StatusCode,
    /// The service's `request-id` header, when it sent one.
    pub request_id: Option<String>,
    /// The `client-request-id` this call sent (the same across its retries).
    pub client_request_id: String,
    /// How many attempts the call made (1 when it succeeded at once).
    pub attempts: u32,
}

impl ResponseMetadata {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The service's `request-id`, when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The `client-request-id` this call sent.
    pub fn client_request_id(&self) -> &str {
        &self.client_request_id
    }

    /// How many attempts the call made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// A successful response: the decoded value and its [`ResponseMetadata`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded body.
    pub value: T,
    /// Status and ids.
    pub metadata: ResponseMetadata,
}

impl<T> Response<T> {
    /// A response from its parts.
    pub fn new(value: T, metadata: ResponseMetadata) -> Self {
        Response { value, metadata }
    }

    /// The decoded body.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Status and ids.
    pub fn metadata(&self) -> &ResponseMetadata {
        &self.metadata
    }

    /// The decoded body, dropping the metadata.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The value mapped, metadata kept.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            value: f(self.value),
            metadata: self.metadata,
        }
    }
}
