//! The generation pipeline, end to end, and the entry point for the client's `build.rs`.
//!
//! spec files → [`Model`] → operations → OpenAPI → progenitor (with every schema replaced by our
//! own model types) → post-processing → formatted Rust in `$OUT_DIR`.

use std::path::{Path, PathBuf};

use heck::ToUpperCamelCase;
use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::quote;
use syn::visit_mut::VisitMut;

use crate::config::{ConfigError, SpecConfig};
use crate::csdl::{read_file, CsdlError, Model};
use crate::openapi::{
    collection_response_name, openapi, FIELD_LIST, ODATA_ERROR, ODATA_ERROR_PARTS,
};
use crate::operations::{operations, ApiOperation, OperationsError};
use crate::rust_models::{models, TypeSet};

/// Anything that stops generation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The spec directory's `generator.json` is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The CSDL is malformed or inconsistent.
    #[error(transparent)]
    Csdl(#[from] CsdlError),
    /// The operations could not be derived.
    #[error(transparent)]
    Operations(#[from] OperationsError),
    /// The emitted OpenAPI is not valid OpenAPI 3.0 (a bug in the emitter).
    #[error("emitted OpenAPI is invalid: {0}")]
    OpenApi(String),
    /// Progenitor rejected the document.
    #[error("progenitor: {0}")]
    Progenitor(String),
    /// Progenitor's output did not parse as Rust (a bug in post-processing).
    #[error("generated code does not parse: {0}")]
    Syntax(String),
    /// Writing output failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Everything generated from one spec.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The operations.
    pub operations: Vec<ApiOperation>,
    /// The OpenAPI document fed to progenitor.
    pub openapi: serde_json::Value,
    /// The `models` module (formatted Rust).
    pub models: String,
    /// The progenitor client (formatted Rust).
    pub client: String,
    /// The resource handles (formatted Rust).
    pub handles: String,
    /// The operation table (formatted Rust; see [`crate::rust_operations`]).
    pub operation_table: String,
    /// The plain-text listing of the generated public surface.
    pub surface: String,
}

/// Reads the spec files into a model: the first is Microsoft's fragment, the rest are overlays
/// (whose annotation targets must all exist).
pub fn load_spec(files: &[PathBuf]) -> Result<Model, CsdlError> {
    let mut documents = files
        .iter()
        .map(|f| read_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    let overlays = documents.split_off(documents.len().min(1));
    Model::build_with_overlays(documents, overlays)
}

/// The spec files of a spec directory, as its `generator.json` names them.
pub fn spec_files(spec_dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    Ok(SpecConfig::read(spec_dir)?.files(spec_dir))
}

/// The OpenAPI document for a model (what `graph-spec openapi` prints).
pub fn openapi_for(
    model: &Model,
    config: &SpecConfig,
) -> Result<(serde_json::Value, Vec<ApiOperation>, TypeSet), GenerateError> {
    let ops = operations(model)?;
    let types = TypeSet::new(model, &[config.namespace.as_str()], &ops)?;
    let document = openapi(model, &types, &ops, config);
    Ok((document, ops, types))
}

/// Runs the whole pipeline on a model.
pub fn generate(model: &Model, config: &SpecConfig) -> Result<Generated, GenerateError> {
    let (document, ops, types) = openapi_for(model, config)?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(document.clone())
        .map_err(|e| GenerateError::OpenApi(e.to_string()))?;

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote!(::graph_odata_runtime::__private::Transport))
        .with_hooks(HooksMode::Expected);
    let mut replace = |schema: &str, rust: String| {
        settings.with_replacement(typify_name(schema), rust, std::iter::empty());
    };
    for name in types.structured().iter().chain(types.enums()) {
        if let Some(rust) = types.rust_path(name) {
            replace(name, format!("crate::models::{rust}"));
        }
    }
    for entity in types.collections() {
        replace(
            &collection_response_name(entity),
            format!(
                "crate::models::{}",
                types
                    .module(entity)
                    .unwrap_or_default()
                    .iter()
                    .map(String::as_str)
                    .chain([types.collection_name(entity).as_str()])
                    .collect::<Vec<_>>()
                    .join("::")
            ),
        );
    }
    replace(
        ODATA_ERROR,
        "::graph_odata_runtime::error::ODataError".to_string(),
    );
    for (part, rust) in ODATA_ERROR_PARTS
        .iter()
        .zip(["MainError", "InnerError", "ErrorDetail"])
    {
        replace(part, format!("::graph_odata_runtime::error::{rust}"));
    }
    replace(
        FIELD_LIST,
        "::graph_odata_runtime::query::FieldList".to_string(),
    );

    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| GenerateError::Progenitor(e.to_string()))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| GenerateError::Syntax(e.to_string()))?;
    PostProcess.visit_file_mut(&mut file);
    let client = prettyplease::unparse(&file);

    let models_tokens = models(model, &types)?;
    let models_file: syn::File =
        syn::parse2(models_tokens).map_err(|e| GenerateError::Syntax(e.to_string()))?;
    let models = prettyplease::unparse(&models_file);

    let handles_tokens = crate::rust_handles::handles(model, &types, &ops)?;
    let handles_file: syn::File =
        syn::parse2(handles_tokens).map_err(|e| GenerateError::Syntax(e.to_string()))?;
    let handles = prettyplease::unparse(&handles_file);

    let table_file: syn::File = syn::parse2(crate::rust_operations::operation_table(&ops))
        .map_err(|e| GenerateError::Syntax(e.to_string()))?;
    let operation_table = prettyplease::unparse(&table_file);

    let surface = crate::surface::listing(&models_file, &file, &handles_file, &ops);
    Ok(Generated {
        operations: ops,
        openapi: document,
        models,
        client,
        handles,
        operation_table,
        surface,
    })
}

/// The Rust type name typify derives from a component schema name (how replacements are keyed).
pub fn typify_name(schema: &str) -> String {
    let cleaned: String = schema
        .replace('\'', "")
        .chars()
        .map(|c| if unicode_ident_continue(c) { c } else { '-' })
        .collect();
    cleaned.to_upper_camel_case()
}

fn unicode_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Fixes what progenitor does that OData does not want.
struct PostProcess;

impl VisitMut for PostProcess {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        // Progenitor adds `api-version: <info.version>` to every request; Graph has no such header.
        block.stmts.retain(|stmt| {
            let text = quote!(#stmt).to_string();
            !(text.contains("\"api-version\"") && text.contains("append"))
        });
        syn::visit_mut::visit_block_mut(self, block);
    }

    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        drop_ignored_examples(&mut function.attrs);
        syn::visit_mut::visit_impl_item_fn_mut(self, function);
    }

    fn visit_expr_path_mut(&mut self, path: &mut syn::ExprPath) {
        // Progenitor's `encode_path` leaves `.` alone, so an id `..` would be resolved away by
        // the URL parser; ours encodes dot segments too.
        if path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "encode_path")
        {
            if let Ok(replacement) = syn::parse_str::<syn::ExprPath>(
                "::graph_odata_runtime::__private::codec::encode_path_segment",
            ) {
                *path = replacement;
            }
        }
        syn::visit_mut::visit_expr_path_mut(self, path);
    }
}

/// Drops the ```` ```ignore ```` examples progenitor writes into the raw client's method docs:
/// they never compile (they name a `client` they do not define), so every generated crate's
/// `cargo test` would list them as ignored doctests.
fn drop_ignored_examples(attrs: &mut [syn::Attribute]) {
    for attr in attrs {
        let syn::Meta::NameValue(doc) = &mut attr.meta else {
            continue;
        };
        if !doc.path.is_ident("doc") {
            continue;
        }
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &doc.value
        else {
            continue;
        };
        let mut value = text.value();
        let mut changed = false;
        while let Some(start) = value.find("```ignore") {
            let after = start + "```ignore".len();
            let end = value[after..]
                .find("```")
                .map_or(value.len(), |close| after + close + "```".len());
            value.replace_range(start..end, "");
            changed = true;
        }
        if changed {
            let span = text.span();
            doc.value = syn::Expr::Lit(syn::ExprLit {
                attrs: Vec::new(),
                lit: syn::Lit::Str(syn::LitStr::new(value.trim_end(), span)),
            });
        }
    }
}

/// The client's `build.rs`: generates into `out_dir` from `spec_dir`.
///
/// Writes `models.rs`, `client.rs`, `resources.rs`, `operations.rs` and `openapi.json`, and
/// prints `cargo:rerun-if-changed` lines so
/// a no-op rebuild does not run generation again.
pub fn build_script(spec_dir: &Path, out_dir: &Path) -> Result<Generated, GenerateError> {
    let config_path = spec_dir.join(crate::config::CONFIG_FILE);
    println!("cargo:rerun-if-changed={}", config_path.display());
    let config = SpecConfig::read(spec_dir)?;
    let files = config.files(spec_dir);
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let model = load_spec(&files)?;
    let generated = generate(&model, &config)?;
    let write = |name: &str, contents: &str| -> Result<(), GenerateError> {
        let path = out_dir.join(name);
        std::fs::write(&path, contents).map_err(|source| GenerateError::Io { path, source })
    };
    write("models.rs", &generated.models)?;
    write("client.rs", &generated.client)?;
    write("resources.rs", &generated.handles)?;
    write("operations.rs", &generated.operation_table)?;
    write(
        "openapi.json",
        &serde_json::to_string_pretty(&generated.openapi).unwrap_or_default(),
    )?;
    Ok(generated)
}
