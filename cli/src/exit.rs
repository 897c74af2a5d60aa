//! Exit codes, the one error type of the tool, and how errors are reported on stderr.

use std::time::Duration;

use graph_security_copilot::terminal::escape;
use graph_security_copilot::Error;

/// Why `gsc` stopped: its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: the command did what it was asked.
    Success = 0,
    /// 1: the service answered with an error (throttled beyond the retry budget included), or
    /// with something that is not what the spec says.
    Api = 1,
    /// 2: the command line is wrong (unknown command or option, bad value, refused before sending).
    Usage = 2,
    /// 3: the evaluation ended failed or cancelled.
    EvaluationFailed = 3,
    /// 4: `--timeout` (or a request's own time limit) passed.
    Timeout = 4,
    /// 5: no response (connection, TLS, DNS), no token, or local I/O failed.
    Transport = 5,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// The exit status for a client error.
pub fn exit_for(error: &Error) -> Exit {
    if error.is_throttled() {
        return Exit::Api;
    }
    match error {
        Error::Timeout { .. } => Exit::Timeout,
        Error::Transport { .. } | Error::Auth(_) => Exit::Transport,
        Error::InvalidRequest(_) => Exit::Usage,
        // Api, Decode, ResponseTooLarge, NextLinkLoop, PageLimit and any later variant: the
        // service answered, not as hoped.
        _ => Exit::Api,
    }
}

/// Everything that stops a command.
#[derive(Debug)]
pub enum Failure {
    /// The client failed.
    Graph(Error),
    /// The command line cannot be carried out.
    Usage(String),
    /// The evaluation ended failed or cancelled (already printed).
    EvaluationFailed(String),
    /// `--timeout` passed.
    TimedOut(Duration),
    /// No credential.
    Credential(String),
    /// Writing output or starting the emulator failed.
    Io(std::io::Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Graph(error)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::Io(error)
    }
}

impl Failure {
    /// The exit status.
    pub fn exit(&self) -> Exit {
        match self {
            Failure::Graph(error) => exit_for(error),
            Failure::Usage(_) => Exit::Usage,
            Failure::EvaluationFailed(_) => Exit::EvaluationFailed,
            Failure::TimedOut(_) => Exit::Timeout,
            Failure::Credential(_) | Failure::Io(_) => Exit::Transport,
        }
    }

    /// Whether there is nothing to report (the reader of our output went away: `gsc ... | head`).
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, Failure::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The text for stderr: one `error:` line, then the Graph code, request ids and attempts
    /// for API errors. Server-provided text is escaped; tokens never appear (the client
    /// redacts every bearer token it sent from its errors, and the CLI prints no other).
    pub fn report(&self) -> String {
        match self {
            Failure::Graph(Error::Api(api)) => {
                let mut text = format!("error: Graph API error {}", api.status);
                if let Some(message) = &api.message {
                    text.push_str(": ");
                    text.push_str(&escape(message));
                }
                let mut fields = vec![("code", api.code.clone())];
                fields.push(("request-id", api.request_id.clone()));
                fields.push(("client-request-id", api.client_request_id.clone()));
                fields.push(("date", api.date.clone()));
                if api.attempts > 1 {
                    fields.push(("attempts", Some(api.attempts.to_string())));
                }
                if let Some(wait) = api.retry_after {
                    fields.push(("retry-after", Some(format!("{}s", wait.as_secs()))));
                }
                for (name, value) in fields {
                    if let Some(value) = value {
                        text.push_str(&format!("\n  {name}: {}", escape(&value)));
                    }
                }
                text
            }
            Failure::Graph(error) => {
                let mut message = error.to_string();
                // Transport errors say what failed only in their sources ("connection refused").
                let mut source = std::error::Error::source(error);
                while let Some(cause) = source {
                    let cause_text = cause.to_string();
                    if !message.contains(&cause_text) {
                        message.push_str(": ");
                        message.push_str(&cause_text);
                    }
                    source = cause.source();
                }
                let mut text = format!("error: {}", escape(&message));
                if let Some(id) = error.request_id() {
                    text.push_str(&format!("\n  request-id: {}", escape(id)));
                }
                text
            }
            Failure::Usage(message)
            | Failure::EvaluationFailed(message)
            | Failure::Credential(message) => format!("error: {}", escape(message)),
            Failure::TimedOut(after) => format!(
                "error: timed out after {:.1}s (--timeout)",
                after.as_secs_f64()
            ),
            Failure::Io(error) => format!("error: {}", escape(&error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_exit_codes() {
        assert_eq!(
            exit_for(&Error::InvalidRequest("empty id".into())),
            Exit::Usage
        );
        assert_eq!(
            exit_for(&Error::Timeout {
                elapsed: Duration::from_secs(1),
                client_request_id: None
            }),
            Exit::Timeout
        );
        assert_eq!(
            exit_for(&Error::Throttled {
                retry_after: Duration::from_secs(9),
                client_request_id: None
            }),
            Exit::Api
        );
        assert_eq!(exit_for(&Error::PageLimit { limit: 3 }), Exit::Api);
        assert_eq!(
            Failure::EvaluationFailed("x".into()).exit() as u8,
            3,
            "evaluation failures exit 3"
        );
        assert_eq!(Failure::Credential("none".into()).exit() as u8, 5);
    }
}
