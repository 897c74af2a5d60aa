//! Times the generation step `build.rs` runs, stage by stage, on the checked-in spec.
//!
//! `cargo bench -p graph-odata-codegen --bench generate`
//!
//! The baseline in the same run is progenitor alone on the same OpenAPI document (what any
//! progenitor-based build.rs pays); the report gives our whole pipeline as a ratio of it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use graph_odata_codegen::generate::{generate, load_spec, openapi_for, spec_files};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let samples = (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    median(samples)
}

fn main() {
    let spec = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec"));
    let files = spec_files(&spec).expect("generator.json");
    let config = graph_odata_codegen::config::SpecConfig::read(&spec).expect("generator.json");
    let runs = 15;
    let model = load_spec(&files).expect("spec loads");
    let (document, _, _) = openapi_for(&model, &config).expect("openapi");
    let openapi: openapiv3::OpenAPI = serde_json::from_value(document).expect("valid openapi");

    let read = time(runs, || load_spec(&files).expect("spec loads"));
    let emit = time(runs, || openapi_for(&model, &config).expect("openapi"));
    let baseline = time(runs, || {
        let mut generator = progenitor_impl::Generator::default();
        generator.generate_tokens(&openapi).expect("progenitor")
    });
    let whole = time(runs, || {
        let model = load_spec(&files).expect("spec loads");
        generate(&model, &config).expect("generate")
    });
    println!("generation step on spec/ (median of {runs} runs, release build)");
    println!("  read + resolve CSDL (fragment + overlay) {:>10.2?}", read);
    println!("  operations + OpenAPI                     {:>10.2?}", emit);
    println!(
        "  baseline: progenitor alone               {:>10.2?}",
        baseline
    );
    println!(
        "  whole pipeline (what build.rs runs)      {:>10.2?}",
        whole
    );
    println!(
        "  ratio whole / progenitor-alone           {:>10.2}x",
        whole.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "  target < 1 s: {}",
        if whole < Duration::from_secs(1) {
            "met"
        } else {
            "MISSED"
        }
    );
}
