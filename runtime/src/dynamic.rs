//! Operations by name: the row type of the operation table a generated crate exports
//! (`#[doc(hidden)]`), and sending any row through the client's transport.
//!
//! Tools that follow the spec without hand edits (the `gsc api` command) read the table and
//! call [`send`] or [`pages`]; the typed handles stay the documented API. Requests sent this way
//! go through the same transport as every other call (auth, retries, throttling, body limit,
//! redaction, tracing), and query options the operation does not allow are refused before
//! sending, as with the handles.

use futures::stream::BoxStream;
use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::paging::{self, Page};
use crate::query::{Query, QueryOption};
use crate::response::Response;
use crate::transport::Transport;
use crate::Error;

/// What an operation answers on success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseKind {
    /// One entity.
    Entity,
    /// A page of entities (`value`, `@odata.nextLink`, `@odata.count`).
    Collection,
    /// A `text/plain` integer (`/$count`).
    Count,
    /// No content.
    Empty,
}

/// One operation of the spec, as the generator derived it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The operation id, also the generated method's name (`list_workspace_sessions`).
    pub id: &'static str,
    /// The HTTP method (`GET`, `POST`, `PATCH`, `PUT`, `DELETE`).
    pub method: &'static str,
    /// The path template below the base URL (`/security/.../workspaces/{workspace-id}/sessions`).
    pub path: &'static str,
    /// The path parameters in path order (`workspace-id`, `session-id`).
    pub path_parameters: &'static [&'static str],
    /// The OData query options the operation allows, in [`QueryOption::ALL`] order.
    pub query_options: &'static [QueryOption],
    /// The entity type it is about (qualified: `microsoft.graph.security.securityCopilot.session`).
    pub entity_type: &'static str,
    /// The request body's type (qualified), when the operation takes one.
    pub request_body: Option<&'static str>,
    /// What it answers.
    pub response: ResponseKind,
    /// The documented success status.
    pub success_status: u16,
    /// One-line summary.
    pub summary: &'static str,
}

impl Operation {
    /// The request URL: `base` + the path with each parameter percent-encoded as one segment,
    /// and the query options set in `query` (refused if the operation does not allow one).
    pub fn url(&self, base: &Url, path_values: &[&str], query: &Query) -> Result<Url, Error> {
        if path_values.len() != self.path_parameters.len() {
            return Err(Error::InvalidRequest(format!(
                "{} takes {} path parameters ({}), got {}",
                self.id,
                self.path_parameters.len(),
                self.path_parameters.join(", "),
                path_values.len()
            )));
        }
        query.check(self.id, self.query_options)?;
        let mut path = self.path.to_string();
        for (name, value) in self.path_parameters.iter().zip(path_values) {
            crate::request::check_id(name, value)?;
            path = path.replace(
                &format!("{{{name}}}"),
                &crate::codec::encode_path_segment(value),
            );
        }
        let mut url = Url::parse(&format!("{}{path}", base.as_str().trim_end_matches('/')))
            .map_err(|e| Error::InvalidRequest(format!("{}: invalid URL: {e}", self.id)))?;
        let pairs = query.pairs();
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        Ok(url)
    }

    /// The HTTP method as a [`Method`].
    pub fn http_method(&self) -> Result<Method, Error> {
        Method::from_bytes(self.method.as_bytes())
            .map_err(|e| Error::InvalidRequest(format!("{}: method {}: {e}", self.id, self.method)))
    }
}

/// Sends `operation` once (the first page only, for a list) and returns the response body as
/// JSON (`null` for no content) with the response's metadata (status, request ids). `body`
/// is required exactly when the operation takes one.
pub async fn send(
    transport: &Transport,
    operation: &'static Operation,
    path_values: &[&str],
    query: &Query,
    body: Option<&Value>,
) -> Result<Response<Value>, Error> {
    match (operation.request_body, body) {
        (Some(_), None) => {
            return Err(Error::InvalidRequest(format!(
                "{} needs a request body",
                operation.id
            )))
        }
        (None, Some(_)) => {
            return Err(Error::InvalidRequest(format!(
                "{} takes no request body",
                operation.id
            )))
        }
        _ => {}
    }
    let url = operation.url(transport.base_url(), path_values, query)?;
    transport
        .send_json(operation.id, operation.http_method()?, url, body)
        .await
}

/// Every page of a list operation, lazily, following `@odata.nextLink` with the same limits as
/// the typed listings (the client's `max_pages`, loop detection).
pub fn pages(
    transport: &Transport,
    operation: &'static Operation,
    path_values: &[&str],
    query: &Query,
) -> BoxStream<'static, Result<Page<Value>, Error>> {
    let first_transport = transport.clone();
    let url = operation.url(transport.base_url(), path_values, query);
    let first = Box::pin(async move {
        if operation.response != ResponseKind::Collection {
            return Err(Error::InvalidRequest(format!(
                "{} does not return a collection",
                operation.id
            )));
        }
        // A list is a GET; the first page decodes like every next one.
        first_transport
            .get_json::<Page<Value>>(operation.id, url?.as_str())
            .await
            .map(Page::from_response)
    });
    paging::pages(
        transport.clone(),
        operation.id,
        first,
        transport.max_pages(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::FieldList;

    static OP: Operation = Operation {
        id: "list_things",
        method: "GET",
        path: "/a/{a-id}/things",
        path_parameters: &["a-id"],
        query_options: &[QueryOption::Top, QueryOption::Select],
        entity_type: "ns.thing",
        request_body: None,
        response: ResponseKind::Collection,
        success_status: 200,
        summary: "List things.",
    };

    #[test]
    fn urls_encode_parameters_and_check_options() {
        let base = Url::parse("https://example.test/beta").unwrap();
        let query = Query {
            top: Some(2),
            select: Some(FieldList::from(["id", "name"])),
            ..Query::default()
        };
        let url = OP.url(&base, &["x/y z"], &query).unwrap();
        assert_eq!(
            url.as_str(),
            "https://example.test/beta/a/x%2Fy%20z/things?%24top=2&%24select=id%2Cname"
        );
        let bad = Query {
            count: Some(true),
            ..Query::default()
        };
        assert!(OP.url(&base, &["x"], &bad).is_err());
        assert!(OP.url(&base, &[], &Query::default()).is_err());
        assert!(OP.url(&base, &[".."], &Query::default()).is_err());
    }
}
