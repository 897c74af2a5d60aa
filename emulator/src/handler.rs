//! Handling one request: faults, authentication, routing against the spec, the operation, and
//! Graph's response conventions (`@odata.context`, `request-id`, `client-request-id`, `Date`,
//! error bodies).

use std::borrow::Cow;
use std::sync::{Arc, PoisonError, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    HeaderName, HeaderValue, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE,
    DATE, HOST, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use graph_odata_csdl::operations::{simple_name, ApiOperation, Verb};
use http_body_util::BodyExt;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

use crate::body::Mode;
use crate::error::GraphError;
use crate::fault::Fault;
use crate::odata::{QueryOptions, SystemOption};
use crate::profile;
use crate::server::{App, ConnectionDrop};
use crate::spec::{Matched, Route, RouteKind};
use crate::store::{CollectionId, Record, Store};
use crate::time;
use crate::RecordedRequest;

/// Graph's JSON content type.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
const RETRY_ATTEMPT: HeaderName = HeaderName::from_static("retry-attempt");
const ODATA_VERSION: HeaderName = HeaderName::from_static("odata-version");
/// How much of an oversized body is read (and thrown away) before answering 413, so the client
/// gets to read the answer instead of a reset connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
/// What is escaped in a key written into a URL path: everything but RFC 3986's unreserved
/// characters.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The query options the engine implements for lists.
const LIST_OPTIONS: [SystemOption; 7] = [
    SystemOption::Top,
    SystemOption::Skip,
    SystemOption::Count,
    SystemOption::Select,
    SystemOption::OrderBy,
    SystemOption::Filter,
    SystemOption::SkipToken,
];

/// The ids and URLs of one request.
struct Ctx {
    request_id: String,
    client_request_id: String,
    /// `http://host:port/beta`.
    base: String,
    now: SystemTime,
}

/// What a request asks for, as far as the URL tells.
enum Target {
    /// `GET /beta/$metadata`.
    Metadata,
    /// A path of the surface.
    Route(Matched),
    /// Not a path of the API; the segment that leads nowhere.
    NotFound(String),
    /// A path that cannot be decoded.
    BadPath(String),
}

/// A successful answer.
enum Reply {
    Json {
        status: StatusCode,
        body: Value,
        location: Option<String>,
    },
    Text {
        content_type: &'static str,
        text: String,
    },
    Empty,
}

fn read(app: &App) -> RwLockReadGuard<'_, Store> {
    app.store.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(app: &App) -> RwLockWriteGuard<'_, Store> {
    app.store.write().unwrap_or_else(PoisonError::into_inner)
}

/// The axum handler for every path.
pub(crate) async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let ctx = context(&app, &parts.headers);
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let target = resolve(&app, &path);
    let (template, operation) = match &target {
        Target::Route(m) => {
            let route = app.spec.route(m.route);
            let op = route.and_then(|r| verb_for(r.kind, &method).and_then(|v| r.operation(v)));
            (route.map(|r| r.template.clone()), op.map(|o| o.id.clone()))
        }
        _ => (None, None),
    };
    if let Some(left) = rate_limited(&app, &parts.headers) {
        let error = with_retry_after(
            throttled_error(),
            crate::rate_limit::retry_after_seconds(left).to_string(),
        );
        let response = render(Err(error), &ctx);
        let fault = "rate-limit".to_string();
        let mut record = recorded(
            &parts.headers,
            &method,
            &path,
            &query,
            &ctx,
            Some(response.status().as_u16()),
            &None,
        );
        record.fault = Some(fault);
        app.record(record);
        return response;
    }
    let decision = app
        .faults
        .decide(method.as_str(), template.as_deref(), operation.as_deref());
    let latency = app.settings.latency.saturating_add(decision.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let outcome = match &decision.fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut error = throttled_error();
            if let Some(r) = retry_after {
                error = with_retry_after(error, r.header_value(ctx.now));
            }
            Err(error)
        }
        Some(Fault::ServiceUnavailable { retry_after }) => {
            let mut error = GraphError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Try again later.",
            );
            if let Some(r) = retry_after {
                error = with_retry_after(error, r.header_value(ctx.now));
            }
            Err(error)
        }
        Some(Fault::GatewayTimeout) => Err(GraphError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "gatewayTimeout",
            "The gateway did not receive a response from the service in time.",
        )),
        Some(Fault::DropConnection) => {
            app.record(recorded(
                &parts.headers,
                &method,
                &path,
                &query,
                &ctx,
                None,
                &decision.fault,
            ));
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(ConnectionDrop);
            return response;
        }
        _ => process(&app, &ctx, &method, &parts.headers, &query, body, target).await,
    };
    let mut response = render(outcome, &ctx);
    let status = response.status().as_u16();
    if matches!(decision.fault, Some(Fault::DropResponse)) {
        response.extensions_mut().insert(ConnectionDrop);
        app.record(recorded(
            &parts.headers,
            &method,
            &path,
            &query,
            &ctx,
            None,
            &decision.fault,
        ));
    } else {
        app.record(recorded(
            &parts.headers,
            &method,
            &path,
            &query,
            &ctx,
            Some(status),
            &decision.fault,
        ));
    }
    tracing::debug!(
        %method, %path, status, elapsed_ms = started.elapsed().as_millis() as u64,
        request_id = %ctx.request_id, "request"
    );
    response
}

/// Graph's `429` (the `429` fault and rate-limit mode alike).
fn throttled_error() -> GraphError {
    GraphError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "activityLimitReached",
        "The request has been throttled",
    )
    .with_inner_code("throttledRequest")
}

/// With rate-limit mode on, counts the request against its bearer token's window: `Some(time
/// left in the window)` if it is over the limit. Requests without a bearer token are not
/// counted (authentication answers them).
fn rate_limited(app: &App, headers: &HeaderMap) -> Option<std::time::Duration> {
    let limiter = app.rate_limiter.as_ref()?;
    let token = bearer_token(headers)?;
    limiter.check(token, Instant::now()).err()
}

/// The token of an `Authorization: Bearer <token>` header, if non-empty.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}

fn with_retry_after(error: GraphError, value: String) -> GraphError {
    match HeaderValue::from_str(&value) {
        Ok(v) => error.with_header(RETRY_AFTER, v),
        Err(_) => error,
    }
}

fn recorded(
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    query: &str,
    ctx: &Ctx,
    status: Option<u16>,
    fault: &Option<Fault>,
) -> RecordedRequest {
    let header = |name: &HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    RecordedRequest {
        method: method.to_string(),
        path: clip(path),
        query: (!query.is_empty()).then(|| clip(query)),
        status,
        fault: fault.as_ref().map(ToString::to_string),
        request_id: ctx.request_id.clone(),
        client_request_id: header(&CLIENT_REQUEST_ID),
        retry_attempt: header(&RETRY_ATTEMPT).and_then(|v| v.parse().ok()),
    }
}

/// At most [`crate::RECORDED_TEXT_LIMIT`] bytes of `text` (cut at a character boundary,
/// marked with `…`), so the request log stays bounded whatever the URIs.
fn clip(text: &str) -> String {
    if text.len() <= crate::RECORDED_TEXT_LIMIT {
        return text.to_string();
    }
    let mut end = crate::RECORDED_TEXT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn context(app: &App, headers: &HeaderMap) -> Ctx {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = headers
        .get(&CLIENT_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map_or_else(|| request_id.clone(), str::to_string);
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', '?', '#', '@', ' ']))
        .map_or_else(|| app.local_addr.to_string(), str::to_string);
    Ctx {
        request_id,
        client_request_id,
        base: format!("http://{host}/beta"),
        now: SystemTime::now(),
    }
}

/// Splits a path into decoded segments after `/beta`, with `name(key)` segments split into a
/// name and a key (`workspaces('default')` → `workspaces`, `default`).
fn resolve(app: &App, path: &str) -> Target {
    let Some(rest) = path.strip_prefix("/beta") else {
        let first = path.split('/').find(|s| !s.is_empty()).unwrap_or_default();
        return Target::NotFound(first.to_string());
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Target::NotFound(path.trim_start_matches('/').to_string());
    }
    let mut segments = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let Ok(decoded) = percent_decode_str(raw).decode_utf8() else {
            return Target::BadPath(format!(
                "The path segment '{raw}' is not valid UTF-8 after percent-decoding."
            ));
        };
        match split_key_segment(&decoded) {
            Some((name, key)) => {
                segments.push(name);
                segments.push(key);
            }
            None => segments.push(decoded.into_owned()),
        }
    }
    if segments.len() == 1 && segments[0] == "$metadata" {
        return Target::Metadata;
    }
    if segments.is_empty() {
        return Target::NotFound(String::new());
    }
    match app.spec.match_path(&segments) {
        Ok(matched) => Target::Route(matched),
        Err(segment) => Target::NotFound(segment),
    }
}

/// `name('key')` or `name(key)` → (`name`, `key`), with `''` unescaped.
fn split_key_segment(segment: &str) -> Option<(String, String)> {
    let inner_start = segment.find('(')?;
    let inner = segment.get(inner_start + 1..)?.strip_suffix(')')?;
    let name = segment.get(..inner_start)?;
    if name.is_empty() || inner.is_empty() {
        return None;
    }
    let key = match inner.strip_prefix('\'').and_then(|i| i.strip_suffix('\'')) {
        Some(quoted) => quoted.replace("''", "'"),
        None => inner.to_string(),
    };
    Some((name.to_string(), key))
}

/// The verb a method means on a kind of path.
fn verb_for(kind: RouteKind, method: &Method) -> Option<Verb> {
    match (kind, method.as_str()) {
        (RouteKind::Collection, "GET") => Some(Verb::List),
        (RouteKind::Collection, "POST") => Some(Verb::Create),
        (RouteKind::Count, "GET") => Some(Verb::Count),
        (RouteKind::Item | RouteKind::Single, "GET") => Some(Verb::Get),
        (RouteKind::Item | RouteKind::Single, "PATCH" | "PUT") => Some(Verb::Update),
        (RouteKind::Item | RouteKind::Single, "DELETE") => Some(Verb::Delete),
        _ => None,
    }
}

fn check_auth(headers: &HeaderMap, required: Option<&str>) -> Result<(), GraphError> {
    let unauthorized = |message: &str| {
        GraphError::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message).with_header(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        )
    };
    if headers.get(AUTHORIZATION).is_none() {
        return Err(unauthorized("Access token is empty."));
    };
    let Some(token) = bearer_token(headers) else {
        return Err(unauthorized(
            "Access token validation failure. The Authorization header must be 'Bearer <token>'.",
        ));
    };
    match required {
        Some(expected) if expected != token => Err(unauthorized(
            "Access token validation failure. The token is not the one this emulator accepts.",
        )),
        _ => Ok(()),
    }
}

async fn process(
    app: &App,
    ctx: &Ctx,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: Body,
    target: Target,
) -> Result<Reply, GraphError> {
    check_auth(headers, app.settings.token.as_deref())?;
    let matched = match target {
        Target::Metadata => {
            if method != Method::GET {
                return Err(method_not_allowed(method, "/$metadata", &["GET"]));
            }
            return Ok(Reply::Text {
                content_type: "application/xml",
                text: app.spec.metadata().to_string(),
            });
        }
        Target::BadPath(message) => return Err(GraphError::bad_request(message)),
        Target::NotFound(segment) => return Err(GraphError::resource_not_found(&segment)),
        Target::Route(matched) => matched,
    };
    let route = app
        .spec
        .route(matched.route)
        .ok_or_else(|| GraphError::resource_not_found(""))?;
    let Some((verb, op)) =
        verb_for(route.kind, method).and_then(|v| route.operation(v).map(|op| (v, op)))
    else {
        return Err(method_not_allowed(
            method,
            &route.template,
            &route.allowed_methods(),
        ));
    };
    let keys = &matched.keys;
    match verb {
        Verb::List => list(app, ctx, route, op, keys, query),
        Verb::Count => count(app, route, op, keys, query),
        Verb::Get => get(app, ctx, route, op, keys, query),
        Verb::Create => {
            no_query_options(app, route, query)?;
            let body = read_json(body, headers, &app.settings).await?;
            create(app, ctx, route, keys, &body)
        }
        Verb::Update => {
            no_query_options(app, route, query)?;
            let body = read_json(body, headers, &app.settings).await?;
            update(app, ctx, route, keys, &body)
        }
        Verb::Delete => {
            no_query_options(app, route, query)?;
            delete(app, route, keys)
        }
    }
}

fn method_not_allowed(method: &Method, template: &str, allowed: &[&str]) -> GraphError {
    let allow = allowed.join(", ");
    let message = if allowed.is_empty() {
        format!("The API does not offer any method on '{template}'.")
    } else {
        format!("The HTTP method '{method}' is not allowed on '{template}'. Allowed: {allow}.")
    };
    let error = GraphError::new(StatusCode::METHOD_NOT_ALLOWED, "notAllowed", message);
    match HeaderValue::from_str(&allow) {
        Ok(value) => error.with_header(ALLOW, value),
        Err(_) => error,
    }
}

/// Whether a `Content-Type` value is JSON (`application/json`, any parameters, any case).
fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Reads a JSON body: 415 unless it is declared `application/json`, 413 beyond
/// `max_body_bytes`, 408 when it takes longer than `body_timeout`, 400 when it is not JSON.
async fn read_json(
    body: Body,
    headers: &HeaderMap,
    settings: &crate::server::Settings,
) -> Result<Value, GraphError> {
    let max = settings.max_body_bytes;
    let mut body = body;
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    if !content_type.is_some_and(is_json_media_type) {
        // Read what is sent (so the client gets the answer), but no longer than a body may take.
        let _ = tokio::time::timeout(settings.body_timeout, drain(&mut body, DRAIN_LIMIT)).await;
        return Err(GraphError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            match content_type {
                Some(found) => format!(
                    "The content type '{found}' is not supported; send the body as 'application/json'."
                ),
                None => "The request has a body but no Content-Type; send it as 'application/json'."
                    .to_string(),
            },
        ));
    }
    let timeout = settings.body_timeout;
    match tokio::time::timeout(timeout, read_limited(&mut body, headers, max)).await {
        Ok(result) => result,
        Err(_) => Err(GraphError::new(
            StatusCode::REQUEST_TIMEOUT,
            "requestTimeout",
            format!(
                "The request body did not arrive within {} ms.",
                timeout.as_millis()
            ),
        )),
    }
}

/// Reads a JSON body of at most `max` bytes: 413 beyond, 400 when it is not JSON.
async fn read_limited(
    body: &mut Body,
    headers: &HeaderMap,
    max: usize,
) -> Result<Value, GraphError> {
    let too_large = || {
        GraphError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "requestEntityTooLarge",
            format!("The request body is larger than the limit of {max} bytes."),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        drain(body, DRAIN_LIMIT).await;
        return Err(too_large());
    }
    let mut collected: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            GraphError::bad_request(format!("The request body could not be read: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if collected.len().saturating_add(data.len()) > max {
                drain(body, DRAIN_LIMIT).await;
                return Err(too_large());
            }
            collected.extend_from_slice(&data);
        }
    }
    if collected.iter().all(u8::is_ascii_whitespace) {
        return Err(GraphError::bad_request(
            "The request body is empty; send a JSON object (for example {}).",
        ));
    }
    serde_json::from_slice(&collected).map_err(|e| {
        GraphError::bad_request(format!(
            "Unable to read JSON request payload: {e}. Make sure the payload is valid JSON."
        ))
    })
}

/// Reads and discards up to `limit` more bytes of a body.
async fn drain(body: &mut Body, limit: usize) {
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen > limit {
                break;
            }
        }
    }
}

/// The system query options a verb may use: everything the engine implements, or (with
/// `strict_query_options`) what the spec documents for the operation.
fn allowed_options(
    app: &App,
    op: &ApiOperation,
    implemented: &[SystemOption],
) -> Vec<SystemOption> {
    if !app.settings.strict_query_options {
        return implemented.to_vec();
    }
    let mut allowed: Vec<SystemOption> = op
        .query_options
        .iter()
        .map(|&option| SystemOption::from(option))
        .filter(|o| implemented.contains(o))
        .collect();
    if implemented.contains(&SystemOption::SkipToken) {
        allowed.push(SystemOption::SkipToken);
    }
    allowed
}

fn parse_query(app: &App, route: &Route, query: &str) -> Result<QueryOptions, GraphError> {
    let shape = app
        .spec
        .shape(&route.entity_type)
        .ok_or_else(|| GraphError::resource_not_found(&route.template))?;
    Ok(QueryOptions::parse(query, shape)?)
}

fn no_query_options(app: &App, route: &Route, query: &str) -> Result<(), GraphError> {
    parse_query(app, route, query)?.ensure_allowed(&[])?;
    Ok(())
}

/// Where the entities addressed by a collection, item or single route live, after checking
/// that every entity above it exists (or, with a profile that allows it, is a container the
/// spec offers no way to create, treated as present).
fn locate(
    app: &App,
    store: &Store,
    route: &Route,
    keys: &[String],
) -> Result<(CollectionId, Option<String>), GraphError> {
    let ancestors = match route.kind {
        RouteKind::Item => route.steps.len().saturating_sub(1),
        _ => route.steps.len(),
    };
    for (i, step) in route.steps.iter().take(ancestors).enumerate() {
        let id = CollectionId {
            template: step.collection.clone(),
            parents: keys[..i].to_vec(),
        };
        let implicit =
            app.profile.implicit_containers() && !app.spec.can_create_in(&step.collection);
        if !implicit && store.get(&id, &keys[i]).is_none() {
            return Err(GraphError::item_not_found(
                simple_name(&step.entity_type),
                &step.key_property,
                &keys[i],
            ));
        }
    }
    Ok(match route.kind {
        RouteKind::Item => (
            CollectionId {
                template: route.collection.clone(),
                parents: keys[..keys.len().saturating_sub(1)].to_vec(),
            },
            keys.last().cloned(),
        ),
        RouteKind::Single => (
            CollectionId {
                template: route.collection.clone(),
                parents: keys.to_vec(),
            },
            Some(String::new()),
        ),
        RouteKind::Collection | RouteKind::Count => (
            CollectionId {
                template: route.collection.clone(),
                parents: keys.to_vec(),
            },
            None,
        ),
    })
}

fn item_not_found(route: &Route, key: &str) -> GraphError {
    match route.steps.last() {
        Some(step) if route.kind == RouteKind::Item => {
            GraphError::item_not_found(simple_name(&step.entity_type), &step.key_property, key)
        }
        _ => GraphError::resource_not_found(&route.template),
    }
}

/// How a record reads now (evaluations move on by themselves).
fn view(record: &Record, now: DateTime<Utc>) -> Cow<'_, Map<String, Value>> {
    match record
        .lifecycle
        .as_ref()
        .and_then(|l| l.view(&record.json, now))
    {
        Some(view) => Cow::Owned(view),
        None => Cow::Borrowed(record.json.as_ref()),
    }
}

/// `security/securityCopilot/workspaces('default')/sessions`, plus `(a,b)` for `$select` and
/// `/$entity` for one entity.
fn context_url(ctx: &Ctx, route: &Route, keys: &[String], select: Option<&[String]>) -> String {
    use graph_odata_csdl::operations::Segment;
    let single = matches!(route.kind, RouteKind::Item | RouteKind::Single);
    let mut path = String::new();
    let mut key_index = 0usize;
    let last = route.pattern.len().saturating_sub(1);
    for (i, segment) in route.pattern.iter().enumerate() {
        match segment {
            Segment::Navigation { name, .. } => {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(name);
            }
            Segment::Key(_) => {
                if i == last && route.kind == RouteKind::Item {
                    break;
                }
                let key = keys.get(key_index).map(String::as_str).unwrap_or_default();
                path.push_str(&format!("('{}')", key.replace('\'', "''")));
                key_index += 1;
            }
        }
    }
    if let Some(select) = select {
        path.push_str(&format!("({})", select.join(",")));
    }
    if single {
        path.push_str("/$entity");
    }
    format!("{}/$metadata#{path}", ctx.base)
}

fn entity_body(context: String, entity: &Map<String, Value>) -> Value {
    let mut body = Map::with_capacity(entity.len() + 1);
    body.insert("@odata.context".into(), Value::String(context));
    for (k, v) in entity {
        body.insert(k.clone(), v.clone());
    }
    Value::Object(body)
}

fn list(
    app: &App,
    ctx: &Ctx,
    route: &Route,
    op: &ApiOperation,
    keys: &[String],
    query: &str,
) -> Result<Reply, GraphError> {
    let options = parse_query(app, route, query)?;
    options.ensure_allowed(&allowed_options(app, op, &LIST_OPTIONS))?;
    // The query runs under the read lock (synchronously, nothing awaits): walking the records
    // in place is far cheaper than copying a snapshot out of a large collection.
    let page = {
        let store = read(app);
        let (id, _) = locate(app, &store, route, keys)?;
        let now = Utc::now();
        let views: Vec<Cow<'_, Map<String, Value>>> = store
            .collection(&id)
            .map(|c| c.newest_first().map(|r| view(r, now)).collect())
            .unwrap_or_default();
        options.execute(views, app.settings.page_size)?
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(context_url(ctx, route, keys, options.select.as_deref())),
    );
    if let Some(count) = page.count {
        body.insert("@odata.count".into(), Value::from(count));
    }
    if let Some(token) = &page.next_skiptoken {
        let path = request_path(route, keys);
        body.insert(
            "@odata.nextLink".into(),
            Value::String(options.next_link(&format!("{}{path}", ctx.base), token)),
        );
    }
    body.insert(
        "value".into(),
        Value::Array(page.items.into_iter().map(Value::Object).collect()),
    );
    Ok(Reply::Json {
        status: StatusCode::OK,
        body: Value::Object(body),
        location: None,
    })
}

/// The canonical request path (after `/beta`) of a route with these keys.
fn request_path(route: &Route, keys: &[String]) -> String {
    use graph_odata_csdl::operations::Segment;
    let mut path = String::new();
    let mut key_index = 0usize;
    for segment in &route.pattern {
        path.push('/');
        match segment {
            Segment::Navigation { name, .. } => path.push_str(name),
            Segment::Key(_) => {
                let key = keys.get(key_index).map(String::as_str).unwrap_or_default();
                path.push_str(&utf8_percent_encode(key, PATH_SEGMENT).to_string());
                key_index += 1;
            }
        }
    }
    path
}

fn count(
    app: &App,
    route: &Route,
    op: &ApiOperation,
    keys: &[String],
    query: &str,
) -> Result<Reply, GraphError> {
    let options = parse_query(app, route, query)?;
    options.ensure_allowed(&allowed_options(app, op, &[SystemOption::Filter]))?;
    let n = {
        let store = read(app);
        let (id, _) = locate(app, &store, route, keys)?;
        let now = Utc::now();
        store.collection(&id).map_or(0, |c| {
            c.newest_first()
                .filter(|r| options.matches(&view(r, now)))
                .count()
        })
    };
    Ok(Reply::Text {
        content_type: "text/plain",
        text: n.to_string(),
    })
}

fn get(
    app: &App,
    ctx: &Ctx,
    route: &Route,
    op: &ApiOperation,
    keys: &[String],
    query: &str,
) -> Result<Reply, GraphError> {
    let options = parse_query(app, route, query)?;
    options.ensure_allowed(&allowed_options(app, op, &[SystemOption::Select]))?;
    let record = {
        let store = read(app);
        let (id, key) = locate(app, &store, route, keys)?;
        let key = key.unwrap_or_default();
        match store.get(&id, &key) {
            Some(record) => record.clone(),
            None if route.kind == RouteKind::Single => {
                drop(store);
                ensure_single(app, route, id)
            }
            None => return Err(item_not_found(route, &key)),
        }
    };
    let entity = options.project(&view(&record, Utc::now()));
    Ok(Reply::Json {
        status: StatusCode::OK,
        body: entity_body(
            context_url(ctx, route, keys, options.select.as_deref()),
            &entity,
        ),
        location: None,
    })
}

/// A single-valued navigation always exists: made from defaults the first time it is read.
fn ensure_single(app: &App, route: &Route, id: CollectionId) -> Record {
    let now = app.clock.now();
    let name = route
        .pattern
        .last()
        .map(|s| match s {
            graph_odata_csdl::operations::Segment::Navigation { name, .. } => name.clone(),
            graph_odata_csdl::operations::Segment::Key(k) => k.name.clone(),
        })
        .unwrap_or_default();
    let profile = app.profile.as_ref();
    let entity = profile::new_entity(
        &app.spec,
        profile,
        &route.entity_type,
        Map::new(),
        &name,
        now,
    );
    let record = profile::new_record(
        profile,
        &route.entity_type,
        entity,
        None,
        now,
        app.settings.timing,
    );
    let mut store = write(app);
    let collection = store.collection_mut(id);
    collection.insert(String::new(), record.clone());
    collection.get("").cloned().unwrap_or(record)
}

fn create(
    app: &App,
    ctx: &Ctx,
    route: &Route,
    keys: &[String],
    body: &Value,
) -> Result<Reply, GraphError> {
    let entity_type = &route.entity_type;
    let accepted = app
        .spec
        .check_entity_body(entity_type, body, Mode::Create, None)?;
    app.profile.check_create(entity_type, &accepted)?;
    let key_property = app.spec.key_property(entity_type).unwrap_or_default();
    let key = if app.spec.server_assigns_key(entity_type) {
        uuid::Uuid::new_v4().to_string()
    } else {
        match accepted.get(&key_property).and_then(Value::as_str) {
            Some(key) if !key.is_empty() => key.to_string(),
            _ => {
                return Err(GraphError::invalid_property(
                    &key_property,
                    format!(
                        "The key property '{key_property}' is required to create a {}.",
                        simple_name(entity_type)
                    ),
                ))
            }
        }
    };
    let record = {
        let mut store = write(app);
        let (id, _) = locate(app, &store, route, keys)?;
        let parent = match route.steps.last() {
            Some(step) => store
                .get(
                    &CollectionId {
                        template: step.collection.clone(),
                        parents: keys[..keys.len().saturating_sub(1)].to_vec(),
                    },
                    keys.last().map(String::as_str).unwrap_or_default(),
                )
                .map(|r| Arc::clone(&r.json)),
            None => None,
        };
        // Stamped under the lock, so creation times follow insertion order.
        let now = app.clock.now();
        let profile = app.profile.as_ref();
        let entity = profile::new_entity(&app.spec, profile, entity_type, accepted, &key, now);
        let record = profile::new_record(
            profile,
            entity_type,
            entity,
            parent.as_deref(),
            now,
            app.settings.timing,
        );
        let collection = store.collection_mut(id);
        if collection.contains(&key) {
            return Err(GraphError::new(
                StatusCode::CONFLICT,
                "nameAlreadyExists",
                format!(
                    "A {} with {key_property} '{key}' already exists.",
                    simple_name(entity_type)
                ),
            ));
        }
        collection.insert(key.clone(), record.clone());
        record
    };
    let location = format!(
        "{}{}/{}",
        ctx.base,
        request_path(route, keys),
        utf8_percent_encode(&key, PATH_SEGMENT)
    );
    let context = format!("{}/$entity", context_url(ctx, route, keys, None));
    // The answer to a create shows the entity as created, before any lifecycle moves it on.
    Ok(Reply::Json {
        status: StatusCode::CREATED,
        body: entity_body(context, &record.json),
        location: Some(location),
    })
}

fn update(
    app: &App,
    ctx: &Ctx,
    route: &Route,
    keys: &[String],
    body: &Value,
) -> Result<Reply, GraphError> {
    let entity_type = &route.entity_type;
    let url_key = match route.kind {
        RouteKind::Item => keys.last().map(String::as_str),
        _ => None,
    };
    let accepted = app
        .spec
        .check_entity_body(entity_type, body, Mode::Update, url_key)?;
    if route.kind == RouteKind::Single {
        let store = read(app);
        let (id, key) = locate(app, &store, route, keys)?;
        let missing = store.get(&id, &key.unwrap_or_default()).is_none();
        drop(store);
        if missing {
            ensure_single(app, route, id);
        }
    }
    let record = {
        let mut store = write(app);
        let (id, key) = locate(app, &store, route, keys)?;
        let key = key.unwrap_or_default();
        let Some(existing) = store.get(&id, &key).cloned() else {
            return Err(item_not_found(route, &key));
        };
        let now = app.clock.now();
        let updated = profile::apply_update(&app.spec, entity_type, &existing.json, accepted, now);
        store.collection_mut(id).replace(&key, updated.clone());
        Record {
            json: Arc::new(updated),
            lifecycle: existing.lifecycle,
        }
    };
    Ok(Reply::Json {
        status: StatusCode::OK,
        body: entity_body(
            context_url(ctx, route, keys, None),
            &view(&record, Utc::now()),
        ),
        location: None,
    })
}

fn delete(app: &App, route: &Route, keys: &[String]) -> Result<Reply, GraphError> {
    let mut store = write(app);
    let (id, key) = locate(app, &store, route, keys)?;
    let key = key.unwrap_or_default();
    if store.collection_mut(id).remove(&key).is_none() && route.kind == RouteKind::Item {
        return Err(item_not_found(route, &key));
    }
    store.remove_descendants(&route.template, keys);
    Ok(Reply::Empty)
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Turns an outcome into a response with Graph's headers.
fn render(outcome: Result<Reply, GraphError>, ctx: &Ctx) -> Response {
    let mut response = match outcome {
        Ok(Reply::Json {
            status,
            body,
            location,
        }) => {
            let mut response = (status, json_bytes(&body)).into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
            response
                .headers_mut()
                .insert(ODATA_VERSION, HeaderValue::from_static("4.0"));
            if let Some(location) = location {
                response
                    .headers_mut()
                    .insert(LOCATION, header_value(&location));
            }
            response
        }
        Ok(Reply::Text { content_type, text }) => {
            let mut response = (StatusCode::OK, text).into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        Ok(Reply::Empty) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            let body = error.body(
                &ctx.request_id,
                &ctx.client_request_id,
                &time::error_date(ctx.now),
            );
            let mut response = (error.status, json_bytes(&body)).into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
            for (name, value) in error.headers {
                response.headers_mut().insert(name, value);
            }
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID, header_value(&ctx.request_id));
    headers.insert(CLIENT_REQUEST_ID, header_value(&ctx.client_request_id));
    headers.insert(DATE, header_value(&httpdate::fmt_http_date(ctx.now)));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn json_bytes(value: &Value) -> Bytes {
    // Serialising a `Value` cannot fail (its map keys are strings).
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_segments() {
        assert_eq!(
            split_key_segment("workspaces('default')"),
            Some(("workspaces".into(), "default".into()))
        );
        assert_eq!(
            split_key_segment("plugins('it''s')"),
            Some(("plugins".into(), "it's".into()))
        );
        assert_eq!(
            split_key_segment("sessions(abc)"),
            Some(("sessions".into(), "abc".into()))
        );
        assert_eq!(split_key_segment("sessions"), None);
        assert_eq!(split_key_segment("(x)"), None);
        assert_eq!(split_key_segment("a()"), None);
    }

    #[test]
    fn auth_rules() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            check_auth(&headers, None).unwrap_err().message,
            "Access token is empty."
        );
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(check_auth(&headers, None).is_err());
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert!(check_auth(&headers, None).is_err());
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer t1"));
        assert!(check_auth(&headers, None).is_ok());
        assert!(check_auth(&headers, Some("t1")).is_ok());
        assert_eq!(
            check_auth(&headers, Some("t2")).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
    }
}
