//! The HTTP operations of the API, found by walking containment from the entity container.
//!
//! Every navigation property with `ContainsTarget="true"` reached from a singleton or entity set
//! becomes a URL segment; collections get list / create / count and, under `{key}`, get / update /
//! delete; single-valued ones get get / update / delete. The container's own children (`/security`)
//! are Graph-wide roots and only walked through. [`Capabilities`] from the overlay remove what the
//! service does not offer.

use std::collections::{BTreeMap, HashSet};

use heck::ToSnakeCase;

use crate::capabilities::{Capabilities, OperationText};
use crate::csdl::{description, long_description, Model, NavigationProperty};

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

/// An OData system query option an operation accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryOption {
    /// `$top`.
    Top,
    /// `$skip`.
    Skip,
    /// `$search`.
    Search,
    /// `$filter`.
    Filter,
    /// `$count`.
    Count,
    /// `$orderby`.
    OrderBy,
    /// `$select`.
    Select,
    /// `$expand`.
    Expand,
}

impl QueryOption {
    /// The query parameter name, e.g. `$top`.
    pub fn parameter(self) -> &'static str {
        match self {
            QueryOption::Top => "$top",
            QueryOption::Skip => "$skip",
            QueryOption::Search => "$search",
            QueryOption::Filter => "$filter",
            QueryOption::Count => "$count",
            QueryOption::OrderBy => "$orderby",
            QueryOption::Select => "$select",
            QueryOption::Expand => "$expand",
        }
    }

    /// All options in the order Microsoft's OpenAPI converter lists them.
    pub const ALL: [QueryOption; 8] = [
        QueryOption::Top,
        QueryOption::Skip,
        QueryOption::Search,
        QueryOption::Filter,
        QueryOption::Count,
        QueryOption::OrderBy,
        QueryOption::Select,
        QueryOption::Expand,
    ];
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
    /// Two operations would get the same id and no disambiguation was found.
    #[error("two operations would both be named `{0}`")]
    DuplicateId(String),
    /// An entity type reached through a collection has no key.
    #[error("entity type `{0}` is reached through a collection but has no key")]
    MissingKey(String),
}

/// An operation and the simple names of its ancestor types (nearest first), for naming.
type Found = (ApiOperation, Vec<String>);

struct Walk<'m> {
    model: &'m Model,
    operations: Vec<Found>,
}

/// Derives the operations of every contained navigation reachable from the entity container.
pub fn operations(model: &Model) -> Result<Vec<ApiOperation>, OperationsError> {
    let mut walk = Walk {
        model,
        operations: Vec::new(),
    };
    for container in model.containers() {
        for singleton in &container.singletons {
            let segments = vec![Segment::Navigation {
                name: singleton.name.clone(),
                collection: false,
                entity_type: singleton.type_ref.name.clone(),
            }];
            let mut visited = HashSet::new();
            visited.insert(singleton.type_ref.name.clone());
            walk.children(&singleton.type_ref.name, &segments, &mut visited, &[])?;
        }
        for set in &container.entity_sets {
            let entity_type = set.type_ref.name.clone();
            let key = walk.key_parameter(&entity_type)?;
            let segments = vec![
                Segment::Navigation {
                    name: set.name.clone(),
                    collection: true,
                    entity_type: entity_type.clone(),
                },
                Segment::Key(key),
            ];
            let mut visited = HashSet::new();
            visited.insert(entity_type.clone());
            walk.children(&entity_type, &segments, &mut visited, &[])?;
        }
    }
    name_operations(walk.operations)
}

impl Walk<'_> {
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

    /// Visits the contained navigation properties of `type_name` at `segments`.
    fn children(
        &mut self,
        type_name: &str,
        segments: &[Segment],
        visited: &mut HashSet<String>,
        ancestors: &[String],
    ) -> Result<(), OperationsError> {
        let model = self.model;
        let mut ancestors = ancestors.to_vec();
        ancestors.insert(0, simple_name(type_name).to_string());
        for navigation in model.all_navigation(type_name) {
            if !navigation.contains_target {
                continue;
            }
            let target = navigation.type_ref.name.clone();
            if visited.contains(&target) {
                continue;
            }
            visited.insert(target.clone());
            self.navigation(navigation, segments, visited, &ancestors)?;
            visited.remove(&target);
        }
        Ok(())
    }

    fn navigation(
        &mut self,
        navigation: &NavigationProperty,
        parent: &[Segment],
        visited: &mut HashSet<String>,
        ancestors: &[String],
    ) -> Result<(), OperationsError> {
        let capabilities = Capabilities::from_annotations(&navigation.annotations);
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
        let mut found: Vec<Found> = Vec::new();
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
                found.push((
                    ApiOperation {
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
                    },
                    ancestors.to_vec(),
                ));
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
            self.children(&entity_type, &item, visited, ancestors)?;
        } else {
            item_operations(&capabilities, &segments, &type_simple, &mut push);
            self.operations.append(&mut found);
            self.children(&entity_type, &segments, visited, ancestors)?;
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

/// Gives each operation a natural id (`list_sessions`, `get_evaluation`); ids that would clash
/// are prefixed with their parent types (`list_workspace_sessions`).
fn name_operations(operations: Vec<Found>) -> Result<Vec<ApiOperation>, OperationsError> {
    // Two vocabularies to disambiguate with, tried in order: the ancestor types
    // (`list_workspace_sessions`), then the URL segments of the ancestors, which always differ
    // between two paths (`site/termStore/...` vs `site/termStores/{id}/...`).
    let vocabularies: Vec<[Vec<String>; 2]> = operations
        .iter()
        .map(|(op, ancestor_types)| [ancestor_types.clone(), ancestor_segments(op)])
        .collect();
    let base_name = |op: &ApiOperation, words_before: &[String]| -> String {
        let subject = match op.verb {
            Verb::List | Verb::Count => op
                .segments
                .iter()
                .rev()
                .find_map(|s| match s {
                    Segment::Navigation { name, .. } if name != "$count" => Some(name.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
            _ => simple_name(&op.entity_type).to_string(),
        };
        let mut words = vec![op.verb.as_str().to_string()];
        words.extend(words_before.iter().rev().cloned());
        words.push(subject);
        words.join("_").to_snake_case()
    };
    // Per operation: which vocabulary, and how many of its words (nearest first).
    let mut choice = vec![(0usize, 0usize); operations.len()];
    loop {
        let names: Vec<String> = operations
            .iter()
            .zip(&choice)
            .zip(&vocabularies)
            .map(|(((op, _), (v, depth)), words)| {
                let vocabulary = &words[*v];
                base_name(op, &vocabulary[..(*depth).min(vocabulary.len())])
            })
            .collect();
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            groups.entry(name.as_str()).or_default().push(i);
        }
        let clashes: Vec<usize> = groups
            .values()
            .filter(|g| g.len() > 1)
            .flatten()
            .copied()
            .collect();
        if clashes.is_empty() {
            return Ok(operations
                .into_iter()
                .zip(names)
                .map(|((mut op, _), name)| {
                    op.id = name;
                    op
                })
                .collect());
        }
        let mut progressed = false;
        for i in clashes {
            let (v, depth) = choice[i];
            if depth < vocabularies[i][v].len() {
                choice[i] = (v, depth + 1);
                progressed = true;
            } else if v + 1 < vocabularies[i].len() {
                choice[i] = (v + 1, 1);
                progressed = true;
            }
        }
        if !progressed {
            let name = groups
                .iter()
                .find(|(_, g)| g.len() > 1)
                .map(|(n, _)| n.to_string())
                .unwrap_or_default();
            return Err(OperationsError::DuplicateId(name));
        }
    }
}

/// The navigation segments of an operation's path, nearest first: for list and count, those above
/// the collection (whose name is already the subject); for the others, the collection too (their
/// subject is the type, which two collections can share).
fn ancestor_segments(op: &ApiOperation) -> Vec<String> {
    let mut names: Vec<String> = op
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Navigation { name, .. } if name != "$count" => Some(name.clone()),
            _ => None,
        })
        .collect();
    if matches!(op.verb, Verb::List | Verb::Count) {
        names.pop();
    }
    names.reverse();
    names
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
