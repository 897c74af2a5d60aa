//! Request bodies checked against the spec, and new entities filled in from it.
//!
//! A body must be a JSON object whose members are declared properties of the entity type (or of
//! an open type), with values of the declared EDM types. Instance annotations (`@odata.type`,
//! any member starting with `@`) and property annotations (`displayName@odata.type`) are accepted
//! as Graph accepts them; `@odata.type` must name the type or a type derived from it. Values of
//! `Core.Computed` properties and of a server-assigned key are checked but ignored.

use graph_odata_csdl::{Property, TypeKind, TypeRef};
use serde_json::{Map, Number, Value};

use crate::error::GraphError;
use crate::spec::Spec;
use crate::time;

/// What a body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// POST: a new entity.
    Create,
    /// PATCH: changes to the entity with this key.
    Update,
}

/// A short description of a JSON value for error messages.
fn describe(value: &Value) -> String {
    let mut text = value.to_string();
    if text.chars().count() > 40 {
        text = text.chars().take(40).collect::<String>() + "…";
    }
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(_) => format!("a boolean ({text})"),
        Value::Number(_) => format!("a number ({text})"),
        Value::String(_) => format!("a string ({text})"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

fn type_label(type_ref: &TypeRef) -> String {
    if type_ref.collection {
        format!("Collection({})", type_ref.name)
    } else {
        type_ref.name.clone()
    }
}

fn mismatch(path: &str, expected: &str, value: &Value) -> GraphError {
    GraphError::invalid_property(
        path,
        format!(
            "Invalid value for property '{path}': expected {expected}, found {}.",
            describe(value)
        ),
    )
}

fn unknown_property(path: &str, type_name: &str) -> GraphError {
    GraphError::invalid_property(
        path,
        format!(
            "The property '{path}' does not exist on type '{type_name}'. Make sure to only use \
             property names that are defined by the type."
        ),
    )
}

impl Spec {
    /// Checks a create or update body for `entity_type` and returns the members the caller may
    /// set, normalised (times in Graph's format, `Int64` strings as numbers). For an update,
    /// `url_key` is the key in the URL: a key in the body must equal it.
    pub(crate) fn check_entity_body(
        &self,
        entity_type: &str,
        body: &Value,
        mode: Mode,
        url_key: Option<&str>,
    ) -> Result<Map<String, Value>, GraphError> {
        let Value::Object(members) = body else {
            return Err(GraphError::bad_request(format!(
                "The request body must be a JSON object describing a {entity_type}, not {}.",
                describe(body)
            )));
        };
        let key = self.key_property(entity_type);
        let server_key = self.server_assigns_key(entity_type);
        let navigation = self.navigation_names(entity_type);
        let properties = self.properties(entity_type);
        let open = self.is_open(entity_type);
        let mut accepted = Map::new();
        for (name, value) in members {
            if name == "@odata.type" {
                self.check_type_annotation(name, value, entity_type)?;
                continue;
            }
            if name.starts_with('@') {
                continue;
            }
            if let Some((target, _)) = name.split_once('@') {
                let declared = properties.iter().any(|p| p.name == target)
                    || navigation.iter().any(|n| n == target);
                if !declared && !open {
                    return Err(unknown_property(target, entity_type));
                }
                continue;
            }
            if let Some(property) = properties.iter().find(|p| &p.name == name) {
                let value = self.check_property(name, property, value)?;
                if Spec::is_computed(property) {
                    continue;
                }
                if key.as_deref() == Some(name.as_str()) {
                    if mode == Mode::Update {
                        if value.as_str() != url_key {
                            return Err(GraphError::invalid_property(
                                name,
                                format!("The key property '{name}' cannot be changed."),
                            ));
                        }
                        continue;
                    }
                    if server_key {
                        // Graph assigns ids itself; a client-sent id is ignored.
                        continue;
                    }
                }
                accepted.insert(name.clone(), value);
            } else if navigation.iter().any(|n| n == name) {
                return Err(GraphError::invalid_property(
                    name,
                    format!(
                        "The navigation property '{name}' cannot be set in a request body; \
                         create the related entities at their own URL."
                    ),
                ));
            } else if open {
                accepted.insert(name.clone(), value.clone());
            } else {
                return Err(unknown_property(name, entity_type));
            }
        }
        Ok(accepted)
    }

    fn check_type_annotation(
        &self,
        path: &str,
        value: &Value,
        type_name: &str,
    ) -> Result<(), GraphError> {
        let Some(text) = value.as_str() else {
            return Err(mismatch(path, "a type name string", value));
        };
        let named = text.trim_start_matches('#');
        if self.is_same_or_derived(named, type_name) {
            Ok(())
        } else {
            Err(GraphError::invalid_property(
                path,
                format!(
                    "The type '{named}' given in '{path}' is not '{type_name}' or a type derived \
                     from it."
                ),
            ))
        }
    }

    fn check_property(
        &self,
        path: &str,
        property: &Property,
        value: &Value,
    ) -> Result<Value, GraphError> {
        self.check_value(path, &property.type_ref, property.nullable, value)
    }

    /// Checks one value against a (possibly collection) type.
    fn check_value(
        &self,
        path: &str,
        type_ref: &TypeRef,
        nullable: bool,
        value: &Value,
    ) -> Result<Value, GraphError> {
        if value.is_null() {
            if nullable {
                return Ok(Value::Null);
            }
            let label = type_label(type_ref);
            return Err(GraphError::invalid_property(
                path,
                format!(
                    "A null value was found for the property named '{path}', which has the \
                     expected type '{label}[Nullable=False]'. The expected type \
                     '{label}[Nullable=False]' does not allow null values."
                ),
            ));
        }
        if type_ref.collection {
            let Value::Array(items) = value else {
                return Err(mismatch(
                    path,
                    &format!("an array of {}", type_ref.name),
                    value,
                ));
            };
            return items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let element = format!("{path}[{i}]");
                    if item.is_null() && !nullable {
                        return Err(mismatch(&element, &type_ref.name, item));
                    }
                    self.check_single(&element, &type_ref.name, item)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array);
        }
        self.check_single(path, &type_ref.name, value)
    }

    /// Checks a non-null, non-collection value of the named type.
    fn check_single(
        &self,
        path: &str,
        type_name: &str,
        value: &Value,
    ) -> Result<Value, GraphError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        match self.lookup(type_name) {
            Some(TypeKind::Primitive(primitive)) => check_primitive(path, primitive, value),
            Some(TypeKind::Enum(enum_type)) => {
                let Some(text) = value.as_str() else {
                    return Err(mismatch(path, &format!("a member of {type_name}"), value));
                };
                let names: Vec<&str> = enum_type.members.iter().map(|m| m.name.as_str()).collect();
                let given: Vec<&str> = if enum_type.is_flags {
                    text.split(',').map(str::trim).collect()
                } else {
                    vec![text]
                };
                match given.iter().find(|g| !names.contains(g)) {
                    None => Ok(value.clone()),
                    Some(bad) => Err(GraphError::invalid_property(
                        path,
                        format!(
                            "Invalid value for property '{path}': '{bad}' is not a member of \
                             enum type '{type_name}' (members: {}).",
                            names.join(", ")
                        ),
                    )),
                }
            }
            Some(TypeKind::Structured(_)) => {
                let Value::Object(members) = value else {
                    return Err(mismatch(
                        path,
                        &format!("an object of type {type_name}"),
                        value,
                    ));
                };
                self.check_complex(path, type_name, members)
                    .map(Value::Object)
            }
            Some(TypeKind::Definition(definition)) => {
                let underlying = definition.underlying_type.clone();
                self.check_value(path, &underlying, true, value)
            }
            None => Ok(value.clone()),
        }
    }

    /// Checks a complex (or nested entity) value and fills in the members it leaves out.
    fn check_complex(
        &self,
        path: &str,
        type_name: &str,
        members: &Map<String, Value>,
    ) -> Result<Map<String, Value>, GraphError> {
        let mut actual_type = type_name.to_string();
        if let Some(annotation) = members.get("@odata.type") {
            let annotation_path = format!("{path}.@odata.type");
            self.check_type_annotation(&annotation_path, annotation, type_name)?;
            if let Some(text) = annotation.as_str() {
                actual_type = text.trim_start_matches('#').to_string();
            }
        }
        let properties = self.properties(&actual_type);
        let open = self.is_open(&actual_type);
        let mut checked = Map::new();
        for (name, value) in members {
            if name.starts_with('@') || name.contains('@') {
                continue;
            }
            let member_path = format!("{path}.{name}");
            match properties.iter().find(|p| &p.name == name) {
                Some(property) => {
                    let value = self.check_property(&member_path, property, value)?;
                    checked.insert(name.clone(), value);
                }
                None if open => {
                    checked.insert(name.clone(), value.clone());
                }
                None => return Err(unknown_property(&member_path, &actual_type)),
            }
        }
        let mut complete = Map::new();
        for property in &properties {
            let value = match checked.remove(&property.name) {
                Some(value) => value,
                None => self.default_value(&property.type_ref, property.nullable),
            };
            complete.insert(property.name.clone(), value);
        }
        complete.extend(checked);
        Ok(complete)
    }

    /// The value a property holds when nobody set it: `[]` for collections, `null` when
    /// nullable, otherwise the type's zero (`false`, `0`, `""`, the first enum member,
    /// `0001-01-01T00:00:00Z`, a complex value of defaults).
    pub(crate) fn default_value(&self, type_ref: &TypeRef, nullable: bool) -> Value {
        if type_ref.collection {
            return Value::Array(Vec::new());
        }
        if nullable {
            return Value::Null;
        }
        match self.lookup(&type_ref.name) {
            Some(TypeKind::Primitive(primitive)) => match primitive {
                "Edm.String" => Value::String(String::new()),
                "Edm.Boolean" => Value::Bool(false),
                "Edm.Int16" | "Edm.Int32" | "Edm.Int64" | "Edm.Byte" | "Edm.SByte" => {
                    Value::Number(Number::from(0))
                }
                "Edm.Double" | "Edm.Single" | "Edm.Decimal" => Value::Number(Number::from(0)),
                "Edm.DateTimeOffset" => Value::String(time::UNSET.to_string()),
                "Edm.Date" => Value::String("0001-01-01".to_string()),
                "Edm.Guid" => Value::String("00000000-0000-0000-0000-000000000000".to_string()),
                "Edm.Duration" => Value::String("PT0S".to_string()),
                "Edm.TimeOfDay" => Value::String("00:00:00".to_string()),
                _ => Value::Null,
            },
            Some(TypeKind::Enum(enum_type)) => enum_type
                .members
                .first()
                .map(|m| Value::String(m.name.clone()))
                .unwrap_or(Value::Null),
            Some(TypeKind::Structured(_)) => {
                let members = self
                    .properties(&type_ref.name)
                    .into_iter()
                    .map(|p| (p.name.clone(), self.default_value(&p.type_ref, p.nullable)))
                    .collect();
                Value::Object(members)
            }
            Some(TypeKind::Definition(definition)) => {
                let underlying = definition.underlying_type.clone();
                self.default_value(&underlying, nullable)
            }
            None => Value::Null,
        }
    }
}

fn check_primitive(path: &str, primitive: &str, value: &Value) -> Result<Value, GraphError> {
    let integer = |min: i64, max: i64| -> Result<Value, GraphError> {
        match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(value.clone()),
            _ => Err(mismatch(path, primitive, value)),
        }
    };
    match primitive {
        "Edm.String" | "Edm.Binary" | "Edm.Duration" | "Edm.TimeOfDay" => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err(mismatch(path, primitive, value)),
        },
        "Edm.Boolean" => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(mismatch(path, primitive, value)),
        },
        "Edm.Byte" => integer(0, 255),
        "Edm.SByte" => integer(-128, 127),
        "Edm.Int16" => integer(i64::from(i16::MIN), i64::from(i16::MAX)),
        "Edm.Int32" => integer(i64::from(i32::MIN), i64::from(i32::MAX)),
        "Edm.Int64" => match value {
            Value::Number(n) if n.is_i64() => Ok(value.clone()),
            // IEEE754Compatible=true writes Int64 as strings.
            Value::String(text) => text
                .parse::<i64>()
                .map(|n| Value::Number(Number::from(n)))
                .map_err(|_| mismatch(path, primitive, value)),
            _ => Err(mismatch(path, primitive, value)),
        },
        "Edm.Double" | "Edm.Single" | "Edm.Decimal" => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(text) if matches!(text.as_str(), "NaN" | "INF" | "-INF") => {
                Ok(value.clone())
            }
            _ => Err(mismatch(path, primitive, value)),
        },
        "Edm.DateTimeOffset" => match value.as_str().and_then(time::parse) {
            Some(t) => Ok(Value::String(time::format(t))),
            None => Err(mismatch(
                path,
                "Edm.DateTimeOffset (an RFC 3339 date and time string)",
                value,
            )),
        },
        "Edm.Date" => match value
            .as_str()
            .and_then(|t| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        {
            Some(_) => Ok(value.clone()),
            None => Err(mismatch(path, "Edm.Date (YYYY-MM-DD)", value)),
        },
        "Edm.Guid" => match value.as_str().and_then(|t| uuid::Uuid::parse_str(t).ok()) {
            Some(_) => Ok(value.clone()),
            None => Err(mismatch(path, primitive, value)),
        },
        _ => Ok(value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SESSION: &str = "microsoft.graph.security.securityCopilot.session";
    const PROMPT: &str = "microsoft.graph.security.securityCopilot.prompt";
    const PLUGIN: &str = "microsoft.graph.security.securityCopilot.plugin";

    fn spec() -> Spec {
        Spec::bundled().unwrap()
    }

    fn message(result: Result<Map<String, Value>, GraphError>) -> String {
        result.unwrap_err().message
    }

    #[test]
    fn accepts_annotations_and_drops_computed() {
        let body = json!({
            "@odata.type": "#microsoft.graph.security.securityCopilot.session",
            "displayName": "Who am I",
            "displayName@odata.type": "#String",
            "@microsoft.graph.tips": "x",
            "createdDateTime": "2020-01-01T00:00:00+01:00",
            "id": "client-chosen"
        });
        let accepted = spec()
            .check_entity_body(SESSION, &body, Mode::Create, None)
            .unwrap();
        assert_eq!(Value::Object(accepted), json!({"displayName": "Who am I"}));
    }

    #[test]
    fn rejects_unknown_and_mistyped_properties() {
        let s = spec();
        assert_eq!(
            message(s.check_entity_body(SESSION, &json!({"foo": 1}), Mode::Create, None)),
            "The property 'foo' does not exist on type \
             'microsoft.graph.security.securityCopilot.session'. Make sure to only use property \
             names that are defined by the type."
        );
        assert_eq!(
            message(s.check_entity_body(SESSION, &json!({"displayName": 42}), Mode::Create, None)),
            "Invalid value for property 'displayName': expected Edm.String, found a number (42)."
        );
        assert_eq!(
            message(s.check_entity_body(
                SESSION,
                &json!({"createdDateTime": "yesterday"}),
                Mode::Create,
                None
            )),
            "Invalid value for property 'createdDateTime': expected Edm.DateTimeOffset (an RFC \
             3339 date and time string), found a string (\"yesterday\")."
        );
        assert!(message(s.check_entity_body(
            PROMPT,
            &json!({"type": "bogus"}),
            Mode::Create,
            None
        ))
        .starts_with("Invalid value for property 'type': 'bogus' is not a member of enum type"));
        assert!(
            message(s.check_entity_body(PROMPT, &json!({"type": null}), Mode::Create, None))
                .starts_with("A null value was found for the property named 'type'")
        );
        assert!(
            message(s.check_entity_body(SESSION, &json!({"prompts": []}), Mode::Create, None))
                .starts_with("The navigation property 'prompts' cannot be set")
        );
        assert!(message(s.check_entity_body(
            SESSION,
            &json!({"@odata.type": "#microsoft.graph.security.securityCopilot.prompt"}),
            Mode::Create,
            None
        ))
        .contains("is not 'microsoft.graph.security.securityCopilot.session'"));
        assert!(
            message(s.check_entity_body(SESSION, &json!([1]), Mode::Create, None))
                .starts_with("The request body must be a JSON object")
        );
    }

    #[test]
    fn checks_nested_complex_values_and_collections() {
        let s = spec();
        let ok = s
            .check_entity_body(
                PLUGIN,
                &json!({"name": "x", "settings": [{"name": "a", "isRequired": true}], "authorization": {"authType": "aad"}}),
                Mode::Create,
                None,
            )
            .unwrap();
        assert_eq!(ok["settings"][0]["isRequired"], json!(true));
        // Defaults filled in for the members left out.
        assert_eq!(ok["settings"][0]["acceptableValues"], json!([]));
        assert_eq!(ok["settings"][0]["displayType"], json!("none"));
        assert_eq!(
            message(s.check_entity_body(
                PLUGIN,
                &json!({"settings": [{"isRequired": "yes"}]}),
                Mode::Create,
                None
            )),
            "Invalid value for property 'settings[0].isRequired': expected Edm.Boolean, found a \
             string (\"yes\")."
        );
        assert!(message(s.check_entity_body(
            PLUGIN,
            &json!({"settings": {"name": "a"}}),
            Mode::Create,
            None
        ))
        .contains("expected an array of"));
        // Open types take anything.
        let ok = s
            .check_entity_body(
                PROMPT,
                &json!({"inputs": {"anything": [1, 2]}}),
                Mode::Create,
                None,
            )
            .unwrap();
        assert_eq!(ok["inputs"], json!({"anything": [1, 2]}));
    }

    #[test]
    fn update_keys_must_match_the_url() {
        let s = spec();
        assert!(s
            .check_entity_body(SESSION, &json!({"id": "a"}), Mode::Update, Some("a"))
            .unwrap()
            .is_empty());
        assert_eq!(
            message(s.check_entity_body(SESSION, &json!({"id": "b"}), Mode::Update, Some("a"))),
            "The key property 'id' cannot be changed."
        );
    }
}
