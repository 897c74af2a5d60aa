//! The generic core's entity rules, and the [`Profile`] through which one API adds what its
//! spec cannot express.
//!
//! The core serves any spec: keys (server-assigned `id`, or a caller-chosen key), Graph's
//! `createdDateTime` / `lastModifiedDateTime` stamps, defaults for what a create leaves out, and
//! updates. A profile adds an API's own rules on top: required members, default values that
//! are not the type's zero, entities that change by themselves over time (a [`Lifecycle`]), and
//! the data present at start-up ([`Profile::seed`]). Two profiles ship:
//!
//! - [`Generic`]: nothing beyond the spec; containers the spec offers no way to create (a
//!   `microsoft.graph` entity set above the API, say `/sites/{site-id}/termStore`) are treated
//!   as present. What `graph-spec new-crate` tests generated crates with.
//! - [`crate::behaviour::SecurityCopilot`]: the Security Copilot API (the default, with the
//!   bundled spec).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use graph_odata_csdl::Property;
use serde_json::{Map, Value};

use crate::body::Mode;
use crate::error::GraphError;
use crate::spec::{Route, Spec};
use crate::store::{CollectionId, Record, Store};
use crate::time::{self, Clock};

/// How long an entity with a [`Lifecycle`] stays in each state (the Security Copilot profile:
/// evaluations), set with [`crate::EmulatorBuilder::evaluation_delays`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvaluationTiming {
    /// From creation to `running`.
    pub running_after: std::time::Duration,
    /// From `running` to `completed`.
    pub completed_after: std::time::Duration,
}

impl Default for EvaluationTiming {
    /// 200 ms to start, 800 ms to finish: visible with polling, quick enough for a quickstart.
    fn default() -> Self {
        EvaluationTiming {
            running_after: std::time::Duration::from_millis(200),
            completed_after: std::time::Duration::from_millis(800),
        }
    }
}

/// Server-side progress decided when an entity is created: reads show the entity as it is at
/// the time of the read, so no task has to run in the background.
pub trait Lifecycle: fmt::Debug + Send + Sync {
    /// The entity as it reads at `now`, or `None` while it reads as stored.
    fn view(&self, stored: &Map<String, Value>, now: DateTime<Utc>) -> Option<Map<String, Value>>;
}

/// What one API does beyond the shape of its types. Every method has a default that adds
/// nothing, so a profile states only its own rules; entity types are qualified names.
pub trait Profile: fmt::Debug + Send + Sync + 'static {
    /// A short name for logs (`generic`, `security-copilot`).
    fn name(&self) -> &str;

    /// Checks a create body after the spec's type checks (`accepted`: the members kept); an
    /// error is the answer to the request.
    fn check_create(
        &self,
        _entity_type: &str,
        _accepted: &Map<String, Value>,
    ) -> Result<(), GraphError> {
        Ok(())
    }

    /// What the service writes for a property a create leaves out, where that is not the
    /// type's zero (`None`: the spec's default).
    fn default_value(&self, _entity_type: &str, _property: &str) -> Option<Value> {
        None
    }

    /// The lifecycle of a new entity, if its type changes by itself; `parent`: the entity
    /// above it in the path, if any.
    fn lifecycle(
        &self,
        _entity_type: &str,
        _entity: &Map<String, Value>,
        _parent: Option<&Map<String, Value>>,
        _created: DateTime<Utc>,
        _timing: EvaluationTiming,
    ) -> Option<Arc<dyn Lifecycle>> {
        None
    }

    /// Fills a new store with the data present at start-up (skipped with
    /// [`crate::EmulatorBuilder::seed_data`]`(false)`). Data the spec rejects is an error
    /// naming the item, never a silently emptier emulator.
    fn seed(&self, _seeder: &mut Seeder<'_>) -> Result<(), String> {
        Ok(())
    }

    /// Whether a missing entity above a path counts as present when the spec offers no way to
    /// create it (no `POST` on its collection): a container the emulator does not model. When
    /// `false`, every entity above a path must exist (`404` otherwise).
    fn implicit_containers(&self) -> bool {
        true
    }
}

/// Nothing beyond the spec: no required members but the spec's, no seeds, no lifecycles, and
/// containers the spec cannot create treated as present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generic;

impl Profile for Generic {
    fn name(&self) -> &str {
        "generic"
    }
}

/// Creates the data a profile seeds, through the same rules as a create request.
pub struct Seeder<'a> {
    pub(crate) spec: &'a Spec,
    pub(crate) profile: &'a dyn Profile,
    pub(crate) store: &'a mut Store,
    pub(crate) clock: &'a Clock,
    pub(crate) timing: EvaluationTiming,
}

impl fmt::Debug for Seeder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seeder")
            .field("profile", &self.profile.name())
            .finish_non_exhaustive()
    }
}

impl Seeder<'_> {
    /// The spec being served.
    pub fn spec(&self) -> &Spec {
        self.spec
    }

    /// Creates an entity in the collection `route` (a collection route) below the entities
    /// whose keys are `parents`, from `body` checked as a create body. `key`: the key to store
    /// it under; `None` takes the body's key property. Returns the key, or what the spec says
    /// against the body.
    pub fn create(
        &mut self,
        route: &Route,
        parents: &[String],
        body: &Value,
        key: Option<&str>,
    ) -> Result<String, String> {
        let entity_type = route.entity_type.clone();
        let accepted = self
            .spec
            .check_entity_body(&entity_type, body, Mode::Create, None)
            .map_err(|e| e.message)?;
        let key = match key {
            Some(key) => key.to_string(),
            None => {
                let key_property = self
                    .spec
                    .key_property(&entity_type)
                    .ok_or_else(|| format!("{entity_type} has no key"))?;
                accepted
                    .get(&key_property)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            }
        };
        let now = self.clock.now();
        let entity = new_entity(self.spec, self.profile, &entity_type, accepted, &key, now);
        let record = new_record(self.profile, &entity_type, entity, None, now, self.timing);
        self.store
            .collection_mut(CollectionId {
                template: route.collection.clone(),
                parents: parents.to_vec(),
            })
            .insert(key.clone(), record);
        Ok(key)
    }
}

/// Whether the server stamps this property with the time of a create (and, for
/// `lastModifiedDateTime`, of every update).
fn is_stamp(property: &Property) -> bool {
    !property.type_ref.collection
        && property.type_ref.name == "Edm.DateTimeOffset"
        && matches!(
            property.name.as_str(),
            "createdDateTime" | "lastModifiedDateTime"
        )
}

/// A complete new entity: the key first, then every declared property in spec order, from the
/// body, the server's stamps and defaults (the profile's, else the spec's); members of an open
/// type follow.
pub(crate) fn new_entity(
    spec: &Spec,
    profile: &dyn Profile,
    entity_type: &str,
    mut accepted: Map<String, Value>,
    key: &str,
    now: DateTime<Utc>,
) -> Map<String, Value> {
    let key_property = spec.key_property(entity_type);
    let stamp = time::format(now);
    let mut out = Map::new();
    if let Some(k) = &key_property {
        out.insert(k.clone(), Value::String(key.to_string()));
    }
    for property in spec.properties(entity_type) {
        if key_property.as_deref() == Some(property.name.as_str()) {
            continue;
        }
        let value = match accepted.remove(&property.name) {
            Some(value) => value,
            None if is_stamp(property) => Value::String(stamp.clone()),
            None => profile
                .default_value(entity_type, &property.name)
                .unwrap_or_else(|| spec.default_value(&property.type_ref, property.nullable)),
        };
        out.insert(property.name.clone(), value);
    }
    out.extend(accepted);
    out
}

/// Applies an update: the accepted members replace the stored ones and `lastModifiedDateTime`
/// moves to `now` (never backwards).
pub(crate) fn apply_update(
    spec: &Spec,
    entity_type: &str,
    stored: &Map<String, Value>,
    accepted: Map<String, Value>,
    now: DateTime<Utc>,
) -> Map<String, Value> {
    let mut updated = stored.clone();
    updated.extend(accepted);
    for property in spec.properties(entity_type) {
        if is_stamp(property) && property.name == "lastModifiedDateTime" {
            let previous = stored
                .get(&property.name)
                .and_then(Value::as_str)
                .and_then(time::parse);
            let next = match previous {
                Some(p) if p >= now => p + TimeDelta::nanoseconds(100),
                _ => now,
            };
            updated.insert(property.name.clone(), Value::String(time::format(next)));
        }
    }
    updated
}

/// A record for a new entity, with the lifecycle the profile gives its type, if any.
pub(crate) fn new_record(
    profile: &dyn Profile,
    entity_type: &str,
    json: Map<String, Value>,
    parent: Option<&Map<String, Value>>,
    created: DateTime<Utc>,
    timing: EvaluationTiming,
) -> Record {
    let lifecycle = profile.lifecycle(entity_type, &json, parent, created, timing);
    Record {
        json: Arc::new(json),
        lifecycle,
    }
}
