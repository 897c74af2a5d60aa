//! Benchmark of `graph-spec slice` on a ≥100 MB CSDL document, against a DOM baseline.
//!
//! Run with `cargo bench -p graph-odata-codegen --bench slice`.
//!
//! The input is built in a temporary directory from the real Graph v1.0 `$metadata`
//! (`../shared/reference/graph-v1.0-metadata.xml`): its schemas repeated under new names
//! (`microsoft.graph` → `ns17.microsoft.graph`, alias `graph` → `graph17`, ..., references and
//! aliases rewritten consistently, so every copy is a self-consistent set of 11 namespaces with
//! its own entity container), until the file is at least 100 MB.
//!
//! Each measurement runs in a child process (this binary, re-invoked with `--child`), so that
//! its peak resident memory (`VmHWM` from `/proc/self/status`) is its own. The file is written
//! just before, so it is in the page cache: the figures are CPU throughput, not disk speed.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use graph_odata_codegen::slice::slice_file;

mod support;

const TARGET_BYTES: usize = 100 * 1000 * 1000;
const RUNS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1..]);
        return;
    }
    parent();
}

/// Peak resident set size of this process, in bytes (Linux only).
fn vm_hwm() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time this process has run, in seconds (Linux only): on a shared machine, wall-clock
/// time also counts the time the process waited for a core.
fn cpu_seconds() -> Option<f64> {
    let stat = fs::read_to_string("/proc/self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// Runs one measurement and prints `wall_seconds cpu_seconds peak_bytes detail` on stdout.
fn child(args: &[String]) {
    let (mode, file) = (args[0].as_str(), PathBuf::from(&args[1]));
    let start = Instant::now();
    let cpu_start = cpu_seconds().unwrap_or(0.0);
    let detail = match mode {
        "slice" => {
            let out = file.with_extension(format!("slice-{}.xml", std::process::id()));
            let summary = slice_file(&file, &[args[2].clone()], &out).expect("slice");
            let _ = fs::remove_file(&out);
            format!(
                "{} types + {} path types, {} bytes out",
                summary.types, summary.path_types, summary.output_bytes
            )
        }
        "scan" => {
            // The floor: tokenize every event with quick-xml, do nothing with it.
            let f = fs::File::open(&file).expect("open");
            let mut reader =
                quick_xml::Reader::from_reader(std::io::BufReader::with_capacity(1 << 17, f));
            let mut buf = Vec::new();
            let mut events = 0u64;
            loop {
                buf.clear();
                match reader.read_event_into(&mut buf).expect("xml") {
                    quick_xml::events::Event::Eof => break,
                    _ => events += 1,
                }
            }
            format!("{events} events")
        }
        "dom" => {
            let text = fs::read_to_string(&file).expect("read");
            let doc =
                roxmltree::Document::parse(text.trim_start_matches('\u{feff}')).expect("parse");
            let elements = doc.descendants().filter(|n| n.is_element()).count();
            format!("{elements} elements")
        }
        other => panic!("unknown mode {other}"),
    };
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds().map_or(seconds, |c| c - cpu_start);
    println!("{seconds} {cpu} {} {detail}", vm_hwm().unwrap_or(0));
}

struct Measurement {
    label: String,
    /// Wall-clock seconds.
    seconds: f64,
    /// CPU seconds.
    cpu: f64,
    peak: u64,
    detail: String,
}

fn measure(label: &str, args: &[&str]) -> Measurement {
    let exe = std::env::current_exe().expect("current exe");
    let mut best: Option<Measurement> = None;
    for _ in 0..RUNS {
        let out = Command::new(&exe)
            .arg("--child")
            .args(args)
            .output()
            .expect("run child");
        assert!(
            out.status.success(),
            "child {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let mut parts = line.splitn(4, ' ');
        let seconds: f64 = parts.next().and_then(|s| s.parse().ok()).expect("seconds");
        let cpu: f64 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .expect("cpu seconds");
        let peak: u64 = parts.next().and_then(|s| s.parse().ok()).expect("peak");
        let detail = parts.next().unwrap_or_default().to_string();
        if best.as_ref().is_none_or(|b| seconds < b.seconds) {
            best = Some(Measurement {
                label: label.to_string(),
                seconds,
                cpu,
                peak,
                detail,
            });
        }
    }
    best.expect("at least one run")
}

fn parent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("graph-x30.xml");
    let t = Instant::now();
    let (size, copies) = support::build_input(&input, TARGET_BYTES);
    let mb = size as f64 / 1e6;
    eprintln!(
        "built {} ({mb:.1} MB, {copies} renamed copies of v1.0's 11 namespaces) in {:.1} s",
        input.display(),
        t.elapsed().as_secs_f64()
    );
    let mid = copies / 2;
    let file = input.to_string_lossy().into_owned();
    let small = format!("ns{mid}.microsoft.graph.callRecords");
    let large = format!("ns{mid}.microsoft.graph.security");
    let rows = [
        measure(&format!("slice {small}"), &["slice", &file, &small]),
        measure(&format!("slice {large}"), &["slice", &file, &large]),
        measure("quick-xml scan only (floor)", &["scan", &file]),
        measure("roxmltree DOM parse (baseline)", &["dom", &file]),
    ];
    let dom = &rows[3];
    println!();
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?");
    println!(
        "input: {mb:.1} MB ({copies} copies of Graph v1.0 $metadata); best of {RUNS} runs (by wall \
         time), one thread; load average {load}"
    );
    println!();
    println!(
        "| run | wall time | throughput (wall) | CPU time | throughput (CPU) | peak memory (VmHWM) \
         | peak / input | vs DOM: speed | vs DOM: memory |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.3} s | {:.0} MB/s | {:.3} s | {:.0} MB/s | {:.1} MB | {:.3} | {:.2}x | {:.3}x |",
            r.label,
            r.seconds,
            mb / r.seconds,
            r.cpu,
            mb / r.cpu,
            r.peak as f64 / 1e6,
            r.peak as f64 / size as f64,
            dom.seconds / r.seconds,
            r.peak as f64 / dom.peak as f64,
        );
    }
    println!();
    for r in &rows {
        println!("{}: {}", r.label, r.detail);
    }
}
