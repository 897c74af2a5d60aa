//! Builds a full `$metadata` document around a fragment: the fragment's elements replace the
//! host's elements of the same name (or are added), so slicing the result gives the fragment's
//! text back. Tests and benchmarks use it to make "Microsoft's next document" from a real
//! Microsoft document in `../shared/reference/` and the committed fragment, edited.

use quick_xml::events::Event;
use quick_xml::Reader;

/// A top-level element of a schema (or a child of an entity container).
#[derive(Debug, Clone)]
struct Element {
    /// `EntityType:session`, `Annotations:target`, `Singleton:security`.
    key: String,
    start: usize,
    end: usize,
    children: Vec<Element>,
}

#[derive(Debug, Clone)]
struct SchemaSpan {
    namespace: String,
    /// Byte offset of `</Schema>`.
    close: usize,
    elements: Vec<Element>,
}

/// Why a document could not be embedded into.
#[derive(Debug, thiserror::Error)]
#[error("cannot embed: {0}")]
pub struct EmbedError(String);

fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

fn key_of(e: &quick_xml::events::BytesStart<'_>) -> String {
    let tag = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let name = attribute(e, b"Name")
        .or_else(|| attribute(e, b"Target"))
        .unwrap_or_default();
    format!("{tag}:{name}")
}

fn scan(text: &str) -> Result<(Vec<SchemaSpan>, usize), EmbedError> {
    // quick-xml counts positions after a byte-order mark; the edits index the whole text.
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut reader = Reader::from_str(text);
    let mut schemas: Vec<SchemaSpan> = Vec::new();
    let mut depth = 0usize;
    let mut data_services_close = None;
    // Open elements at depth 4 (schema child) and 5 (container child): (key, start).
    let mut open4: Option<(String, usize)> = None;
    let mut open5: Option<(String, usize)> = None;
    loop {
        let before = usize::try_from(reader.buffer_position())
            .unwrap_or(usize::MAX)
            .saturating_add(bom);
        let event = reader
            .read_event()
            .map_err(|e| EmbedError(format!("XML at byte {before}: {e}")))?;
        let after = usize::try_from(reader.buffer_position())
            .unwrap_or(usize::MAX)
            .saturating_add(bom);
        match event {
            Event::Start(e) => {
                depth += 1;
                match depth {
                    3 if e.local_name().as_ref() == b"Schema" => schemas.push(SchemaSpan {
                        namespace: attribute(&e, b"Namespace").unwrap_or_default(),
                        close: 0,
                        elements: Vec::new(),
                    }),
                    4 => open4 = Some((key_of(&e), before)),
                    5 => open5 = Some((key_of(&e), before)),
                    _ => {}
                }
            }
            Event::Empty(e) => match depth + 1 {
                4 => {
                    if let Some(schema) = schemas.last_mut() {
                        schema.elements.push(Element {
                            key: key_of(&e),
                            start: before,
                            end: after,
                            children: Vec::new(),
                        });
                    }
                }
                5 => {
                    if let (Some(schema), Some((key, _))) = (schemas.last_mut(), &open4) {
                        if key.starts_with("EntityContainer:") {
                            let child = Element {
                                key: key_of(&e),
                                start: before,
                                end: after,
                                children: Vec::new(),
                            };
                            pending_children(schema).push(child);
                        }
                    }
                }
                _ => {}
            },
            Event::End(_) => {
                match depth {
                    2 => data_services_close = Some(before),
                    3 => {
                        if let Some(schema) = schemas.last_mut() {
                            schema.close = before;
                        }
                    }
                    4 => {
                        if let (Some(schema), Some((key, start))) =
                            (schemas.last_mut(), open4.take())
                        {
                            let children = std::mem::take(pending_children(schema));
                            schema.elements.push(Element {
                                key,
                                start,
                                end: after,
                                children,
                            });
                        }
                    }
                    5 => {
                        if let (Some(schema), Some((key, start)), Some((parent, _))) =
                            (schemas.last_mut(), open5.take(), &open4)
                        {
                            if parent.starts_with("EntityContainer:") {
                                pending_children(schema).push(Element {
                                    key,
                                    start,
                                    end: after,
                                    children: Vec::new(),
                                });
                            }
                        }
                    }
                    _ => {}
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let close = data_services_close.ok_or_else(|| EmbedError("no </edmx:DataServices>".into()))?;
    Ok((schemas, close))
}

/// Children of the container being read are parked in a sentinel element at the end.
fn pending_children(schema: &mut SchemaSpan) -> &mut Vec<Element> {
    if schema.elements.last().is_none_or(|e| e.key != "#pending") {
        schema.elements.push(Element {
            key: "#pending".into(),
            start: 0,
            end: 0,
            children: Vec::new(),
        });
    }
    let last = schema.elements.len() - 1;
    &mut schema.elements[last].children
}

fn clean(schemas: &mut [SchemaSpan]) {
    for schema in schemas {
        // The sentinel is pushed before its container closes; fold it into the container.
        let mut pending = Vec::new();
        let mut kept = Vec::new();
        for element in schema.elements.drain(..) {
            if element.key == "#pending" {
                pending = element.children;
            } else {
                let mut element = element;
                if element.key.starts_with("EntityContainer:") && element.children.is_empty() {
                    element.children = std::mem::take(&mut pending);
                }
                kept.push(element);
            }
        }
        schema.elements = kept;
    }
}

/// `host` with every element of `fragment` in it: an element of the same kind and name (or
/// `Annotations` target) in the same namespace is replaced, container children are merged
/// into the host's container, and anything else is added at the end of its schema (a schema
/// the host lacks is added whole).
pub fn embed(host: &str, fragment: &str) -> Result<String, EmbedError> {
    let (mut host_schemas, host_close) = scan(host)?;
    let (mut fragment_schemas, _) = scan(fragment)?;
    clean(&mut host_schemas);
    clean(&mut fragment_schemas);
    // (start, end, replacement) edits on the host, applied back to front.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let text = |source: &str, e: &Element| source[e.start..e.end].to_string();
    for schema in &fragment_schemas {
        let Some(target) = host_schemas
            .iter()
            .find(|h| h.namespace == schema.namespace)
        else {
            let start = fragment
                .get(..schema.close)
                .and_then(|s| s.rfind("<Schema"))
                .ok_or_else(|| EmbedError("schema start".into()))?;
            let whole = &fragment[start..schema.close + "</Schema>".len()];
            edits.push((host_close, host_close, format!("{whole}\n  ")));
            continue;
        };
        let mut appended = String::new();
        for element in &schema.elements {
            match target.elements.iter().find(|h| h.key == element.key) {
                Some(existing) if element.key.starts_with("EntityContainer:") => {
                    let mut added = String::new();
                    for child in &element.children {
                        match existing.children.iter().find(|c| c.key == child.key) {
                            Some(old) => edits.push((old.start, old.end, text(fragment, child))),
                            None => added.push_str(&format!("  {}\n      ", text(fragment, child))),
                        }
                    }
                    if !added.is_empty() {
                        let close = host[..existing.end]
                            .rfind("</")
                            .ok_or_else(|| EmbedError("container end".into()))?;
                        edits.push((close, close, added));
                    }
                }
                Some(existing) => {
                    edits.push((existing.start, existing.end, text(fragment, element)))
                }
                None => appended.push_str(&format!("  {}\n    ", text(fragment, element))),
            }
        }
        if !appended.is_empty() {
            edits.push((target.close, target.close, appended));
        }
    }
    edits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut out = host.to_string();
    for (start, end, replacement) in edits {
        out.replace_range(start..end, &replacement);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::embed;

    const HOST: &str = r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="n" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="a"><Property Name="x" Type="Edm.String" /></EntityType>
      <EntityContainer Name="C">
        <Singleton Name="s" Type="n.a">
          <NavigationPropertyBinding Path="p" Target="t" />
        </Singleton>
        <EntitySet Name="e" EntityType="n.a" />
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

    #[test]
    fn replaces_adds_and_merges() {
        let fragment = r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="n" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="a"><Property Name="y" Type="Edm.String" /></EntityType>
      <EntityType Name="b" />
      <EntityContainer Name="C">
        <Singleton Name="s" Type="n.b" />
        <Singleton Name="t" Type="n.a" />
      </EntityContainer>
    </Schema>
    <Schema Namespace="m" xmlns="http://docs.oasis-open.org/odata/ns/edm"><EnumType Name="k" /></Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;
        let out = embed(HOST, fragment).unwrap();
        let with_bom = embed(&format!("\u{feff}{HOST}"), fragment).unwrap();
        assert_eq!(
            with_bom,
            format!("\u{feff}{out}"),
            "a byte-order mark shifts nothing"
        );
        assert!(
            out.contains(
                r#"<EntityType Name="a"><Property Name="y" Type="Edm.String" /></EntityType>"#
            ),
            "{out}"
        );
        assert!(!out.contains(r#"Name="x""#), "{out}");
        assert!(
            out.contains(r#"<Singleton Name="s" Type="n.b" />"#),
            "{out}"
        );
        assert!(!out.contains("NavigationPropertyBinding"), "{out}");
        assert!(
            out.contains(r#"<EntitySet Name="e" EntityType="n.a" />"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<Singleton Name="t" Type="n.a" />"#),
            "{out}"
        );
        assert!(out.contains(r#"<EntityType Name="b" />"#), "{out}");
        assert!(out.contains(r#"<Schema Namespace="m""#), "{out}");
        assert!(roxmltree::Document::parse(&out).is_ok(), "{out}");
    }
}
