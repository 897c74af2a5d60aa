//! Emits the resource handles: small structs that read like the URL
//! (`client.workspace("default").session(id).prompts().create(..)`), one method per operation,
//! each calling the progenitor builder through the client's transport.
//!
//! Collections get a handle with list / create / count, members one with get / update / delete
//! and their children. Names come from the path alone ([`crate::operations::resource_words`]):
//! `workspace.sessions()` is a `WorkspaceSessionsHandle`, `workspace.session(id)` a
//! `WorkspaceSessionHandle`.
//! Single-valued navigations without operations are walked through, so `/security/securityCopilot`
//! does not show up as a step: `client.workspaces()`.

use std::collections::BTreeMap;

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::csdl::{find_annotation, Model};
use crate::operations::{
    resource_words, simple_name, walked_through, ApiOperation, KeyParameter, QueryOption, Segment,
    Verb,
};
use crate::rust_models::TypeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeKind {
    Collection,
    Item,
    Single,
}

#[derive(Debug)]
struct Node {
    kind: NodeKind,
    /// Path template of the node.
    path: String,
    /// The node's path as segments.
    segments: Vec<Segment>,
    /// URL name of the last navigation (`sessions`).
    navigation: String,
    entity_type: String,
    keys: Vec<KeyParameter>,
    operations: Vec<ApiOperation>,
    /// Path of the node whose handle gets the accessor (`None`: the client).
    anchor: Option<String>,
    struct_name: String,
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn key_field(key: &KeyParameter) -> String {
    key.name.to_snake_case()
}

/// Emits the `resources` module body.
pub fn handles(
    model: &Model,
    types: &TypeSet,
    operations: &[ApiOperation],
) -> Result<TokenStream, crate::csdl::CsdlError> {
    let (nodes, accessor_names) = plan(model, operations)?;
    emit(model, types, operations, &nodes, &accessor_names)
}

/// One call on the way from the client to a resource: `sessions()`, or `session(id)` when
/// `key` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessorStep {
    /// The method name.
    pub method: String,
    /// The key the method takes, if any.
    pub key: Option<KeyParameter>,
}

/// For every handle (by its path template, `/security/securityCopilot/workspaces/{workspace-id}`),
/// the accessor calls that reach it from the client, in order: what generated tests and docs
/// write (`client.workspace(id).sessions()`).
pub fn accessor_chains(
    model: &Model,
    operations: &[ApiOperation],
) -> Result<BTreeMap<String, Vec<AccessorStep>>, crate::csdl::CsdlError> {
    let (nodes, accessor_names) = plan(model, operations)?;
    let mut chains = BTreeMap::new();
    for node in nodes.values() {
        let mut steps = Vec::new();
        let mut current = Some(node);
        // Anchors are strictly shorter paths, so this ends; the bound is a second guard.
        for _ in 0..=nodes.len() {
            let Some(n) = current else { break };
            steps.push(AccessorStep {
                method: accessor_names.get(&n.path).cloned().unwrap_or_default(),
                key: match n.kind {
                    NodeKind::Item => n.keys.last().cloned(),
                    _ => None,
                },
            });
            current = n.anchor.as_ref().and_then(|a| nodes.get(a));
        }
        steps.reverse();
        chains.insert(node.path.clone(), steps);
    }
    Ok(chains)
}

/// The handle nodes by path, and the accessor name of each.
type Plan = (BTreeMap<String, Node>, BTreeMap<String, String>);

/// Builds the handle nodes and names them; fails at the CSDL element when two resources would
/// share a name.
fn plan(model: &Model, operations: &[ApiOperation]) -> Result<Plan, crate::csdl::CsdlError> {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    for op in operations {
        // Every keyed prefix becomes an item node (so children are reachable even when the
        // member itself has no operation).
        let mut keys = Vec::new();
        let mut path = String::new();
        let mut prefix: Vec<Segment> = Vec::new();
        let mut last_nav = String::new();
        let mut last_type = String::new();
        let owner_len = match op.verb {
            Verb::Count => op.segments.len() - 1,
            _ => op.segments.len(),
        };
        for (i, segment) in op.segments.iter().enumerate().take(owner_len) {
            path.push_str(&crate::operations::render_path(std::slice::from_ref(
                segment,
            )));
            prefix.push(segment.clone());
            let kind = match segment {
                Segment::Navigation {
                    name,
                    entity_type,
                    collection,
                } => {
                    last_nav = name.clone();
                    last_type = entity_type.clone();
                    match (i + 1 == owner_len, *collection) {
                        (true, true) => Some(NodeKind::Collection),
                        // A container child (`/security`) is walked through, not a handle.
                        (true, false) if i > 0 => Some(NodeKind::Single),
                        _ => None,
                    }
                }
                Segment::Key(key) => {
                    keys.push(key.clone());
                    Some(NodeKind::Item)
                }
            };
            if let Some(kind) = kind {
                nodes.entry(path.clone()).or_insert_with(|| Node {
                    kind,
                    path: path.clone(),
                    segments: prefix.clone(),
                    navigation: last_nav.clone(),
                    entity_type: last_type.clone(),
                    keys: keys.clone(),
                    operations: Vec::new(),
                    anchor: None,
                    struct_name: String::new(),
                });
            }
        }
        if let Some(node) = nodes.get_mut(&path) {
            node.operations.push(op.clone());
        }
    }
    // Anchors: the nearest item node above, else the client.
    let item_paths: Vec<String> = nodes
        .values()
        .filter(|n| n.kind == NodeKind::Item)
        .map(|n| n.path.clone())
        .collect();
    for node in nodes.values_mut() {
        let own_prefix = match node.kind {
            // An item's accessor sits beside its collection's, so look above the collection.
            NodeKind::Item => node.path.rsplitn(3, '/').nth(2).unwrap_or("").to_string(),
            _ => node
                .path
                .rsplit_once('/')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default(),
        };
        node.anchor = item_paths
            .iter()
            .filter(|p| own_prefix == **p || own_prefix.starts_with(&format!("{p}/")))
            .max_by_key(|p| p.len())
            .cloned();
    }
    // Names are a function of the node's path alone (`crate::operations::resource_words`):
    // the accessor is the last word (`sessions`, `session`), the struct spells all of them
    // (`WorkspaceSessionsHandle`). Nothing else in the document can rename them.
    let through = walked_through(operations);
    let mut accessor_names: BTreeMap<String, String> = BTreeMap::new();
    let mut struct_names: BTreeMap<String, String> = BTreeMap::new();
    let mut claimed: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
    for node in nodes.values_mut() {
        let words = resource_words(&node.segments, &through);
        let last = words.last().cloned().unwrap_or_default();
        let anchor_keys = node_keys_of_anchor(&node.keys, node.kind);
        let reserved = reserved_on(node.anchor.as_deref(), &anchor_keys);
        let accessor = if reserved.contains(&last.as_str()) {
            format!("{last}_")
        } else {
            last
        };
        let struct_name = format!(
            "{}Handle",
            words
                .iter()
                .map(|w| w.to_upper_camel_case())
                .collect::<String>()
        );
        let fail = |message: String| -> crate::csdl::CsdlError {
            let (location, element) = crate::operations::navigation_element(model, &node.segments);
            crate::csdl::CsdlError {
                location,
                element,
                kind: crate::csdl::CsdlErrorKind::RustName(message),
            }
        };
        for name in [&accessor, &struct_name] {
            if !crate::rust_names::is_valid_identifier(name) {
                return Err(fail(format!("`{name}` is not a Rust identifier")));
            }
        }
        if let Some(other) =
            claimed.insert((node.anchor.clone(), accessor.clone()), node.path.clone())
        {
            return Err(fail(format!(
                "`{}` and `{other}` would both be reached by the accessor `{accessor}()`",
                node.path
            )));
        }
        if let Some(other) = claimed.insert(
            (Some("#struct".into()), struct_name.clone()),
            node.path.clone(),
        ) {
            return Err(fail(format!(
                "`{}` and `{other}` would both be the handle `{struct_name}`",
                node.path
            )));
        }
        node.struct_name = struct_name.clone();
        accessor_names.insert(node.path.clone(), accessor);
        struct_names.insert(node.path.clone(), struct_name);
    }
    Ok((nodes, accessor_names))
}

/// Emits the handles of a plan.
fn emit(
    model: &Model,
    types: &TypeSet,
    operations: &[ApiOperation],
    nodes: &BTreeMap<String, Node>,
    accessor_names: &BTreeMap<String, String>,
) -> Result<TokenStream, crate::csdl::CsdlError> {
    let mut items = Vec::new();
    let mut accessors: BTreeMap<Option<String>, Vec<(String, TokenStream)>> = BTreeMap::new();
    for node in nodes.values() {
        let name = accessor_names.get(&node.path).cloned().unwrap_or_default();
        let tokens = accessor(node, &name);
        accessors
            .entry(node.anchor.clone())
            .or_default()
            .push((name, tokens));
    }
    for node in nodes.values() {
        let struct_name = ident(&node.struct_name);
        let fields: Vec<Ident> = node.keys.iter().map(|k| ident(&key_field(k))).collect();
        let doc = match node.kind {
            NodeKind::Collection => {
                format!(" The `{}` collection: `{}`.", node.navigation, node.path)
            }
            NodeKind::Item => format!(
                " One `{}`: `{}`.",
                simple_name(&node.entity_type),
                node.path
            ),
            NodeKind::Single => format!(" The `{}` resource: `{}`.", node.navigation, node.path),
        };
        let methods: Vec<TokenStream> = node
            .operations
            .iter()
            .map(|op| operation_method(model, types, node, op))
            .collect();
        let member = (node.kind == NodeKind::Collection)
            .then(|| {
                nodes.values().find(|item| {
                    item.kind == NodeKind::Item
                        && item.path.rsplit_once('/').map(|(parent, _)| parent)
                            == Some(node.path.as_str())
                })
            })
            .flatten()
            .map(|item| member_handle(types, item))
            .unwrap_or_default();
        let own_accessors: Vec<TokenStream> = accessors
            .get(&Some(node.path.clone()))
            .map(|list| list.iter().map(|(_, t)| t.clone()).collect())
            .unwrap_or_default();
        let getters: Vec<TokenStream> = node
            .keys
            .iter()
            .map(|k| {
                let field = ident(&key_field(k));
                let doc = format!(" The `{}` of this handle.", k.name);
                quote! {
                    #[doc = #doc]
                    pub fn #field(&self) -> &str {
                        &self.#field
                    }
                }
            })
            .collect();
        items.push(quote! {
            #[doc = #doc]
            #[derive(Clone, Debug)]
            pub struct #struct_name {
                pub(crate) client: crate::Client,
                #(pub(crate) #fields: String,)*
            }

            impl #struct_name {
                #[allow(dead_code)] // used by accessors when the handle has children
                fn client(&self) -> &crate::Client {
                    &self.client
                }
                #(#getters)*
                #member
                #(#methods)*
                #(#own_accessors)*
            }
        });
    }
    for op in operations {
        if matches!(op.verb, Verb::List | Verb::Get | Verb::Count) {
            items.push(options_type(op));
        }
    }
    let root: Vec<TokenStream> = accessors
        .get(&None)
        .map(|list| list.iter().map(|(_, t)| t.clone()).collect())
        .unwrap_or_default();
    items.push(quote! {
        impl crate::Client {
            #(#root)*
        }
    });
    Ok(quote! { #(#items)* })
}

/// The marker type of an operation's query options (see
/// `graph_odata_runtime::query::OperationOptions`): `ListWorkspaceSessionsOptions`.
pub fn options_type_name(operation_id: &str) -> String {
    format!("{}Options", operation_id.to_upper_camel_case())
}

/// The options marker of `op`: the operation id, the allowed list, and one `supports` trait
/// per option, so request builders offer exactly these setters.
fn options_type(op: &ApiOperation) -> TokenStream {
    let name = ident(&options_type_name(&op.id));
    let op_name = op.id.as_str();
    let allowed = query_option_tokens(&op.query_options);
    let names: Vec<&str> = op.query_options.iter().map(|q| q.parameter()).collect();
    let doc = if names.is_empty() {
        format!(" The query options of `{op_name}`: none.")
    } else {
        format!(" The query options of `{op_name}`: {}.", names.join(", "))
    };
    let traits: Vec<Ident> = op
        .query_options
        .iter()
        .map(|o| ident(option_name(*o)))
        .collect();
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug)]
        pub enum #name {}

        impl ::graph_odata_runtime::query::OperationOptions for #name {
            const OPERATION: &'static str = #op_name;
            const ALLOWED: &'static [::graph_odata_runtime::query::QueryOption] = &[#(#allowed),*];
        }

        #(impl ::graph_odata_runtime::query::supports::#traits for #name {})*
    }
}

/// `handle(&entity)` on a collection handle: the member handle named by the entity's key.
fn member_handle(types: &TypeSet, item: &Node) -> TokenStream {
    let Some(key) = item.keys.last() else {
        return TokenStream::new();
    };
    let struct_name = ident(&item.struct_name);
    let entity = types.rust_type(&key.entity_type);
    let inherited: Vec<Ident> = item.keys[..item.keys.len() - 1]
        .iter()
        .map(|k| ident(&key_field(k)))
        .collect();
    let own = ident(&key_field(key));
    let key_property = key.key_property.as_str();
    let key_rust = ident(&crate::rust_models::field_name(&key.key_property));
    let type_name = simple_name(&key.entity_type);
    let doc = format!(
        " The handle of this {type_name} (`{}`), named by its `{key_property}`: for an entity \
         you created, fetched or listed. Fails with `Error::MissingKey` when the entity has no \
         `{key_property}` (e.g. `$select` left it out) or an empty one.",
        item.path
    );
    quote! {
        #[doc = #doc]
        pub fn handle(&self, entity: &#entity) -> Result<crate::resources::#struct_name, ::graph_odata_runtime::Error> {
            let #own = entity
                .#key_rust
                .as_ref()
                .map(|key| key.to_string())
                .filter(|key| !key.is_empty())
                .ok_or(::graph_odata_runtime::Error::MissingKey {
                    entity_type: #type_name,
                    key: #key_property,
                })?;
            Ok(crate::resources::#struct_name {
                client: self.client.clone(),
                #(#inherited: self.#inherited.clone(),)*
                #own,
            })
        }
    }
}

/// The accessor that reaches `node` from its anchor: `sessions()`, `session(id)`, `security_copilot()`.
fn accessor(node: &Node, name: &str) -> TokenStream {
    let struct_name = ident(&node.struct_name);
    let inherited: Vec<Ident> = match node.kind {
        NodeKind::Item => node.keys[..node.keys.len().saturating_sub(1)]
            .iter()
            .map(|k| ident(&key_field(k)))
            .collect(),
        _ => node.keys.iter().map(|k| ident(&key_field(k))).collect(),
    };
    let method = ident(name);
    match node.kind {
        NodeKind::Collection | NodeKind::Single => {
            let doc = format!(" `{}`", node.path);
            quote! {
                    #[doc = #doc]
                    pub fn #method(&self) -> crate::resources::#struct_name {
                        crate::resources::#struct_name {
                            client: self.client().clone(),
                            #(#inherited: self.#inherited.clone(),)*
                        }
                    }
            }
        }
        NodeKind::Item => {
            let key = node.keys.last();
            let own = key.map(|k| ident(&key_field(k)));
            let doc = format!(
                " `{}`: the {} with this {}. The id is percent-encoded as one path segment.",
                node.path,
                simple_name(&node.entity_type),
                key.map(|k| k.key_property.as_str()).unwrap_or("key")
            );
            quote! {
                    #[doc = #doc]
                    pub fn #method(&self, #own: impl Into<String>) -> crate::resources::#struct_name {
                        crate::resources::#struct_name {
                            client: self.client().clone(),
                            #(#inherited: self.#inherited.clone(),)*
                            #own: #own.into(),
                        }
                    }
            }
        }
    }
}

/// Names an accessor cannot take on its anchor: the client's own methods, or a handle's key
/// getters, operations and helper.
fn reserved_on<'a>(anchor: Option<&str>, anchor_keys: &'a [String]) -> Vec<&'a str> {
    let mut reserved: Vec<&str> = if anchor.is_none() {
        CLIENT_METHODS.to_vec()
    } else {
        vec![
            "client", "list", "create", "count", "get", "update", "delete",
        ]
    };
    reserved.extend(anchor_keys.iter().map(String::as_str));
    reserved
}

/// The methods `Client` defines by hand (accessors on the client must not take them).
pub const CLIENT_METHODS: &[&str] = &["builder", "raw", "base_url", "resume", "clone", "fmt"];

/// The key getter names of a node's anchor (every key but the node's own, for an item).
fn node_keys_of_anchor(keys: &[KeyParameter], kind: NodeKind) -> Vec<String> {
    let inherited = match kind {
        NodeKind::Item => &keys[..keys.len().saturating_sub(1)],
        _ => keys,
    };
    inherited.iter().map(key_field).collect()
}

/// The Rust name of an option in the runtime's vocabulary: the `QueryOption` variant and the
/// `query::supports` trait (`Top`, `OrderBy`).
fn option_name(option: QueryOption) -> &'static str {
    match option {
        QueryOption::Top => "Top",
        QueryOption::Skip => "Skip",
        QueryOption::Search => "Search",
        QueryOption::Filter => "Filter",
        QueryOption::Count => "Count",
        QueryOption::OrderBy => "OrderBy",
        QueryOption::Select => "Select",
        QueryOption::Expand => "Expand",
    }
}

pub(crate) fn query_option_tokens(options: &[QueryOption]) -> Vec<TokenStream> {
    options
        .iter()
        .map(|o| {
            let variant = ident(option_name(*o));
            quote!(::graph_odata_runtime::query::QueryOption::#variant)
        })
        .collect()
}

/// Whether every non-key property of the type is `Core.Computed` (then create posts `{}`).
fn all_computed(model: &Model, entity_type: &str) -> bool {
    let key = model.key(entity_type);
    model
        .all_properties(entity_type)
        .into_iter()
        .filter(|p| !key.contains(&p.name))
        .all(|p| {
            find_annotation(&p.annotations, "Org.OData.Core.V1.Computed")
                .is_some_and(|a| a.value.as_bool().unwrap_or(true))
        })
}

fn operation_method(model: &Model, types: &TypeSet, node: &Node, op: &ApiOperation) -> TokenStream {
    let op_id = ident(&op.id);
    let op_name = op.id.as_str();
    let entity = types.rust_type(&op.entity_type);
    let key_fields: Vec<Ident> = node.keys.iter().map(|k| ident(&key_field(k))).collect();
    let key_names: Vec<String> = node.keys.iter().map(|k| k.name.clone()).collect();
    let mut doc_lines = vec![format!(" {}", op.summary)];
    if let Some(text) = &op.description {
        doc_lines.push(String::new());
        doc_lines.extend(text.lines().map(|l| format!(" {}", l.trim())));
    }
    doc_lines.push(String::new());
    doc_lines.push(format!(
        " `{} {}` (operation `{}`, success {}).",
        op.method, op.path, op.id, op.success_status
    ));
    if !op.query_options.is_empty() {
        let names: Vec<&str> = op.query_options.iter().map(|q| q.parameter()).collect();
        doc_lines.push(format!(" Query options: {}.", names.join(", ")));
    }
    let setters: Vec<TokenStream> = op
        .query_options
        .iter()
        .map(|o| {
            let (field, setter) = match o {
                QueryOption::Top => ("top", "top"),
                QueryOption::Skip => ("skip", "skip"),
                QueryOption::Search => ("search", "search"),
                QueryOption::Filter => ("filter", "filter"),
                QueryOption::Count => ("count", "count"),
                QueryOption::OrderBy => ("orderby", "orderby"),
                QueryOption::Select => ("select", "select"),
                QueryOption::Expand => ("expand", "expand"),
            };
            let field = ident(field);
            let setter = ident(setter);
            quote! {
                if let Some(value) = query.#field.clone() {
                    builder = builder.#setter(value);
                }
            }
        })
        .collect();
    let prologue = quote! {
        #(let #key_fields = self.#key_fields.clone();)*
    };
    let checks = quote! {
        #(::graph_odata_runtime::__private::check_id(#key_names, &#key_fields)?;)*
    };
    let bind = quote! {
        let raw = client.raw();
        #[allow(unused_mut)]
        let mut builder = raw.#op_id()#(.#key_fields(#key_fields.as_str()))*;
    };
    match op.verb {
        Verb::List | Verb::Get | Verb::Count => {
            let call = quote!(client.transport().call(#op_name, builder.send()).await);
            // Only a listing follows pages through the transport itself.
            let transport = if op.verb == Verb::List {
                quote!(client.transport().clone(),)
            } else {
                quote!()
            };
            let options = ident(&options_type_name(&op.id));
            let (method, request, returns, tail) = match op.verb {
                Verb::List => (
                    quote!(list),
                    quote!(::graph_odata_runtime::request::ListRequest),
                    quote!(::graph_odata_runtime::request::ListRequest<#entity, crate::resources::#options>),
                    call,
                ),
                Verb::Get => (
                    quote!(get),
                    quote!(::graph_odata_runtime::request::GetRequest),
                    quote!(::graph_odata_runtime::request::GetRequest<#entity, crate::resources::#options>),
                    call,
                ),
                _ => (
                    quote!(count),
                    quote!(::graph_odata_runtime::request::CountRequest),
                    quote!(::graph_odata_runtime::request::CountRequest<crate::resources::#options>),
                    quote! {
                        let body = #call?;
                        ::graph_odata_runtime::__private::read_count(body).await
                    },
                ),
            };
            quote! {
                #(#[doc = #doc_lines])*
                pub fn #method(&self) -> #returns {
                    #prologue
                    let client = self.client.clone();
                    #request::new(
                        #transport
                        std::sync::Arc::new(move |query: ::graph_odata_runtime::query::Query| {
                            let client = client.clone();
                            #(let #key_fields = #key_fields.clone();)*
                            ::graph_odata_runtime::__private::boxed(async move {
                                #checks
                                #bind
                                #(#setters)*
                                #tail
                            })
                        }),
                    )
                }
            }
        }
        Verb::Create | Verb::Update => {
            let method = ident(if op.verb == Verb::Create {
                "create"
            } else {
                "update"
            });
            // Always a body parameter: whether the service computes every property today must
            // not decide the signature, or adding a property would break every caller.
            let (param, body_init) = (
                quote!(body: impl Into<#entity>),
                quote!(let body: #entity = body.into();),
            );
            if op.verb == Verb::Create && all_computed(model, &op.entity_type) {
                doc_lines.push(String::new());
                doc_lines.push(format!(
                    " Every property of this type is computed by the service: send `{}::new()` \
                     (the request body is `{{}}`).",
                    types.rust_path(&op.entity_type).unwrap_or_default()
                ));
            }
            quote! {
                #(#[doc = #doc_lines])*
                pub fn #method(&self, #param) -> ::graph_odata_runtime::request::SendRequest<#entity> {
                    #prologue
                    #body_init
                    let client = self.client.clone();
                    ::graph_odata_runtime::request::SendRequest::new(
                        std::sync::Arc::new(move |_query: ::graph_odata_runtime::query::Query| {
                            let client = client.clone();
                            #(let #key_fields = #key_fields.clone();)*
                            let body = body.clone();
                            ::graph_odata_runtime::__private::boxed(async move {
                                #checks
                                #bind
                                let builder = builder.body(body);
                                client.transport().call(#op_name, builder.send()).await
                            })
                        }),
                    )
                }
            }
        }
        Verb::Delete => quote! {
            #(#[doc = #doc_lines])*
            pub fn delete(&self) -> ::graph_odata_runtime::request::SendRequest<()> {
                #prologue
                let client = self.client.clone();
                ::graph_odata_runtime::request::SendRequest::new(
                    std::sync::Arc::new(move |_query: ::graph_odata_runtime::query::Query| {
                        let client = client.clone();
                        #(let #key_fields = #key_fields.clone();)*
                        ::graph_odata_runtime::__private::boxed(async move {
                            #checks
                            #bind
                            client.transport().call(#op_name, builder.send()).await
                        })
                    }),
                )
            }
        },
    }
}
