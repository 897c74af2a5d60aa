//! Collection pages (`value`, `@odata.nextLink`, `@odata.count`) and streams that follow
//! `@odata.nextLink` lazily, one page in memory at a time.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::response::{Response, ResponseMetadata};
use crate::transport::Transport;
use crate::Error;

/// One page of a collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(bound(deserialize = "T: Deserialize<'de>", serialize = "T: Serialize"))]
pub struct Page<T> {
    /// The items of this page.
    #[serde(default)]
    pub value: Vec<T>,
    /// The total count across pages, when `$count=true` was asked for.
    #[serde(
        rename = "@odata.count",
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::codec::int64::option"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<i64>"))]
    pub count: Option<i64>,
    /// The URL of the next page; `None` on the last page. Save it to resume later with
    /// a generated `Client::resume`.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
    /// Other members (`@odata.context`, `@microsoft.graph.tips`...), kept.
    #[serde(flatten)]
    pub additional_properties: serde_json::Map<String, serde_json::Value>,
    /// The status and ids of the response that carried this page (set by the client, not
    /// part of the JSON).
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    metadata: Option<ResponseMetadata>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            value: Vec::new(),
            count: None,
            next_link: None,
            additional_properties: serde_json::Map::new(),
            metadata: None,
        }
    }
}

impl<T> Page<T> {
    /// Whether another page follows.
    pub fn has_next(&self) -> bool {
        self.next_link.is_some()
    }

    /// The status, `request-id` and `client-request-id` of the response that carried this
    /// page (`None` for a page that was not received by a client, e.g. deserialized by hand).
    pub fn metadata(&self) -> Option<&ResponseMetadata> {
        self.metadata.as_ref()
    }

    /// The page with the metadata of the response that carried it.
    pub(crate) fn from_response(response: Response<Page<T>>) -> Self {
        let mut page = response.value;
        page.metadata = Some(response.metadata);
        page
    }
}

type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Page<T>, Error>> + Send>>;

/// A stream of pages: the first from `first`, the rest by following `@odata.nextLink`.
/// Nothing is fetched until the stream is polled, and the next page only when the current one
/// has been yielded, so `.take(n)` stops fetching.
///
/// Limits: a `@odata.nextLink` this stream has already followed ends it with
/// [`Error::NextLinkLoop`] (a server pointing a page at itself or at an earlier page would
/// otherwise be followed forever); with `max_pages`, a listing that has a next page after
/// `max_pages` pages ends with [`Error::PageLimit`]. The links followed are remembered as
/// 64-bit keyed hashes (8 bytes a page, not the URLs).
pub(crate) fn pages<T>(
    transport: Transport,
    operation: &'static str,
    first: PageFuture<T>,
    max_pages: Option<u64>,
) -> BoxStream<'static, Result<Page<T>, Error>>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    enum State<T> {
        First(PageFuture<T>),
        Next(String),
        Done,
    }
    struct Walk<T> {
        state: State<T>,
        /// Pages yielded so far.
        pages: u64,
        followed: HashSet<u64>,
        hasher: RandomState,
    }
    let walk = Walk {
        state: State::First(first),
        pages: 0,
        followed: HashSet::new(),
        hasher: RandomState::new(),
    };
    stream::unfold(walk, move |mut walk| {
        let transport = transport.clone();
        async move {
            let result = match std::mem::replace(&mut walk.state, State::Done) {
                State::First(future) => future.await,
                State::Next(url) => transport
                    .get_json::<Page<T>>(operation, &url)
                    .await
                    .map(Page::from_response),
                State::Done => return None,
            };
            match result {
                Ok(page) => {
                    walk.pages += 1;
                    if let Some(url) = &page.next_link {
                        walk.state = if max_pages.is_some_and(|limit| walk.pages >= limit) {
                            State::Done
                        } else {
                            State::Next(url.clone())
                        };
                        if let State::Done = walk.state {
                            // Yield this page, then the limit error.
                            let limit = max_pages.unwrap_or(walk.pages);
                            let rest = stream::iter([Err(Error::PageLimit { limit })]);
                            return Some((stream::iter([Ok(page)]).chain(rest).boxed(), walk));
                        }
                        if !walk.followed.insert(walk.hasher.hash_one(url)) {
                            walk.state = State::Done;
                            let error = Error::NextLinkLoop { page: walk.pages };
                            let rest = stream::iter([Err(error)]);
                            return Some((stream::iter([Ok(page)]).chain(rest).boxed(), walk));
                        }
                    }
                    Some((stream::iter([Ok(page)]).boxed(), walk))
                }
                // An error ends the stream: retrying is the transport's job.
                Err(error) => Some((stream::iter([Err(error)]).boxed(), walk)),
            }
        }
    })
    .flatten()
    .boxed()
}

/// Flattens a page stream into an item stream (still lazy; an error ends it).
pub(crate) fn items<T>(
    pages: BoxStream<'static, Result<Page<T>, Error>>,
) -> BoxStream<'static, Result<T, Error>>
where
    T: Send + 'static,
{
    pages
        .map_ok(|page| stream::iter(page.value.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Resumes a listing from a saved `@odata.nextLink` (a generated `Client::resume`).
pub fn resume<T>(
    transport: &Transport,
    next_link: String,
) -> BoxStream<'static, Result<Page<T>, Error>>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    let first_transport = transport.clone();
    let first = Box::pin(async move {
        first_transport
            .get_json("resume", &next_link)
            .await
            .map(Page::from_response)
    });
    let max_pages = transport.max_pages();
    pages(transport.clone(), "resume", first, max_pages)
}
