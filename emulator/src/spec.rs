//! The API the emulator serves, read from the CSDL and overlay the client is generated from.
//!
//! Two views of the spec are computed at start-up with the codegen library:
//!
//! - the **surface**: every path of the navigations the overlay exposes, with every verb. A path
//!   outside it (including a navigation Microsoft's CSDL declares but the overlay does not
//!   expose) is `404`;
//! - the **operations**: what the Capabilities restrictions leave of it (the documented
//!   operations). A surface path whose method is not among them is `405`.
//!
//! Entity types, keys, property names and types (for body validation and `$filter` typing) come
//! from the resolved model, with the overlay's annotations (`Core.Computed` marks what the server
//! sets). Nothing here names a Security Copilot path: a new entity set, navigation or property in
//! the CSDL is served without code changes.

use std::collections::HashMap;
use std::sync::Arc;

use graph_odata_csdl::operations::{
    operations, operations_with, render_path, simple_name, ApiOperation, OperationsError, Segment,
    Verb, WalkOptions,
};
use graph_odata_csdl::{
    self as csdl, find_annotation, CsdlError, Model, Property, TypeKind, TypeRef,
};

use crate::odata::{EntityShape, PropertyKind};

/// The CSDL bundled with the emulator: the same file the client is generated from.
pub const BUNDLED_CSDL: &str = include_str!("../spec/securityCopilot.csdl.xml");
/// The overlay bundled with the emulator: the same file the client is generated from.
pub const BUNDLED_OVERLAY: &str = include_str!("../spec/overlay.xml");

const COMPUTED: &str = "Org.OData.Core.V1.Computed";

/// Why a spec could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// The CSDL or an overlay is malformed or inconsistent.
    #[error(transparent)]
    Csdl(#[from] CsdlError),
    /// The operations could not be derived from the model.
    #[error(transparent)]
    Operations(#[from] OperationsError),
}

/// What a path addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// A collection (`.../sessions`): list and create.
    Collection,
    /// One member of a collection (`.../sessions/{session-id}`): get, update, delete.
    Item,
    /// `.../sessions/$count`.
    Count,
    /// A single-valued navigation (`/security/securityCopilot`): get, update, delete.
    Single,
}

/// A key segment on the way to a resource: which collection it selects from.
#[derive(Debug, Clone)]
pub struct KeyStep {
    /// The template of the collection the key selects from.
    pub collection: String,
    /// The entity type of the collection's members.
    pub entity_type: String,
    /// The key property (`id`, `name`).
    pub key_property: String,
}

/// One path of the surface.
#[derive(Debug, Clone)]
pub struct Route {
    /// The path template, `/security/securityCopilot/workspaces/{workspace-id}/sessions`.
    pub template: String,
    /// The template as segments.
    pub pattern: Vec<Segment>,
    /// What it addresses.
    pub kind: RouteKind,
    /// The entity type of the addressed resource(s).
    pub entity_type: String,
    /// The template of the collection that stores the addressed entity (for a collection or its
    /// `$count`, the collection itself; for a single-valued navigation, its own path).
    pub collection: String,
    /// One step per key segment, in path order.
    pub steps: Vec<KeyStep>,
    /// The operations the spec allows on this path.
    pub operations: Vec<ApiOperation>,
}

impl Route {
    /// The allowed operation with this verb, if any.
    pub fn operation(&self, verb: Verb) -> Option<&ApiOperation> {
        self.operations.iter().find(|op| op.verb == verb)
    }

    /// The HTTP methods allowed on this path, for an `Allow` header.
    pub fn allowed_methods(&self) -> Vec<&'static str> {
        let mut methods: Vec<&'static str> = self.operations.iter().map(|op| op.method).collect();
        methods.sort_unstable();
        methods.dedup();
        methods
    }
}

/// A request path resolved against the surface.
#[derive(Debug, Clone)]
pub struct Matched {
    /// Index into [`Spec::routes`].
    pub route: usize,
    /// The key values, one per key segment, in path order.
    pub keys: Vec<String>,
}

/// The parsed spec: model, surface, allowed operations and entity shapes.
#[derive(Debug, Clone)]
pub struct Spec {
    pub(crate) model: Model,
    metadata: Arc<str>,
    routes: Vec<Route>,
    operations: Vec<ApiOperation>,
    shapes: HashMap<String, Arc<EntityShape>>,
}

impl Spec {
    /// The spec bundled with the emulator (`spec/securityCopilot.csdl.xml` + `spec/overlay.xml`).
    pub fn bundled() -> Result<Spec, SpecError> {
        Spec::from_csdl(BUNDLED_CSDL, &[BUNDLED_OVERLAY])
    }

    /// A spec from CSDL text and overlays (annotation-only documents whose targets must exist).
    pub fn from_csdl(csdl_text: &str, overlays: &[&str]) -> Result<Spec, SpecError> {
        let base = csdl::read_str("securityCopilot.csdl.xml", csdl_text)?;
        let overlay_documents = overlays
            .iter()
            .enumerate()
            .map(|(i, text)| csdl::read_str(&format!("overlay-{i}.xml"), text))
            .collect::<Result<Vec<_>, _>>()?;
        let model = Model::build_with_overlays(vec![base], overlay_documents)?;
        let surface = operations_with(&model, WalkOptions::SURFACE)?;
        let allowed = operations(&model)?;
        let mut routes: Vec<Route> = Vec::new();
        for op in &surface {
            if routes.iter().any(|r| r.template == op.path) {
                continue;
            }
            routes.push(route(op, &allowed));
        }
        let mut shapes = HashMap::new();
        for route in &routes {
            shapes
                .entry(route.entity_type.clone())
                .or_insert_with(|| Arc::new(shape(&model, &route.entity_type)));
        }
        Ok(Spec {
            model,
            metadata: Arc::from(csdl_text),
            routes,
            operations: allowed,
            shapes,
        })
    }

    /// Every path of the surface.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The operations the spec allows (with the overlay applied).
    pub fn operations(&self) -> &[ApiOperation] {
        &self.operations
    }

    /// The CSDL text, served at `$metadata`.
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// The resolved model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The shape of an entity type the surface serves.
    pub fn shape(&self, entity_type: &str) -> Option<&Arc<EntityShape>> {
        self.shapes.get(entity_type)
    }

    /// The first collection route whose entity type has this simple name (`session`), parents
    /// first.
    pub fn collection_route(&self, simple: &str) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| r.kind == RouteKind::Collection && simple_name(&r.entity_type) == simple)
            .min_by_key(|r| r.steps.len())
    }

    /// Resolves decoded path segments (after `/beta`) to a route and its keys; on failure, the
    /// first segment that leads nowhere.
    pub fn match_path(&self, segments: &[String]) -> Result<Matched, String> {
        let mut best: Option<(usize, usize)> = None;
        let mut deepest = 0usize;
        for (index, route) in self.routes.iter().enumerate() {
            let mut literals = 0usize;
            let mut matched = 0usize;
            for (pattern, segment) in route.pattern.iter().zip(segments) {
                let ok = match pattern {
                    Segment::Navigation { name, .. } => {
                        let ok = name.eq_ignore_ascii_case(segment);
                        literals += usize::from(ok);
                        ok
                    }
                    Segment::Key(_) => !segment.is_empty(),
                };
                if !ok {
                    break;
                }
                matched += 1;
            }
            deepest = deepest.max(matched);
            if matched == segments.len() && matched == route.pattern.len() {
                let better = best.is_none_or(|(_, score)| literals > score);
                if better {
                    best = Some((index, literals));
                }
            }
        }
        match best {
            Some((route, _)) => {
                let keys = self.routes[route]
                    .pattern
                    .iter()
                    .zip(segments)
                    .filter(|(p, _)| matches!(p, Segment::Key(_)))
                    .map(|(_, s)| s.clone())
                    .collect();
                Ok(Matched { route, keys })
            }
            None => Err(segments
                .get(deepest)
                .or(segments.last())
                .cloned()
                .unwrap_or_default()),
        }
    }

    /// The route with this index.
    pub fn route(&self, index: usize) -> Option<&Route> {
        self.routes.get(index)
    }

    /// The structural properties of a type, base first.
    pub fn properties(&self, type_name: &str) -> Vec<&Property> {
        self.model.all_properties(type_name)
    }

    /// Whether a property is set by the server (`Org.OData.Core.V1.Computed`).
    pub fn is_computed(property: &Property) -> bool {
        find_annotation(&property.annotations, COMPUTED)
            .is_some_and(|a| a.value.as_bool().unwrap_or(true))
    }

    /// The key property of an entity type (the first, for a composite key).
    pub fn key_property(&self, entity_type: &str) -> Option<String> {
        self.model.key(entity_type).into_iter().next()
    }

    /// Whether the key of an entity type is assigned by the server (an `id` key, as Graph's
    /// `microsoft.graph.entity` has) rather than chosen by the caller (a `name` key).
    pub fn server_assigns_key(&self, entity_type: &str) -> bool {
        self.key_property(entity_type).as_deref() == Some("id")
    }

    /// What a type name refers to.
    pub(crate) fn lookup(&self, name: &str) -> Option<TypeKind<'_>> {
        self.model.lookup(name)
    }

    /// Whether `candidate` is `type_name` or derives from it.
    pub(crate) fn is_same_or_derived(&self, candidate: &str, type_name: &str) -> bool {
        candidate == type_name
            || self
                .model
                .derived_types(type_name)
                .iter()
                .any(|d| d == candidate)
    }

    /// Whether a structured type accepts undeclared properties.
    pub(crate) fn is_open(&self, type_name: &str) -> bool {
        self.model.base_chain(type_name).iter().any(|t| t.is_open)
    }

    /// The navigation property names of a type.
    pub(crate) fn navigation_names(&self, type_name: &str) -> Vec<String> {
        self.model
            .all_navigation(type_name)
            .into_iter()
            .map(|n| n.name.clone())
            .collect()
    }
}

fn route(op: &ApiOperation, allowed: &[ApiOperation]) -> Route {
    let kind = match op.segments.last() {
        Some(Segment::Key(_)) => RouteKind::Item,
        Some(Segment::Navigation { name, .. }) if name == "$count" => RouteKind::Count,
        Some(Segment::Navigation {
            collection: true, ..
        }) => RouteKind::Collection,
        _ => RouteKind::Single,
    };
    let steps = op
        .segments
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Segment::Key(key) => Some(KeyStep {
                collection: render_path(&op.segments[..i]),
                entity_type: key.entity_type.clone(),
                key_property: key.key_property.clone(),
            }),
            Segment::Navigation { .. } => None,
        })
        .collect();
    let collection = match kind {
        RouteKind::Item | RouteKind::Count => {
            render_path(&op.segments[..op.segments.len().saturating_sub(1)])
        }
        RouteKind::Collection | RouteKind::Single => op.path.clone(),
    };
    Route {
        template: op.path.clone(),
        pattern: op.segments.clone(),
        kind,
        entity_type: op.entity_type.clone(),
        collection,
        steps,
        operations: allowed
            .iter()
            .filter(|a| a.path == op.path)
            .cloned()
            .collect(),
    }
}

/// The query engine's view of an entity type.
fn shape(model: &Model, entity_type: &str) -> EntityShape {
    let key = model
        .key(entity_type)
        .into_iter()
        .next()
        .unwrap_or_default();
    model
        .all_properties(entity_type)
        .into_iter()
        .fold(EntityShape::new(entity_type, key), |shape, p| {
            shape.with_property(p.name.clone(), kind(model, &p.type_ref))
        })
}

/// How the query engine compares a property of this type.
pub(crate) fn kind(model: &Model, type_ref: &TypeRef) -> PropertyKind {
    if type_ref.collection {
        return PropertyKind::Collection;
    }
    let mut name = type_ref.name.clone();
    // Type definitions may chain; the model rejects cycles, the bound is a second guard.
    for _ in 0..16 {
        match model.lookup(&name) {
            Some(TypeKind::Primitive(p)) => return PropertyKind::from_edm(p),
            Some(TypeKind::Enum(_)) => return PropertyKind::Enum,
            Some(TypeKind::Structured(_)) => return PropertyKind::Complex,
            Some(TypeKind::Definition(d)) => {
                if d.underlying_type.collection {
                    return PropertyKind::Collection;
                }
                name = d.underlying_type.name.clone();
            }
            None => return PropertyKind::Other,
        }
    }
    PropertyKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn bundled_spec_has_the_documented_operations() {
        let spec = Spec::bundled().unwrap();
        assert_eq!(spec.operations().len(), 12);
        // The bare CSDL implies 16 paths (33 operations in Microsoft's SDKs).
        assert_eq!(spec.routes().len(), 16);
        let sessions = spec.collection_route("session").unwrap();
        assert_eq!(
            sessions.template,
            "/security/securityCopilot/workspaces/{workspace-id}/sessions"
        );
        assert_eq!(sessions.allowed_methods(), vec!["GET", "POST"]);
        assert_eq!(sessions.steps.len(), 1);
        assert_eq!(sessions.steps[0].key_property, "id");
        let plugins = spec.collection_route("plugin").unwrap();
        assert_eq!(plugins.allowed_methods(), vec!["GET"]);
    }

    #[test]
    fn paths_resolve_to_routes_and_keys() {
        let spec = Spec::bundled().unwrap();
        let m = spec
            .match_path(&segments(
                "/security/securityCopilot/workspaces/default/sessions/s1/prompts/p1",
            ))
            .unwrap();
        let route = spec.route(m.route).unwrap();
        assert_eq!(route.kind, RouteKind::Item);
        assert_eq!(m.keys, vec!["default", "s1", "p1"]);
        assert_eq!(route.allowed_methods(), vec!["GET"]);
        // `$count` is a literal, preferred over a key.
        let m = spec
            .match_path(&segments(
                "/security/securityCopilot/workspaces/default/sessions/$count",
            ))
            .unwrap();
        assert_eq!(spec.route(m.route).unwrap().kind, RouteKind::Count);
        // Case-insensitive navigation names.
        assert!(spec
            .match_path(&segments("/Security/SecurityCopilot/Workspaces"))
            .is_ok());
        assert_eq!(
            spec.match_path(&segments("/security/securityCopilot/nope/x"))
                .unwrap_err(),
            "nope"
        );
        assert_eq!(spec.match_path(&segments("/other")).unwrap_err(), "other");
    }

    #[test]
    fn shapes_know_property_kinds() {
        let spec = Spec::bundled().unwrap();
        let shape = spec
            .shape("microsoft.graph.security.securityCopilot.evaluation")
            .unwrap();
        assert_eq!(shape.key, "id");
        assert_eq!(shape.property_kind("state"), Some(PropertyKind::Enum));
        assert_eq!(
            shape.property_kind("executionCount"),
            Some(PropertyKind::Int64)
        );
        assert_eq!(shape.property_kind("result"), Some(PropertyKind::Complex));
        let plugin = spec
            .shape("microsoft.graph.security.securityCopilot.plugin")
            .unwrap();
        assert_eq!(plugin.key, "name");
        assert_eq!(
            plugin.property_kind("settings"),
            Some(PropertyKind::Collection)
        );
    }
}
