//! Emits the Rust model types from CSDL, in the shape a beta OData API needs.
//!
//! Progenitor/typify defaults do not fit Graph beta (closed enums fail on new values, unknown
//! members are dropped, `$select` makes any property absent), so the generator writes the models
//! itself and hands progenitor a replacement for every schema:
//! - every property is optional when read; nullable ones are `Option<Option<T>>` (absent / null);
//! - enums are open: an unknown value lands in `Unrecognized(String)` and is written back as is;
//!   `IsFlags` enums are `FlagSet<T>` (comma-separated on the wire);
//! - every struct keeps unknown JSON members in `additional_properties` and writes them back;
//! - `Edm.DateTimeOffset` is `chrono::DateTime<Utc>`, `Edm.Int64` accepts a number or a string.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::csdl::{
    description, CsdlError, CsdlErrorKind, Model, StructuredKind, TypeKind, TypeRef,
};
use crate::operations::{simple_name, ApiOperation, ResponseShape};
use crate::rust_names::{
    is_conventional, is_valid_identifier, namespace_module, snake_name, type_name, variant_name,
};

/// The set of CSDL types that get Rust models, with their Rust names.
///
/// Names follow [`crate::rust_names`]: a type of an API namespace is `models::Session`; a type
/// of any other namespace lives in a module named after its namespace
/// (`microsoft.graph.entity` → `models::graph::Entity`), so no type can take another's name.
#[derive(Clone, Debug)]
pub struct TypeSet {
    structured: Vec<String>,
    enums: Vec<String>,
    collections: Vec<String>,
    /// qualified name → (module path below `models`, Rust name).
    names: BTreeMap<String, (Vec<String>, String)>,
}

impl TypeSet {
    /// Every type of the API namespaces plus everything the operations reach, transitively
    /// (base types, property types, navigation targets). Fails at the CSDL element when two
    /// types would share a Rust name.
    pub fn new(
        model: &Model,
        api_namespaces: &[&str],
        operations: &[ApiOperation],
    ) -> Result<TypeSet, CsdlError> {
        let mut pending: Vec<String> = Vec::new();
        for (name, _) in model.structured_types() {
            if api_namespaces.iter().any(|ns| in_namespace(&name, ns)) {
                pending.push(name);
            }
        }
        for (name, _) in model.enum_types() {
            if api_namespaces.iter().any(|ns| in_namespace(&name, ns)) {
                pending.push(name);
            }
        }
        let mut collections = Vec::new();
        for op in operations {
            pending.push(op.entity_type.clone());
            if let ResponseShape::Collection(t) = &op.response {
                if !collections.contains(t) {
                    collections.push(t.clone());
                }
            }
        }
        collections.sort();
        let mut seen = HashSet::new();
        let mut structured = Vec::new();
        let mut enums = Vec::new();
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            match model.lookup(&name) {
                Some(TypeKind::Structured(t)) => {
                    structured.push(name.clone());
                    if let Some(base) = &t.base_type {
                        pending.push(base.name.clone());
                    }
                    pending.extend(t.properties.iter().map(|p| p.type_ref.name.clone()));
                    pending.extend(
                        t.navigation_properties
                            .iter()
                            .map(|n| n.type_ref.name.clone()),
                    );
                }
                Some(TypeKind::Enum(_)) => enums.push(name),
                _ => {}
            }
        }
        // Sorted by qualified name: the output does not depend on document order.
        structured.sort();
        enums.sort();

        let mut names = BTreeMap::new();
        // (module, Rust name) → qualified name, to refuse two types on one name.
        let mut taken: BTreeMap<(Vec<String>, String), String> = BTreeMap::new();
        let collection_names: BTreeSet<String> = collections
            .iter()
            .map(|c| format!("{}CollectionResponse", simple_name(c)))
            .collect();
        for qualified in structured.iter().chain(enums.iter()) {
            let (namespace, simple) = qualified.rsplit_once('.').unwrap_or(("", qualified));
            let module = if api_namespaces.contains(&namespace) {
                Vec::new()
            } else {
                namespace_module(namespace)
            };
            let name = type_name(simple);
            let location = model
                .structured(qualified)
                .map(|t| (t.location.clone(), describe(qualified, "EntityType")))
                .or_else(|| {
                    model
                        .enum_type(qualified)
                        .map(|e| (e.location.clone(), describe(qualified, "EnumType")))
                });
            let fail = |message: String| -> CsdlError {
                let (location, element) = location.clone().unwrap_or_default();
                CsdlError {
                    location,
                    element,
                    kind: CsdlErrorKind::RustName(message),
                }
            };
            if !is_valid_identifier(&name) {
                return Err(fail(format!("`{name}` is not a Rust identifier")));
            }
            if module.is_empty() && collection_names.contains(&name) {
                return Err(fail(format!(
                    "`{name}` is also the name of a collection response"
                )));
            }
            if let Some(other) = taken.insert((module.clone(), name.clone()), qualified.clone()) {
                return Err(fail(format!(
                    "`{qualified}` and `{other}` would both be the Rust type `{name}`"
                )));
            }
            names.insert(qualified.clone(), (module, name));
        }
        Ok(TypeSet {
            structured,
            enums,
            collections,
            names,
        })
    }

    /// Qualified names of the structured types, sorted.
    pub fn structured(&self) -> &[String] {
        &self.structured
    }

    /// Qualified names of the enum types, sorted.
    pub fn enums(&self) -> &[String] {
        &self.enums
    }

    /// Entity types that are listed (and so get a collection response).
    pub fn collections(&self) -> &[String] {
        &self.collections
    }

    /// The Rust type name (without module) for a qualified CSDL type name.
    pub fn rust_name(&self, qualified: &str) -> Option<&str> {
        self.names.get(qualified).map(|(_, n)| n.as_str())
    }

    /// The module path below `models` (empty for the API namespaces).
    pub fn module(&self, qualified: &str) -> Option<&[String]> {
        self.names.get(qualified).map(|(m, _)| m.as_slice())
    }

    /// The path of the Rust type below `models`: `Session`, `graph::Entity`.
    pub fn rust_path(&self, qualified: &str) -> Option<String> {
        self.names.get(qualified).map(|(module, name)| {
            module
                .iter()
                .map(String::as_str)
                .chain([name.as_str()])
                .collect::<Vec<_>>()
                .join("::")
        })
    }

    /// The full path of the Rust type as tokens: `crate::models::graph::Entity`.
    pub fn rust_type(&self, qualified: &str) -> TokenStream {
        match self.names.get(qualified) {
            Some((module, name)) => {
                let module = module.iter().map(|m| ident(m));
                let name = ident(name);
                quote!(crate::models::#(#module::)*#name)
            }
            None => quote!(::serde_json::Value),
        }
    }

    /// The Rust name of a collection response (`SessionCollectionResponse`).
    pub fn collection_name(&self, entity: &str) -> String {
        format!(
            "{}CollectionResponse",
            self.rust_name(entity).unwrap_or("Unknown")
        )
    }
}

fn describe(qualified: &str, tag: &str) -> String {
    format!("<{tag} Name=\"{}\">", simple_name(qualified))
}

fn in_namespace(qualified: &str, namespace: &str) -> bool {
    qualified
        .rsplit_once('.')
        .is_some_and(|(ns, _)| ns == namespace)
}

/// Names the generated code defines on every model struct (constructor, metadata fields).
pub const RESERVED_FIELDS: &[&str] = &["new", "odata_type", "additional_properties"];

/// Rust field name for a CSDL property name (`type` → `type_`), see [`crate::rust_names`].
pub fn field_name(property: &str) -> String {
    let name = snake_name(property, RESERVED_FIELDS);
    // `with_*` are the setters: a field spelled like one gets the reserved-name underscore.
    if is_conventional(property) && name.starts_with("with_") {
        format!("{name}_")
    } else {
        name
    }
}

/// The variants of an open enum: (wire value, Rust variant name), plus the catch-all's name.
pub fn enum_variants(members: &[String]) -> (Vec<(String, String)>, String) {
    let variants = members
        .iter()
        .map(|member| (member.clone(), variant_name(member)))
        .collect();
    (variants, "Unrecognized".to_string())
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn doc_attrs(text: Option<&str>, fallback: &str) -> TokenStream {
    let text = text
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(fallback);
    let lines: Vec<String> = text.lines().map(|l| format!(" {}", l.trim())).collect();
    quote! { #(#[doc = #lines])* }
}

/// How a property's value is represented, which decides its Rust type and serde helper.
enum Shape {
    /// A type written as is; `copy` when accessors return it by value.
    Plain {
        ty: TokenStream,
        copy: bool,
        string: bool,
    },
    DateTime,
    Int64,
    Float,
}

fn element_shape(model: &Model, types: &TypeSet, type_ref: &TypeRef, owner: &str) -> Shape {
    let plain = |ty: TokenStream, copy: bool| Shape::Plain {
        ty,
        copy,
        string: false,
    };
    let primitive = |name: &str| -> Shape {
        match name {
            "Edm.String" | "Edm.Guid" | "Edm.Duration" | "Edm.TimeOfDay" | "Edm.Binary"
            | "Edm.Stream" | "Edm.Date" => Shape::Plain {
                ty: quote!(String),
                copy: false,
                string: true,
            },
            "Edm.Boolean" => plain(quote!(bool), true),
            "Edm.Int32" => plain(quote!(i32), true),
            "Edm.Int16" => plain(quote!(i16), true),
            "Edm.Byte" => plain(quote!(u8), true),
            "Edm.SByte" => plain(quote!(i8), true),
            "Edm.Int64" => Shape::Int64,
            "Edm.Double" | "Edm.Single" | "Edm.Decimal" => Shape::Float,
            "Edm.DateTimeOffset" => Shape::DateTime,
            _ => plain(quote!(::serde_json::Value), false),
        }
    };
    match model.lookup(&type_ref.name) {
        Some(TypeKind::Primitive(p)) => primitive(p),
        Some(TypeKind::Definition(d)) => primitive(&d.underlying_type.name),
        Some(TypeKind::Enum(e)) => {
            let name = types.rust_type(&type_ref.name);
            if e.is_flags {
                plain(
                    quote!(::graph_odata_runtime::__private::codec::FlagSet<#name>),
                    false,
                )
            } else {
                plain(name, false)
            }
        }
        Some(TypeKind::Structured(_)) => {
            let name = types.rust_type(&type_ref.name);
            if !type_ref.collection && reaches(model, &type_ref.name, owner) {
                plain(quote!(Box<#name>), false)
            } else {
                plain(name, false)
            }
        }
        None => plain(quote!(::serde_json::Value), false),
    }
}

/// Whether values of `from` can contain a value of `to` (so a field of type `from` in `to` needs a box).
fn reaches(model: &Model, from: &str, to: &str) -> bool {
    let mut pending = vec![from.to_string()];
    let mut seen = HashSet::new();
    while let Some(name) = pending.pop() {
        if name == to {
            return true;
        }
        if !seen.insert(name.clone()) {
            continue;
        }
        for p in model.all_properties(&name) {
            if !p.type_ref.collection {
                pending.push(p.type_ref.name.clone());
            }
        }
        for n in model.all_navigation(&name) {
            if !n.type_ref.collection {
                pending.push(n.type_ref.name.clone());
            }
        }
    }
    false
}

struct Field {
    wire: String,
    rust: String,
    doc: Option<String>,
    type_ref: TypeRef,
    nullable: bool,
    /// A constructor parameter: the service requires it (see [`required_properties`]).
    required: bool,
}

/// What one field contributes: its declaration, accessor, setter and constructor parameter.
struct FieldCode {
    declaration: TokenStream,
    accessor: TokenStream,
    setter: TokenStream,
    /// `(parameter, value of the field)` for the constructor.
    parameter: Option<(TokenStream, TokenStream)>,
}

fn field_code(model: &Model, types: &TypeSet, owner: &str, field: &Field) -> FieldCode {
    let name = ident(&field.rust);
    let wire = &field.wire;
    let doc = doc_attrs(field.doc.as_deref(), &format!("`{}`", field.wire));
    let shape = element_shape(model, types, &field.type_ref, owner);
    let (element, helper, copy, string) = match shape {
        Shape::Plain { ty, copy, string } => (ty, None, copy, string),
        Shape::DateTime => (
            quote!(::chrono::DateTime<::chrono::Utc>),
            Some("datetime"),
            true,
            false,
        ),
        Shape::Int64 => (quote!(i64), Some("int64"), true, false),
        Shape::Float => (quote!(f64), Some("float"), true, false),
    };
    // Collections are never null in OData; single nullable values are tri-state.
    let (ty, mode) = if field.type_ref.collection {
        (quote!(Option<Vec<#element>>), "list")
    } else if field.nullable {
        (quote!(Option<Option<#element>>), "nullable")
    } else {
        (quote!(Option<#element>), "option")
    };
    let with = match (helper, mode) {
        (Some(h), m) => Some(format!("::graph_odata_runtime::__private::codec::{h}::{m}")),
        (None, "nullable") => Some("::graph_odata_runtime::__private::codec::nullable".to_string()),
        _ => None,
    };
    let serde_attr = match &with {
        Some(path) if path == "::graph_odata_runtime::__private::codec::nullable" => quote! {
            #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none", deserialize_with = "::graph_odata_runtime::__private::codec::nullable::deserialize")]
        },
        Some(path) => {
            // schemars reads `serde(with)` as a type path; tell it the field's real type.
            let ty_text = ty.to_string();
            quote! {
                #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none", with = #path)]
                #[cfg_attr(feature = "schemars", schemars(with = #ty_text))]
            }
        }
        None => quote! {
            #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")]
        },
    };
    let declaration = quote! {
        #doc
        #serde_attr
        pub #name: #ty,
    };

    // Accessor: absent and null read the same; collections read as a slice.
    let flatten = if field.nullable && !field.type_ref.collection {
        quote!(self.#name.as_ref().and_then(|v| v.as_ref()))
    } else {
        quote!(self.#name.as_ref())
    };
    let accessor_doc = format!(
        " `{wire}`, with absent{} read as `None`.",
        if field.nullable { " and null" } else { "" }
    );
    let accessor = if field.type_ref.collection {
        let doc = format!(" `{wire}`: the items, empty when absent.");
        quote! {
            #[doc = #doc]
            pub fn #name(&self) -> &[#element] {
                self.#name.as_deref().unwrap_or_default()
            }
        }
    } else if string {
        quote! {
            #[doc = #accessor_doc]
            pub fn #name(&self) -> Option<&str> {
                #flatten.map(String::as_str)
            }
        }
    } else if copy {
        quote! {
            #[doc = #accessor_doc]
            pub fn #name(&self) -> Option<#element> {
                #flatten.copied()
            }
        }
    } else if let Some(inner) = boxed_inner(&element) {
        quote! {
            #[doc = #accessor_doc]
            pub fn #name(&self) -> Option<&#inner> {
                #flatten.map(|boxed| &**boxed)
            }
        }
    } else {
        quote! {
            #[doc = #accessor_doc]
            pub fn #name(&self) -> Option<&#element> {
                #flatten
            }
        }
    };

    let setter_name = format_ident!("with_{}", field.rust.trim_start_matches("r#"));
    let wrap = |value: TokenStream| -> TokenStream {
        if field.type_ref.collection {
            quote!(Some(#value))
        } else if field.nullable {
            quote!(Some(Some(#value)))
        } else {
            quote!(Some(#value))
        }
    };
    let (param_ty, value) = if field.type_ref.collection {
        (
            quote!(impl IntoIterator<Item = #element>),
            wrap(quote!(value.into_iter().collect())),
        )
    } else {
        (quote!(impl Into<#element>), wrap(quote!(value.into())))
    };
    let setter_doc = format!(
        " Sets `{wire}`{}.",
        if field.nullable && !field.type_ref.collection {
            " (to send an explicit null, set the field to `Some(None)`)"
        } else {
            ""
        }
    );
    let setter = quote! {
        #[doc = #setter_doc]
        #[must_use]
        pub fn #setter_name(mut self, value: #param_ty) -> Self {
            self.#name = #value;
            self
        }
    };
    let parameter = field
        .required
        .then(|| (quote!(#name: #param_ty), wrap(quote!(#name.into()))))
        .map(|(param, value)| {
            if field.type_ref.collection {
                (param, quote!(Some(#name.into_iter().collect())))
            } else {
                (param, value)
            }
        });
    FieldCode {
        declaration,
        accessor,
        setter,
        parameter,
    }
}

/// `T` of a `Box<T>` element type (recursive fields), for accessors that return `&T`.
fn boxed_inner(element: &TokenStream) -> Option<TokenStream> {
    let ty: syn::Type = syn::parse2(element.clone()).ok()?;
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Box" || path.path.segments.len() != 1 {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(inner) => Some(quote!(#inner)),
            _ => None,
        },
        _ => None,
    }
}

/// The properties a caller must give to build a value the service accepts: non-nullable, without
/// a default, not set by the service (`Core.Computed`), and not an entity key (the service assigns
/// keys or takes them from the URL). They are the parameters of the generated `new`.
pub fn required_properties<'m>(
    model: &'m Model,
    qualified: &str,
) -> Vec<&'m crate::csdl::Property> {
    let key = model.key(qualified);
    model
        .all_properties(qualified)
        .into_iter()
        .filter(|p| {
            !p.nullable
                && p.default_value.is_none()
                && !key.contains(&p.name)
                && !crate::csdl::find_annotation(&p.annotations, COMPUTED)
                    .is_some_and(|a| a.value.as_bool().unwrap_or(true))
        })
        .collect()
}

const COMPUTED: &str = "Org.OData.Core.V1.Computed";

/// Emits the `models` module body: the API namespaces' types at the top, other namespaces' types
/// in modules named after them. Fails at the CSDL element when two properties of one type would
/// share a Rust field name.
pub fn models(model: &Model, types: &TypeSet) -> Result<TokenStream, CsdlError> {
    // Module path → items.
    let mut modules: BTreeMap<Vec<String>, Vec<TokenStream>> = BTreeMap::new();
    for qualified in types.structured() {
        let Some(t) = model.structured(qualified) else {
            continue;
        };
        let name = ident(types.rust_name(qualified).unwrap_or("Unknown"));
        let chain = model.base_chain(qualified);
        let required: BTreeSet<String> = required_properties(model, qualified)
            .into_iter()
            .map(|p| p.name.clone())
            .collect();
        let mut fields = Vec::new();
        let mut used: BTreeMap<String, (String, crate::csdl::Location)> = BTreeMap::new();
        let mut claim = |wire: &str, location: &crate::csdl::Location, element: String| {
            let rust = field_name(wire);
            if !is_valid_identifier(&rust) {
                return Err(CsdlError {
                    location: location.clone(),
                    element,
                    kind: CsdlErrorKind::RustName(format!("`{rust}` is not a Rust identifier")),
                });
            }
            if let Some((other, _)) =
                used.insert(rust.clone(), (wire.to_string(), location.clone()))
            {
                return Err(CsdlError {
                    location: location.clone(),
                    element,
                    kind: CsdlErrorKind::RustName(format!(
                        "`{wire}` and `{other}` of `{qualified}` would both be the field `{rust}`"
                    )),
                });
            }
            Ok(rust)
        };
        for level in &chain {
            for p in &level.properties {
                fields.push(Field {
                    wire: p.name.clone(),
                    rust: claim(
                        &p.name,
                        &p.location,
                        format!("<Property Name=\"{}\">", p.name),
                    )?,
                    doc: description(&p.annotations).map(str::to_string),
                    type_ref: p.type_ref.clone(),
                    nullable: p.nullable,
                    required: required.contains(&p.name),
                });
            }
        }
        for level in &chain {
            for n in &level.navigation_properties {
                let doc = description(&n.annotations).map(|d| {
                    format!(
                        "{d}\n\nNavigation property: present only when expanded (`$expand={}`).",
                        n.name
                    )
                });
                fields.push(Field {
                    wire: n.name.clone(),
                    rust: claim(
                        &n.name,
                        &n.location,
                        format!("<NavigationProperty Name=\"{}\">", n.name),
                    )?,
                    doc,
                    type_ref: n.type_ref.clone(),
                    nullable: n.nullable,
                    required: false,
                });
            }
        }
        let code: Vec<FieldCode> = fields
            .iter()
            .map(|f| field_code(model, types, qualified, f))
            .collect();
        let declarations = code.iter().map(|c| &c.declaration);
        let accessors = code.iter().map(|c| &c.accessor);
        let setters = code.iter().map(|c| &c.setter);
        let (params, values): (Vec<TokenStream>, Vec<TokenStream>) = code
            .iter()
            .zip(&fields)
            .filter_map(|(c, f)| {
                c.parameter.clone().map(|(p, v)| {
                    let name = ident(&f.rust);
                    (p, quote!(#name: #v))
                })
            })
            .unzip();
        let kind = match t.kind {
            StructuredKind::Entity => "entity type",
            StructuredKind::Complex => "complex type",
        };
        let mut doc_text = description(&t.annotations)
            .map(str::to_string)
            .unwrap_or_else(|| format!("The `{qualified}` {kind}."));
        doc_text.push_str(&format!("\n\nCSDL: `{qualified}` ({kind}"));
        if let Some(base) = &t.base_type {
            doc_text.push_str(&format!(", base `{}`", base.name));
        }
        let key = model.key(qualified);
        if t.kind == StructuredKind::Entity && !key.is_empty() {
            doc_text.push_str(&format!(", key `{}`", key.join(", ")));
        }
        if t.is_abstract {
            doc_text.push_str(", abstract");
        }
        if t.is_open {
            doc_text.push_str(", open");
        }
        doc_text.push_str(").");
        doc_text.push_str(
            "\n\nBuild one with `new` (the properties the service requires) and the `with_*` \
             setters; read it through the accessors (absent and null read as `None`) or the \
             public fields. Marked `#[non_exhaustive]`: a property added to the API is an added \
             field, not a breaking change.",
        );
        let doc = doc_attrs(Some(&doc_text), "");
        let odata_type = format!("#{qualified}");
        let odata_doc =
            format!(" The `@odata.type` annotation (`{odata_type}` or a derived type).");
        let new_doc = if params.is_empty() {
            " A value with no property set (the service requires none).".to_string()
        } else {
            format!(
                " A value with the properties the service requires: {}.",
                required
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let module = types
            .module(qualified)
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        modules.entry(module).or_default().push(quote! {
            #doc
            #[derive(Clone, Debug, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
            #[non_exhaustive]
            #[allow(non_camel_case_types)]
            pub struct #name {
                #[doc = #odata_doc]
                #[serde(rename = "@odata.type", default, skip_serializing_if = "Option::is_none")]
                pub odata_type: Option<String>,
                #(#declarations)*
                /// JSON members this version of the model does not declare (OData annotations such as
                /// `@odata.context`, properties added to the beta API); kept and written back unchanged.
                #[serde(flatten)]
                pub additional_properties: ::serde_json::Map<String, ::serde_json::Value>,
            }

            impl #name {
                /// The qualified OData type name.
                pub const ODATA_TYPE: &'static str = #qualified;

                #[doc = #new_doc]
                #[allow(clippy::new_without_default, clippy::too_many_arguments)]
                pub fn new(#(#params),*) -> Self {
                    Self {
                        #(#values,)*
                        ..Self::default()
                    }
                }

                #(#accessors)*
                #(#setters)*
            }
        });
    }
    for qualified in types.enums() {
        let Some(e) = model.enum_type(qualified) else {
            continue;
        };
        let module = types
            .module(qualified)
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        modules.entry(module).or_default().push(open_enum(
            types.rust_name(qualified).unwrap_or("Unknown"),
            qualified,
            e,
        )?);
    }
    for entity in types.collections() {
        let alias = ident(&types.collection_name(entity));
        let item = types.rust_type(entity);
        let doc = format!(" A page of `{entity}` (`value`, `@odata.nextLink`, `@odata.count`).");
        let module = types
            .module(entity)
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        modules.entry(module).or_default().push(quote! {
            #[doc = #doc]
            pub type #alias = crate::paging::Page<#item>;
        });
    }
    Ok(nest(&[], &modules))
}

/// The items of `prefix` and, as `pub mod`, every module below it.
fn nest(prefix: &[String], modules: &BTreeMap<Vec<String>, Vec<TokenStream>>) -> TokenStream {
    let own = modules.get(prefix).cloned().unwrap_or_default();
    let children: BTreeSet<&String> = modules
        .keys()
        .filter(|m| m.len() > prefix.len() && m.starts_with(prefix))
        .map(|m| &m[prefix.len()])
        .collect();
    let nested = children.into_iter().map(|child| {
        let mut path = prefix.to_vec();
        path.push(child.clone());
        let name = ident(child);
        let body = nest(&path, modules);
        let doc = format!(
            " Types of the `{}` namespace that the API uses.",
            path.join(".")
        );
        quote! {
            #[doc = #doc]
            pub mod #name {
                #body
            }
        }
    });
    quote! { #(#own)* #(#nested)* }
}

fn open_enum(
    rust_name: &str,
    qualified: &str,
    e: &crate::csdl::EnumType,
) -> Result<TokenStream, CsdlError> {
    let name = ident(rust_name);
    let members: Vec<String> = e.members.iter().map(|m| m.name.clone()).collect();
    let (variants, catch_all) = enum_variants(&members);
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for ((wire, variant), member) in variants.iter().zip(&e.members) {
        let fail = |message: String| CsdlError {
            location: member.location.clone(),
            element: format!("<Member Name=\"{wire}\">"),
            kind: CsdlErrorKind::RustName(message),
        };
        if !is_valid_identifier(variant) {
            return Err(fail(format!("`{variant}` is not a Rust identifier")));
        }
        if let Some(other) = seen.insert(variant, wire) {
            return Err(fail(format!(
                "members `{wire}` and `{other}` would both be the variant `{variant}`"
            )));
        }
    }
    let catch_all = ident(&catch_all);
    let variant_idents: Vec<Ident> = variants
        .iter()
        .map(|(_, v)| format_ident!("{}", v))
        .collect();
    let wires: Vec<&String> = variants.iter().map(|(w, _)| w).collect();
    let variant_docs: Vec<TokenStream> = e
        .members
        .iter()
        .map(|m| {
            let text = description(&m.annotations)
                .map(|d| format!("`{}`: {d}", m.name))
                .unwrap_or_else(|| format!("`{}`", m.name));
            doc_attrs(Some(&text), "")
        })
        .collect();
    let mut doc_text = description(&e.annotations)
        .map(str::to_string)
        .unwrap_or_else(|| format!("The `{qualified}` enum type."));
    doc_text.push_str(&format!(
        "\n\nOpen: a value this crate does not know deserializes into `{catch_all}` and is written back unchanged. \
         Marked `#[non_exhaustive]`: when a later version of the crate learns a new member, values that used to \
         arrive as `{catch_all}(\"x\")` arrive as that member's variant instead (match on `as_str()` to \
         treat both alike)."
    ));
    if e.is_flags {
        doc_text
            .push_str(" Flags: properties of this type are `FlagSet`s, written comma-separated.");
    }
    let doc = doc_attrs(Some(&doc_text), "");
    let catch_doc =
        " A value the service sent that this version of the crate does not know; kept verbatim.";
    let schema_name = rust_name.to_string();
    Ok(quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[allow(non_camel_case_types)]
        pub enum #name {
            #(#variant_docs #variant_idents,)*
            #[doc = #catch_doc]
            #catch_all(String),
        }

        impl #name {
            /// The values the CSDL declares, in declaration order.
            pub const KNOWN_VALUES: &'static [&'static str] = &[#(#wires),*];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variant_idents => #wires,)*
                    Self::#catch_all(value) => value.as_str(),
                }
            }

            /// Whether the value is one the CSDL declares.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::#catch_all(_))
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#wires => Self::#variant_idents,)*
                    other => Self::#catch_all(other.to_string()),
                }
            }
        }

        impl From<String> for #name {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::#catch_all(_) => Self::#catch_all(value),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.into_owned()))
            }
        }

        impl ::graph_odata_runtime::__private::codec::FlagMember for #name {}

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                #schema_name.into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                let mut schema = ::schemars::json_schema!({
                    "type": "string",
                    "description": #doc_text,
                });
                // Outside the macro: `json_schema!` recurses once per array element, and
                // enums with hundreds of members exceed the default recursion limit.
                schema.insert(
                    "examples".to_owned(),
                    ::serde_json::Value::Array(
                        Self::KNOWN_VALUES
                            .iter()
                            .map(|w| ::serde_json::Value::String((*w).to_owned()))
                            .collect(),
                    ),
                );
                schema
            }
        }
    })
}
