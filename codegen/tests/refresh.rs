//! `graph-spec refresh`, end to end on full documents built by embedding the committed fragment
//! (edited per case) into Microsoft's real v1.0 `$metadata` (`../shared/reference/`).

mod support;

use std::path::PathBuf;
use std::process::Command;

use graph_odata_codegen::diff::{ChangeKind, Impact};
use graph_odata_codegen::golden::line_diff;
use graph_odata_codegen::refresh::{refresh, spec_outputs, RefreshError, RefreshOptions};
use graph_odata_codegen::rust_models::field_name;
use graph_odata_codegen::rust_names::{type_name, variant_name};
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
    let edits = additive();
    let case = Case::new("additive", &edits.fragment);
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
    let entity = type_name(&edits.entity);
    let member = find(
        ChangeKind::EnumMemberAdded,
        &format!("{NS}.{}/{}", edits.enum_type, edits.member),
    );
    assert_eq!(
        member.rust_item,
        format!(
            "models::{}::{}",
            type_name(&edits.enum_type),
            variant_name(&edits.member)
        )
    );
    let property = find(
        ChangeKind::PropertyAdded,
        &format!("{NS}.{}/{}", edits.entity, edits.property),
    );
    assert_eq!(
        property.rust_item,
        format!("models::{entity}::{}", field_name(&edits.property))
    );
    // The case-only twin gets a name of its own; the existing field is untouched.
    let twin = find(
        ChangeKind::PropertyAdded,
        &format!("{NS}.{}/{}", edits.entity, edits.twin),
    );
    let existing = field_name(&edits.existing);
    assert!(
        twin.rust_item
            .starts_with(&format!("models::{entity}::{existing}_h")),
        "{}",
        twin.rust_item
    );
    find(ChangeKind::TypeAdded, &format!("{NS}.{}", edits.new_type));
    find(
        ChangeKind::NavigationAdded,
        &format!("{NS}.{}/{}", edits.entity, edits.navigation),
    );
    assert!(
        report
            .changes
            .iter()
            .all(|c| c.change.impact() == Impact::Additive),
        "{markdown}"
    );
    // No operation appears: the navigation is new and not exposed; the report says how.
    assert!(report
        .changes
        .iter()
        .all(|c| c.change.kind != ChangeKind::OperationAdded));
    let target = format!("{NS}.{}/{}", edits.entity, edits.navigation);
    let unexposed = report
        .unexposed_navigations
        .iter()
        .find(|n| n.target == target)
        .unwrap_or_else(|| panic!("unexposed {target} missing:\n{markdown}"));
    assert!(
        unexposed
            .path
            .ends_with(&format!("}}/{}", edits.navigation)),
        "{}",
        unexposed.path
    );
    assert!(unexposed.reachable);
    assert!(unexposed
        .overlay_entry
        .contains(&format!(r#"<Annotations Target="{target}">"#)));
    assert!(unexposed
        .overlay_entry
        .contains("graphSecurityCopilot.overlay.Exposed"));
    assert!(
        markdown.contains("New in the spec, not exposed"),
        "{markdown}"
    );
    // Bound actions are never generated: listed as not exposed.
    assert_eq!(
        report.unexposed_operations,
        [format!("{NS}.{}({NS}.{})", edits.action, edits.entity)],
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
    let edits = breaking();
    let case = Case::new("breaking", &edits.fragment);
    let report = case.refresh();
    let markdown = report.to_markdown();
    assert!(report.is_breaking(), "{markdown}");
    let removed = report
        .changes
        .iter()
        .find(|c| c.change.kind == ChangeKind::PropertyRemoved)
        .unwrap_or_else(|| panic!("{markdown}"));
    assert_eq!(
        removed.change.element,
        format!("{NS}.{}/{}", edits.owner, edits.property)
    );
    assert_eq!(
        removed.rust_item,
        format!(
            "models::{}::{}",
            type_name(&edits.owner),
            field_name(&edits.property)
        )
    );
    assert_eq!(
        report.removed_overlay_targets,
        std::slice::from_ref(&edits.navigation_target)
    );
    assert!(
        report
            .changes
            .iter()
            .any(|c| c.change.kind == ChangeKind::OperationRemoved
                && c.rust_item.starts_with("resources::")),
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
        graph_odata_codegen::embed::embed(&host(), &clash).unwrap(),
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
            && c["rust_item"]
                .as_str()
                .is_some_and(|r| r.starts_with("models::"))));
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
