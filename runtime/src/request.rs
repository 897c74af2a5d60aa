//! Fluent request builders returned by the resource handles: set options, then `.send().await`
//! (or `.await` directly). Lists are also `Stream`s of items that follow `@odata.nextLink`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream};

use crate::paging::{self, Page};
use crate::query::{FieldList, IntoFilter, Query, QueryOption};
use crate::transport::Transport;
use crate::Error;

/// How a builder runs its operation with the query options set: the generated handle supplies
/// it (capturing its client).
pub type Exec<R> = Arc<dyn Fn(Query) -> BoxFuture<'static, Result<R, Error>> + Send + Sync>;

/// Rejects ids that cannot name a resource: empty, `.` or `..` (which URLs resolve away), or
/// containing control characters. Other characters (`/ ? # %` included) are percent-encoded into
/// one path segment.
pub fn check_id(parameter: &str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::InvalidRequest(format!("{parameter} is empty")));
    }
    if id == "." || id == ".." {
        return Err(Error::InvalidRequest(format!(
            "{parameter} {id:?} cannot be sent as a URL path segment"
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::InvalidRequest(format!(
            "{parameter} contains control characters"
        )));
    }
    Ok(())
}

macro_rules! query_setters {
    ($($(#[$doc:meta])* $name:ident($field:ident: $ty:ty) => $convert:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $field: $ty) -> Self {
                let f: fn($ty) -> _ = $convert;
                self.query.$name = Some(f($field));
                self
            }
        )*
    };
}

/// A list operation: set query options, then iterate items (`Stream`), pages, or one page.
pub struct ListRequest<T> {
    transport: Transport,
    operation: &'static str,
    allowed: &'static [QueryOption],
    query: Query,
    exec: Exec<Page<T>>,
    started: Option<BoxStream<'static, Result<T, Error>>>,
    max_pages: Option<u64>,
}

impl<T> std::fmt::Debug for ListRequest<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRequest")
            .field("operation", &self.operation)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl<T> ListRequest<T>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    /// Made by generated handles.
    #[doc(hidden)]
    pub fn new(
        transport: Transport,
        operation: &'static str,
        allowed: &'static [QueryOption],
        exec: Exec<Page<T>>,
    ) -> Self {
        ListRequest {
            transport,
            operation,
            allowed,
            query: Query::default(),
            exec,
            started: None,
            max_pages: None,
        }
    }

    /// Follow at most this many pages (this listing only; the client's
    /// [`crate::ClientBuilder::max_pages`] otherwise). A listing with more ends with
    /// [`Error::PageLimit`] after yielding `limit` pages.
    pub fn max_pages(mut self, limit: u64) -> Self {
        self.max_pages = Some(limit);
        self
    }

    fn page_limit(&self) -> Option<u64> {
        self.max_pages.or_else(|| self.transport.max_pages())
    }

    query_setters! {
        /// `$top`: at most this many items in total (the service may still page them).
        top(n: u64) => |n| n;
        /// `$skip`: skip this many items.
        skip(n: u64) => |n| n;
        /// `$count=true`: ask for the total count (see [`Page::count`]).
        count(include: bool) => |b| b;
    }

    /// `$filter`: a typed [`crate::filter::Filter`] (escapes literals) or a raw string.
    pub fn filter(mut self, filter: impl IntoFilter) -> Self {
        self.query.filter = Some(filter.into_filter());
        self
    }

    /// `$search`.
    pub fn search(mut self, search: impl Into<String>) -> Self {
        self.query.search = Some(search.into());
        self
    }

    /// `$select`: only these properties, in this order (`["id", "displayName"]`).
    pub fn select(mut self, fields: impl Into<FieldList>) -> Self {
        self.query.select = Some(fields.into());
        self
    }

    /// `$orderby`: e.g. `["createdDateTime desc", "displayName"]`.
    pub fn orderby(mut self, fields: impl Into<FieldList>) -> Self {
        self.query.orderby = Some(fields.into());
        self
    }

    /// `$expand`.
    pub fn expand(mut self, fields: impl Into<FieldList>) -> Self {
        self.query.expand = Some(fields.into());
        self
    }

    /// The options set so far.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The operation's query options, as the spec allows them.
    pub fn supported_options(&self) -> &'static [QueryOption] {
        self.allowed
    }

    fn first_page(&self) -> BoxFuture<'static, Result<Page<T>, Error>> {
        if let Err(error) = self.query.check(self.operation, self.allowed) {
            return Box::pin(async move { Err(error) });
        }
        (self.exec)(self.query.clone())
    }

    /// Fetches the first page only.
    pub async fn page(self) -> Result<Page<T>, Error> {
        self.first_page().await
    }

    /// All pages, lazily: the next page is fetched only when asked for.
    pub fn pages(self) -> BoxStream<'static, Result<Page<T>, Error>> {
        let first = self.first_page();
        let limit = self.page_limit();
        paging::pages(self.transport, self.operation, first, limit)
    }

    /// All items across pages, lazily (the same as polling the request as a `Stream`).
    pub fn items(self) -> BoxStream<'static, Result<T, Error>> {
        paging::items(self.pages())
    }
}

impl<T> Stream for ListRequest<T>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.started.is_none() {
            let first = this.first_page();
            let limit = this.page_limit();
            this.started = Some(paging::items(paging::pages(
                this.transport.clone(),
                this.operation,
                first,
                limit,
            )));
        }
        match this.started.as_mut() {
            Some(stream) => stream.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

/// Reading one entity: `$select` / `$expand` as the spec allows.
pub struct GetRequest<T> {
    operation: &'static str,
    allowed: &'static [QueryOption],
    query: Query,
    exec: Exec<T>,
}

impl<T: Send + 'static> GetRequest<T> {
    /// Made by generated handles.
    #[doc(hidden)]
    pub fn new(operation: &'static str, allowed: &'static [QueryOption], exec: Exec<T>) -> Self {
        GetRequest {
            operation,
            allowed,
            query: Query::default(),
            exec,
        }
    }

    /// `$select`: only these properties.
    pub fn select(mut self, fields: impl Into<FieldList>) -> Self {
        self.query.select = Some(fields.into());
        self
    }

    /// `$expand`.
    pub fn expand(mut self, fields: impl Into<FieldList>) -> Self {
        self.query.expand = Some(fields.into());
        self
    }

    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<T, Error>> {
        if let Err(error) = self.query.check(self.operation, self.allowed) {
            return Box::pin(async move { Err(error) });
        }
        (self.exec)(self.query)
    }
}

impl<T: Send + 'static> IntoFuture for GetRequest<T> {
    type Output = Result<T, Error>;
    type IntoFuture = BoxFuture<'static, Result<T, Error>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// A request with a body and no query options (create, update), or neither (delete).
pub struct SendRequest<R> {
    exec: Exec<R>,
}

impl<R: Send + 'static> SendRequest<R> {
    /// Made by generated handles.
    #[doc(hidden)]
    pub fn new(exec: Exec<R>) -> Self {
        SendRequest { exec }
    }

    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<R, Error>> {
        (self.exec)(Query::default())
    }
}

impl<R: Send + 'static> IntoFuture for SendRequest<R> {
    type Output = Result<R, Error>;
    type IntoFuture = BoxFuture<'static, Result<R, Error>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// `GET .../$count`: the number of items, optionally filtered.
pub struct CountRequest {
    operation: &'static str,
    allowed: &'static [QueryOption],
    query: Query,
    exec: Exec<u64>,
}

impl CountRequest {
    /// Made by generated handles.
    #[doc(hidden)]
    pub fn new(operation: &'static str, allowed: &'static [QueryOption], exec: Exec<u64>) -> Self {
        CountRequest {
            operation,
            allowed,
            query: Query::default(),
            exec,
        }
    }

    /// `$filter`.
    pub fn filter(mut self, filter: impl IntoFilter) -> Self {
        self.query.filter = Some(filter.into_filter());
        self
    }

    /// `$search`.
    pub fn search(mut self, search: impl Into<String>) -> Self {
        self.query.search = Some(search.into());
        self
    }

    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<u64, Error>> {
        if let Err(error) = self.query.check(self.operation, self.allowed) {
            return Box::pin(async move { Err(error) });
        }
        (self.exec)(self.query)
    }
}

impl IntoFuture for CountRequest {
    type Output = Result<u64, Error>;
    type IntoFuture = BoxFuture<'static, Result<u64, Error>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// Reads a `text/plain` count body.
pub async fn read_count(body: progenitor_client::ByteStream) -> Result<u64, Error> {
    use futures::TryStreamExt;
    let chunks: Vec<bytes::Bytes> =
        body.into_inner()
            .try_collect()
            .await
            .map_err(|e| Error::Transport {
                source: e,
                client_request_id: None,
            })?;
    let text: String = chunks
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    text.trim()
        .parse()
        .map_err(|_| Error::InvalidRequest(format!("count response is not a number: {text:?}")))
}

/// Boxes an async block as an [`Exec`] result (used by generated handles).
pub fn boxed<R, F>(future: F) -> BoxFuture<'static, Result<R, Error>>
where
    F: Future<Output = Result<R, Error>> + Send + 'static,
{
    Box::pin(future)
}
