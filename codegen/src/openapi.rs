//! Emits the OpenAPI 3.0 document for the API, in the shape Microsoft's converter uses
//! (`allOf` inheritance, `…CollectionResponse` wrappers, `ODataErrors.ODataError` on 4XX/5XX).

use serde_json::{json, Map, Value};

use crate::csdl::{description, Model, StructuredKind, TypeKind, TypeRef};
use crate::operations::{ApiOperation, QueryOption, ResponseShape, Segment};
use crate::rust_models::TypeSet;

/// Component name of the Graph error body.
pub const ODATA_ERROR: &str = "microsoft.graph.ODataErrors.ODataError";
/// Component names of the Graph error parts.
pub const ODATA_ERROR_PARTS: [&str; 3] = [
    "microsoft.graph.ODataErrors.MainError",
    "microsoft.graph.ODataErrors.InnerError",
    "microsoft.graph.ODataErrors.ErrorDetails",
];
/// Component name of a comma-separated list of property paths (`$select`, `$orderby`, `$expand`).
pub const FIELD_LIST: &str = "odata.FieldList";

/// The component name of a collection response for an entity type.
pub fn collection_response_name(entity_type: &str) -> String {
    format!("{entity_type}CollectionResponse")
}

/// Builds the OpenAPI document.
pub fn openapi(
    model: &Model,
    types: &TypeSet,
    operations: &[ApiOperation],
    config: &crate::config::SpecConfig,
) -> Value {
    let tag = config
        .namespace
        .strip_prefix("microsoft.graph.")
        .unwrap_or(&config.namespace);
    let mut paths = Map::new();
    for op in operations {
        let item = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(op.method.to_ascii_lowercase(), operation(op, tag));
        }
    }
    let mut schemas = Map::new();
    for name in types.structured() {
        if let Some(t) = model.structured(name) {
            schemas.insert(name.clone(), structured_schema(model, name, t));
        }
    }
    for name in types.enums() {
        if let Some(e) = model.enum_type(name) {
            let members: Vec<Value> = e.members.iter().map(|m| json!(m.name)).collect();
            let mut schema = json!({ "title": e.name, "type": "string", "enum": members });
            if let Some(text) = description(&e.annotations) {
                schema["description"] = json!(text);
            }
            if e.is_flags {
                schema = json!({
                    "title": e.name,
                    "type": "string",
                    "description": format!("Comma-separated combination of: {}", e.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")),
                    "x-ms-enum-flags": { "isFlags": true },
                    "pattern": format!("^(({m})(,({m}))*)?$", m = e.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join("|")),
                });
            }
            schemas.insert(name.clone(), schema);
        }
    }
    for entity in types.collections() {
        schemas.insert(
            collection_response_name(entity),
            json!({
                "title": format!("Collection of {}", crate::operations::simple_name(entity)),
                "type": "object",
                "properties": {
                    "value": { "type": "array", "items": { "$ref": schema_ref(entity) } },
                    "@odata.count": { "type": "integer", "format": "int64", "nullable": true },
                    "@odata.nextLink": { "type": "string", "nullable": true },
                },
            }),
        );
    }
    schemas.insert(
        ODATA_ERROR.to_string(),
        json!({
            "required": ["error"],
            "type": "object",
            "properties": { "error": { "$ref": schema_ref(ODATA_ERROR_PARTS[0]) } },
        }),
    );
    schemas.insert(
        ODATA_ERROR_PARTS[0].to_string(),
        json!({
            "required": ["code", "message"],
            "type": "object",
            "properties": {
                "code": { "type": "string" },
                "message": { "type": "string" },
                "target": { "type": "string", "nullable": true },
                "details": { "type": "array", "items": { "$ref": schema_ref(ODATA_ERROR_PARTS[2]) } },
                "innerError": { "$ref": schema_ref(ODATA_ERROR_PARTS[1]) },
            },
        }),
    );
    schemas.insert(
        ODATA_ERROR_PARTS[1].to_string(),
        json!({
            "type": "object",
            "properties": {
                "request-id": { "type": "string", "nullable": true },
                "client-request-id": { "type": "string", "nullable": true },
                "date": { "type": "string", "nullable": true },
            },
            "additionalProperties": true,
        }),
    );
    schemas.insert(
        ODATA_ERROR_PARTS[2].to_string(),
        json!({
            "required": ["code", "message"],
            "type": "object",
            "properties": {
                "code": { "type": "string" },
                "message": { "type": "string" },
                "target": { "type": "string", "nullable": true },
            },
        }),
    );
    schemas.insert(
        FIELD_LIST.to_string(),
        json!({
            "description": "Property names, sent comma-separated in the caller's order.",
            "type": "array",
            "items": { "type": "string" },
            "uniqueItems": true,
        }),
    );
    json!({
        "openapi": "3.0.4",
        "info": {
            "title": format!("Microsoft Graph {}: {}", config.version, config.title),
            "description": format!(
                "Microsoft Graph {}: {}, generated from CSDL by graph-odata-codegen.",
                config.version, config.namespace
            ),
            "version": config.version,
        },
        "servers": [ { "url": config.base_url() } ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                "error": {
                    "description": "error",
                    "content": { "application/json": { "schema": { "$ref": schema_ref(ODATA_ERROR) } } },
                },
            },
        },
    })
}

/// `#/components/schemas/<name>`.
pub fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

fn operation(op: &ApiOperation, tag: &str) -> Value {
    let mut parameters = Vec::new();
    for segment in &op.segments {
        if let Segment::Key(key) = segment {
            parameters.push(json!({
                "name": key.name,
                "in": "path",
                "description": format!("The unique identifier ({}) of {}", key.key_property, crate::operations::simple_name(&key.entity_type)),
                "required": true,
                "schema": { "type": "string" },
                "x-ms-docs-key-type": crate::operations::simple_name(&key.entity_type),
            }));
        }
    }
    for option in &op.query_options {
        parameters.push(query_parameter(*option));
    }
    let mut responses = Map::new();
    let success = match &op.response {
        ResponseShape::Entity(t) => json!({
            "description": "Retrieved entity",
            "content": { "application/json": { "schema": { "$ref": schema_ref(t) } } },
        }),
        ResponseShape::Collection(t) => json!({
            "description": "Retrieved collection",
            "content": { "application/json": { "schema": { "$ref": schema_ref(&collection_response_name(t)) } } },
        }),
        ResponseShape::Count => json!({
            "description": "The count of the resource",
            "content": { "text/plain": { "schema": { "type": "integer", "format": "int32" } } },
        }),
        ResponseShape::Empty => json!({ "description": "Success" }),
    };
    responses.insert(op.success_status.to_string(), success);
    responses.insert(
        "4XX".to_string(),
        json!({ "$ref": "#/components/responses/error" }),
    );
    responses.insert(
        "5XX".to_string(),
        json!({ "$ref": "#/components/responses/error" }),
    );
    let mut value = json!({
        "tags": [ tag ],
        "summary": op.summary,
        "operationId": op.id,
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(text) = &op.description {
        value["description"] = json!(text);
    }
    if let Some(body) = &op.request_body {
        value["requestBody"] = json!({
            "description": "New property values",
            "content": { "application/json": { "schema": { "$ref": schema_ref(body) } } },
            "required": true,
        });
    }
    if matches!(op.response, ResponseShape::Collection(_)) {
        value["x-ms-pageable"] =
            json!({ "nextLinkName": "@odata.nextLink", "operationName": "listMore" });
    }
    value
}

fn query_parameter(option: QueryOption) -> Value {
    let (description, schema) = match option {
        QueryOption::Top => (
            "Show only the first n items",
            json!({ "minimum": 0, "type": "integer" }),
        ),
        QueryOption::Skip => (
            "Skip the first n items",
            json!({ "minimum": 0, "type": "integer" }),
        ),
        QueryOption::Search => (
            "Search items by search phrases",
            json!({ "type": "string" }),
        ),
        QueryOption::Filter => (
            "Filter items by property values",
            json!({ "type": "string" }),
        ),
        QueryOption::Count => ("Include count of items", json!({ "type": "boolean" })),
        QueryOption::OrderBy => (
            "Order items by property values",
            json!({ "$ref": schema_ref(FIELD_LIST) }),
        ),
        QueryOption::Select => (
            "Select properties to be returned",
            json!({ "$ref": schema_ref(FIELD_LIST) }),
        ),
        QueryOption::Expand => (
            "Expand related entities",
            json!({ "$ref": schema_ref(FIELD_LIST) }),
        ),
    };
    let mut parameter = json!({
        "name": option.parameter(),
        "in": "query",
        "description": description,
        "schema": schema,
    });
    if matches!(
        option,
        QueryOption::OrderBy | QueryOption::Select | QueryOption::Expand
    ) {
        parameter["style"] = json!("form");
        parameter["explode"] = json!(false);
    }
    parameter
}

fn structured_schema(model: &Model, name: &str, t: &crate::csdl::StructuredType) -> Value {
    let mut properties = Map::new();
    for p in &t.properties {
        let mut schema = property_schema(model, &p.type_ref, p.nullable);
        if let Some(text) = description(&p.annotations) {
            if let Value::Object(o) = &mut schema {
                o.insert("description".to_string(), json!(text));
            }
        }
        properties.insert(p.name.clone(), schema);
    }
    for n in &t.navigation_properties {
        let mut schema = property_schema(model, &n.type_ref, n.nullable);
        if let (Some(text), Value::Object(o)) = (description(&n.annotations), &mut schema) {
            o.insert("description".to_string(), json!(text));
        }
        if let Value::Object(o) = &mut schema {
            o.insert("x-ms-navigationProperty".to_string(), json!(true));
        }
        properties.insert(n.name.clone(), schema);
    }
    properties.insert(
        "@odata.type".to_string(),
        json!({ "type": "string", "default": format!("#{name}") }),
    );
    let mut own = json!({
        "title": t.name,
        "type": "object",
        "properties": properties,
    });
    if let Some(text) = description(&t.annotations) {
        own["description"] = json!(text);
    }
    if t.is_open || t.kind == StructuredKind::Complex || t.kind == StructuredKind::Entity {
        // Graph adds members freely in beta; every model keeps what it does not know.
        own["additionalProperties"] = json!({});
    }
    match &t.base_type {
        Some(base) => json!({ "allOf": [ { "$ref": schema_ref(&base.name) }, own ] }),
        None => own,
    }
}

fn property_schema(model: &Model, type_ref: &TypeRef, nullable: bool) -> Value {
    let element = match model.lookup(&type_ref.name) {
        Some(TypeKind::Primitive(p)) => primitive_schema(p),
        Some(TypeKind::Definition(d)) => primitive_schema(&d.underlying_type.name),
        Some(_) => json!({ "$ref": schema_ref(&type_ref.name) }),
        None => json!({}),
    };
    if type_ref.collection {
        return json!({ "type": "array", "items": element });
    }
    if nullable {
        if element.get("$ref").is_some() {
            return json!({ "anyOf": [ element, { "type": "object", "nullable": true } ] });
        }
        let mut element = element;
        element["nullable"] = json!(true);
        return element;
    }
    element
}

fn primitive_schema(name: &str) -> Value {
    match name {
        "Edm.String" => json!({ "type": "string" }),
        "Edm.Boolean" => json!({ "type": "boolean" }),
        "Edm.Int16" => json!({ "type": "integer", "format": "int16" }),
        "Edm.Int32" => json!({ "type": "integer", "format": "int32" }),
        "Edm.Int64" => {
            json!({ "oneOf": [ { "type": "integer", "format": "int64" }, { "type": "string" } ] })
        }
        "Edm.Byte" => json!({ "type": "integer", "format": "uint8" }),
        "Edm.SByte" => json!({ "type": "integer", "format": "int8" }),
        "Edm.Double" | "Edm.Single" | "Edm.Decimal" => {
            json!({ "oneOf": [ { "type": "number" }, { "type": "string" } ] })
        }
        "Edm.DateTimeOffset" => json!({
            "type": "string",
            "format": "date-time",
            "pattern": "^[0-9]{4,}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,12})?(Z|[+-][0-9][0-9]:[0-9][0-9])$",
        }),
        "Edm.Date" => json!({ "type": "string", "format": "date" }),
        "Edm.TimeOfDay" => json!({ "type": "string", "format": "time" }),
        "Edm.Duration" => json!({ "type": "string", "format": "duration" }),
        "Edm.Guid" => json!({ "type": "string", "format": "uuid" }),
        "Edm.Binary" | "Edm.Stream" => json!({ "type": "string", "format": "base64url" }),
        _ => json!({}),
    }
}
