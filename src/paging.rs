//! Collection pages (`value`, `@odata.nextLink`, `@odata.count`) and streams that follow
//! `@odata.nextLink` lazily, one page in memory at a time.

use std::future::Future;
use std::pin::Pin;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::Error;

/// One page of a collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    #[schemars(with = "Option<i64>")]
    pub count: Option<i64>,
    /// The URL of the next page; `None` on the last page. Save it to resume later with
    /// [`Client::resume`].
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
    /// Other members (`@odata.context`, `@microsoft.graph.tips`...), kept.
    #[serde(flatten)]
    pub additional_properties: serde_json::Map<String, serde_json::Value>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            value: Vec::new(),
            count: None,
            next_link: None,
            additional_properties: serde_json::Map::new(),
        }
    }
}

impl<T> Page<T> {
    /// Whether another page follows.
    pub fn has_next(&self) -> bool {
        self.next_link.is_some()
    }
}

type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Page<T>, Error>> + Send>>;

/// A stream of pages: the first from `first`, the rest by following `@odata.nextLink`.
/// Nothing is fetched until the stream is polled, and the next page only when the current one
/// has been yielded, so `.take(n)` stops fetching.
pub(crate) fn pages<T>(
    client: Client,
    operation: &'static str,
    first: PageFuture<T>,
) -> BoxStream<'static, Result<Page<T>, Error>>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    enum State<T> {
        First(PageFuture<T>),
        Next(String),
        Done,
    }
    stream::unfold(State::First(first), move |state| {
        let client = client.clone();
        async move {
            let result = match state {
                State::First(future) => future.await,
                State::Next(url) => {
                    client
                        .transport()
                        .get_json::<Page<T>>(operation, &url)
                        .await
                }
                State::Done => return None,
            };
            match result {
                Ok(page) => {
                    let next = match &page.next_link {
                        Some(url) => State::Next(url.clone()),
                        None => State::Done,
                    };
                    Some((Ok(page), next))
                }
                // An error ends the stream: retrying is the transport's job.
                Err(error) => Some((Err(error), State::Done)),
            }
        }
    })
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
