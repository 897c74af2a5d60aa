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

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::csdl::{description, Model, StructuredKind, TypeKind, TypeRef};
use crate::operations::{ApiOperation, ResponseShape};

/// The set of CSDL types that get Rust models, with their Rust names.
#[derive(Clone, Debug)]
pub struct TypeSet {
    structured: Vec<String>,
    enums: Vec<String>,
    collections: Vec<String>,
    names: BTreeMap<String, String>,
}

impl TypeSet {
    /// Every type of the API namespaces plus everything the operations reach, transitively
    /// (base types, property types, navigation targets).
    pub fn new(model: &Model, api_namespaces: &[&str], operations: &[ApiOperation]) -> TypeSet {
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
        // Document order makes the output stable and readable.
        let order: BTreeMap<String, usize> = model
            .structured_types()
            .map(|(n, _)| n)
            .chain(model.enum_types().map(|(n, _)| n))
            .enumerate()
            .map(|(i, n)| (n, i))
            .collect();
        structured.sort_by_key(|n| order.get(n).copied().unwrap_or(usize::MAX));
        enums.sort_by_key(|n| order.get(n).copied().unwrap_or(usize::MAX));

        let mut names = BTreeMap::new();
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        for reserved in ["Page", "FlagSet", "ODataError", "FieldList"] {
            taken.insert(reserved.to_string(), String::new());
        }
        for qualified in structured.iter().chain(enums.iter()) {
            let simple = crate::operations::simple_name(qualified).to_upper_camel_case();
            let name = if taken.contains_key(&simple) {
                qualified
                    .rsplit('.')
                    .take(2)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("_")
                    .to_upper_camel_case()
            } else {
                simple
            };
            taken.insert(name.clone(), qualified.clone());
            names.insert(qualified.clone(), name);
        }
        TypeSet {
            structured,
            enums,
            collections,
            names,
        }
    }

    /// Qualified names of the structured types, in document order.
    pub fn structured(&self) -> &[String] {
        &self.structured
    }

    /// Qualified names of the enum types, in document order.
    pub fn enums(&self) -> &[String] {
        &self.enums
    }

    /// Entity types that are listed (and so get a collection response).
    pub fn collections(&self) -> &[String] {
        &self.collections
    }

    /// The Rust type name for a qualified CSDL type name.
    pub fn rust_name(&self, qualified: &str) -> Option<&str> {
        self.names.get(qualified).map(String::as_str)
    }

    /// The Rust name of a collection response (`SessionCollectionResponse`).
    pub fn collection_name(&self, entity: &str) -> String {
        format!(
            "{}CollectionResponse",
            self.rust_name(entity).unwrap_or("Unknown")
        )
    }
}

fn in_namespace(qualified: &str, namespace: &str) -> bool {
    qualified
        .rsplit_once('.')
        .is_some_and(|(ns, _)| ns == namespace)
}

/// Rust field name for a CSDL property name (`type` → `type_`).
pub fn field_name(property: &str) -> String {
    let snake = property.replace('@', "").replace('.', "_").to_snake_case();
    match snake.as_str() {
        "type" | "ref" | "self" | "match" | "move" | "loop" | "impl" | "fn" | "mod" | "use"
        | "where" | "struct" | "enum" | "trait" | "in" | "as" | "box" | "const" | "crate"
        | "dyn" | "else" | "extern" | "false" | "true" | "for" | "if" | "let" | "mut" | "pub"
        | "return" | "static" | "super" | "unsafe" | "while" | "async" | "await" | "abstract"
        | "become" | "do" | "final" | "macro" | "override" | "priv" | "typeof" | "unsized"
        | "virtual" | "yield" | "try" | "gen" => format!("{snake}_"),
        _ => snake,
    }
}

/// The variants of an open enum: (wire value, Rust variant name), plus the catch-all's name.
pub fn enum_variants(members: &[String]) -> (Vec<(String, String)>, String) {
    let mut used = BTreeSet::new();
    let mut variants = Vec::new();
    for member in members {
        let mut variant = member.to_upper_camel_case();
        if variant.is_empty() || !variant.starts_with(|c: char| c.is_ascii_alphabetic()) {
            variant = format!("V{variant}");
        }
        let mut candidate = variant.clone();
        let mut n = 2;
        while !used.insert(candidate.clone()) {
            candidate = format!("{variant}{n}");
            n += 1;
        }
        variants.push((member.clone(), candidate));
    }
    let mut catch_all = "Unrecognized".to_string();
    while used.contains(&catch_all) {
        catch_all.push_str("Value");
    }
    (variants, catch_all)
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
    Plain(TokenStream),
    DateTime,
    Int64,
    Float,
}

fn element_shape(model: &Model, types: &TypeSet, type_ref: &TypeRef, owner: &str) -> Shape {
    let primitive = |name: &str| -> Shape {
        match name {
            "Edm.String" | "Edm.Guid" | "Edm.Duration" | "Edm.TimeOfDay" | "Edm.Binary"
            | "Edm.Stream" | "Edm.Date" => Shape::Plain(quote!(String)),
            "Edm.Boolean" => Shape::Plain(quote!(bool)),
            "Edm.Int32" => Shape::Plain(quote!(i32)),
            "Edm.Int16" => Shape::Plain(quote!(i16)),
            "Edm.Byte" => Shape::Plain(quote!(u8)),
            "Edm.SByte" => Shape::Plain(quote!(i8)),
            "Edm.Int64" => Shape::Int64,
            "Edm.Double" | "Edm.Single" | "Edm.Decimal" => Shape::Float,
            "Edm.DateTimeOffset" => Shape::DateTime,
            _ => Shape::Plain(quote!(::serde_json::Value)),
        }
    };
    match model.lookup(&type_ref.name) {
        Some(TypeKind::Primitive(p)) => primitive(p),
        Some(TypeKind::Definition(d)) => primitive(&d.underlying_type.name),
        Some(TypeKind::Enum(e)) => {
            let name = ident(types.rust_name(&type_ref.name).unwrap_or("Unknown"));
            if e.is_flags {
                Shape::Plain(quote!(crate::codec::FlagSet<#name>))
            } else {
                Shape::Plain(quote!(#name))
            }
        }
        Some(TypeKind::Structured(_)) => {
            let name = ident(types.rust_name(&type_ref.name).unwrap_or("Unknown"));
            if !type_ref.collection && reaches(model, &type_ref.name, owner) {
                Shape::Plain(quote!(Box<#name>))
            } else {
                Shape::Plain(quote!(#name))
            }
        }
        None => Shape::Plain(quote!(::serde_json::Value)),
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
}

fn field_tokens(model: &Model, types: &TypeSet, owner: &str, field: &Field) -> TokenStream {
    let name = ident(&field.rust);
    let wire = &field.wire;
    let doc = doc_attrs(field.doc.as_deref(), &format!("`{}`", field.wire));
    let shape = element_shape(model, types, &field.type_ref, owner);
    let (element, helper) = match shape {
        Shape::Plain(t) => (t, None),
        Shape::DateTime => (quote!(::chrono::DateTime<::chrono::Utc>), Some("datetime")),
        Shape::Int64 => (quote!(i64), Some("int64")),
        Shape::Float => (quote!(f64), Some("float")),
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
        (Some(h), m) => Some(format!("crate::codec::{h}::{m}")),
        (None, "nullable") => Some("crate::codec::nullable".to_string()),
        _ => None,
    };
    let serde_attr = match &with {
        Some(path) if path == "crate::codec::nullable" => quote! {
            #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::codec::nullable::deserialize")]
        },
        Some(path) => {
            // schemars reads `serde(with)` as a type path; tell it the field's real type.
            let ty_text = ty.to_string();
            quote! {
                #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none", with = #path)]
                #[schemars(with = #ty_text)]
            }
        }
        None => quote! {
            #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")]
        },
    };
    quote! {
        #doc
        #serde_attr
        pub #name: #ty,
    }
}

/// Emits the `models` module body.
pub fn models(model: &Model, types: &TypeSet) -> TokenStream {
    let mut items = Vec::new();
    for qualified in types.structured() {
        let Some(t) = model.structured(qualified) else {
            continue;
        };
        let name = ident(types.rust_name(qualified).unwrap_or("Unknown"));
        let chain = model.base_chain(qualified);
        let mut fields = Vec::new();
        let mut used = BTreeSet::new();
        used.insert("odata_type".to_string());
        used.insert("additional_properties".to_string());
        for level in &chain {
            for p in &level.properties {
                fields.push(Field {
                    wire: p.name.clone(),
                    rust: unique_field(&mut used, &p.name),
                    doc: description(&p.annotations).map(str::to_string),
                    type_ref: p.type_ref.clone(),
                    nullable: p.nullable,
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
                    rust: unique_field(&mut used, &n.name),
                    doc,
                    type_ref: n.type_ref.clone(),
                    nullable: n.nullable,
                });
            }
        }
        let field_tokens: Vec<TokenStream> = fields
            .iter()
            .map(|f| field_tokens(model, types, qualified, f))
            .collect();
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
        let doc = doc_attrs(Some(&doc_text), "");
        let odata_type = format!("#{qualified}");
        let odata_doc =
            format!(" The `@odata.type` annotation (`{odata_type}` or a derived type).");
        items.push(quote! {
            #doc
            #[derive(Clone, Debug, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
            pub struct #name {
                #[doc = #odata_doc]
                #[serde(rename = "@odata.type", default, skip_serializing_if = "Option::is_none")]
                pub odata_type: Option<String>,
                #(#field_tokens)*
                /// JSON members this version of the model does not declare (OData annotations such as
                /// `@odata.context`, properties added to the beta API); kept and written back unchanged.
                #[serde(flatten)]
                pub additional_properties: ::serde_json::Map<String, ::serde_json::Value>,
            }

            impl #name {
                /// The qualified OData type name.
                pub const ODATA_TYPE: &'static str = #qualified;
            }
        });
    }
    for qualified in types.enums() {
        let Some(e) = model.enum_type(qualified) else {
            continue;
        };
        items.push(open_enum(
            types.rust_name(qualified).unwrap_or("Unknown"),
            qualified,
            e,
        ));
    }
    for entity in types.collections() {
        let alias = ident(&types.collection_name(entity));
        let item = ident(types.rust_name(entity).unwrap_or("Unknown"));
        let doc = format!(" A page of `{entity}` (`value`, `@odata.nextLink`, `@odata.count`).");
        items.push(quote! {
            #[doc = #doc]
            pub type #alias = crate::paging::Page<#item>;
        });
    }
    quote! { #(#items)* }
}

fn unique_field(used: &mut BTreeSet<String>, wire: &str) -> String {
    let base = field_name(wire);
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    candidate
}

fn open_enum(rust_name: &str, qualified: &str, e: &crate::csdl::EnumType) -> TokenStream {
    let name = ident(rust_name);
    let members: Vec<String> = e.members.iter().map(|m| m.name.clone()).collect();
    let (variants, catch_all) = enum_variants(&members);
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
        "\n\nOpen: a value this crate does not know deserializes into `{catch_all}` and is written back unchanged."
    ));
    if e.is_flags {
        doc_text
            .push_str(" Flags: properties of this type are `FlagSet`s, written comma-separated.");
    }
    let doc = doc_attrs(Some(&doc_text), "");
    let catch_doc =
        " A value the service sent that this version of the crate does not know; kept verbatim.";
    let schema_name = rust_name.to_string();
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

        impl crate::codec::FlagMember for #name {}

        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                #schema_name.into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({
                    "type": "string",
                    "description": #doc_text,
                    "examples": [#(#wires),*],
                })
            }
        }
    }
}
