//! Rendering results: a table for people, one JSON document or one JSON item per line for
//! programs.
//!
//! Table mode escapes every server-provided string with [`terminal::escape`]; JSON output
//! writes every character a terminal could act on (controls, DEL, C1, bidi controls) as a
//! `\u` escape, so no output ever carries a control sequence. Styling (a bold table header)
//! appears only on a terminal without `NO_COLOR`.

use std::io::{self, IsTerminal, Write};

use graph_security_copilot::terminal::{self, escape};
use graph_security_copilot::Page;
use serde_json::{Map, Value};

/// How results are printed (`-o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table (the default on a terminal).
    Table,
    /// One JSON document (the default when stdout is not a terminal).
    Json,
    /// One JSON value per line, lists streamed page by page.
    Ndjson,
}

/// The widest a table cell gets before it is cut with `…`.
const MAX_CELL_CHARS: usize = 80;

/// Where results go: stdout, in one format.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    format: Format,
    styled: bool,
}

impl Output {
    /// `requested`, or a table on a terminal and JSON elsewhere.
    pub fn new(requested: Option<Format>) -> Output {
        let terminal = io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            format: requested.unwrap_or(if terminal {
                Format::Table
            } else {
                Format::Json
            }),
            styled: terminal && !no_color,
        }
    }

    /// Whether results are printed as a table (for people).
    pub fn is_table(&self) -> bool {
        self.format == Format::Table
    }

    /// Prints one entity: `property value` lines in a table, else one JSON value.
    pub fn entity(&self, value: &Value) -> io::Result<()> {
        let mut out = io::stdout().lock();
        match self.format {
            Format::Json => writeln!(out, "{}", safe_json(value, true))?,
            Format::Ndjson => writeln!(out, "{}", safe_json(value, false))?,
            Format::Table => {
                let rows: Vec<Vec<String>> = match value {
                    Value::Object(map) => map
                        .iter()
                        .filter(|(key, _)| !key.starts_with("@odata."))
                        .map(|(key, value)| vec![escape(key).into_owned(), cell(value, false)])
                        .collect(),
                    other => vec![vec!["value".to_string(), cell(other, false)]],
                };
                self.table(&mut out, &["property", "value"], &rows)?;
            }
        }
        out.flush()
    }

    /// Prints a plain text result (an answer): each line escaped in table mode; a JSON string
    /// otherwise.
    pub fn text(&self, text: &str, json: &Value) -> io::Result<()> {
        let mut out = io::stdout().lock();
        match self.format {
            Format::Table => {
                for line in text.lines() {
                    writeln!(out, "{}", escape(line))?;
                }
            }
            Format::Json => writeln!(out, "{}", safe_json(json, true))?,
            Format::Ndjson => writeln!(out, "{}", safe_json(json, false))?,
        }
        out.flush()
    }

    /// A writer for a listing; `columns` are the preferred table columns (those present in
    /// the items are shown; all properties when none is).
    pub fn list(&self, columns: &[&str]) -> ListWriter {
        ListWriter {
            output: *self,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            items: Vec::new(),
            count: None,
            next_link: None,
        }
    }

    fn table(&self, out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (width, text) in widths.iter_mut().zip(row) {
                *width = (*width).max(text.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let last = cells.len().saturating_sub(1);
            let mut text = String::new();
            for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
                text.push_str(cell);
                if i < last {
                    let pad = width.saturating_sub(cell.chars().count()) + 2;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            text
        };
        let head = line(header.to_vec());
        if self.styled {
            writeln!(out, "\x1b[1m{head}\x1b[0m")?;
        } else {
            writeln!(out, "{head}")?;
        }
        for row in rows {
            writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
        }
        Ok(())
    }
}

/// Collects (table, JSON) or streams (NDJSON) the pages of one listing.
#[derive(Debug)]
pub struct ListWriter {
    output: Output,
    columns: Vec<String>,
    items: Vec<Value>,
    count: Option<i64>,
    next_link: Option<String>,
}

impl ListWriter {
    /// Takes one page: NDJSON prints its items at once.
    pub fn page(&mut self, page: Page<Value>) -> io::Result<()> {
        if self.count.is_none() {
            self.count = page.count;
        }
        self.next_link = page.next_link;
        if self.output.format == Format::Ndjson {
            let mut out = io::stdout().lock();
            for item in &page.value {
                writeln!(out, "{}", safe_json(item, false))?;
            }
            return out.flush();
        }
        self.items.extend(page.value);
        Ok(())
    }

    /// Prints what was collected: the table (then the count, and a hint on stderr when more
    /// pages were left), or one JSON document shaped like a Graph page.
    pub fn finish(self) -> io::Result<()> {
        let mut out = io::stdout().lock();
        match self.output.format {
            Format::Ndjson => {}
            Format::Json => {
                let mut document = Map::new();
                document.insert("value".into(), Value::Array(self.items));
                if let Some(count) = self.count {
                    document.insert("@odata.count".into(), Value::from(count));
                }
                if let Some(link) = self.next_link {
                    document.insert("@odata.nextLink".into(), Value::String(link));
                }
                writeln!(out, "{}", safe_json(&Value::Object(document), true))?;
            }
            Format::Table => {
                let columns = self.table_columns();
                let header: Vec<&str> = columns.iter().map(String::as_str).collect();
                let rows: Vec<Vec<String>> = self
                    .items
                    .iter()
                    .map(|item| {
                        columns
                            .iter()
                            .map(|c| item.get(c).map(|v| cell(v, true)).unwrap_or_default())
                            .collect()
                    })
                    .collect();
                self.output.table(&mut out, &header, &rows)?;
                if let Some(count) = self.count {
                    writeln!(out, "count: {count}")?;
                }
                if self.next_link.is_some() {
                    out.flush()?;
                    eprintln!("(more items on the next pages: add --all)");
                }
            }
        }
        out.flush()
    }

    fn table_columns(&self) -> Vec<String> {
        let present = |c: &String| self.items.iter().any(|item| item.get(c).is_some());
        let preferred: Vec<String> = self
            .columns
            .iter()
            .filter(|c| present(c))
            .cloned()
            .collect();
        if !preferred.is_empty() || self.items.is_empty() {
            return if preferred.is_empty() {
                self.columns.clone()
            } else {
                preferred
            };
        }
        let mut all: Vec<String> = Vec::new();
        for item in &self.items {
            if let Value::Object(map) = item {
                for key in map.keys() {
                    if !key.starts_with("@odata.") && !all.contains(key) {
                        all.push(key.clone());
                    }
                }
            }
        }
        all.into_iter().map(|c| escape(&c).into_owned()).collect()
    }
}

/// A table cell: strings escaped, other values as compact JSON, absent and null empty; cut to
/// [`MAX_CELL_CHARS`] when `cut`.
fn cell(value: &Value, cut: bool) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => escape(s).into_owned(),
        other => safe_json(other, false),
    };
    if cut && text.chars().count() > MAX_CELL_CHARS {
        let mut short: String = text.chars().take(MAX_CELL_CHARS - 1).collect();
        short.push('…');
        short
    } else {
        text
    }
}

/// JSON text with every character a terminal could act on written as a `\u` escape.
///
/// serde_json already escapes C0 controls inside strings; DEL, C1 and the bidi controls it
/// leaves raw, and they can only occur inside strings (structural JSON is ASCII), so they are
/// escaped here. The only raw control left is pretty-printing's own newline.
pub fn safe_json(value: &Value, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .unwrap_or_default();
    if !text.chars().any(|c| c != '\n' && terminal::is_unsafe(c)) {
        return text;
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c != '\n' && terminal::is_unsafe(c) {
            safe.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            safe.push(c);
        }
    }
    safe
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_output_escapes_what_a_terminal_would_act_on() {
        let value = json!({ "name": "a\u{1b}[2Jb\u{9b}c\u{202e}d\u{7f}" });
        let text = safe_json(&value, true);
        assert!(!text.chars().any(|c| c != '\n' && terminal::is_unsafe(c)));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn cells_escape_and_cut() {
        assert_eq!(cell(&json!("x\ny"), true), "x\\ny");
        assert_eq!(cell(&json!(null), true), "");
        assert_eq!(cell(&json!({"a": 1}), true), "{\"a\":1}");
        let long = "x".repeat(200);
        assert_eq!(cell(&json!(long), true).chars().count(), MAX_CELL_CHARS);
    }
}
