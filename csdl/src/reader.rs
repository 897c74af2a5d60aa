//! Reads CSDL XML (OData 4.0 `edmx:Edmx`) into a [`Document`] with quick-xml.
//!
//! The reader builds a small element tree first (names, attributes, text, positions) and then
//! maps it onto the model, so every error can name the element and its line and column.
//!
//! The tree is built with an explicit stack, not recursion, and no deeper than
//! [`MAX_NESTING_DEPTH`]: the functions that walk it afterwards (annotation expressions recurse
//! into `Record` and `Collection`) and dropping it are bounded by that depth, so no document
//! can exhaust the stack.

use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{CsdlError, CsdlErrorKind};
use crate::model::*;

/// The deepest elements may nest (the root is depth 1). Real CSDL nests about 10 to 20 deep
/// (annotation records in collections in records); anything deeper is
/// [`CsdlErrorKind::TooDeep`], reported with the file, line and column of the first element
/// past the limit.
pub const MAX_NESTING_DEPTH: usize = 256;

/// A light XML element: local name, attributes, children, text and position.
#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
    location: Location,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// How the element is named in errors: `<EntityType Name="session">`.
    fn describe(&self) -> String {
        match self.attr("Name").or_else(|| self.attr("Target")) {
            Some(name) if self.attr("Name").is_some() => format!("<{} Name=\"{name}\">", self.name),
            Some(target) => format!("<{} Target=\"{target}\">", self.name),
            None => match self.attr("Term") {
                Some(term) => format!("<{} Term=\"{term}\">", self.name),
                None => format!("<{}>", self.name),
            },
        }
    }

    fn error(&self, kind: CsdlErrorKind) -> CsdlError {
        CsdlError {
            location: self.location.clone(),
            element: self.describe(),
            kind,
        }
    }

    fn required(&self, attribute: &'static str) -> Result<&str, CsdlError> {
        self.attr(attribute)
            .ok_or_else(|| self.error(CsdlErrorKind::MissingAttribute(attribute)))
    }

    fn bool_attr(&self, attribute: &'static str, default: bool) -> Result<bool, CsdlError> {
        match self.attr(attribute) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(self.error(CsdlErrorKind::InvalidAttribute {
                attribute,
                value: other.to_string(),
            })),
        }
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Maps byte offsets to line and column.
struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { line_starts }
    }

    fn position(&self, offset: usize) -> Position {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        Position {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(offset - start + 1).unwrap_or(u32::MAX),
        }
    }
}

/// Reads a CSDL document from bytes (UTF-8, optional byte-order mark).
pub fn read_bytes(file: &str, bytes: &[u8]) -> Result<Document, CsdlError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => read_str(file, text),
        Err(e) => {
            let index = LineIndex::new(&String::from_utf8_lossy(&bytes[..e.valid_up_to()]));
            Err(CsdlError {
                location: Location {
                    file: Arc::from(file),
                    position: index.position(e.valid_up_to()),
                },
                element: "document".to_string(),
                kind: CsdlErrorKind::NotUtf8,
            })
        }
    }
}

/// Reads a CSDL file from disk.
pub fn read_file(path: &std::path::Path) -> Result<Document, CsdlError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| CsdlError {
        location: Location {
            file: Arc::from(name.as_str()),
            position: Position::default(),
        },
        element: "file".to_string(),
        kind: CsdlErrorKind::Xml(format!("cannot read file: {e}")),
    })?;
    read_bytes(&name, &bytes)
}

/// Reads a CSDL document from text.
pub fn read_str(file: &str, text: &str) -> Result<Document, CsdlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file: Arc<str> = Arc::from(file);
    let root = parse_tree(&file, text)?;
    if root.name != "Edmx" {
        return Err(root.error(CsdlErrorKind::NotCsdl(format!(
            "root element is <{}>, expected <edmx:Edmx>",
            root.name
        ))));
    }
    let data_services = root.children_named("DataServices").next().ok_or_else(|| {
        root.error(CsdlErrorKind::NotCsdl(
            "no <edmx:DataServices> element".to_string(),
        ))
    })?;
    let mut document = Document::default();
    for schema in data_services.children_named("Schema") {
        document.schemas.push(read_schema(schema)?);
    }
    Ok(document)
}

fn parse_tree(file: &Arc<str>, text: &str) -> Result<Element, CsdlError> {
    let index = LineIndex::new(text);
    let location_at = |offset: usize| Location {
        file: file.clone(),
        position: index.position(offset),
    };
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            let offset = usize::try_from(reader.error_position()).unwrap_or(before);
            CsdlError {
                location: location_at(offset),
                element: stack
                    .last()
                    .map(Element::describe)
                    .unwrap_or_else(|| "document".to_string()),
                kind: CsdlErrorKind::Xml(e.to_string()),
            }
        })?;
        // `before` may point at whitespace preceding the tag; move to the `<`.
        let tag_offset = text
            .get(before..)
            .and_then(|rest| rest.find('<'))
            .map_or(before, |i| before + i);
        match event {
            Event::Start(start) => {
                let element = start_element(&start, location_at(tag_offset))?;
                check_depth(&stack, &element)?;
                stack.push(element);
            }
            Event::Empty(start) => {
                let element = start_element(&start, location_at(tag_offset))?;
                check_depth(&stack, &element)?;
                attach(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                if let Some(element) = stack.pop() {
                    attach(&mut stack, &mut root, element);
                }
            }
            Event::Text(t) => {
                if let Some(current) = stack.last_mut() {
                    let raw = t.decode().map_err(|e| CsdlError {
                        location: location_at(before),
                        element: current.describe(),
                        kind: CsdlErrorKind::Xml(e.to_string()),
                    })?;
                    current.text.push_str(&raw);
                }
            }
            Event::CData(t) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(current) = stack.last_mut() {
                    let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                    let resolved = resolve_entity(&name).ok_or_else(|| CsdlError {
                        location: location_at(before),
                        element: current.describe(),
                        kind: CsdlErrorKind::Xml(format!("unknown entity reference &{name};")),
                    })?;
                    current.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(open.error(CsdlErrorKind::Xml(
            "unexpected end of document: element is not closed (truncated file?)".to_string(),
        )));
    }
    root.ok_or_else(|| CsdlError {
        location: location_at(0),
        element: "document".to_string(),
        kind: CsdlErrorKind::NotCsdl("the document has no root element".to_string()),
    })
}

/// Fails if `element`, about to go under the open `stack`, would be deeper than the limit.
fn check_depth(stack: &[Element], element: &Element) -> Result<(), CsdlError> {
    if stack.len() >= MAX_NESTING_DEPTH {
        return Err(element.error(CsdlErrorKind::TooDeep {
            limit: MAX_NESTING_DEPTH,
        }));
    }
    Ok(())
}

fn resolve_entity(name: &str) -> Option<String> {
    Some(match name {
        "amp" => "&".to_string(),
        "lt" => "<".to_string(),
        "gt" => ">".to_string(),
        "quot" => "\"".to_string(),
        "apos" => "'".to_string(),
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                name.strip_prefix('#')?.parse().ok()?
            };
            char::from_u32(code)?.to_string()
        }
    })
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => {
            if root.is_none() {
                *root = Some(element);
            }
        }
    }
}

fn start_element(start: &BytesStart<'_>, location: Location) -> Result<Element, CsdlError> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| CsdlError {
            location: location.clone(),
            element: format!("<{name}>"),
            kind: CsdlErrorKind::Xml(e.to_string()),
        })?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        if attribute.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = attribute.unescape_value().map_err(|e| CsdlError {
            location: location.clone(),
            element: format!("<{name}>"),
            kind: CsdlErrorKind::Xml(e.to_string()),
        })?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
        text: String::new(),
        location,
    })
}

fn read_schema(element: &Element) -> Result<Schema, CsdlError> {
    let mut schema = Schema {
        namespace: element.required("Namespace")?.to_string(),
        alias: element.attr("Alias").map(str::to_string),
        structured_types: Vec::new(),
        enum_types: Vec::new(),
        type_definitions: Vec::new(),
        operations: Vec::new(),
        terms: Vec::new(),
        containers: Vec::new(),
        annotation_blocks: Vec::new(),
        location: element.location.clone(),
    };
    for child in &element.children {
        match child.name.as_str() {
            "EntityType" => schema
                .structured_types
                .push(read_structured(child, StructuredKind::Entity)?),
            "ComplexType" => schema
                .structured_types
                .push(read_structured(child, StructuredKind::Complex)?),
            "EnumType" => schema.enum_types.push(read_enum(child)?),
            "TypeDefinition" => schema.type_definitions.push(TypeDefinition {
                name: child.required("Name")?.to_string(),
                underlying_type: TypeRef::parse(child.required("UnderlyingType")?),
                annotations: read_annotations(child)?,
                location: child.location.clone(),
            }),
            "Action" | "Function" => schema.operations.push(read_operation(child)?),
            "Term" => schema.terms.push(Term {
                name: child.required("Name")?.to_string(),
                type_ref: TypeRef::parse(child.required("Type")?),
                location: child.location.clone(),
            }),
            "EntityContainer" => schema.containers.push(read_container(child)?),
            "Annotations" => schema.annotation_blocks.push(AnnotationsBlock {
                target: child.required("Target")?.to_string(),
                qualifier: child.attr("Qualifier").map(str::to_string),
                annotations: read_annotations(child)?,
                location: child.location.clone(),
            }),
            _ => {}
        }
    }
    Ok(schema)
}

fn read_structured(element: &Element, kind: StructuredKind) -> Result<StructuredType, CsdlError> {
    let mut key = Vec::new();
    for key_element in element.children_named("Key") {
        for property_ref in key_element.children_named("PropertyRef") {
            key.push(property_ref.required("Name")?.to_string());
        }
    }
    let mut properties = Vec::new();
    for property in element.children_named("Property") {
        properties.push(Property {
            name: property.required("Name")?.to_string(),
            type_ref: TypeRef::parse(property.required("Type")?),
            nullable: property.bool_attr("Nullable", true)?,
            default_value: property.attr("DefaultValue").map(str::to_string),
            annotations: read_annotations(property)?,
            location: property.location.clone(),
        });
    }
    let mut navigation_properties = Vec::new();
    for navigation in element.children_named("NavigationProperty") {
        navigation_properties.push(NavigationProperty {
            name: navigation.required("Name")?.to_string(),
            type_ref: TypeRef::parse(navigation.required("Type")?),
            nullable: navigation.bool_attr("Nullable", true)?,
            contains_target: navigation.bool_attr("ContainsTarget", false)?,
            partner: navigation.attr("Partner").map(str::to_string),
            annotations: read_annotations(navigation)?,
            location: navigation.location.clone(),
        });
    }
    Ok(StructuredType {
        kind,
        name: element.required("Name")?.to_string(),
        base_type: element.attr("BaseType").map(TypeRef::parse),
        is_abstract: element.bool_attr("Abstract", false)?,
        is_open: element.bool_attr("OpenType", false)?,
        has_stream: element.bool_attr("HasStream", false)?,
        key,
        properties,
        navigation_properties,
        annotations: read_annotations(element)?,
        location: element.location.clone(),
    })
}

fn read_enum(element: &Element) -> Result<EnumType, CsdlError> {
    let mut members = Vec::new();
    for member in element.children_named("Member") {
        let value = match member.attr("Value") {
            None => None,
            Some(text) => Some(text.trim().parse::<i64>().map_err(|_| {
                member.error(CsdlErrorKind::InvalidAttribute {
                    attribute: "Value",
                    value: text.to_string(),
                })
            })?),
        };
        members.push(EnumMember {
            name: member.required("Name")?.to_string(),
            value,
            annotations: read_annotations(member)?,
            location: member.location.clone(),
        });
    }
    Ok(EnumType {
        name: element.required("Name")?.to_string(),
        is_flags: element.bool_attr("IsFlags", false)?,
        underlying_type: element.attr("UnderlyingType").map(str::to_string),
        members,
        annotations: read_annotations(element)?,
        location: element.location.clone(),
    })
}

fn read_operation(element: &Element) -> Result<Operation, CsdlError> {
    let kind = if element.name == "Action" {
        OperationKind::Action
    } else {
        OperationKind::Function
    };
    let mut parameters = Vec::new();
    for parameter in element.children_named("Parameter") {
        parameters.push(Parameter {
            name: parameter.required("Name")?.to_string(),
            type_ref: TypeRef::parse(parameter.required("Type")?),
            nullable: parameter.bool_attr("Nullable", true)?,
            location: parameter.location.clone(),
        });
    }
    let return_type = match element.children_named("ReturnType").next() {
        Some(r) => Some(TypeRef::parse(r.required("Type")?)),
        None => None,
    };
    Ok(Operation {
        kind,
        name: element.required("Name")?.to_string(),
        is_bound: element.bool_attr("IsBound", false)?,
        parameters,
        return_type,
        annotations: read_annotations(element)?,
        location: element.location.clone(),
    })
}

fn read_container(element: &Element) -> Result<EntityContainer, CsdlError> {
    let mut container = EntityContainer {
        name: element.required("Name")?.to_string(),
        singletons: Vec::new(),
        entity_sets: Vec::new(),
        operation_imports: Vec::new(),
        annotations: read_annotations(element)?,
        location: element.location.clone(),
    };
    for child in &element.children {
        match child.name.as_str() {
            "Singleton" => container.singletons.push(ContainerChild {
                name: child.required("Name")?.to_string(),
                type_ref: TypeRef::parse(child.required("Type")?),
                annotations: read_annotations(child)?,
                location: child.location.clone(),
            }),
            "EntitySet" => container.entity_sets.push(ContainerChild {
                name: child.required("Name")?.to_string(),
                type_ref: TypeRef::parse(child.required("EntityType")?),
                annotations: read_annotations(child)?,
                location: child.location.clone(),
            }),
            "ActionImport" => container.operation_imports.push((
                child.required("Name")?.to_string(),
                child.required("Action")?.to_string(),
            )),
            "FunctionImport" => container.operation_imports.push((
                child.required("Name")?.to_string(),
                child.required("Function")?.to_string(),
            )),
            _ => {}
        }
    }
    Ok(container)
}

fn read_annotations(element: &Element) -> Result<Vec<Annotation>, CsdlError> {
    element
        .children_named("Annotation")
        .map(|annotation| {
            Ok(Annotation {
                term: annotation.required("Term")?.to_string(),
                qualifier: annotation.attr("Qualifier").map(str::to_string),
                value: read_value(annotation)?,
                location: annotation.location.clone(),
            })
        })
        .collect()
}

/// Reads the value of an `<Annotation>` or `<PropertyValue>`: attribute shorthand or child element.
fn read_value(element: &Element) -> Result<AnnotationValue, CsdlError> {
    if let Some(value) = shorthand(element)? {
        return Ok(value);
    }
    match value_child(element) {
        Some(child) => read_expression(child),
        None => Ok(AnnotationValue::Null),
    }
}

/// The value given as an attribute (`<Annotation Term="..." Bool="true"/>`), if any.
fn shorthand(element: &Element) -> Result<Option<AnnotationValue>, CsdlError> {
    for (attribute, value) in &element.attributes {
        if let Some(parsed) = constant(element, attribute, value)? {
            return Ok(Some(parsed));
        }
    }
    Ok(None)
}

/// The child element holding the value (annotations on the annotation aside).
fn value_child(element: &Element) -> Option<&Element> {
    element.children.iter().find(|c| c.name != "Annotation")
}

fn constant(
    element: &Element,
    kind: &str,
    text: &str,
) -> Result<Option<AnnotationValue>, CsdlError> {
    let invalid = |attribute: &'static str| {
        element.error(CsdlErrorKind::InvalidAttribute {
            attribute,
            value: text.to_string(),
        })
    };
    Ok(Some(match kind {
        "Bool" => match text.trim() {
            "true" => AnnotationValue::Bool(true),
            "false" => AnnotationValue::Bool(false),
            _ => return Err(invalid("Bool")),
        },
        "String" => AnnotationValue::String(text.to_string()),
        "Int" => AnnotationValue::Int(text.trim().parse().map_err(|_| invalid("Int"))?),
        "Float" | "Decimal" => AnnotationValue::Number(text.trim().to_string()),
        "EnumMember" => AnnotationValue::EnumMember(text.trim().to_string()),
        "Path" | "PropertyPath" | "NavigationPropertyPath" | "AnnotationPath" => {
            AnnotationValue::Path(text.trim().to_string())
        }
        "Binary" | "Date" | "DateTimeOffset" | "Duration" | "Guid" | "TimeOfDay"
        | "ModelElementPath" | "UrlRef" => AnnotationValue::Other {
            kind: kind.to_string(),
            text: text.to_string(),
        },
        _ => return Ok(None),
    }))
}

/// Reads an annotation expression without recursion: `Record` and `Collection` nest, and a
/// document decides how deep, so the open ones are kept on an explicit stack.
fn read_expression(root: &Element) -> Result<AnnotationValue, CsdlError> {
    enum Open<'a> {
        Record {
            record: Record,
            rest: std::vec::IntoIter<&'a Element>,
            /// The `Property` of the `PropertyValue` being read.
            property: String,
        },
        Collection {
            items: Vec<AnnotationValue>,
            rest: std::vec::IntoIter<&'a Element>,
        },
    }
    let mut open: Vec<Open<'_>> = Vec::new();
    let mut next = Some(root);
    loop {
        // Start the next element: a leaf gives a value, a Record or Collection opens.
        let mut value = match next.take() {
            None => None,
            Some(element) => match element.name.as_str() {
                "Record" => {
                    open.push(Open::Record {
                        record: Record {
                            type_name: element.attr("Type").map(str::to_string),
                            properties: Vec::new(),
                        },
                        rest: element
                            .children_named("PropertyValue")
                            .collect::<Vec<_>>()
                            .into_iter(),
                        property: String::new(),
                    });
                    None
                }
                "Collection" => {
                    open.push(Open::Collection {
                        items: Vec::new(),
                        rest: element
                            .children
                            .iter()
                            .filter(|c| c.name != "Annotation")
                            .collect::<Vec<_>>()
                            .into_iter(),
                    });
                    None
                }
                "Null" => Some(AnnotationValue::Null),
                name => Some(match constant(element, name, &element.text)? {
                    Some(value) => value,
                    None => AnnotationValue::Other {
                        kind: name.to_string(),
                        text: element.text.clone(),
                    },
                }),
            },
        };
        // Hand values up until an open element has another child to start.
        loop {
            let Some(top) = open.last_mut() else {
                return Ok(value.unwrap_or(AnnotationValue::Null));
            };
            if let Some(v) = value.take() {
                match top {
                    Open::Record {
                        record, property, ..
                    } => record.properties.push((std::mem::take(property), v)),
                    Open::Collection { items, .. } => items.push(v),
                }
            }
            let child = match top {
                Open::Record { rest, property, .. } => match rest.next() {
                    Some(property_value) => {
                        *property = property_value.required("Property")?.to_string();
                        if let Some(v) = shorthand(property_value)? {
                            value = Some(v);
                            continue;
                        }
                        match value_child(property_value) {
                            Some(child) => Some(child),
                            None => {
                                value = Some(AnnotationValue::Null);
                                continue;
                            }
                        }
                    }
                    None => None,
                },
                Open::Collection { rest, .. } => rest.next(),
            };
            match child {
                Some(child) => {
                    next = Some(child);
                    break;
                }
                None => {
                    value = match open.pop() {
                        Some(Open::Record { record, .. }) => Some(AnnotationValue::Record(record)),
                        Some(Open::Collection { items, .. }) => {
                            Some(AnnotationValue::Collection(items))
                        }
                        None => None,
                    };
                }
            }
        }
    }
}
