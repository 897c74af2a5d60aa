//! `graph-spec new-crate`: a complete, tested client crate for one Graph namespace, in one
//! command. The crate is one more instance of this generator, like `graph-security-copilot`:
//! its `build.rs` generates models and handles from its `spec/` at build time, on the generic
//! runtime `graph-odata-runtime`.
//!
//! What [`new_crate`] writes into the output directory:
//!
//! - `spec/`: the slice of the document for the namespace ([`crate::slice`]), an overlay with
//!   one explicit entry per exposed navigation, and `generator.json` ([`SpecConfig`]);
//! - `Cargo.toml` (the runtime as a dependency, this generator as a build-dependency, the
//!   emulator as a dev-dependency: by path when the generator runs from a checkout of its
//!   repository, which also provides the checkout's `Cargo.lock`; by version otherwise),
//!   `build.rs`, `src/` and a README with the refresh command;
//! - `tests/smoke.rs`: one test per exposed entity collection against the emulator loaded with
//!   the crate's own spec (create where the spec allows it, with a body built from the spec;
//!   list; get).
//!
//! # What is exposed
//!
//! The navigations whose targets are types of the namespace, and those on the way to them from
//! the entity container (a `microsoft.graph` singleton or entity set may be the entry point),
//! each with its own overlay entry and no wildcard. Recursion stops where the document's own
//! containment does (a type is not entered twice on one path). Verbs and query options are what
//! the document's own Capabilities annotations leave (an absent restriction means allowed);
//! the overlay adds no restriction, and its header marks every entry for review. A root entity
//! set whose type another exposed navigation also reaches (`/connections` beside
//! `/external/connections`) is not exposed: it has no operations of its own, and its children
//! would take the same names. Bound actions and functions are not exposed; the README lists
//! them.
//!
//! Names follow the main crate's rules ([`crate::rust_names`]); what cannot be named fails at
//! the CSDL file, line, column and element, before anything but the slice is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use heck::{ToKebabCase, ToTitleCase};
use serde_json::{json, Map, Value};

use crate::config::SpecConfig;
use crate::csdl::{CsdlError, Model, TypeKind, TypeRef};
use crate::generate::{generate, load_spec, GenerateError};
use crate::operations::{
    navigations, render_path, resource_words, simple_name, walked_through, ApiOperation,
    KeyParameter, NavigationEntry, OperationsError, Segment, Verb,
};
use crate::rust_handles::{accessor_chains, AccessorStep};
use crate::rust_models::{field_name, required_properties, TypeSet};
use crate::slice::{slice_file, SliceError};

/// The version of this generator, the runtime and the emulator a crate written outside a
/// checkout depends on (they are released together).
pub const GENERATOR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How deep a smoke-test body nests complex values before it stops (`{}` below).
pub const MAX_BODY_DEPTH: usize = 8;

/// Where the new crate's dependencies on the runtime, generator and emulator come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DependencySource {
    /// By path, from this checkout of the repository (its root directory).
    Checkout(PathBuf),
    /// By version, from crates.io ([`GENERATOR_VERSION`]).
    Registry,
}

impl DependencySource {
    /// The checkout this generator was built from, when it is still there (it has `runtime/`,
    /// `codegen/` and `emulator/` crates); crates.io otherwise.
    pub fn detect() -> DependencySource {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
        match root {
            Some(root)
                if ["runtime", "codegen", "emulator"]
                    .iter()
                    .all(|c| root.join(c).join("Cargo.toml").is_file()) =>
            {
                DependencySource::Checkout(root.canonicalize().unwrap_or(root.to_path_buf()))
            }
            _ => DependencySource::Registry,
        }
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct NewCrateOptions {
    /// The full `$metadata` document.
    pub metadata: PathBuf,
    /// The namespace, e.g. `microsoft.graph.externalConnectors`.
    pub namespace: String,
    /// The directory to write (created; must not exist or be empty).
    pub out: PathBuf,
    /// The crate name (default `graph-` and the namespace's last segment in kebab case,
    /// `graph-external-connectors`).
    pub name: Option<String>,
    /// The Graph version the namespace is served from, `v1.0` or `beta` (default: `beta` when
    /// the metadata file name says `beta`, else `v1.0`).
    pub graph_version: Option<String>,
    /// Where the dependencies come from.
    pub dependencies: DependencySource,
}

impl NewCrateOptions {
    /// Options with the defaults: name and version derived, dependencies detected.
    pub fn new(metadata: &Path, namespace: &str, out: &Path) -> NewCrateOptions {
        NewCrateOptions {
            metadata: metadata.to_path_buf(),
            namespace: namespace.to_string(),
            out: out.to_path_buf(),
            name: None,
            graph_version: None,
            dependencies: DependencySource::detect(),
        }
    }
}

/// What [`new_crate`] wrote.
#[derive(Clone, Debug)]
pub struct NewCrateReport {
    /// The crate name.
    pub crate_name: String,
    /// The crate directory.
    pub dir: PathBuf,
    /// The HTTP operations the crate offers.
    pub operations: usize,
    /// The model types it generates (structs and enums).
    pub types: usize,
    /// The overlay entries (navigation paths) exposed.
    pub exposed: Vec<String>,
    /// Navigations of the slice that are not exposed.
    pub not_exposed: Vec<String>,
    /// Bound actions and functions of the namespace (never exposed).
    pub bound_operations: Vec<String>,
    /// The collection paths that got a smoke test.
    pub smoke_tests: Vec<String>,
}

/// Why a crate could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NewCrateError {
    /// Bad options (crate name, version, output directory).
    #[error("{0}")]
    Usage(String),
    /// The slice failed (bad document, no such namespace).
    #[error(transparent)]
    Slice(#[from] SliceError),
    /// The sliced CSDL is inconsistent.
    #[error(transparent)]
    Csdl(#[from] CsdlError),
    /// The operations could not be derived (a name collision names the CSDL element).
    #[error(transparent)]
    Operations(#[from] OperationsError),
    /// Generation failed (a name collision names the CSDL element).
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// The namespace has nothing a client could reach: no navigation from the entity
    /// container leads to one of its types.
    #[error("no navigation from the entity container reaches a type of {0}: nothing to expose")]
    NothingExposed(String),
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn write(path: &Path, contents: &str) -> Result<(), NewCrateError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| NewCrateError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, contents).map_err(|source| NewCrateError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The default crate name for a namespace: `graph-` and its last segment in kebab case.
pub fn default_crate_name(namespace: &str) -> String {
    let last = namespace.rsplit('.').next().unwrap_or(namespace);
    format!("graph-{}", last.to_kebab_case())
}

fn check_crate_name(name: &str) -> Result<(), NewCrateError> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(NewCrateError::Usage(format!(
            "{name:?} is not a crate name (ASCII letters, digits, `-` and `_`, starting with a letter)"
        )))
    }
}

/// Writes a complete crate for one namespace; see the [module docs](self).
pub fn new_crate(options: &NewCrateOptions) -> Result<NewCrateReport, NewCrateError> {
    let namespace = options.namespace.as_str();
    let crate_name = options
        .name
        .clone()
        .unwrap_or_else(|| default_crate_name(namespace));
    check_crate_name(&crate_name)?;
    let version = match &options.graph_version {
        Some(v) => v.clone(),
        None => {
            let file = options
                .metadata
                .file_name()
                .map(|f| f.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if file.contains("beta") {
                "beta"
            } else {
                "v1.0"
            }
            .to_string()
        }
    };
    let last = namespace.rsplit('.').next().unwrap_or(namespace);
    let title = last.to_title_case();
    let config = SpecConfig::for_namespace(namespace, &title, &version);
    if !matches!(version.as_str(), "beta" | "v1.0") {
        return Err(NewCrateError::Usage(format!(
            "version {version:?} is not a Graph version (beta or v1.0)"
        )));
    }
    let out = &options.out;
    if out.exists() {
        let empty = std::fs::read_dir(out)
            .map_err(|source| NewCrateError::Io {
                path: out.clone(),
                source,
            })?
            .next()
            .is_none();
        if !empty {
            return Err(NewCrateError::Usage(format!(
                "{} exists and is not empty: choose a new directory",
                out.display()
            )));
        }
    }
    let spec_dir = out.join("spec");
    std::fs::create_dir_all(&spec_dir).map_err(|source| NewCrateError::Io {
        path: spec_dir.clone(),
        source,
    })?;
    let fragment = spec_dir.join(&config.fragment);
    slice_file(&options.metadata, &[namespace.to_string()], &fragment)?;

    // The overlay: what the document reaches of the namespace.
    let bare = load_spec(std::slice::from_ref(&fragment))?;
    let entries = navigations(&bare)?;
    let chosen = exposure(&entries, namespace);
    if !chosen
        .iter()
        .any(|e| in_namespace(&e.entity_type, namespace))
    {
        return Err(NewCrateError::NothingExposed(namespace.to_string()));
    }
    let targets: BTreeSet<String> = chosen.iter().map(|e| e.target.clone()).collect();
    let overlay = crate::overlay::overlay_document(
        &bare,
        |entry| targets.contains(&entry.target),
        &format!(
            "Generated by `graph-spec new-crate` for {namespace}: one entry per navigation whose\n     \
             target is a type of the namespace, or that leads to one. REVIEW every entry: remove\n     \
             what the service does not implement, and add Capabilities restrictions for the verbs\n     \
             and query options it offers (absent: allowed, narrowed by Microsoft's own annotations)."
        ),
    )?;
    write(&spec_dir.join(&config.overlay), &overlay)?;
    write(
        &spec_dir.join(crate::config::CONFIG_FILE),
        &config.to_json(),
    )?;

    // Generate once here: every naming error surfaces now, at its CSDL element.
    let model = load_spec(&config.files(&spec_dir))?;
    let generated = generate(&model, &config)?;
    let ops = &generated.operations;
    let types = TypeSet::new(&model, &[namespace], ops)?;
    let chains = accessor_chains(&model, ops)?;

    let exposed: Vec<String> = entries
        .iter()
        .filter(|e| targets.contains(&e.target))
        .map(|e| e.path.clone())
        .collect();
    let not_exposed: Vec<String> = entries
        .iter()
        .filter(|e| !targets.contains(&e.target))
        .map(|e| e.path.clone())
        .collect();
    let bound_operations = bound_operations(&model, namespace);

    let plan = SmokePlan::new(&model, &types, ops, &chains);
    let crate_ident = crate_name.replace('-', "_");
    let smoke = plan.render(&crate_ident, &config)?;

    write(
        &out.join("Cargo.toml"),
        &cargo_toml(
            &crate_name,
            &title,
            namespace,
            &version,
            &options.dependencies,
        ),
    )?;
    write(&out.join("build.rs"), &build_rs(&title))?;
    write(&out.join(".gitignore"), "/target\n")?;
    for (file, text) in lib_files(&crate_ident, &title, namespace, &version) {
        write(&out.join("src").join(file), &text)?;
    }
    write(&out.join("tests").join("smoke.rs"), &smoke)?;
    let report = NewCrateReport {
        crate_name: crate_name.clone(),
        dir: out.clone(),
        operations: ops.len(),
        types: types.structured().len() + types.enums().len(),
        exposed,
        not_exposed,
        bound_operations,
        smoke_tests: plan.tested.iter().map(|c| c.path.clone()).collect(),
    };
    write(
        &out.join("README.md"),
        &readme(&report, &title, namespace, &version, options, ops),
    )?;
    if let DependencySource::Checkout(root) = &options.dependencies {
        // The checkout's lock: the new crate builds with the versions the workspace is tested
        // with (and, sharing a target directory, reuses its artifacts); cargo drops the rest.
        let lock = root.join("Cargo.lock");
        if lock.is_file() {
            std::fs::copy(&lock, out.join("Cargo.lock")).map_err(|source| NewCrateError::Io {
                path: lock.clone(),
                source,
            })?;
        }
    }
    Ok(report)
}

fn in_namespace(qualified: &str, namespace: &str) -> bool {
    qualified
        .rsplit_once('.')
        .is_some_and(|(ns, _)| ns == namespace)
}

/// The navigation entries to expose: those whose targets are types of the namespace and those
/// on the way to them, minus root entity sets another exposed entry also reaches.
fn exposure<'e>(entries: &'e [NavigationEntry], namespace: &str) -> Vec<&'e NavigationEntry> {
    let own: Vec<&NavigationEntry> = entries
        .iter()
        .filter(|e| in_namespace(&e.entity_type, namespace))
        .collect();
    let needed = |e: &NavigationEntry| {
        own.iter()
            .any(|o| o.path == e.path || o.path.starts_with(&format!("{}/", e.path)))
    };
    let is_root_set = |e: &NavigationEntry| e.collection && e.path.matches('/').count() == 1;
    let candidates: Vec<&NavigationEntry> = entries.iter().filter(|e| needed(e)).collect();
    let reached_elsewhere: BTreeSet<&str> = candidates
        .iter()
        .filter(|e| !is_root_set(e))
        .map(|e| e.entity_type.as_str())
        .collect();
    let dropped: Vec<&str> = candidates
        .iter()
        .filter(|e| is_root_set(e) && reached_elsewhere.contains(e.entity_type.as_str()))
        .map(|e| e.path.as_str())
        .collect();
    candidates
        .into_iter()
        .filter(|e| {
            !dropped
                .iter()
                .any(|d| e.path == *d || e.path.starts_with(&format!("{d}/")))
        })
        .collect()
}

/// `name(bindingType)` of every action and function bound to a type of the namespace.
fn bound_operations(model: &Model, namespace: &str) -> Vec<String> {
    let mut found = BTreeSet::new();
    for schema in &model.document().schemas {
        for op in schema.operations.iter().filter(|o| o.is_bound) {
            let Some(binding) = op.parameters.first() else {
                continue;
            };
            let bound_to = &binding.type_ref.name;
            let qualified = format!("{}.{}", schema.namespace, op.name);
            if in_namespace(bound_to, namespace) || in_namespace(&qualified, namespace) {
                found.insert(format!("{qualified}({})", binding.type_ref.raw));
            }
        }
    }
    found.into_iter().collect()
}

/// One exposed collection, as the smoke tests see it.
#[derive(Clone, Debug)]
struct Collection {
    path: String,
    segments: Vec<Segment>,
    entity_type: String,
    keys: Vec<KeyParameter>,
    chain: Vec<AccessorStep>,
    item_chain: Option<Vec<AccessorStep>>,
    list: bool,
    create: bool,
    get: bool,
    name: String,
}

struct SmokePlan<'m> {
    model: &'m Model,
    types: &'m TypeSet,
    collections: BTreeMap<String, Collection>,
    tested: Vec<Collection>,
}

impl<'m> SmokePlan<'m> {
    fn new(
        model: &'m Model,
        types: &'m TypeSet,
        ops: &[ApiOperation],
        chains: &BTreeMap<String, Vec<AccessorStep>>,
    ) -> SmokePlan<'m> {
        let through = walked_through(ops);
        let mut collections: BTreeMap<String, Collection> = BTreeMap::new();
        for op in ops {
            let (collection_path, segments) = match op.verb {
                Verb::List | Verb::Create => (op.path.clone(), op.segments.clone()),
                Verb::Get if matches!(op.segments.last(), Some(Segment::Key(_))) => {
                    let segments = op.segments[..op.segments.len() - 1].to_vec();
                    (render_path(&segments), segments)
                }
                _ => continue,
            };
            let Some(chain) = chains.get(&collection_path) else {
                continue;
            };
            let entry = collections
                .entry(collection_path.clone())
                .or_insert_with(|| Collection {
                    path: collection_path.clone(),
                    keys: segments
                        .iter()
                        .filter_map(|s| match s {
                            Segment::Key(k) => Some(k.clone()),
                            Segment::Navigation { .. } => None,
                        })
                        .collect(),
                    name: resource_words(&segments, &through).join("_"),
                    segments,
                    entity_type: op.entity_type.clone(),
                    chain: chain.clone(),
                    item_chain: None,
                    list: false,
                    create: false,
                    get: false,
                });
            match op.verb {
                Verb::List => entry.list = true,
                Verb::Create => entry.create = true,
                _ => {
                    entry.get = true;
                    entry.item_chain = chains.get(&op.path).cloned();
                }
            }
        }
        let tested = collections
            .values()
            .filter(|c| c.list || c.create)
            .cloned()
            .collect();
        SmokePlan {
            model,
            types,
            collections,
            tested,
        }
    }

    /// The Rust path of a model type below `models`.
    fn rust_type(&self, qualified: &str) -> String {
        format!(
            "models::{}",
            self.types.rust_path(qualified).unwrap_or_default()
        )
    }

    /// The key field of an entity type's model.
    fn key_field(&self, entity_type: &str) -> String {
        self.model
            .key(entity_type)
            .first()
            .map(|k| field_name(k))
            .unwrap_or_else(|| "id".to_string())
    }

    /// The expression of the key of the `index`-th key step of `collection`: a created parent
    /// when the spec lets a caller create it, else a made-up key (a container the emulator
    /// treats as present).
    fn parent_key(&self, collection: &Collection, index: usize) -> String {
        let mut seen = 0usize;
        for (position, segment) in collection.segments.iter().enumerate() {
            if let Segment::Key(key) = segment {
                if seen == index {
                    let parent = render_path(&collection.segments[..position]);
                    return match self.collections.get(&parent) {
                        Some(p) if p.create => {
                            let args: String =
                                (0..index).map(|i| format!(", k{i}.as_str()")).collect();
                            format!("create_{}(&client{args}).await", p.name)
                        }
                        _ => format!(
                            "{:?}.to_string()",
                            format!("smoke-{}", simple_name(&key.entity_type))
                        ),
                    };
                }
                seen += 1;
            }
        }
        "String::new()".to_string()
    }

    fn call_chain(steps: &[AccessorStep], last_key: &str) -> String {
        let mut code = String::from("client");
        let total_keyed = steps.iter().filter(|s| s.key.is_some()).count();
        let mut keyed = 0usize;
        for step in steps {
            match &step.key {
                Some(_) => {
                    let arg = if keyed + 1 == total_keyed && !last_key.is_empty() {
                        last_key.to_string()
                    } else {
                        format!("k{keyed}.as_str()")
                    };
                    let _ = write!(code, ".{}({arg})", step.method);
                    keyed += 1;
                }
                None => {
                    let _ = write!(code, ".{}()", step.method);
                }
            }
        }
        code
    }

    /// The JSON body a create of `entity_type` sends: the required properties (the models'
    /// constructor rule, [`required_properties`]) with sample values, and the key when the
    /// caller chooses it (a key other than `id`).
    fn body(&self, entity_type: &str) -> Value {
        let mut body = self.structured_sample(entity_type, 0);
        if let Value::Object(members) = &mut body {
            let key = self.model.key(entity_type);
            if let Some(k) = key.first().filter(|k| k.as_str() != "id") {
                members.insert(
                    k.clone(),
                    json!(format!("smoke-{}", simple_name(entity_type))),
                );
            }
        }
        body
    }

    fn structured_sample(&self, type_name: &str, depth: usize) -> Value {
        if depth > MAX_BODY_DEPTH {
            return Value::Object(Map::new());
        }
        // An abstract type is sent as its first concrete derived type, named by `@odata.type`.
        let concrete = match self.model.structured(type_name) {
            Some(t) if t.is_abstract => self
                .model
                .derived_types(type_name)
                .into_iter()
                .find(|d| self.model.structured(d).is_some_and(|s| !s.is_abstract)),
            _ => None,
        };
        let mut members = Map::new();
        let actual = match &concrete {
            Some(derived) => {
                members.insert("@odata.type".into(), json!(format!("#{derived}")));
                derived.as_str()
            }
            None => type_name,
        };
        for property in required_properties(self.model, actual) {
            members.insert(
                property.name.clone(),
                self.sample(&property.type_ref, depth + 1),
            );
        }
        Value::Object(members)
    }

    fn sample(&self, type_ref: &TypeRef, depth: usize) -> Value {
        if type_ref.collection {
            return json!([]);
        }
        let mut name = type_ref.name.clone();
        // Type definitions may chain; the model rejects cycles, the bound is a second guard.
        for _ in 0..16 {
            match self.model.lookup(&name) {
                Some(TypeKind::Primitive(p)) => return primitive_sample(p),
                Some(TypeKind::Enum(e)) => {
                    return e
                        .members
                        .first()
                        .map_or(Value::Null, |m| json!(m.name.clone()))
                }
                Some(TypeKind::Structured(_)) => return self.structured_sample(&name, depth),
                Some(TypeKind::Definition(d)) => {
                    if d.underlying_type.collection {
                        return json!([]);
                    }
                    name = d.underlying_type.name.clone();
                }
                None => return Value::Null,
            }
        }
        Value::Null
    }

    /// The `tests/smoke.rs` source.
    fn render(&self, crate_ident: &str, config: &SpecConfig) -> Result<String, NewCrateError> {
        let mut code = String::new();
        let any_list = self.tested.iter().any(|c| c.list);
        let _ = writeln!(
            code,
            "//! Generated by `graph-spec new-crate`: one smoke test per exposed entity collection,
//! against the emulator loaded with this crate's own `spec/` (generic profile: no seed data;
//! containers the spec offers no way to create are treated as present). Create where the spec
//! allows it, with the body the spec requires; list; get.
{list_import}
use graph_security_copilot_emulator::{{Emulator, Generic, Spec}};
use {crate_ident}::{{auth::StaticToken, models, Client}};

/// The emulator serving this crate's spec, and a client pointed at it.
async fn start() -> (Emulator, Client) {{
    let spec = Spec::from_documents(
        ({fragment:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/spec/{fragment}\"))),
        &[({overlay:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/spec/{overlay}\")))],
    )
    .expect(\"the crate's spec loads in the emulator\");
    let emulator = Emulator::builder()
        .spec(spec)
        .profile(Generic)
        .start()
        .await
        .expect(\"the emulator starts\");
    let client = Client::builder()
        .base_url(emulator.base_url())
        .credential(StaticToken::new(\"smoke-test-token\"))
        .build()
        .expect(\"the client builds\");
    (emulator, client)
}}

/// A key as the handles take it.
#[allow(dead_code)]
fn key_of<T: ToString>(key: &Option<T>) -> String {{
    key.as_ref().map(ToString::to_string).unwrap_or_default()
}}

#[tokio::test]
async fn the_emulator_loads_the_crate_spec() {{
    let (emulator, _client) = start().await;
    assert!(emulator.base_url().starts_with(\"http://127.0.0.1:\"));
}}
",
            list_import = if any_list {
                "\nuse futures::TryStreamExt;"
            } else {
                ""
            },
            fragment = config.fragment,
            overlay = config.overlay,
        );
        // Helpers that create one member of a creatable collection (tests and parents).
        for c in self.collections.values().filter(|c| c.create) {
            let params: String = (0..c.keys.len()).map(|i| format!(", k{i}: &str")).collect();
            let rebind: String = (0..c.keys.len())
                .map(|i| format!("    let k{i} = k{i}.to_string();\n"))
                .collect();
            let body = serde_json::to_string(&self.body(&c.entity_type)).unwrap_or_default();
            let _ = writeln!(
                code,
                "/// Creates a member of `{path}` with the body the spec requires; returns its key.
#[allow(dead_code)]
async fn create_{name}(client: &Client{params}) -> String {{
{rebind}    let body: {ty} = serde_json::from_str({body:?}).expect(\"the smoke body fits the model\");
    let created = {chain}.create(body).await.expect(\"create `{path}`\");
    let key = key_of(&created.{key});
    assert!(!key.is_empty(), \"the created member of `{{}}` has a key\", {path:?});
    key
}}
",
                path = c.path,
                name = c.name,
                ty = self.rust_type(&c.entity_type),
                chain = Self::call_chain(&c.chain, ""),
                key = self.key_field(&c.entity_type),
            );
        }
        for c in &self.tested {
            let mut body = String::new();
            for i in 0..c.keys.len() {
                let _ = writeln!(body, "    let k{i} = {};", self.parent_key(c, i));
            }
            let key_field = self.key_field(&c.entity_type);
            let ty = self.rust_type(&c.entity_type);
            if c.create {
                let args: String = (0..c.keys.len())
                    .map(|i| format!(", k{i}.as_str()"))
                    .collect();
                let _ = writeln!(
                    body,
                    "    let key = create_{}(&client{args}).await;",
                    c.name
                );
            }
            if c.list {
                let _ = writeln!(
                    body,
                    "    let listed: Vec<{ty}> = {}.list().try_collect().await.expect(\"list `{}`\");",
                    Self::call_chain(&c.chain, ""),
                    c.path
                );
                if c.create {
                    let _ = writeln!(
                        body,
                        "    assert!(listed.iter().any(|e| key_of(&e.{key_field}) == key), \"the created member is listed\");"
                    );
                } else {
                    let _ = writeln!(
                        body,
                        "    assert!(listed.is_empty(), \"nothing was created in `{{}}`\", {:?});",
                        c.path
                    );
                }
            }
            if c.create && c.get {
                if let Some(item) = &c.item_chain {
                    let _ = writeln!(
                        body,
                        "    let got = {}.get().await.expect(\"get a member of `{}`\");\n    assert_eq!(key_of(&got.{key_field}), key);",
                        Self::call_chain(item, "key.as_str()"),
                        c.path
                    );
                }
            }
            let _ = writeln!(
                code,
                "/// `{path}`: {what}.
#[tokio::test]
async fn {name}() {{
    let (_emulator, client) = start().await;
{body}}}
",
                path = c.path,
                what = [
                    c.create.then_some("create"),
                    c.list.then_some("list"),
                    (c.create && c.get && c.item_chain.is_some()).then_some("get"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
                name = if c.name.is_empty() {
                    "collection".to_string()
                } else {
                    c.name.clone()
                },
            );
        }
        let file: syn::File = syn::parse_str(&code).map_err(|e| {
            GenerateError::Syntax(format!("generated smoke tests do not parse: {e}"))
        })?;
        Ok(prettyplease::unparse(&file))
    }
}

fn primitive_sample(primitive: &str) -> Value {
    match primitive {
        "Edm.Boolean" => json!(false),
        "Edm.Int16" | "Edm.Int32" | "Edm.Int64" | "Edm.Byte" | "Edm.SByte" => json!(0),
        "Edm.Double" | "Edm.Single" | "Edm.Decimal" => json!(0.0),
        "Edm.DateTimeOffset" => json!("2024-01-01T00:00:00Z"),
        "Edm.Date" => json!("2024-01-01"),
        "Edm.TimeOfDay" => json!("00:00:00"),
        "Edm.Duration" => json!("PT1H"),
        "Edm.Guid" => json!("00000000-0000-4000-8000-000000000001"),
        "Edm.Binary" => json!(""),
        _ => json!("smoke"),
    }
}

/// The dependency lines for one of this repository's crates.
fn repo_dependency(source: &DependencySource, krate: &str, dir: &str, extra: &str) -> String {
    match source {
        DependencySource::Checkout(root) => format!(
            "{krate} = {{ path = {:?}, version = \"{GENERATOR_VERSION}\"{extra} }}",
            root.join(dir).display().to_string()
        ),
        DependencySource::Registry => {
            format!("{krate} = {{ version = \"{GENERATOR_VERSION}\"{extra} }}")
        }
    }
}

fn cargo_toml(
    crate_name: &str,
    title: &str,
    namespace: &str,
    version: &str,
    source: &DependencySource,
) -> String {
    let emulator = match source {
        DependencySource::Checkout(root) => format!(
            "graph-security-copilot-emulator = {{ path = {:?} }}",
            root.join("emulator").display().to_string()
        ),
        DependencySource::Registry => {
            format!("graph-security-copilot-emulator = \"{GENERATOR_VERSION}\"")
        }
    };
    format!(
        r#"# Generated by `graph-spec new-crate`; edit freely (the generator does not overwrite it).
[package]
name = "{crate_name}"
version = "0.1.0"
description = "Typed Rust client for the Microsoft Graph {version} {title} API ({namespace}), generated from Microsoft's CSDL"
edition = "2021"
rust-version = "1.89"
license = "MIT OR Apache-2.0"
publish = false
build = "build.rs"

# A workspace of its own, also when written inside another one.
[workspace]

[features]
## `schemars::JsonSchema` on every model, `Page` and the error body types.
schemars = ["dep:schemars", "graph-odata-runtime/schemars"]

[lib]
# No unit tests in generated code (the tests are in tests/): no second build of the library.
test = false

[dependencies]
chrono = {{ version = "0.4", default-features = false, features = ["std", "clock", "serde"] }}
futures = "0.3"
{runtime}
progenitor-client = "0.15.1"
reqwest = {{ version = "0.13", default-features = false, features = ["json", "query", "stream"] }}
schemars = {{ version = "1", features = ["chrono04"], optional = true }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = {{ version = "1", features = ["preserve_order"] }}

[build-dependencies]
{codegen}

[dev-dependencies]
{emulator}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}
"#,
        runtime = repo_dependency(source, "graph-odata-runtime", "runtime", ""),
        codegen = repo_dependency(
            source,
            "graph-odata-codegen",
            "codegen",
            ", default-features = false"
        ),
    )
}

fn build_rs(title: &str) -> String {
    format!(
        r#"//! Generates the {title} models, client and resource handles from `spec/` into `$OUT_DIR`.

use std::path::PathBuf;

fn main() {{
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    let spec_dir = manifest_dir.join("spec");
    if let Err(error) = graph_odata_codegen::generate::build_script(&spec_dir, &out_dir) {{
        // The error names the spec file, line, column and element.
        eprintln!("error: generating the {title} client failed:\n  {{error}}");
        std::process::exit(1);
    }}
}}
"#
    )
}

fn lib_files(
    crate_ident: &str,
    title: &str,
    namespace: &str,
    version: &str,
) -> Vec<(&'static str, String)> {
    let base_url = if version == "beta" {
        "GRAPH_BETA"
    } else {
        "GRAPH_V1"
    };
    let lib = format!(
        r#"//! A typed Rust client for the Microsoft Graph {version} {title} API (`{namespace}`),
//! generated at build time from Microsoft's CSDL in `spec/` by `graph-odata-codegen` (written
//! by `graph-spec new-crate`; see the README for what is exposed and how to refresh it).
//!
//! ```no_run
//! use {crate_ident}::{{auth::StaticToken, Client}};
//!
//! # fn demo() -> Result<(), {crate_ident}::Error> {{
//! let client = Client::builder().credential(StaticToken::new("<token>")).build()?;
//! # Ok(()) }}
//! ```
//!
//! Layers: the generic runtime `graph-odata-runtime` (re-exported: [`auth`], [`retry`],
//! [`filter`], [`query`], [`request`], [`paging`], [`response`], [`error`], [`terminal`]), then what
//! `build.rs` generates: [`models`] and [`resources`] (handles).
#![warn(missing_docs)]

#[doc(hidden)]
pub mod generated;
pub mod models;
pub mod resources;

/// The operation table generated from the same spec as the handles (for tools that follow the
/// spec without hand edits). Not part of the documented API.
#[doc(hidden)]
#[allow(clippy::all)]
pub mod __operations {{
    include!(concat!(env!("OUT_DIR"), "/operations.rs"));

    pub use graph_odata_runtime::__private::dynamic::{{pages, send, Operation, ResponseKind}};
}}

pub use graph_odata_runtime::{{
    auth, error, filter, paging, query, request, response, retry, terminal, ApiError, DecodeError,
    Error, Page, Response, ResponseMetadata, StatusCode, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BODY_BYTES, DEFAULT_TIMEOUT,
}};

/// What most programs use: `use {crate_ident}::prelude::*;` (the client, its error, the
/// static-token credential, the `$filter` builder and the stream traits that collect listings).
pub mod prelude {{
    pub use crate::auth::StaticToken;
    pub use crate::filter::{{self, field}};
    pub use crate::{{Client, Error, Page, StatusCode}};
    pub use futures::TryStreamExt as _;
}}

/// The Graph endpoint the client talks to by default.
pub const DEFAULT_BASE_URL: &str = graph_odata_runtime::{base_url};

graph_odata_runtime::__private::define_client! {{
    title: "{title}",
    default_base_url: DEFAULT_BASE_URL,
    raw: crate::generated::Client,
}}
"#
    );
    let models = format!(
        r#"//! The {title} model types, generated by `build.rs` from the CSDL in `spec/`.
//!
//! Every property is optional (absent under `$select`), nullable properties are
//! `Option<Option<T>>` (absent / `null` / value), enums are open (`Unrecognized(String)` keeps
//! values this crate does not know), and each struct keeps unknown JSON members.
#![allow(clippy::all, rustdoc::bare_urls, rustdoc::broken_intra_doc_links)]

include!(concat!(env!("OUT_DIR"), "/models.rs"));
"#
    );
    let resources = r#"//! Resource handles, generated by `build.rs`: one per collection, member or single resource of
//! the spec, with one method per operation the spec allows.
#![allow(clippy::all, rustdoc::bare_urls, rustdoc::broken_intra_doc_links)]

include!(concat!(env!("OUT_DIR"), "/resources.rs"));

impl crate::Client {
    /// Handles reach the client through this (shared name with the generated handles).
    #[allow(dead_code)]
    fn client(&self) -> &crate::Client {
        self
    }
}
"#
    .to_string();
    let generated = r#"//! The progenitor client generated by `build.rs` from `spec/` (never edited by hand): the raw
//! layer under the resource handles. Its requests go through the same transport.
#![allow(
    missing_docs,
    unused_imports,
    unused_mut,
    clippy::all,
    clippy::pedantic,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links
)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));
"#
    .to_string();
    vec![
        ("lib.rs", lib),
        ("models.rs", models),
        ("resources.rs", resources),
        ("generated.rs", generated),
    ]
}

fn readme(
    report: &NewCrateReport,
    title: &str,
    namespace: &str,
    version: &str,
    options: &NewCrateOptions,
    ops: &[ApiOperation],
) -> String {
    let mut text = String::new();
    let metadata_name = options
        .metadata
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "FULL.xml".to_string());
    let graph_spec = match &options.dependencies {
        DependencySource::Checkout(root) => format!(
            "cargo run --manifest-path {}/Cargo.toml -p graph-odata-codegen --bin graph-spec --",
            root.display()
        ),
        DependencySource::Registry => "graph-spec".to_string(),
    };
    let _ = write!(
        text,
        r#"# {name}

A typed Rust client for the Microsoft Graph **{version}** {title} API (`{namespace}`): {operations}
operations on {types} model types, generated at build time from Microsoft's CSDL (`spec/`) on
the generic runtime `graph-odata-runtime`. Written by `graph-spec new-crate` from
`{metadata_name}`.

```sh
cargo test
```

runs one smoke test per exposed entity collection ({tests}) against the emulator loaded with
this crate's own spec: create where allowed (with the body the spec requires), list, get.

## Refreshing the spec

When Microsoft publishes a new `$metadata` (saved as `FULL.xml`):

```sh
{graph_spec} refresh --metadata FULL.xml --spec spec
cargo test
```

`refresh` re-slices `{namespace}`, compares it with `spec/`, writes the new fragment and
prints every change (additive or breaking) and every navigation that is new but not exposed.

## What is exposed

`spec/overlay.xml` has one entry per exposed navigation: those whose targets are types of
`{namespace}` and those on the way to them, with the verbs and query options Microsoft's own
Capabilities annotations leave. **Review them**: remove what the service does not implement
and add the restrictions its documentation gives.

| method | path | operation |
| --- | --- | --- |
"#,
        name = report.crate_name,
        operations = report.operations,
        types = report.types,
        tests = report.smoke_tests.len(),
    );
    for op in ops {
        let _ = writeln!(text, "| {} | `{}` | `{}` |", op.method, op.path, op.id);
    }
    let _ = writeln!(
        text,
        "\nNot exposed: {} navigation(s) of the slice (not on a path to the namespace's types, \
         or a root entity set another exposed path reaches), and {} bound action(s) and \
         function(s) (out of scope for generated clients).",
        report.not_exposed.len(),
        report.bound_operations.len()
    );
    for path in &report.not_exposed {
        let _ = writeln!(text, "- navigation `{path}`");
    }
    for op in &report.bound_operations {
        let _ = writeln!(text, "- bound operation `{op}`");
    }
    text
}
