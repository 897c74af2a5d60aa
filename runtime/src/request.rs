//! Fluent request builders returned by the resource handles: set options, then `.send().await`
//! (or `.await` directly). Lists are also `Stream`s of items that follow `@odata.nextLink`.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream};

use crate::paging::{self, Page};
use crate::query::{supports, FieldList, IntoFilter, OperationOptions, Query, QueryOption};
use crate::response::Response;
use crate::transport::Transport;
use crate::Error;

/// How a builder runs its operation with the query options set: the generated handle supplies
/// it (capturing its client).
#[doc(hidden)]
pub type Exec<R> =
    Arc<dyn Fn(Query) -> BoxFuture<'static, Result<Response<R>, Error>> + Send + Sync>;

/// Rejects ids that cannot name a resource: empty, `.` or `..` (which URLs resolve away), or
/// containing control characters. Other characters (`/ ? # %` included) are percent-encoded into
/// one path segment.
#[doc(hidden)]
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

/// The setters every builder with a `$filter`/`$select`/... shares; each exists only where
/// the operation's options type `O` supports that option.
macro_rules! shared_setters {
    ($generics:tt $request:ty: ) => {};
    ($generics:tt $request:ty: $first:ident $($rest:ident)*) => {
        shared_setters!(@one $generics $request, $first);
        shared_setters!($generics $request: $($rest)*);
    };
    (@one [$($param:ident),*] $request:ty, Top) => {
        impl<$($param),*> $request
        where
            O: supports::Top,
        {
            /// `$top`: at most this many items in total (the service may still page them).
            pub fn top(mut self, n: u64) -> Self {
                self.query.top = Some(n);
                self
            }
        }
    };
    (@one [$($param:ident),*] $request:ty, Skip) => {
        impl<$($param),*> $request
        where
            O: supports::Skip,
        {
            /// `$skip`: skip this many items.
            pub fn skip(mut self, n: u64) -> Self {
                self.query.skip = Some(n);
                self
            }
        }
    };
    (@one [$($param:ident),*] $request:ty, Count) => {
        impl<$($param),*> $request
        where
            O: supports::Count,
        {
            /// `$count=true`: ask for the total count (see [`Page::count`]).
            pub fn count(mut self, include: bool) -> Self {
                self.query.count = Some(include);
                self
            }
        }
    };
    (@one [$($param:ident),*] $request:ty, Filter) => {
        impl<$($param),*> $request
        where
            O: supports::Filter,
        {
            /// `$filter`: a typed [`crate::filter::Filter`] (escapes literals) or a raw string.
            pub fn filter(mut self, filter: impl IntoFilter) -> Self {
                self.query.filter = Some(filter.into_filter());
                self
            }
        }
    };
    (@one [$($param:ident),*] $request:ty, Search) => {
        impl<$($param),*> $request
        where
            O: supports::Search,
        {
            /// `$search`.
            pub fn search(mut self, search: impl Into<String>) -> Self {
                self.query.search = Some(search.into());
                self
            }
        }
    };
    (@one [$($param:ident),*] $request:ty, Select) => {
        impl<$($param),*> $request
        where
            O: supports::Select,
        {
            /// `$select`: only these properties, in this order (`["id", "displayName"]`).
            pub fn select(mut self, fields: impl Into<FieldList>) -> Self {
                self.query.select = Some(fields.into());
                self
            }
        }
    };
    (@one [$($param:ident),*] $request:ty, OrderBy) => {
        impl<$($param),*> $request
        where
            O: supports::OrderBy,
        {
            /// `$orderby`: e.g. `["createdDateTime desc", "displayName"]`.
            pub fn orderby(mut self, fields: impl Into<FieldList>) -> Self {
                self.query.orderby = Some(fields.into());
                self
            }
        }
    };
    (@one [$($param:ident),*] $request:ty, Expand) => {
        impl<$($param),*> $request
        where
            O: supports::Expand,
        {
            /// `$expand`.
            pub fn expand(mut self, fields: impl Into<FieldList>) -> Self {
                self.query.expand = Some(fields.into());
                self
            }
        }
    };
}

/// Runs `exec` with `query` once the run-time check of the operation's options passed.
fn checked<O: OperationOptions, R: Send + 'static>(
    query: Query,
    exec: &Exec<R>,
) -> BoxFuture<'static, Result<Response<R>, Error>> {
    if let Err(error) = query.check(O::OPERATION, O::ALLOWED) {
        return Box::pin(async move { Err(error) });
    }
    exec(query)
}

/// A list operation: set query options, then iterate items (`Stream`), pages, or one page.
///
/// `O` is the operation's options type: the query-option setters (`top`, `filter`,
/// `select`...) exist only for the options the spec allows for this operation.
pub struct ListRequest<T, O> {
    transport: Transport,
    query: Query,
    exec: Exec<Page<T>>,
    started: Option<BoxStream<'static, Result<T, Error>>>,
    max_pages: Option<u64>,
    options: PhantomData<fn() -> O>,
}

impl<T, O: OperationOptions> std::fmt::Debug for ListRequest<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRequest")
            .field("operation", &O::OPERATION)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl<T, O> ListRequest<T, O>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    O: OperationOptions,
{
    /// Made by generated handles.
    #[doc(hidden)]
    pub fn new(transport: Transport, exec: Exec<Page<T>>) -> Self {
        ListRequest {
            transport,
            query: Query::default(),
            exec,
            started: None,
            max_pages: None,
            options: PhantomData,
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

    /// The options set so far.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Replaces every query option at once, for tools that read an operation's options from
    /// its generated operation table (`gsc`); checked against the operation's options before
    /// sending, like the setters' would be.
    #[doc(hidden)]
    pub fn with_query(mut self, query: Query) -> Self {
        self.query = query;
        self
    }

    /// The operation's query options, as the spec allows them.
    pub fn supported_options(&self) -> &'static [QueryOption] {
        O::ALLOWED
    }

    fn first_page(&self) -> BoxFuture<'static, Result<Page<T>, Error>> {
        let first = checked::<O, _>(self.query.clone(), &self.exec);
        Box::pin(async move { first.await.map(Page::from_response) })
    }

    /// Fetches the first page only (its [`Page::metadata`] has the status and request ids).
    pub async fn page(self) -> Result<Page<T>, Error> {
        self.first_page().await
    }

    /// All pages, lazily: the next page is fetched only when asked for.
    pub fn pages(self) -> BoxStream<'static, Result<Page<T>, Error>> {
        let first = self.first_page();
        let limit = self.page_limit();
        paging::pages(self.transport, O::OPERATION, first, limit)
    }

    /// All items across pages, lazily (the same as polling the request as a `Stream`).
    pub fn items(self) -> BoxStream<'static, Result<T, Error>> {
        paging::items(self.pages())
    }
}

shared_setters!([T, O] ListRequest<T, O>: Top Skip Count Filter Search Select OrderBy Expand);

impl<T, O> Stream for ListRequest<T, O>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    O: OperationOptions,
{
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.started.is_none() {
            let first = this.first_page();
            let limit = this.page_limit();
            this.started = Some(paging::items(paging::pages(
                this.transport.clone(),
                O::OPERATION,
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

/// Reading one entity: `$select` / `$expand` where the spec allows them.
pub struct GetRequest<T, O> {
    query: Query,
    exec: Exec<T>,
    options: PhantomData<fn() -> O>,
}

impl<T: Send + 'static, O: OperationOptions> GetRequest<T, O> {
    /// Made by generated handles.
    #[doc(hidden)]
    pub fn new(exec: Exec<T>) -> Self {
        GetRequest {
            query: Query::default(),
            exec,
            options: PhantomData,
        }
    }

    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<T, Error>> {
        let sent = self.send_with_metadata();
        Box::pin(async move { sent.await.map(Response::into_value) })
    }

    /// Sends the request; the value comes with its status and request ids.
    pub fn send_with_metadata(self) -> BoxFuture<'static, Result<Response<T>, Error>> {
        checked::<O, _>(self.query, &self.exec)
    }

    /// Replaces every query option at once (see [`ListRequest::with_query`]); checked before
    /// sending.
    #[doc(hidden)]
    pub fn with_query(mut self, query: Query) -> Self {
        self.query = query;
        self
    }
}

shared_setters!([T, O] GetRequest<T, O>: Select Expand);

impl<T: Send + 'static, O: OperationOptions> IntoFuture for GetRequest<T, O> {
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
        let sent = self.send_with_metadata();
        Box::pin(async move { sent.await.map(Response::into_value) })
    }

    /// Sends the request; the value comes with its status and request ids.
    pub fn send_with_metadata(self) -> BoxFuture<'static, Result<Response<R>, Error>> {
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
pub struct CountRequest<O> {
    query: Query,
    exec: Exec<u64>,
    options: PhantomData<fn() -> O>,
}

impl<O: OperationOptions> CountRequest<O> {
    /// Made by generated handles.
    #[doc(hidden)]
    pub fn new(exec: Exec<u64>) -> Self {
        CountRequest {
            query: Query::default(),
            exec,
            options: PhantomData,
        }
    }

    /// Sends the request.
    pub fn send(self) -> BoxFuture<'static, Result<u64, Error>> {
        let sent = self.send_with_metadata();
        Box::pin(async move { sent.await.map(Response::into_value) })
    }

    /// Sends the request; the count comes with its status and request ids.
    pub fn send_with_metadata(self) -> BoxFuture<'static, Result<Response<u64>, Error>> {
        checked::<O, _>(self.query, &self.exec)
    }
}

shared_setters!([O] CountRequest<O>: Filter Search);

impl<O: OperationOptions> IntoFuture for CountRequest<O> {
    type Output = Result<u64, Error>;
    type IntoFuture = BoxFuture<'static, Result<u64, Error>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// Reads a `text/plain` count body.
#[doc(hidden)]
pub async fn read_count(
    body: Response<progenitor_client::ByteStream>,
) -> Result<Response<u64>, Error> {
    let Response {
        value: body,
        metadata,
    } = body;
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
    let count = text
        .trim()
        .parse()
        .map_err(|_| Error::InvalidRequest(format!("count response is not a number: {text:?}")))?;
    Ok(Response::new(count, metadata))
}

/// Boxes an async block as an [`Exec`] result (used by generated handles).
#[doc(hidden)]
pub fn boxed<R, F>(future: F) -> BoxFuture<'static, Result<R, Error>>
where
    F: Future<Output = Result<R, Error>> + Send + 'static,
{
    Box::pin(future)
}
