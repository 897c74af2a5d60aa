//! The golden files under `spec/generated/`: what they contain, and a readable diff for when
//! the committed ones are stale. `graph-spec refresh` writes them; a test compares them.

use std::fmt::Write;

use crate::generate::Generated;

/// The directory of the golden files, relative to the spec directory.
pub const GOLDEN_DIR: &str = "generated";

/// The command that rewrites the golden files from `spec/` (also done by `graph-spec refresh`).
pub const UPDATE_COMMAND: &str = "UPDATE_GOLDEN=1 cargo test -p graph-odata-codegen --test golden";

/// The golden files of a generation: (file name, contents).
pub fn golden_files(generated: &Generated) -> Vec<(&'static str, String)> {
    let openapi = serde_json::to_string_pretty(&generated.openapi).unwrap_or_default() + "\n";
    vec![
        ("openapi.json", openapi),
        ("surface.txt", generated.surface.clone()),
    ]
}

/// A line diff of `old` → `new` (`-` / `+` lines with `context` lines around each change,
/// `@@ line` headers), at most `max_lines` lines long.
pub fn line_diff(old: &str, new: &str, context: usize, max_lines: usize) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Trim the common head and tail so the quadratic table only covers the changed middle.
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    // Beyond this the table would be too large: report the changed ranges whole.
    let ops: Vec<(char, &str)> = if ma.len().saturating_mul(mb.len()) > 4_000_000 {
        ma.iter()
            .map(|l| ('-', *l))
            .chain(mb.iter().map(|l| ('+', *l)))
            .collect()
    } else {
        let mut lcs = vec![vec![0u32; mb.len() + 1]; ma.len() + 1];
        for i in (0..ma.len()).rev() {
            for j in (0..mb.len()).rev() {
                lcs[i][j] = if ma[i] == mb[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        let mut ops = Vec::new();
        while i < ma.len() || j < mb.len() {
            if i < ma.len() && j < mb.len() && ma[i] == mb[j] {
                ops.push((' ', ma[i]));
                i += 1;
                j += 1;
            } else if i < ma.len() && (j == mb.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                ops.push(('-', ma[i]));
                i += 1;
            } else {
                ops.push(('+', mb[j]));
                j += 1;
            }
        }
        ops
    };
    let all: Vec<(char, &str)> = a[..head]
        .iter()
        .map(|l| (' ', *l))
        .chain(ops)
        .chain(a[a.len() - tail..].iter().map(|l| (' ', *l)))
        .collect();
    let changed: Vec<usize> = (0..all.len()).filter(|&k| all[k].0 != ' ').collect();
    let mut out = String::new();
    let mut lines = 0;
    let mut last_printed: Option<usize> = None;
    let mut old_line = 1usize;
    let mut positions = Vec::with_capacity(all.len());
    for (kind, _) in &all {
        positions.push(old_line);
        if *kind != '+' {
            old_line += 1;
        }
    }
    for &k in &changed {
        let from = k.saturating_sub(context);
        let to = (k + context).min(all.len().saturating_sub(1));
        for (m, (kind, text)) in all.iter().enumerate().take(to + 1).skip(from) {
            if last_printed.is_some_and(|p| m <= p) {
                continue;
            }
            if last_printed.is_none_or(|p| m > p + 1) {
                let _ = writeln!(out, "@@ line {} @@", positions[m]);
            }
            if lines >= max_lines {
                let _ = writeln!(out, "... ({} more changed lines)", changed.len());
                return out;
            }
            let _ = writeln!(out, "{kind}{text}");
            lines += 1;
            last_printed = Some(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let old = "a\nb\nc\nd\ne\n";
        let new = "a\nb\nC\nd\ne\nf\n";
        let diff = line_diff(old, new, 1, 100);
        assert_eq!(diff, "@@ line 2 @@\n b\n-c\n+C\n d\n e\n+f\n");
        let far = line_diff("1\n2\n3\n4\n5\n6\n7\n", "x\n2\n3\n4\n5\n6\ny\n", 1, 100);
        assert_eq!(far, "@@ line 1 @@\n-1\n+x\n 2\n@@ line 6 @@\n 6\n-7\n+y\n");
        assert_eq!(line_diff(old, old, 3, 100), "");
    }
}
