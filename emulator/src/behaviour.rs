//! The Security Copilot profile ([`SecurityCopilot`]): what the service does beyond the shape
//! of its types, the rules the spec cannot express.
//!
//! Everything here is keyed by an entity type's simple name and only touches properties the
//! spec declares, so a spec without sessions or evaluations simply does without it:
//!
//! - required members on create (`displayName` of a session, `content` of a prompt) and the one
//!   supported prompt type;
//! - defaults the service writes (`type: prompt`, `inputs: {"keyValuePairs": []}`,
//!   `state: created`); the `createdDateTime` / `lastModifiedDateTime` stamps are the generic
//!   core's ([`crate::profile`]);
//! - evaluations that run: `created`, then `running`, then `completed` with a `result` whose
//!   content is derived from the prompt;
//! - the data present at start-up: workspace `default` and a few plugins;
//! - every entity above a path must exist (its containers are seeded), so a request below an
//!   unknown workspace is `404`.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use graph_odata_csdl::operations::simple_name;
use serde_json::{json, Map, Value};

use crate::error::GraphError;
use crate::profile::{Profile, Seeder};
use crate::time;

pub use crate::profile::EvaluationTiming;

/// The key of the workspace that exists from the start.
pub const DEFAULT_WORKSPACE: &str = "default";

/// The Security Copilot API's rules: the emulator's default profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecurityCopilot;

/// Members a create must carry (non-null), by entity type.
fn required_on_create(entity: &str) -> &'static [&'static str] {
    match entity {
        "session" => &["displayName"],
        "prompt" => &["content"],
        _ => &[],
    }
}

/// What the service writes for a member a create leaves out, where it is not the type's zero.
fn default_override(entity: &str, property: &str) -> Option<Value> {
    match (entity, property) {
        ("prompt", "type") => Some(json!("prompt")),
        ("prompt", "inputs") => Some(json!({ "keyValuePairs": [] })),
        ("evaluation", "state") => Some(json!("created")),
        _ => None,
    }
}

impl Profile for SecurityCopilot {
    fn name(&self) -> &str {
        "security-copilot"
    }

    /// Checks the service's rules for a create body (after type checking).
    fn check_create(
        &self,
        entity_type: &str,
        accepted: &Map<String, Value>,
    ) -> Result<(), GraphError> {
        let entity = simple_name(entity_type);
        for required in required_on_create(entity) {
            if accepted.get(*required).is_none_or(Value::is_null) {
                return Err(GraphError::invalid_property(
                    required,
                    format!("The property '{required}' is required to create a {entity}."),
                ));
            }
        }
        if entity == "prompt" {
            if let Some(kind) = accepted.get("type").and_then(Value::as_str) {
                if kind != "prompt" {
                    return Err(GraphError::invalid_property(
                        "type",
                        format!("Only prompts of type 'prompt' are supported, not '{kind}'."),
                    ));
                }
            }
        }
        Ok(())
    }

    fn default_value(&self, entity_type: &str, property: &str) -> Option<Value> {
        default_override(simple_name(entity_type), property)
    }

    /// Evaluations run: their lifecycle answers the prompt above them.
    fn lifecycle(
        &self,
        entity_type: &str,
        _entity: &Map<String, Value>,
        parent: Option<&Map<String, Value>>,
        created: DateTime<Utc>,
        timing: EvaluationTiming,
    ) -> Option<Arc<dyn crate::profile::Lifecycle>> {
        if simple_name(entity_type) != "evaluation" {
            return None;
        }
        let prompt = parent
            .and_then(|p| p.get("content"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        Some(Arc::new(EvaluationLifecycle::new(created, timing, prompt)))
    }

    /// Workspace `default` and its plugins, where the spec serves them.
    fn seed(&self, seeder: &mut Seeder<'_>) -> Result<(), String> {
        seed(seeder)
    }

    fn implicit_containers(&self) -> bool {
        false
    }
}

/// The progress of one evaluation, decided when it is created; reads show the state for the
/// time of the read, so no task has to run in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationLifecycle {
    /// When it starts running.
    pub running_at: DateTime<Utc>,
    /// When it completes.
    pub completed_at: DateTime<Utc>,
    /// The answer it completes with.
    pub answer: String,
}

impl EvaluationLifecycle {
    /// A lifecycle for an evaluation created at `created` answering `prompt`.
    pub fn new(
        created: DateTime<Utc>,
        timing: EvaluationTiming,
        prompt: &str,
    ) -> EvaluationLifecycle {
        let delta = |d: std::time::Duration| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
        let running_at = created
            .checked_add_signed(delta(timing.running_after))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let completed_at = running_at
            .checked_add_signed(delta(timing.completed_after))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        EvaluationLifecycle {
            running_at,
            completed_at,
            answer: answer(prompt),
        }
    }

    /// The entity as it reads at `now`, or `None` while it is unchanged (`created`).
    pub fn view(
        &self,
        stored: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Option<Map<String, Value>> {
        if now < self.running_at {
            return None;
        }
        let mut view = stored.clone();
        let mut set = |name: &str, value: Value| {
            if let Some(slot) = view.get_mut(name) {
                *slot = value;
            }
        };
        let running = time::format(self.running_at);
        set("runStartDateTime", json!(running));
        let (state, changed, result) = if now < self.completed_at {
            (
                "running",
                self.running_at,
                json!({ "content": null, "type": "unknown", "previewState": "ga" }),
            )
        } else {
            set("completedDateTime", json!(time::format(self.completed_at)));
            (
                "completed",
                self.completed_at,
                json!({ "content": self.answer, "type": "success", "previewState": "ga" }),
            )
        };
        set("state", json!(state));
        set("result", result);
        let stored_modified = stored
            .get("lastModifiedDateTime")
            .and_then(Value::as_str)
            .and_then(time::parse);
        let modified = stored_modified.map_or(changed, |m| m.max(changed));
        set("lastModifiedDateTime", json!(time::format(modified)));
        Some(view)
    }
}

/// The answer an evaluation of `prompt` completes with: a sentence that quotes the prompt.
pub fn answer(prompt: &str) -> String {
    let prompt = prompt.trim();
    let lower = prompt.to_lowercase();
    if lower.contains("who am i") {
        format!(
            "You asked \"{prompt}\": you are signed in as Emulated User in this Entra ID tenant. \
             Your User Principal Name (UPN) and email are emulated.user@contoso.com, and your \
             User ID is 00000000-0000-4000-8000-000000000001."
        )
    } else {
        format!(
            "You asked \"{prompt}\". This answer comes from the Security Copilot emulator: no \
             model ran, so it restates your prompt ({} characters) for your tests to check.",
            prompt.chars().count()
        )
    }
}

impl crate::profile::Lifecycle for EvaluationLifecycle {
    fn view(&self, stored: &Map<String, Value>, now: DateTime<Utc>) -> Option<Map<String, Value>> {
        EvaluationLifecycle::view(self, stored, now)
    }
}

/// The plugins present at start-up (as in the docs' list-plugins example).
fn seed_plugins() -> Vec<Value> {
    let plugin = |name: &str,
                  display: &str,
                  description: &str,
                  category: &str,
                  scope: &str,
                  preview: &str,
                  enabled: bool| {
        json!({
            "name": name,
            "displayName": display,
            "description": description,
            "category": category,
            "catalogScope": scope,
            "previewState": preview,
            "isEnabled": enabled,
            "authorization": null,
            "settings": []
        })
    };
    let mut sentinel = plugin(
        "Sentinel",
        "Microsoft Sentinel",
        "Skills that query incidents and logs in a Microsoft Sentinel workspace.",
        "microsoft",
        "tenant",
        "public",
        false,
    );
    sentinel["settings"] = json!([{
        "name": "WorkspaceName",
        "label": "Sentinel workspace name",
        "description": "The Log Analytics workspace that Microsoft Sentinel uses.",
        "hintText": "contoso-sentinel",
        "settingValue": "string",
        "isRequired": true,
        "defaultValue": null,
        "value": null,
        "acceptableValues": [],
        "displayType": "textbox"
    }]);
    sentinel["authorization"] = json!({ "authType": "aad" });
    vec![
        plugin(
            "Entra",
            "Microsoft Entra",
            "Skills that interact with the Microsoft Graph APIs.",
            "microsoft",
            "global",
            "ga",
            true,
        ),
        plugin(
            "DefenderXDR",
            "Microsoft Defender XDR",
            "Skills for incidents, alerts and advanced hunting in Microsoft Defender XDR.",
            "microsoft",
            "global",
            "ga",
            true,
        ),
        plugin(
            "Intune",
            "Microsoft Intune",
            "Skills that read device, compliance and policy data from Microsoft Intune.",
            "microsoft",
            "global",
            "ga",
            true,
        ),
        plugin(
            "Purview",
            "Microsoft Purview",
            "Skills for data security and compliance insights from Microsoft Purview.",
            "microsoft",
            "global",
            "ga",
            true,
        ),
        plugin(
            "ThreatIntelligence",
            "Microsoft Threat Intelligence",
            "Skills that look up threat actors, indicators of compromise and vulnerabilities.",
            "microsoft",
            "global",
            "ga",
            true,
        ),
        sentinel,
        plugin(
            "Web",
            "Website",
            "Skills that read public web pages named in a prompt.",
            "web",
            "global",
            "public",
            false,
        ),
    ]
}

/// Fills a new store with workspace `default` and its plugins, where the spec serves them.
/// Seed data the spec rejects is an error naming the item and what the spec says, never a
/// silently emptier emulator.
fn seed(seeder: &mut Seeder<'_>) -> Result<(), String> {
    let Some(workspaces) = seeder.spec().collection_route("workspace").cloned() else {
        return Ok(());
    };
    let workspace_type = workspaces.entity_type.clone();
    let body = json!({ "displayName": "Default workspace" });
    seeder
        .create(&workspaces, &[], &body, Some(DEFAULT_WORKSPACE))
        .map_err(|e| format!("workspace `{DEFAULT_WORKSPACE}` ({workspace_type}): {e}"))?;
    let Some(plugins) = seeder
        .spec()
        .routes()
        .iter()
        .find(|r| {
            r.kind == crate::spec::RouteKind::Collection
                && simple_name(&r.entity_type) == "plugin"
                && r.steps.len() == 1
                && r.steps
                    .last()
                    .is_some_and(|s| s.collection == workspaces.collection)
        })
        .cloned()
    else {
        return Ok(());
    };
    let plugin_type = plugins.entity_type.clone();
    if seeder.spec().key_property(&plugin_type).is_none() {
        return Err(format!("plugin type {plugin_type} has no key"));
    }
    let parents = vec![DEFAULT_WORKSPACE.to_string()];
    // Inserted last-first, so they list (newest first) in the order above.
    for body in seed_plugins().into_iter().rev() {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        seeder
            .create(&plugins, &parents, &body, None)
            .map_err(|e| format!("plugin `{name}` ({plugin_type}): {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;
    use crate::store::{CollectionId, Store};
    use crate::time::Clock;
    use chrono::TimeZone;

    #[test]
    fn lifecycle_moves_through_states() {
        let created = Utc.with_ymd_and_hms(2025, 10, 22, 20, 12, 57).unwrap();
        let timing = EvaluationTiming {
            running_after: std::time::Duration::from_millis(300),
            completed_after: std::time::Duration::from_secs(1),
        };
        let lifecycle = EvaluationLifecycle::new(created, timing, "who am I");
        let Value::Object(stored) = json!({
            "id": "e", "createdDateTime": "2025-10-22T20:12:57Z",
            "runStartDateTime": time::UNSET, "completedDateTime": time::UNSET,
            "lastModifiedDateTime": "2025-10-22T20:12:57Z",
            "state": "created", "executionCount": 0, "isCancelled": false, "result": null
        }) else {
            unreachable!()
        };
        assert!(lifecycle.view(&stored, created).is_none());
        let running = lifecycle
            .view(&stored, created + TimeDelta::milliseconds(500))
            .unwrap();
        assert_eq!(running["state"], "running");
        assert_eq!(running["runStartDateTime"], "2025-10-22T20:12:57.3Z");
        assert_eq!(running["completedDateTime"], time::UNSET);
        assert_eq!(running["lastModifiedDateTime"], "2025-10-22T20:12:57.3Z");
        assert_eq!(running["result"]["type"], "unknown");
        let done = lifecycle
            .view(&stored, created + TimeDelta::seconds(2))
            .unwrap();
        assert_eq!(done["state"], "completed");
        assert_eq!(done["completedDateTime"], "2025-10-22T20:12:58.3Z");
        assert_eq!(done["result"]["type"], "success");
        assert!(done["result"]["content"]
            .as_str()
            .unwrap()
            .contains("\"who am I\""));
    }

    #[test]
    fn answers_quote_the_prompt() {
        assert!(answer("Who am I?").starts_with("You asked \"Who am I?\": you are signed in as"));
        assert!(answer(" list risky users ").starts_with("You asked \"list risky users\"."));
    }

    #[test]
    fn seeds_default_workspace_and_plugins() {
        let spec = Spec::bundled().unwrap();
        let mut store = Store::default();
        let clock = Clock::new();
        let mut seeder = Seeder {
            spec: &spec,
            profile: &SecurityCopilot,
            store: &mut store,
            clock: &clock,
            timing: EvaluationTiming::default(),
        };
        SecurityCopilot.seed(&mut seeder).unwrap();
        let plugins = spec.collection_route("plugin").unwrap();
        let c = store
            .collection(&CollectionId {
                template: plugins.collection.clone(),
                parents: vec!["default".into()],
            })
            .unwrap();
        let names: Vec<_> = c
            .newest_first()
            .map(|r| r.json["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names[0], "Entra");
        assert_eq!(names.len(), 7);
        let entra = &c.get("Entra").unwrap().json;
        assert_eq!(entra["supportedAuthTypes"], "none");
        assert_eq!(entra["settings"], json!([]));
    }
}
