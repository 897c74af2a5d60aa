//! `graph-spec refresh`, end to end on full documents built by embedding the committed fragment
//! (edited per case) into Microsoft's real v1.0 `$metadata` (`../shared/reference/`).

mod support;

use std::path::PathBuf;
use std::process::Command;

use graph_security_copilot_codegen::diff::{ChangeKind, Impact};
use graph_security_copilot_codegen::golden::line_diff;
use graph_security_copilot_codegen::refresh::{
    refresh, spec_outputs, RefreshError, RefreshOptions,
};
use support::*;

fn assert_unchanged(before: &std::collections::BTreeMap<PathBuf, Vec<u8>>, spec: &std::path::Path) {
    let after = spec_outputs(spec);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in before {
        let now = after.get(path).cloned().unwrap_or_default();
        assert!(
            now == *bytes,
            "{} changed:\n{}",
            path.display(),
            line_diff(
                &String::from_utf8_lossy(bytes),
                &String::from_utf8_lossy(&now),
                2,
                60
            )
        );
    }
}

#[test]
fn unchanged_document_changes_no_file() {
    let case = Case::new("unchanged", &fragment());
    let before = spec_outputs(&case.spec());
    let report = case.refresh();
    assert!(report.changes.is_empty(), "{}", report.to_markdown());
    assert!(report.unexposed_navigations.is_empty());
    assert!(!report.is_breaking());
    assert!(report.files.iter().all(|(_, changed)| !changed));
    assert_unchanged(&before, &case.spec());
}

#[test]
fn additive_refresh_reports_each_change_and_the_unexposed_navigation() {
    let case = Case::new("additive", &additive_fragment());
    let report = case.refresh();
    let markdown = report.to_markdown();
    assert!(!report.is_breaking(), "{markdown}");
    let find = |kind: ChangeKind, element: &str| {
        report
            .changes
            .iter()
            .find(|c| c.change.kind == kind && c.change.element == element)
            .unwrap_or_else(|| panic!("{kind:?} {element} missing:\n{markdown}"))
    };
    let ns = "microsoft.graph.security.securityCopilot";
    let member = find(
        ChangeKind::EnumMemberAdded,
        &format!("{ns}.evaluationState/paused"),
    );
    assert_eq!(member.rust_item, "models::EvaluationState::Paused");
    let priority = find(ChangeKind::PropertyAdded, &format!("{ns}.session/priority"));
    assert_eq!(priority.rust_item, "models::Session::priority");
    // The case-only twin of `displayName` gets a name of its own; `display_name` is untouched.
    let twin = find(
        ChangeKind::PropertyAdded,
        &format!("{ns}.session/DisplayName"),
    );
    assert!(
        twin.rust_item
            .starts_with("models::Session::display_name_h"),
        "{}",
        twin.rust_item
    );
    find(ChangeKind::TypeAdded, &format!("{ns}.note"));
    find(ChangeKind::NavigationAdded, &format!("{ns}.session/notes"));
    assert!(
        report
            .changes
            .iter()
            .all(|c| c.change.impact() == Impact::Additive),
        "{markdown}"
    );
    // No operation appears: `notes` is new and not exposed; the report says how to expose it.
    assert!(report
        .changes
        .iter()
        .all(|c| c.change.kind != ChangeKind::OperationAdded));
    let notes = report
        .unexposed_navigations
        .iter()
        .find(|n| n.target == format!("{ns}.session/notes"))
        .unwrap_or_else(|| panic!("unexposed notes missing:\n{markdown}"));
    assert!(
        notes.path.ends_with("/sessions/{session-id}/notes"),
        "{}",
        notes.path
    );
    assert!(notes.reachable);
    assert!(notes
        .overlay_entry
        .contains(&format!(r#"<Annotations Target="{ns}.session/notes">"#)));
    assert!(notes
        .overlay_entry
        .contains("graphSecurityCopilot.overlay.Exposed"));
    assert!(
        markdown.contains("New in the spec, not exposed"),
        "{markdown}"
    );
    // Files: the fragment and the surface listing changed (new fields), and a second refresh
    // from the same document changes nothing.
    let changed: Vec<String> = report
        .files
        .iter()
        .filter(|(_, c)| *c)
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        changed.contains(&"securityCopilot.csdl.xml".to_string()),
        "{changed:?}"
    );
    assert!(changed.contains(&"surface.txt".to_string()), "{changed:?}");
    let before = spec_outputs(&case.spec());
    let again = case.refresh();
    assert!(again.changes.is_empty() && again.files.iter().all(|(_, c)| !c));
    assert_unchanged(&before, &case.spec());
}

#[test]
fn breaking_refresh_names_each_change_and_writes_the_files() {
    let case = Case::new("breaking", &breaking_fragment());
    let report = case.refresh();
    let markdown = report.to_markdown();
    assert!(report.is_breaking(), "{markdown}");
    let ns = "microsoft.graph.security.securityCopilot";
    let removed = report
        .changes
        .iter()
        .find(|c| c.change.kind == ChangeKind::PropertyRemoved)
        .unwrap_or_else(|| panic!("{markdown}"));
    assert_eq!(removed.change.element, format!("{ns}.prompt/skillName"));
    assert_eq!(removed.rust_item, "models::Prompt::skill_name");
    assert_eq!(
        report.removed_overlay_targets,
        [format!("{ns}.workspace/plugins")]
    );
    assert!(
        report
            .changes
            .iter()
            .any(|c| c.change.kind == ChangeKind::OperationRemoved
                && c.rust_item == "resources::WorkspacePluginsHandle::list"),
        "{markdown}"
    );
    assert!(markdown.contains("overlay target removed"), "{markdown}");
    assert!(report
        .files
        .iter()
        .any(|(p, c)| *c && p.ends_with("securityCopilot.csdl.xml")));
}

#[test]
fn bad_input_writes_nothing_and_names_the_place() {
    let case = Case::new("bad", &fragment());
    let before = spec_outputs(&case.spec());
    let full = std::fs::read_to_string(case.metadata()).unwrap();
    let run = |name: &str, text: &str| -> RefreshError {
        let path = case.dir.join(name);
        std::fs::write(&path, text).unwrap();
        let error = refresh(&RefreshOptions::new(&path, case.spec())).expect_err(name);
        assert_unchanged(&before, &case.spec());
        error
    };
    let truncated = run("truncated.xml", &full[..full.len() / 2]);
    assert!(
        truncated.to_string().contains("truncated.xml:"),
        "{truncated}"
    );
    let not_csdl = run("not-csdl.xml", "<html><body>hello</body></html>");
    assert!(not_csdl.to_string().contains("not-csdl.xml"), "{not_csdl}");
    let missing = run("v1.xml", &host());
    assert!(missing.to_string().contains("securityCopilot"), "{missing}");
    // A spec the generator rejects: `workspace.session` (single) next to `workspace.sessions`
    // would both be `session`; exposing it makes the refresh fail at the CSDL element.
    let clash = edit(
        &fragment(),
        r#"<NavigationProperty Name="sessions""#,
        r#"<NavigationProperty Name="session" Type="securityCopilot.session" ContainsTarget="true" /><NavigationProperty Name="sessions""#,
    );
    let overlay_path = case.spec().join("overlay.xml");
    let overlay = std::fs::read_to_string(&overlay_path).unwrap();
    std::fs::write(
        &overlay_path,
        edit(
            &overlay,
            "</Schema>",
            r#"<Annotations Target="microsoft.graph.security.securityCopilot.workspace/session"><Annotation Term="graphSecurityCopilot.overlay.Exposed" /></Annotations></Schema>"#,
        ),
    )
    .unwrap();
    let before = spec_outputs(&case.spec());
    let path = case.dir.join("clash.xml");
    std::fs::write(
        &path,
        graph_security_copilot_codegen::embed::embed(&host(), &clash).unwrap(),
    )
    .unwrap();
    let error = refresh(&RefreshOptions::new(&path, case.spec())).expect_err("clash");
    let text = error.to_string();
    assert!(text.contains("securityCopilot.csdl.xml:"), "{text}");
    assert!(
        text.contains(r#"<NavigationProperty Name="session">"#)
            || text.contains(r#"<NavigationProperty Name="sessions">"#),
        "{text}"
    );
    assert!(text.contains("session"), "{text}");
    assert_unchanged(&before, &case.spec());
}

fn graph_spec(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_graph-spec"))
        .args(args)
        .output()
        .expect("graph-spec runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_exit_codes_and_json() {
    let additive = Case::new("cli-additive", &additive_fragment());
    let (code, stdout, stderr) = graph_spec(&[
        "refresh".as_ref(),
        "--metadata".as_ref(),
        additive.metadata().as_os_str(),
        "--spec".as_ref(),
        additive.spec().as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert!(json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "enum_member_added"
            && c["impact"] == "additive"
            && c["rust_item"] == "models::EvaluationState::Paused"));
    assert!(!json["unexposed_navigations"].as_array().unwrap().is_empty());

    let breaking = Case::new("cli-breaking", &breaking_fragment());
    let (code, stdout, stderr) = graph_spec(&[
        "refresh".as_ref(),
        "--metadata".as_ref(),
        breaking.metadata().as_os_str(),
        "--spec".as_ref(),
        breaking.spec().as_os_str(),
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("**breaking**"), "{stdout}");
    assert!(stderr.contains("breaking change"), "{stderr}");

    let bad = Case::new("cli-bad", &fragment());
    let junk = bad.dir.join("junk.xml");
    std::fs::write(&junk, "not xml at all <").unwrap();
    let (code, _, stderr) = graph_spec(&[
        "refresh".as_ref(),
        "--metadata".as_ref(),
        junk.as_os_str(),
        "--spec".as_ref(),
        bad.spec().as_os_str(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("junk.xml"), "{stderr}");
}
