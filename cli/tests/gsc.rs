//! The real `gsc` binary against the emulator, started in-process by each test on a loopback
//! port. stdout and stderr are pipes here, so these runs also show what scripts and CI get.

use std::time::Duration;

use assert_cmd::Command;
use graph_security_copilot::__operations::{ResponseKind, OPERATIONS};
use graph_security_copilot::query::QueryOption;
use graph_security_copilot_emulator::{Emulator, FaultRule};
use serde_json::Value;

/// Long enough to be redacted by the client if a server echoed it; must never be printed.
const TOKEN: &str = "gsc-test-token-0123456789";

async fn emulator(page_size: usize) -> Emulator {
    Emulator::builder()
        .page_size(page_size)
        .evaluation_delays(Duration::from_millis(20), Duration::from_millis(60))
        .start()
        .await
        .expect("emulator starts")
}

/// `gsc --base-url <emulator> --token <TOKEN>`, with no inherited settings.
fn gsc(emulator: &Emulator) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gsc"));
    command
        .env_remove("GRAPH_TOKEN")
        .env_remove("GRAPH_BASE_URL")
        .env_remove("NO_COLOR")
        .args(["--base-url", emulator.base_url(), "--token", TOKEN]);
    command
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(command: &mut Command, args: &[&str]) -> Run {
    let output = command.args(args).output().expect("gsc runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    };
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "the token was printed"
    );
    run
}

fn ok(command: &mut Command, args: &[&str]) -> String {
    let run = run(command, args);
    assert_eq!(run.code, 0, "gsc {args:?} failed: {}", run.stderr);
    run.stdout
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Whether `--help` output shows the option `--name`.
fn has_option(help: &str, name: &str) -> bool {
    let flag = format!("--{name}");
    help.lines().any(|line| {
        line.trim_start()
            .strip_prefix(&flag)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

fn create_sessions(emulator: &Emulator, n: usize) {
    for i in 0..n {
        ok(
            &mut gsc(emulator),
            &["sessions", "create", &format!("session {i}")],
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_prints_the_answer_and_the_ids_to_continue() {
    let emulator = emulator(100).await;
    let text = ok(&mut gsc(&emulator), &["-o", "table", "ask", "Who am I"]);
    assert!(text.starts_with("You asked \"Who am I\""), "{text}");

    // Not a terminal: JSON by default, with what it takes to continue the session.
    let document = json(&ok(&mut gsc(&emulator), &["ask", "Who am I"]));
    assert!(document["answer"].as_str().unwrap().contains("Who am I"));
    assert_eq!(document["evaluation"]["state"], "completed");
    let session = document["sessionId"].as_str().unwrap().to_string();
    let prompt = document["promptId"].as_str().unwrap().to_string();
    let evaluation = document["evaluation"]["id"].as_str().unwrap().to_string();

    let again = json(&ok(
        &mut gsc(&emulator),
        &["ask", "--session", &session, "And my groups?"],
    ));
    assert_eq!(again["sessionId"], session.as_str());
    let prompts = json(&ok(
        &mut gsc(&emulator),
        &["prompts", "list", "--session", &session],
    ));
    assert_eq!(prompts["value"].as_array().unwrap().len(), 2);

    let waited = json(&ok(
        &mut gsc(&emulator),
        &[
            "evaluations",
            "wait",
            "--session",
            &session,
            "--prompt",
            &prompt,
            &evaluation,
        ],
    ));
    assert_eq!(waited["state"], "completed");
    let got = json(&ok(
        &mut gsc(&emulator),
        &[
            "evaluations",
            "get",
            "--session",
            &session,
            "--prompt",
            &prompt,
            &evaluation,
            "--select",
            "id,state",
        ],
    ));
    assert_eq!(got["id"], evaluation.as_str());
    let listed = ok(
        &mut gsc(&emulator),
        &[
            "evaluations",
            "list",
            "--session",
            &session,
            "--prompt",
            &prompt,
            "-o",
            "ndjson",
        ],
    );
    assert_eq!(listed.lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_in_every_format_with_paging() {
    let emulator = emulator(2).await;
    create_sessions(&emulator, 5);

    // NDJSON: one item a line; the first page only, or every page with --all.
    let first = ok(&mut gsc(&emulator), &["sessions", "list", "-o", "ndjson"]);
    assert_eq!(first.lines().count(), 2);
    let all = ok(
        &mut gsc(&emulator),
        &["sessions", "list", "--all", "-o", "ndjson"],
    );
    let items: Vec<Value> = all.lines().map(json).collect();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|item| item["id"].is_string()));

    // JSON: one document shaped like a Graph page.
    let page = json(&ok(
        &mut gsc(&emulator),
        &["sessions", "list", "-o", "json"],
    ));
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    assert!(page["@odata.nextLink"].is_string());
    let every = json(&ok(
        &mut gsc(&emulator),
        &["sessions", "list", "--all", "--count"],
    ));
    assert_eq!(every["value"].as_array().unwrap().len(), 5);
    assert_eq!(every["@odata.count"], 5);
    assert!(every.get("@odata.nextLink").is_none());

    // Table: a header, one row per item, the count.
    let table = ok(
        &mut gsc(&emulator),
        &["sessions", "list", "--all", "--count", "-o", "table"],
    );
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("id ") && lines[0].contains("displayName"),
        "{table}"
    );
    assert_eq!(lines.len(), 1 + 5 + 1, "{table}");
    assert_eq!(lines[6], "count: 5");
    let selected = ok(
        &mut gsc(&emulator),
        &[
            "sessions",
            "list",
            "--select",
            "displayName",
            "--top",
            "1",
            "-o",
            "table",
        ],
    );
    assert_eq!(selected.lines().next(), Some("displayName"));

    // Plugins and workspaces, and the same listing through `api`.
    let plugins = ok(
        &mut gsc(&emulator),
        &["plugins", "list", "--all", "-o", "ndjson"],
    );
    assert!(plugins.lines().count() >= 2);
    let workspaces = json(&ok(&mut gsc(&emulator), &["workspaces", "list"]));
    assert_eq!(workspaces["value"][0]["id"], "default");
    let api = ok(
        &mut gsc(&emulator),
        &[
            "api",
            "list_workspace_sessions",
            "--workspace-id",
            "default",
            "--all",
            "-o",
            "ndjson",
        ],
    );
    assert_eq!(api.lines().count(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_exits_1_with_the_graph_code_and_request_id() {
    let emulator = emulator(100).await;
    for args in [
        &["sessions", "get", "no-such-session"][..],
        &[
            "api",
            "get_workspace_session",
            "--workspace-id",
            "default",
            "--session-id",
            "no-such-session",
        ],
    ] {
        let run = run(&mut gsc(&emulator), args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
        assert!(
            run.stderr.starts_with("error: Graph API error 404"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("code: itemNotFound"), "{}", run.stderr);
        let request_id = run
            .stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("request-id: "))
            .unwrap_or_else(|| panic!("no request id: {}", run.stderr));
        assert!(!request_id.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    let emulator = emulator(100).await;
    for args in [
        &["no-such-command"][..],
        &["sessions"],
        &["sessions", "get"],
        &["ask"],
        &["-o", "yaml", "sessions", "list"],
        &["--timeout", "0", "sessions", "list"],
        // list_workspaces does not allow $top, so `workspaces list` has no --top.
        &["workspaces", "list", "--top", "1"],
        &["api", "no_such_operation"],
        &[
            "api",
            "create_workspace_session",
            "--workspace-id",
            "default",
        ],
        &[
            "api",
            "create_workspace_session",
            "--workspace-id",
            "default",
            "--body",
            "{",
        ],
        // Refused by the client before sending.
        &["sessions", "get", ".."],
    ] {
        let run = run(&mut gsc(&emulator), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
        assert!(
            run.stderr.contains("error") || run.stderr.contains("Usage:"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_has_a_command_for_every_exposed_operation() {
    let emulator = emulator(100).await;
    assert!(!OPERATIONS.is_empty());
    let help = ok(&mut gsc(&emulator), &["api", "--help"]);
    for operation in OPERATIONS {
        assert!(
            help.lines().any(|l| l.trim() == operation.id),
            "`gsc api --help` does not list {}",
            operation.id
        );
        let help = ok(&mut gsc(&emulator), &["api", operation.id, "--help"]);
        assert!(help.contains(operation.path), "{}", operation.id);
        for parameter in operation.path_parameters {
            assert!(
                help.contains(&format!("--{parameter} <ID>")),
                "{}",
                operation.id
            );
        }
        for option in QueryOption::ALL {
            let name = option.parameter().trim_start_matches('$');
            assert_eq!(
                has_option(&help, name),
                operation.query_options.contains(&option),
                "{}: --{name}",
                operation.id
            );
        }
        assert_eq!(
            has_option(&help, "all"),
            operation.response == ResponseKind::Collection,
            "{}",
            operation.id
        );
        assert_eq!(
            help.contains("--body <JSON>"),
            operation.request_body.is_some(),
            "{}",
            operation.id
        );
    }
    // The task commands take exactly their operation's query options.
    for (args, id) in [
        (
            &["sessions", "list", "--help"][..],
            "list_workspace_sessions",
        ),
        (&["workspaces", "list", "--help"], "list_workspaces"),
        (&["sessions", "get", "--help"], "get_workspace_session"),
    ] {
        let operation = OPERATIONS.iter().find(|op| op.id == id).unwrap();
        let help = ok(&mut gsc(&emulator), args);
        for option in QueryOption::ALL {
            let name = option.parameter().trim_start_matches('$');
            assert_eq!(
                has_option(&help, name),
                operation.query_options.contains(&option),
                "{args:?}: --{name}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_commands_create_update_and_get() {
    let emulator = emulator(100).await;
    let created = json(&ok(
        &mut gsc(&emulator),
        &[
            "api",
            "create_workspace_session",
            "--workspace-id",
            "default",
            "--body",
            r#"{"displayName":"from api"}"#,
        ],
    ));
    let id = created["id"].as_str().unwrap();
    ok(
        &mut gsc(&emulator),
        &[
            "api",
            "update_workspace_session",
            "--workspace-id",
            "default",
            "--session-id",
            id,
            "--body",
            r#"{"displayName":"renamed"}"#,
        ],
    );
    let got = json(&ok(
        &mut gsc(&emulator),
        &[
            "api",
            "get_workspace_session",
            "--workspace-id",
            "default",
            "--session-id",
            id,
            "--select",
            "displayName",
        ],
    ));
    assert_eq!(got["displayName"], "renamed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_off_a_terminal_has_no_control_sequences() {
    let emulator = emulator(100).await;
    let hostile = "red\u{1b}[31m title\u{1b}]0;owned\u{7} csi\u{9b}2J bidi\u{202e}gnp.exe";
    let created = ok(
        &mut gsc(&emulator),
        &["-o", "ndjson", "sessions", "create", hostile],
    );
    assert_eq!(
        json(&created)["displayName"],
        hostile,
        "JSON keeps the text"
    );
    let clean = |text: &str| {
        !text
            .chars()
            .any(|c| c != '\n' && c.is_control() || c == '\u{202e}')
    };
    for format in ["table", "json", "ndjson"] {
        let run = run(&mut gsc(&emulator), &["-o", format, "sessions", "list"]);
        assert_eq!(run.code, 0);
        assert!(clean(&run.stdout), "{format}: {:?}", run.stdout);
        assert!(clean(&run.stderr), "{format}: {:?}", run.stderr);
    }
    let table = ok(&mut gsc(&emulator), &["-o", "table", "sessions", "list"]);
    assert!(table.contains("red\\u{1b}[31m"), "{table}");
    let entity = ok(&mut gsc(&emulator), &["-o", "table", "workspaces", "list"]);
    assert!(clean(&entity));
    // The server's text in an error, too.
    let run = run(&mut gsc(&emulator), &["sessions", "get", "x\u{1b}y"]);
    assert_ne!(run.code, 0);
    assert!(clean(&run.stderr), "{:?}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_beyond_the_retry_budget_is_an_api_error() {
    // A Retry-After longer than the retry policy's longest wait fails the call at once.
    let rule: FaultRule = "429,retry-after=100000".parse().unwrap();
    let emulator = Emulator::builder().fault(rule).start().await.unwrap();
    let run = run(&mut gsc(&emulator), &["sessions", "list"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("429"), "{}", run.stderr);
    assert!(run.stderr.contains("retry-after: "), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_exit_4() {
    let emulator = Emulator::builder()
        .evaluation_delays(Duration::from_secs(30), Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let run = run(&mut gsc(&emulator), &["--timeout", "0.5", "ask", "slow"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}

#[test]
fn transport_and_credential_failures_exit_5() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/beta");
    let mut command = Command::new(env!("CARGO_BIN_EXE_gsc"));
    command
        .env_remove("GRAPH_TOKEN")
        .env_remove("GRAPH_BASE_URL");
    let run_closed = run(
        &mut command,
        &[
            "--base-url",
            &base,
            "--token",
            TOKEN,
            "--timeout",
            "60",
            "workspaces",
            "list",
        ],
    );
    assert_eq!(run_closed.code, 5, "{}", run_closed.stderr);
    assert!(
        run_closed.stderr.starts_with("error: transport error"),
        "{}",
        run_closed.stderr
    );

    if !cfg!(feature = "azure-identity") {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gsc"));
        command
            .env_remove("GRAPH_TOKEN")
            .env_remove("GRAPH_BASE_URL");
        let run = run(&mut command, &["--base-url", &base, "workspaces", "list"]);
        assert_eq!(run.code, 5, "{}", run.stderr);
        assert!(run.stderr.contains("GRAPH_TOKEN"), "{}", run.stderr);
    }
}

#[test]
fn completions_and_help() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gsc"));
    let bash = ok(&mut command, &["completions", "bash"]);
    assert!(bash.contains("gsc") && bash.contains("list_workspace_sessions"));
    let help = ok(&mut Command::new(env!("CARGO_BIN_EXE_gsc")), &["--help"]);
    assert!(help.contains("Examples:") && help.contains("gsc ask"));
    for command in [
        "ask",
        "sessions",
        "sessions list",
        "sessions get",
        "sessions create",
        "prompts",
        "prompts list",
        "prompts get",
        "prompts create",
        "evaluations",
        "evaluations list",
        "evaluations get",
        "evaluations wait",
        "plugins",
        "plugins list",
        "workspaces",
        "workspaces list",
        "api",
        "emulator",
        "completions",
    ] {
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push("--help");
        let help = ok(&mut Command::new(env!("CARGO_BIN_EXE_gsc")), &args);
        assert!(help.contains("Example"), "{command}: {help}");
    }
}
