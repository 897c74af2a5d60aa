//! The emulator serves whatever the spec says: a property or a contained entity set added to
//! the CSDL is validated, stored, filtered and routed without code changes, and an overlay
//! restriction turns an operation into 405.

mod common;

use common::*;
use graph_security_copilot_emulator::spec::{BUNDLED_CSDL, BUNDLED_OVERLAY};
use graph_security_copilot_emulator::{Emulator, Generic, Spec};
use reqwest::StatusCode;
use serde_json::json;

/// The bundled CSDL with a `probePriority` on sessions and a new `probeNotes` collection under
/// them (names no real spec uses, so the test holds after a refresh).
fn extended_csdl() -> String {
    let session = r#"<EntityType Name="session" BaseType="graph.entity">"#;
    assert!(BUNDLED_CSDL.contains(session));
    let note = r#"<EntityType Name="probeNote" BaseType="graph.entity">
        <Property Name="text" Type="Edm.String" />
        <Property Name="pinned" Type="Edm.Boolean" Nullable="false" />
        <Property Name="createdDateTime" Type="Edm.DateTimeOffset" Nullable="false" />
      </EntityType>
      "#;
    let additions = r#"
        <Property Name="probePriority" Type="Edm.Int32" />
        <NavigationProperty Name="probeNotes" Type="Collection(securityCopilot.probeNote)" ContainsTarget="true" />"#;
    BUNDLED_CSDL.replacen(session, &format!("{note}{session}{additions}"), 1)
}

/// A second overlay that exposes `probeNotes` (exposure is opt-in).
const EXPOSE_NOTES: &str = r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices><Schema Namespace="test.overlay" xmlns="http://docs.oasis-open.org/odata/ns/edm">
  <Annotations Target="microsoft.graph.security.securityCopilot.session/probeNotes"><Annotation Term="graphSecurityCopilot.overlay.Exposed" /></Annotations>
</Schema></edmx:DataServices></edmx:Edmx>"#;

#[tokio::test]
async fn a_new_navigation_is_not_served_until_the_overlay_exposes_it() {
    let spec = Spec::from_csdl(&extended_csdl(), &[BUNDLED_OVERLAY]).unwrap();
    let api = start(Emulator::builder().spec(spec)).await;
    let sessions = format!("{WS}/sessions");
    let session = api
        .post(&sessions, json!({"displayName": "a"}))
        .await
        .json();
    let notes = format!("{sessions}/{}/probeNotes", session["id"].as_str().unwrap());
    for reply in [
        api.get(&notes).await,
        api.post(&notes, json!({"text": "x"})).await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
        assert_eq!(reply.error().0, "ResourceNotFound");
    }
}

#[tokio::test]
async fn new_properties_and_entity_sets_are_served() {
    let spec = Spec::from_csdl(&extended_csdl(), &[BUNDLED_OVERLAY, EXPOSE_NOTES]).unwrap();
    let api = start(Emulator::builder().spec(spec)).await;
    let sessions = format!("{WS}/sessions");

    let reply = api
        .post(
            &sessions,
            json!({"displayName": "urgent", "probePriority": 3}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let urgent = reply.json();
    assert_eq!(urgent["probePriority"], 3);
    let calm = api
        .post(&sessions, json!({"displayName": "calm"}))
        .await
        .json();
    assert_eq!(calm["probePriority"], json!(null));
    let reply = api
        .post(
            &sessions,
            json!({"displayName": "x", "probePriority": "high"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.error().1,
        "Invalid value for property 'probePriority': expected Edm.Int32, found a string (\"high\")."
    );
    let filtered = api
        .get(&format!("{sessions}?$filter=probePriority gt 2"))
        .await
        .json();
    assert_eq!(column(&filtered, "displayName"), vec![json!("urgent")]);

    // The new collection, once exposed: every verb, since no restriction narrows it.
    let id = urgent["id"].as_str().unwrap();
    let notes = format!("{sessions}/{id}/probeNotes");
    let reply = api.post(&notes, json!({"text": "call back"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let note = reply.json();
    assert_eq!(note["pinned"], false);
    assert!(is_graph_time(note["createdDateTime"].as_str().unwrap()));
    assert_eq!(
        note["@odata.context"],
        format!(
            "{}/$metadata#security/securityCopilot/workspaces('default')/sessions('{id}')/probeNotes/$entity",
            api.emulator.base_url()
        )
    );
    let note_id = note["id"].as_str().unwrap();
    let patched = api
        .patch(&format!("{notes}/{note_id}"), json!({"pinned": true}))
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(api.get(&format!("{notes}/$count")).await.text, "1");
    let deleted = api
        .send(api.request(reqwest::Method::DELETE, &format!("{notes}/{note_id}")))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&format!("{notes}/{note_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get(&format!("{notes}/$count")).await.text, "0");
}

#[tokio::test]
async fn an_overlay_restriction_makes_an_operation_405() {
    let readonly_sessions = BUNDLED_OVERLAY.replacen(
        r#"<PropertyValue Property="Insertable" Bool="true" />
            <PropertyValue Property="Description" String="Create session" />"#,
        r#"<PropertyValue Property="Insertable" Bool="false" />
            <PropertyValue Property="Description" String="Create session" />"#,
        1,
    );
    assert_ne!(readonly_sessions, BUNDLED_OVERLAY);
    let spec = Spec::from_csdl(BUNDLED_CSDL, &[&readonly_sessions]).unwrap();
    let bundled = Spec::bundled().unwrap();
    assert_eq!(spec.operations().len(), bundled.operations().len() - 1);
    let api = start(Emulator::builder().spec(spec)).await;
    let reply = api
        .post(&format!("{WS}/sessions"), json!({"displayName": "x"}))
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), "GET");
}

#[tokio::test]
async fn seed_data_that_no_longer_fits_the_spec_fails_loudly() {
    // The next spec turns `plugin.isEnabled` into an integer: the seed plugins (booleans) no
    // longer fit, and the emulator says which item and property instead of starting emptier.
    let changed = BUNDLED_CSDL.replacen(
        r#"<Property Name="isEnabled" Type="Edm.Boolean" Nullable="false">"#,
        r#"<Property Name="isEnabled" Type="Edm.Int32" Nullable="false">"#,
        1,
    );
    assert_ne!(
        changed, BUNDLED_CSDL,
        "test bug: the property is spelled differently"
    );
    let spec = Spec::from_csdl(&changed, &[BUNDLED_OVERLAY]).unwrap();
    let Err(error) = Emulator::builder().spec(spec.clone()).start().await else {
        panic!("the seed no longer fits: start must fail");
    };
    let text = error.to_string();
    assert!(text.contains("seed data"), "{text}");
    assert!(text.contains("plugin `"), "{text}");
    assert!(text.contains("isEnabled"), "{text}");
    // Without seed data the same spec serves (no workspaces yet).
    let api = start(Emulator::builder().spec(spec).seed_data(false)).await;
    let workspaces = WS.trim_end_matches("/default");
    let reply = api.get(workspaces).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["value"], json!([]));
}

#[tokio::test]
async fn the_generic_profile_adds_nothing_to_the_spec() {
    // The bundled spec under the generic profile: no seed data, no Security Copilot rules.
    let spec = Spec::bundled().unwrap();
    let api = start(Emulator::builder().spec(spec).profile(Generic)).await;
    let workspaces = WS.trim_end_matches("/default");
    let reply = api.get(workspaces).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["value"], json!([]), "no seeded workspace");
    // Workspaces cannot be created through the spec: a container the emulator does not model,
    // treated as present. Sessions below it are created, listed and read as usual.
    let sessions = "/security/securityCopilot/workspaces/any-workspace/sessions";
    let reply = api.get(sessions).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["value"], json!([]));
    // No required `displayName` (a Security Copilot rule): the spec alone decides.
    let created = api.post(sessions, json!({})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let listed = api.get(sessions).await;
    assert_eq!(values(&listed.json()).len(), 1);
    let read = api.get(&format!("{sessions}/{id}")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    // A session, which can be created, must exist before anything below it.
    let missing = api
        .get(&format!("{sessions}/no-such-session/prompts"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
}

#[tokio::test]
async fn the_security_copilot_profile_keeps_unknown_workspaces_missing() {
    let api = start_default().await;
    let reply = api
        .get("/security/securityCopilot/workspaces/any-workspace/sessions")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    let reply = api.post(&format!("{WS}/sessions"), json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
}
