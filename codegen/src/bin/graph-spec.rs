//! `graph-spec`: tools for the CSDL documents graph-security-copilot is generated from.
//!
//! Exit codes: 0 on success, 2 on bad input or usage (clap's own usage errors exit with 2 too),
//! 1 if the output cannot be written; `diff --deny-breaking` and `refresh` also exit with 1 when
//! a change is breaking (`refresh` writes its files either way, so `git diff` shows them).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use graph_odata_codegen::config::SpecConfig;
use graph_odata_codegen::diff::{
    count_navigation_paths, diff, load_input, Impact, MAX_NAVIGATION_PATHS,
};
use graph_odata_codegen::generate::{load_spec, openapi_for};
use graph_odata_codegen::new_crate::{new_crate, DependencySource, NewCrateError, NewCrateOptions};
use graph_odata_codegen::refresh::{refresh, RefreshError, RefreshOptions};
use graph_odata_codegen::slice::{slice_file, SliceError};

/// Tools for Microsoft Graph CSDL documents.
#[derive(Debug, Parser)]
#[command(name = "graph-spec", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Refresh `spec/` from a new full `$metadata` document: slice the namespace, compare with
    /// the committed spec, write the new fragment and every golden file, and report each change
    /// (additive or breaking, CSDL path, Rust item) and each new navigation that the overlay does
    /// not expose. Exit 0: nothing breaking; 1: something breaking (files written); 2: bad input
    /// (nothing written).
    Refresh(RefreshArgs),
    /// Cut a self-contained CSDL document for some namespaces out of a full `$metadata`
    /// document: their types, everything they reference, the containment path from the entity
    /// container, and the annotations on what is kept.
    Slice(SliceArgs),
    /// Report the API changes between two versions of the spec, each classified breaking or
    /// additive for Rust callers of the generated client (Markdown, or JSON with `--json`).
    Diff(DiffArgs),
    /// Print the OpenAPI document the client's build.rs feeds progenitor.
    Openapi(OpenapiArgs),
    /// Write a complete client crate for one namespace of a full `$metadata` document: the
    /// slice, an overlay exposing the navigations that reach the namespace (one entry each,
    /// marked for review), generator.json, Cargo.toml, build.rs, src/, a README and smoke tests
    /// against the emulator. Exit 0: written; 2: bad input (the error names file, line, column
    /// and element); 1: cannot write.
    NewCrate(NewCrateArgs),
    /// Build a full document around a fragment (the fragment's elements replace the host's
    /// elements of the same name, or are added): to try a refresh with an edited fragment.
    Embed(EmbedArgs),
}

#[derive(Debug, Args)]
struct DiffArgs {
    /// The old spec: a CSDL file (fragment or full document) or a spec directory
    /// (`securityCopilot.csdl.xml`, plus its `overlay.xml` if present).
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The new spec, like OLD.
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// An overlay applied to OLD and NEW when they are files (a spec directory brings its own).
    #[arg(long, value_name = "FILE")]
    overlay: Option<PathBuf>,
    /// Print the report as JSON instead of Markdown.
    #[arg(long)]
    json: bool,
    /// Exit with status 1 if any change is breaking.
    #[arg(long)]
    deny_breaking: bool,
}

#[derive(Debug, Args)]
struct NewCrateArgs {
    /// The full CSDL document (Graph's `$metadata`).
    #[arg(long, value_name = "FULL.xml")]
    metadata: PathBuf,
    /// The namespace, e.g. `microsoft.graph.externalConnectors`.
    #[arg(long, value_name = "NS")]
    namespace: String,
    /// The directory to write (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The crate name (default: `graph-` and the namespace's last segment, kebab-case).
    #[arg(long, value_name = "CRATE")]
    name: Option<String>,
    /// The Graph version the namespace is served from, `v1.0` or `beta` (default: `beta` when
    /// the metadata file name says so, else `v1.0`).
    #[arg(long, value_name = "VERSION")]
    graph_version: Option<String>,
}

#[derive(Debug, Args)]
struct EmbedArgs {
    /// The host document (a full `$metadata`).
    #[arg(long, value_name = "HOST.xml")]
    host: PathBuf,
    /// The fragment to embed.
    #[arg(long, value_name = "FRAGMENT.xml")]
    fragment: PathBuf,
    /// Where to write the result.
    #[arg(short = 'o', long = "output", value_name = "OUT.xml")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct RefreshArgs {
    /// The full CSDL document (Microsoft's beta `$metadata`).
    #[arg(long, value_name = "FULL.xml")]
    metadata: PathBuf,
    /// The spec directory to refresh.
    #[arg(long, value_name = "DIR", default_value = "spec")]
    spec: PathBuf,
    /// Print the report as JSON instead of Markdown.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct OpenapiArgs {
    /// A spec directory, or CSDL files merged in order (fragment, then overlay).
    #[arg(value_name = "SPEC", required = true)]
    spec: Vec<PathBuf>,
    /// Write to FILE (through a temporary file renamed into place) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// The namespace whose types are the API's own (CSDL files only; a spec directory's
    /// `generator.json` names it).
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
}

#[derive(Debug, Args)]
struct SliceArgs {
    /// The full CSDL document (e.g. Graph's `$metadata`).
    #[arg(long, value_name = "FULL.xml")]
    metadata: PathBuf,
    /// A namespace to keep, e.g. `microsoft.graph.security.securityCopilot` (repeatable).
    #[arg(long = "namespace", value_name = "NS", required = true)]
    namespaces: Vec<String>,
    /// Where to write the slice (written to a temporary file, then renamed).
    #[arg(short = 'o', long = "output", value_name = "OUT.xml")]
    output: PathBuf,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Refresh(args) => run_refresh(&args),
        Command::Embed(args) => run_embed(&args),
        Command::NewCrate(args) => run_new_crate(&args),
        Command::Slice(args) => run_slice(&args),
        Command::Diff(args) => run_diff(&args),
        Command::Openapi(args) => run_openapi(&args),
    }
}

fn run_new_crate(args: &NewCrateArgs) -> ExitCode {
    let mut options = NewCrateOptions::new(&args.metadata, &args.namespace, &args.out);
    options.name = args.name.clone();
    options.graph_version = args.graph_version.clone();
    match new_crate(&options) {
        Ok(report) => {
            eprintln!(
                "graph-spec new-crate: wrote {} to {}: {} operations, {} types, {} navigations exposed ({} not), {} bound operations not exposed, {} smoke tests",
                report.crate_name,
                report.dir.display(),
                report.operations,
                report.types,
                report.exposed.len(),
                report.not_exposed.len(),
                report.bound_operations.len(),
                report.smoke_tests.len(),
            );
            match &options.dependencies {
                DependencySource::Checkout(root) => eprintln!(
                    "  dependencies by path from {}; next: cd {} && cargo test",
                    root.display(),
                    report.dir.display()
                ),
                DependencySource::Registry => eprintln!(
                    "  dependencies from crates.io; next: cd {} && cargo test",
                    report.dir.display()
                ),
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("graph-spec new-crate: error: {err}");
            match err {
                NewCrateError::Io { .. } => ExitCode::from(1),
                _ => ExitCode::from(2),
            }
        }
    }
}

fn run_embed(args: &EmbedArgs) -> ExitCode {
    let read =
        |path: &Path| std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()));
    let result = read(&args.host).and_then(|host| {
        let fragment = read(&args.fragment)?;
        graph_odata_codegen::embed::embed(&host, &fragment).map_err(|e| e.to_string())
    });
    match result {
        Ok(text) => {
            match graph_odata_codegen::slice::write_atomically(&args.output, text.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("graph-spec embed: error: {err}");
                    ExitCode::from(1)
                }
            }
        }
        Err(err) => {
            eprintln!("graph-spec embed: error: {err}");
            ExitCode::from(2)
        }
    }
}

fn run_refresh(args: &RefreshArgs) -> ExitCode {
    let options = RefreshOptions::new(&args.metadata, &args.spec);
    let report = match refresh(&options) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("graph-spec refresh: error: {err}");
            return match err {
                RefreshError::Write { .. } => ExitCode::from(1),
                _ => ExitCode::from(2),
            };
        }
    };
    let text = if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(err) => {
                eprintln!("graph-spec refresh: error: {err}");
                return ExitCode::from(1);
            }
        }
    } else {
        report.to_markdown()
    };
    if let Err(err) = std::io::stdout().lock().write_all(text.as_bytes()) {
        eprintln!("graph-spec refresh: error: cannot write the report: {err}");
        return ExitCode::from(1);
    }
    if report.is_breaking() {
        eprintln!(
            "graph-spec refresh: {} breaking change(s); files written, review `git diff {}`",
            report.count(Impact::Breaking),
            args.spec.display()
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn run_slice(args: &SliceArgs) -> ExitCode {
    match slice_file(&args.metadata, &args.namespaces, &args.output) {
        Ok(s) => {
            if !args.quiet {
                eprintln!(
                    "graph-spec slice: wrote {} ({} bytes from {}): schemas {}; {} types, {} path types, {} operations, {} terms, {} annotation blocks",
                    args.output.display(),
                    s.output_bytes,
                    s.input_bytes,
                    s.schemas.join(", "),
                    s.types,
                    s.path_types,
                    s.operations,
                    s.terms,
                    s.annotation_blocks,
                );
                for p in &s.paths {
                    eprintln!("  containment path: {p}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("graph-spec slice: error: {err}");
            match err {
                SliceError::Write { .. } => ExitCode::from(1),
                _ => ExitCode::from(2),
            }
        }
    }
}

fn run_diff(args: &DiffArgs) -> ExitCode {
    if args.overlay.is_some() && args.old.is_dir() && args.new.is_dir() {
        eprintln!("graph-spec diff: warning: --overlay ignored: spec directories use their own overlay.xml");
    }
    let load = |path: &Path| load_input(path, args.overlay.as_deref());
    let (old, new) = match (load(&args.old), load(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("graph-spec diff: error: {err}");
            return ExitCode::from(2);
        }
    };
    let report = diff(&old, &new);
    for warning in &report.warnings {
        eprintln!("graph-spec diff: warning: {warning}");
    }
    let text = if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(err) => {
                eprintln!("graph-spec diff: error: {err}");
                return ExitCode::from(1);
            }
        }
    } else {
        report.to_markdown(
            &args.old.display().to_string(),
            &args.new.display().to_string(),
        )
    };
    if let Err(err) = std::io::stdout().lock().write_all(text.as_bytes()) {
        eprintln!("graph-spec diff: error: cannot write the report: {err}");
        return ExitCode::from(1);
    }
    if args.deny_breaking && report.is_breaking() {
        eprintln!(
            "graph-spec diff: {} breaking change(s)",
            report.count(Impact::Breaking)
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn run_openapi(args: &OpenapiArgs) -> ExitCode {
    let model = match args.spec.as_slice() {
        [one] => load_input(one, None),
        files => match files.iter().find(|f| f.is_dir()) {
            Some(dir) => {
                eprintln!(
                    "graph-spec openapi: error: {}: give either one spec directory or CSDL files",
                    dir.display()
                );
                return ExitCode::from(2);
            }
            None => load_spec(files),
        },
    };
    let document = match model.map_err(|e| e.to_string()).and_then(|model| {
        if count_navigation_paths(&model, MAX_NAVIGATION_PATHS) > MAX_NAVIGATION_PATHS {
            return Err(format!(
                "more than {MAX_NAVIGATION_PATHS} contained navigation paths: slice the document first (graph-spec slice)"
            ));
        }
        let config = match args.spec.as_slice() {
            [dir] if dir.is_dir() => SpecConfig::read(dir).map_err(|e| e.to_string())?,
            files => {
                // A fragment inside a spec directory uses that directory's generator.json.
                let beside = files.first().and_then(|fragment| {
                    let config = SpecConfig::read(fragment.parent()?).ok()?;
                    (fragment.file_name()? == config.fragment.as_str()).then_some(config)
                });
                match (beside, args.namespace.as_deref()) {
                    (Some(mut config), namespace) => {
                        if let Some(namespace) = namespace {
                            config.namespace = namespace.to_string();
                        }
                        config
                    }
                    (None, Some(namespace)) => {
                        SpecConfig::for_namespace(namespace, namespace, "beta")
                    }
                    (None, None) => {
                        return Err("--namespace is required with CSDL files outside a spec \
                                    directory (its generator.json names it)"
                            .to_string())
                    }
                }
            }
        };
        openapi_for(&model, &config)
            .map(|(document, _, _)| document)
            .map_err(|e| e.to_string())
    }) {
        Ok(document) => document,
        Err(err) => {
            eprintln!("graph-spec openapi: error: {err}");
            return ExitCode::from(2);
        }
    };
    let text = match serde_json::to_string_pretty(&document) {
        Ok(json) => json + "\n",
        Err(err) => {
            eprintln!("graph-spec openapi: error: {err}");
            return ExitCode::from(1);
        }
    };
    let written = match &args.output {
        Some(path) => graph_odata_codegen::slice::write_atomically(path, text.as_bytes())
            .map_err(|e| e.to_string()),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write to stdout: {e}")),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("graph-spec openapi: error: {err}");
            ExitCode::from(1)
        }
    }
}
