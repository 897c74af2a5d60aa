//! The large test input shared by the benches: Microsoft's real v1.0 `$metadata` with its
//! schemas repeated under new names (`microsoft.graph` → `ns17.microsoft.graph`, aliases
//! rewritten consistently), so every copy is a self-consistent set of namespaces.

use std::fs;
use std::io::Write;
use std::path::Path;

pub const V1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/reference/graph-v1.0-metadata.xml"
);

/// The v1.0 document's schemas, with every namespace and alias made a template on `{K}`.
pub fn template(body: &str, aliases: &[String]) -> String {
    const MARK: &str = "\u{1}";
    let mut t = body.to_string();
    for b in ['"', '(', '/', ' ', ','] {
        t = t.replace(
            &format!("{b}microsoft.graph"),
            &format!("{b}ns{MARK}.microsoft.graph"),
        );
        for a in aliases {
            t = t.replace(&format!("{b}{a}."), &format!("{b}{a}{MARK}."));
        }
    }
    for a in aliases {
        t = t.replace(&format!("Alias=\"{a}\""), &format!("Alias=\"{a}{MARK}\""));
    }
    t
}

/// Writes a document of at least `target_bytes` (the v1.0 document plus renamed copies of its
/// schemas); returns its size and the number of copies of v1.0.
pub fn build_input(path: &Path, target_bytes: usize) -> (u64, usize) {
    let v1 = fs::read_to_string(V1).expect("read the v1.0 document");
    let v1 = v1.trim_start_matches('\u{feff}');
    let open = "<edmx:DataServices>";
    let start = v1.find(open).expect("DataServices") + open.len();
    let end = v1
        .find("</edmx:DataServices>")
        .expect("end of DataServices");
    let body = &v1[start..end];
    let aliases: Vec<String> = body
        .match_indices("Alias=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').expect("quote")].to_string()
        })
        .collect();
    let template = template(body, &aliases);
    let copies = target_bytes.div_ceil(body.len()) + 1;
    let mut f = std::io::BufWriter::new(fs::File::create(path).expect("create input"));
    f.write_all(b"\xEF\xBB\xBF").expect("write");
    f.write_all(&v1.as_bytes()[..start]).expect("write");
    f.write_all(body.as_bytes()).expect("write");
    for k in 1..copies {
        f.write_all(template.replace('\u{1}', &k.to_string()).as_bytes())
            .expect("write");
    }
    f.write_all(&v1.as_bytes()[end..]).expect("write");
    f.flush().expect("flush");
    drop(f);
    (fs::metadata(path).expect("size").len(), copies)
}
