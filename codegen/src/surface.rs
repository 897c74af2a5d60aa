//! A plain-text listing of the generated public surface, committed as a golden file so that a
//! spec change shows up as a reviewable diff of types, fields and operations.

use std::fmt::Write;

use quote::ToTokens;

use crate::operations::{ApiOperation, ResponseShape};

/// Lists the operations, then the model types (with fields and wire names), then the generated
/// client's builder methods.
pub fn listing(
    models: &syn::File,
    client: &syn::File,
    handles: &syn::File,
    operations: &[ApiOperation],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Generated public surface (do not edit; refresh with UPDATE_GOLDEN=1)"
    );
    let _ = writeln!(out, "\n## Operations ({})\n", operations.len());
    for op in operations {
        let query: Vec<&str> = op.query_options.iter().map(|q| q.parameter()).collect();
        let response = match &op.response {
            ResponseShape::Entity(t) => t.clone(),
            ResponseShape::Collection(t) => format!("Collection({t})"),
            ResponseShape::Count => "count (text/plain)".to_string(),
            ResponseShape::Empty => "no content".to_string(),
        };
        let _ = writeln!(
            out,
            "{} {} {}\n    query: [{}]\n    body: {}\n    success: {} {}",
            op.id,
            op.method,
            op.path,
            query.join(", "),
            op.request_body.as_deref().unwrap_or("-"),
            op.success_status,
            response
        );
    }
    let _ = writeln!(out, "\n## Models\n");
    for item in &models.items {
        match item {
            syn::Item::Struct(s) => {
                let _ = writeln!(out, "struct {}", s.ident);
                for field in &s.fields {
                    let name = field
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    let wire = serde_rename(&field.attrs)
                        .map(|w| format!("  \"{w}\""))
                        .unwrap_or_else(|| "  (flatten)".to_string());
                    let _ = writeln!(out, "    {name}: {}{wire}", tokens(&field.ty));
                }
            }
            syn::Item::Enum(e) => {
                let variants: Vec<String> =
                    e.variants.iter().map(|v| v.ident.to_string()).collect();
                let _ = writeln!(out, "enum {} {{ {} }}", e.ident, variants.join(", "));
            }
            syn::Item::Type(t) => {
                let _ = writeln!(out, "type {} = {}", t.ident, tokens(&t.ty));
            }
            _ => {}
        }
    }
    let _ = writeln!(out, "\n## Resource handles\n");
    for item in &handles.items {
        if let syn::Item::Impl(i) = item {
            let methods: Vec<String> = i
                .items
                .iter()
                .filter_map(|it| match it {
                    syn::ImplItem::Fn(f) if matches!(f.vis, syn::Visibility::Public(_)) => {
                        let inputs: Vec<String> = f.sig.inputs.iter().skip(1).map(tokens).collect();
                        let output = match &f.sig.output {
                            syn::ReturnType::Default => String::new(),
                            syn::ReturnType::Type(_, t) => format!(" -> {}", tokens(t)),
                        };
                        Some(format!(
                            "    {}({}){output}",
                            f.sig.ident,
                            inputs.join(", ")
                        ))
                    }
                    _ => None,
                })
                .collect();
            let _ = writeln!(out, "{}\n{}", tokens(&i.self_ty), methods.join("\n"));
        }
    }
    let _ = writeln!(out, "\n## Client builders\n");
    for item in &client.items {
        if let syn::Item::Mod(m) = item {
            if m.ident != "builder" {
                continue;
            }
            for inner in m.content.iter().flat_map(|(_, items)| items) {
                if let syn::Item::Impl(i) = inner {
                    let self_ty = tokens(&i.self_ty);
                    if i.trait_.is_some() {
                        continue;
                    }
                    let methods: Vec<String> = i
                        .items
                        .iter()
                        .filter_map(|it| match it {
                            syn::ImplItem::Fn(f) if matches!(f.vis, syn::Visibility::Public(_)) => {
                                Some(f.sig.ident.to_string())
                            }
                            _ => None,
                        })
                        .collect();
                    let _ = writeln!(out, "{self_ty}: {}", methods.join(", "));
                }
            }
        }
    }
    out
}

fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream()
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
}

fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    for attr in attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let mut rename = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                rename = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        if rename.is_some() {
            return rename;
        }
    }
    None
}
