//! The HTTP operations of the API, found by walking containment from the entity container.
//!
//! Every navigation property with `ContainsTarget="true"` reached from a singleton or entity set
//! becomes a URL segment; collections get list / create / count and, under `{key}`, get / update /
//! delete; single-valued ones get get / update / delete. The container's own children (`/security`)
//! are Graph-wide roots and only walked through. Only what an overlay exposes is walked
//! ([`crate::capabilities::EXPOSED`], one entry per singleton, entity set and navigation), and
//! [`Capabilities`] remove the verbs the service does not offer.
//!
//! Operation ids are a function of the verb and path alone ([`resource_words`]), never of what
//! else the document declares.

use std::collections::{BTreeMap, HashSet};

use heck::{ToLowerCamelCase, ToSnakeCase};

use crate::capabilities::{is_exposed, Capabilities, OperationText};
pub use crate::query::QueryOption;
use crate::{description, long_description, Model, NavigationProperty};

/// What an operation does to its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    /// GET a collection.
    List,
    /// POST to a collection.
    Create,
    /// GET `/$count` of a collection.
    Count,
    /// GET one entity.
    Get,
    /// PATCH (or PUT) one entity.
    Update,
    /// DELETE one entity.
    Delete,
}

impl Verb {
    /// The HTTP method.
    pub fn method(self, update_uses_put: bool) -> &'static str {
        match self {
            Verb::List | Verb::Count | Verb::Get => "GET",
            Verb::Create => "POST",
            Verb::Update if update_uses_put => "PUT",
            Verb::Update => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    /// The documented success status (Graph conventions; creates are 201, deletes 204).
    pub fn success_status(self) -> u16 {
        match self {
            Verb::Create => 201,
            Verb::Delete => 204,
            _ => 200,
        }
    }

    /// Lower-case name used in operation ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::List => "list",
            Verb::Create => "create",
            Verb::Count => "count",
            Verb::Get => "get",
            Verb::Update => "update",
            Verb::Delete => "delete",
        }
    }
}

/// A key segment of a path: `{workspace-id}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyParameter {
    /// The URL template name, `workspace-id` / `plugin-name`.
    pub name: String,
    /// The entity type it identifies (qualified).
    pub entity_type: String,
    /// The key property, `id` or `name`.
    pub key_property: String,
}

/// One segment of an operation's path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A container child or navigation property name.
    Navigation {
        /// The name as it appears in the URL.
        name: String,
        /// Whether it is a collection.
        collection: bool,
        /// Its entity type (qualified).
        entity_type: String,
    },
    /// A key of the preceding collection.
    Key(KeyParameter),
}

/// What an operation returns on success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseShape {
    /// One entity of this type.
    Entity(String),
    /// A page of this entity type (`value`, `@odata.nextLink`, `@odata.count`).
    Collection(String),
    /// A `text/plain` integer.
    Count,
    /// No content.
    Empty,
}

/// One HTTP operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiOperation {
    /// The operation id, also the Rust method name (`list_sessions`).
    pub id: String,
    /// What it does.
    pub verb: Verb,
    /// HTTP method.
    pub method: &'static str,
    /// The path template, `/security/securityCopilot/workspaces/{workspace-id}/sessions`.
    pub path: String,
    /// The path as segments.
    pub segments: Vec<Segment>,
    /// The OData query options it accepts, in [`QueryOption::ALL`] order.
    pub query_options: Vec<QueryOption>,
    /// The entity type the operation is about (qualified).
    pub entity_type: String,
    /// The request body type (qualified), for create and update.
    pub request_body: Option<String>,
    /// The success response.
    pub response: ResponseShape,
    /// The success status code.
    pub success_status: u16,
    /// One-line summary.
    pub summary: String,
    /// Longer description (the docs text).
    pub description: Option<String>,
}

impl ApiOperation {
    /// The key parameters in path order.
    pub fn key_parameters(&self) -> impl Iterator<Item = &KeyParameter> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Key(k) => Some(k),
            _ => None,
        })
    }
}

/// Errors while deriving operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperationsError {
    /// Two operations would get the same id (two wire names on one Rust name), at the CSDL
    /// element of the second.
    #[error(transparent)]
    DuplicateId(Box<crate::CsdlError>),
    /// An entity type reached through a collection has no key.
    #[error("entity type `{0}` is reached through a collection but has no key")]
    MissingKey(String),
}

/// Which contained navigations the walk turns into operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// Only singletons, entity sets and navigations an overlay tags as exposed
    /// ([`crate::capabilities::EXPOSED`]); what the client and emulator serve.
    Overlay,
    /// Every contained navigation (what Microsoft's metadata implies on its own).
    Everything,
}

/// Which verbs and query options an exposed navigation gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbs {
    /// What the Capabilities restrictions allow (overlay, narrowed by the document's own).
    Capabilities,
    /// Every verb and option (for the emulator's surface: 405 rather than 404).
    All,
}

/// How [`operations_with`] walks the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkOptions {
    /// Which navigations.
    pub exposure: Exposure,
    /// Which verbs.
    pub verbs: Verbs,
}

impl WalkOptions {
    /// What the generated client offers: exposed navigations, allowed verbs.
    pub const CLIENT: WalkOptions = WalkOptions {
        exposure: Exposure::Overlay,
        verbs: Verbs::Capabilities,
    };
    /// The paths the emulator recognises: exposed navigations, every verb.
    pub const SURFACE: WalkOptions = WalkOptions {
        exposure: Exposure::Overlay,
        verbs: Verbs::All,
    };
    /// Everything Microsoft's metadata implies.
    pub const EVERYTHING: WalkOptions = WalkOptions {
        exposure: Exposure::Everything,
        verbs: Verbs::All,
    };
}

/// A contained navigation (or container child) reachable from the entity container, exposed or
/// not: what the refresh report lists as new surface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavigationEntry {
    /// The URL path template of the navigation (`/security/securityCopilot/workspaces`).
    pub path: String,
    /// The `<Annotations Target>` that exposes it in an overlay
    /// (`microsoft.graph.securityCopilot/workspaces`, `microsoft.graph.GraphService/security`).
    pub target: String,
    /// Its entity type (qualified).
    pub entity_type: String,
    /// Whether it is a collection.
    pub collection: bool,
    /// Whether an overlay exposes it.
    pub exposed: bool,
    /// Whether every navigation above it is exposed (so exposing this one makes it reachable).
    pub reachable: bool,
}

struct Walk<'m> {
    model: &'m Model,
    options: WalkOptions,
    operations: Vec<ApiOperation>,
    navigations: Vec<NavigationEntry>,
}

/// Derives what the generated client offers ([`WalkOptions::CLIENT`]).
pub fn operations(model: &Model) -> Result<Vec<ApiOperation>, OperationsError> {
    operations_with(model, WalkOptions::CLIENT)
}

/// Derives the operations of every contained navigation reachable from the entity container
/// that `options` lets through.
pub fn operations_with(
    model: &Model,
    options: WalkOptions,
) -> Result<Vec<ApiOperation>, OperationsError> {
    let mut walk = Walk::run(model, options)?;
    name_operations(model, &mut walk.operations)?;
    Ok(walk.operations)
}

/// Every contained navigation reachable from the entity container, with whether an overlay
/// exposes it, in walk order.
pub fn navigations(model: &Model) -> Result<Vec<NavigationEntry>, OperationsError> {
    Ok(Walk::run(model, WalkOptions::EVERYTHING)?.navigations)
}

impl<'m> Walk<'m> {
    fn run(model: &'m Model, options: WalkOptions) -> Result<Walk<'m>, OperationsError> {
        let mut walk = Walk {
            model,
            options,
            operations: Vec::new(),
            navigations: Vec::new(),
        };
        for container in model.containers() {
            let container_name = model
                .container_qualified_name(container)
                .unwrap_or_else(|| container.name.clone());
            for (child, collection) in container
                .singletons
                .iter()
                .map(|c| (c, false))
                .chain(container.entity_sets.iter().map(|c| (c, true)))
            {
                let exposed = walk.exposed(&child.annotations);
                walk.navigations.push(NavigationEntry {
                    path: format!("/{}", child.name),
                    target: format!("{container_name}/{}", child.name),
                    entity_type: child.type_ref.name.clone(),
                    collection,
                    exposed,
                    reachable: true,
                });
                if !exposed && options.exposure == Exposure::Overlay {
                    continue;
                }
                let entity_type = child.type_ref.name.clone();
                let mut segments = vec![Segment::Navigation {
                    name: child.name.clone(),
                    collection,
                    entity_type: entity_type.clone(),
                }];
                if collection {
                    segments.push(Segment::Key(walk.key_parameter(&entity_type)?));
                }
                let mut visited = HashSet::new();
                visited.insert(entity_type.clone());
                walk.children(&entity_type, &segments, &mut visited, exposed)?;
            }
        }
        Ok(walk)
    }

    fn exposed(&self, annotations: &[crate::Annotation]) -> bool {
        is_exposed(
            annotations
                .iter()
                .filter(|a| self.model.is_overlay_annotation(a)),
        )
    }

    fn capabilities(&self, annotations: &[crate::Annotation]) -> Capabilities {
        if self.options.verbs == Verbs::All {
            return Capabilities::everything();
        }
        let (overlay, document): (Vec<_>, Vec<_>) = annotations
            .iter()
            .cloned()
            .partition(|a| self.model.is_overlay_annotation(a));
        Capabilities::from_annotations(&overlay)
            .narrowed_by(&Capabilities::from_annotations(&document))
    }

    fn key_parameter(&self, entity_type: &str) -> Result<KeyParameter, OperationsError> {
        let key = self.model.key(entity_type);
        let key_property = key
            .first()
            .cloned()
            .ok_or_else(|| OperationsError::MissingKey(entity_type.to_string()))?;
        let simple = simple_name(entity_type);
        Ok(KeyParameter {
            name: format!(
                "{}-{}",
                simple,
                key_property.to_snake_case().replace('_', "-")
            ),
            entity_type: entity_type.to_string(),
            key_property,
        })
    }

    /// Visits the contained navigation properties of `type_name` at `segments`;
    /// `reachable`: every step above is exposed.
    fn children(
        &mut self,
        type_name: &str,
        segments: &[Segment],
        visited: &mut HashSet<String>,
        reachable: bool,
    ) -> Result<(), OperationsError> {
        let model = self.model;
        let owner = model
            .structured(type_name)
            .map(|_| type_name.to_string())
            .unwrap_or_default();
        for navigation in model.all_navigation(type_name) {
            if !navigation.contains_target {
                continue;
            }
            let target = navigation.type_ref.name.clone();
            if visited.contains(&target) {
                continue;
            }
            let declaring = model
                .declaring_type(&owner, &navigation.name)
                .unwrap_or_else(|| owner.clone());
            let exposed = self.exposed(&navigation.annotations);
            let mut path = segments.to_vec();
            path.push(Segment::Navigation {
                name: navigation.name.clone(),
                collection: navigation.type_ref.collection,
                entity_type: target.clone(),
            });
            self.navigations.push(NavigationEntry {
                path: render_path(&path),
                target: format!("{declaring}/{}", navigation.name),
                entity_type: target.clone(),
                collection: navigation.type_ref.collection,
                exposed,
                reachable,
            });
            if !exposed && self.options.exposure == Exposure::Overlay {
                continue;
            }
            visited.insert(target.clone());
            self.navigation(navigation, segments, visited, reachable && exposed)?;
            visited.remove(&target);
        }
        Ok(())
    }

    fn navigation(
        &mut self,
        navigation: &NavigationProperty,
        parent: &[Segment],
        visited: &mut HashSet<String>,
        reachable: bool,
    ) -> Result<(), OperationsError> {
        let capabilities = self.capabilities(&navigation.annotations);
        let entity_type = navigation.type_ref.name.clone();
        let type_simple = simple_name(&entity_type).to_string();
        let nav_doc = description(&navigation.annotations).map(str::to_string);
        let nav_long = long_description(&navigation.annotations).map(str::to_string);
        let mut segments = parent.to_vec();
        segments.push(Segment::Navigation {
            name: navigation.name.clone(),
            collection: navigation.type_ref.collection,
            entity_type: entity_type.clone(),
        });
        let query = |verb: Verb| -> Vec<QueryOption> {
            QueryOption::ALL
                .into_iter()
                .filter(|option| match (verb, option) {
                    (Verb::List, QueryOption::Top) => capabilities.top,
                    (Verb::List, QueryOption::Skip) => capabilities.skip,
                    (Verb::List | Verb::Count, QueryOption::Search) => capabilities.search,
                    (Verb::List | Verb::Count, QueryOption::Filter) => capabilities.filter,
                    (Verb::List, QueryOption::Count) => capabilities.countable,
                    (Verb::List, QueryOption::OrderBy) => capabilities.sort,
                    (Verb::List | Verb::Get, QueryOption::Select) => capabilities.select,
                    (Verb::List | Verb::Get, QueryOption::Expand) => capabilities.expand,
                    _ => false,
                })
                .collect()
        };
        let mut found: Vec<ApiOperation> = Vec::new();
        let mut push =
            |verb: Verb, segments: Vec<Segment>, text: &OperationText, fallback: String| {
                let request_body =
                    matches!(verb, Verb::Create | Verb::Update).then(|| entity_type.clone());
                let response = match verb {
                    Verb::List => ResponseShape::Collection(entity_type.clone()),
                    Verb::Count => ResponseShape::Count,
                    Verb::Delete => ResponseShape::Empty,
                    _ => ResponseShape::Entity(entity_type.clone()),
                };
                let summary = text.description.clone().unwrap_or(fallback);
                let description = text
                    .long_description
                    .clone()
                    .or_else(|| nav_long.clone())
                    .or_else(|| nav_doc.clone());
                found.push(ApiOperation {
                    id: String::new(),
                    verb,
                    method: verb.method(capabilities.update_uses_put),
                    path: render_path(&segments),
                    segments,
                    query_options: query(verb),
                    entity_type: entity_type.clone(),
                    request_body,
                    response,
                    success_status: verb.success_status(),
                    summary,
                    description,
                });
            };
        let nav_name = &navigation.name;
        if navigation.type_ref.collection {
            if capabilities.readable {
                push(
                    Verb::List,
                    segments.clone(),
                    &capabilities.read_text,
                    format!("List {nav_name}"),
                );
            }
            if capabilities.insertable {
                push(
                    Verb::Create,
                    segments.clone(),
                    &capabilities.insert_text,
                    format!("Create a new {type_simple}"),
                );
            }
            if capabilities.count_segment {
                let mut count_segments = segments.clone();
                count_segments.push(Segment::Navigation {
                    name: "$count".to_string(),
                    collection: false,
                    entity_type: entity_type.clone(),
                });
                push(
                    Verb::Count,
                    count_segments,
                    &OperationText::default(),
                    format!("Get the number of {nav_name}"),
                );
            }
            let key = self.key_parameter(&entity_type)?;
            let mut item = segments.clone();
            item.push(Segment::Key(key));
            item_operations(&capabilities, &item, &type_simple, &mut push);
            self.operations.append(&mut found);
            self.children(&entity_type, &item, visited, reachable)?;
        } else {
            item_operations(&capabilities, &segments, &type_simple, &mut push);
            self.operations.append(&mut found);
            self.children(&entity_type, &segments, visited, reachable)?;
        }
        Ok(())
    }
}

/// Records one operation: verb, path segments, overlay text, fallback summary.
type PushOperation<'a> = dyn FnMut(Verb, Vec<Segment>, &OperationText, String) + 'a;

fn item_operations(
    capabilities: &Capabilities,
    segments: &[Segment],
    type_simple: &str,
    push: &mut PushOperation<'_>,
) {
    if capabilities.readable_by_key {
        let text = if capabilities.read_by_key_text == OperationText::default() {
            &capabilities.read_text
        } else {
            &capabilities.read_by_key_text
        };
        push(
            Verb::Get,
            segments.to_vec(),
            text,
            format!("Get a {type_simple}"),
        );
    }
    if capabilities.updatable {
        push(
            Verb::Update,
            segments.to_vec(),
            &capabilities.update_text,
            format!("Update a {type_simple}"),
        );
    }
    if capabilities.deletable {
        push(
            Verb::Delete,
            segments.to_vec(),
            &capabilities.delete_text,
            format!("Delete a {type_simple}"),
        );
    }
}

/// The accessor name that reaches a member of the collection navigation `navigation`:
/// the navigation's snake_case name without its plural `s` (`sessions` → `session`), or with
/// `_item` when it has none (`people` → `people_item`). A function of the wire name alone.
pub fn item_accessor(navigation: &str) -> String {
    let plural = crate::rust_names::snake_name(navigation, &[]);
    match plural.strip_suffix('s') {
        Some(singular)
            if crate::rust_names::is_conventional(navigation)
                && !singular.is_empty()
                && !singular.ends_with('_') =>
        {
            crate::rust_names::snake_name(&singular.to_lower_camel_case(), &[])
        }
        _ => format!("{}_item", plural.trim_end_matches('_')),
    }
}

/// The words that name the resource an operation works on, root first: one per navigation
/// (a root singleton excluded) that is not walked through (a single-valued
/// navigation with no operation of its own), the member accessor (`session`) where a key
/// follows, the navigation itself (`sessions`) otherwise. A function of the path alone.
pub fn resource_words(segments: &[Segment], walked_through: &HashSet<String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut prefix = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        prefix.push(segment.clone());
        let Segment::Navigation {
            name, collection, ..
        } = segment
        else {
            continue;
        };
        // A root singleton (`/security`) is a Graph-wide root, walked through; a root entity
        // set (`/sites`) names its members like any collection.
        let root_singleton = i == 0 && !collection;
        if root_singleton || name == "$count" || walked_through.contains(&render_path(&prefix)) {
            continue;
        }
        let keyed = matches!(segments.get(i + 1), Some(Segment::Key(_)));
        words.push(if keyed {
            item_accessor(name)
        } else {
            crate::rust_names::snake_name(name, &[])
        });
    }
    words
}

/// The single-valued navigation paths that have no operation of their own (walked through by
/// handles and names: `/security/securityCopilot`).
pub fn walked_through(operations: &[ApiOperation]) -> HashSet<String> {
    let with_operations: HashSet<&str> = operations.iter().map(|o| o.path.as_str()).collect();
    let mut through = HashSet::new();
    for op in operations {
        let mut prefix = Vec::new();
        for segment in &op.segments {
            prefix.push(segment.clone());
            if let Segment::Navigation {
                collection: false,
                name,
                ..
            } = segment
            {
                let path = render_path(&prefix);
                if name != "$count" && !with_operations.contains(path.as_str()) {
                    through.insert(path);
                }
            }
        }
    }
    through
}

/// Names each operation from its verb and path alone (`list_workspace_sessions`,
/// `get_workspace_session_prompt`), so a new operation never renames an existing one.
fn name_operations(model: &Model, operations: &mut [ApiOperation]) -> Result<(), OperationsError> {
    let through = walked_through(operations);
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for op in operations.iter_mut() {
        let mut words = resource_words(&op.segments, &through);
        if op.verb == Verb::Create {
            // Create names the member it makes: `create_workspace_session`.
            if let (Some(last), Some(Segment::Navigation { name, .. })) =
                (words.last_mut(), op.segments.last())
            {
                *last = item_accessor(name);
            }
        }
        let id = std::iter::once(op.verb.as_str().to_string())
            .chain(words)
            .collect::<Vec<_>>()
            .join("_");
        if let Some(other) = seen.insert(id.clone(), op.path.clone()) {
            let (location, element) = navigation_element(model, &op.segments);
            return Err(OperationsError::DuplicateId(Box::new(crate::CsdlError {
                location,
                element,
                kind: crate::CsdlErrorKind::RustName(format!(
                    "`{}` and `{other}` would both be the operation `{id}` (expose only one of \
                     them in the overlay)",
                    op.path
                )),
            })));
        }
        op.id = id;
    }
    Ok(())
}

/// The CSDL location and element of the last navigation of a path, for errors.
pub fn navigation_element(model: &Model, segments: &[Segment]) -> (crate::Location, String) {
    let mut parent: Option<&str> = None;
    let mut found = None;
    for segment in segments {
        if let Segment::Navigation {
            name, entity_type, ..
        } = segment
        {
            if name == "$count" {
                continue;
            }
            match parent {
                Some(owner) => {
                    if let Some(n) = model
                        .all_navigation(owner)
                        .into_iter()
                        .find(|n| &n.name == name)
                    {
                        found = Some((
                            n.location.clone(),
                            format!("<NavigationProperty Name=\"{name}\">"),
                        ));
                    }
                }
                None => {
                    found = model
                        .containers()
                        .flat_map(|c| c.singletons.iter().chain(&c.entity_sets))
                        .find(|c| &c.name == name)
                        .map(|c| {
                            (
                                c.location.clone(),
                                format!("<Singleton/EntitySet Name=\"{name}\">"),
                            )
                        });
                }
            }
            parent = Some(entity_type);
        }
    }
    found.unwrap_or_default()
}

/// Renders segments as an OpenAPI path template.
pub fn render_path(segments: &[Segment]) -> String {
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        match segment {
            Segment::Navigation { name, .. } => path.push_str(name),
            Segment::Key(key) => {
                path.push('{');
                path.push_str(&key.name);
                path.push('}');
            }
        }
    }
    path
}

/// The last dot-separated part of a qualified name.
pub fn simple_name(qualified: &str) -> &str {
    qualified.rsplit('.').next().unwrap_or(qualified)
}
