//! Waiting for an evaluation: Security Copilot answers a prompt asynchronously; the evaluation is
//! polled until it reaches a terminal state.

use std::time::{Duration, Instant};

use crate::models::{Evaluation, EvaluationResultType, EvaluationState};
use crate::resources::{
    WorkspaceSessionPromptEvaluationHandle, WorkspaceSessionPromptEvaluationsHandle,
};
use crate::Error;

/// How to poll an evaluation.
#[derive(Clone, Debug)]
pub struct WaitOptions {
    /// First pause between polls.
    pub initial_interval: Duration,
    /// Longest pause between polls (the pause doubles up to this).
    pub max_interval: Duration,
    /// Give up (with [`Error::Timeout`]) after this long.
    pub deadline: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            initial_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(5),
            deadline: Duration::from_secs(300),
        }
    }
}

/// Whether an evaluation will not change any more: `completed` or `cancelled`, cancelled by flag,
/// or a result whose type is a failure (`error`, `rejected`, `timedOut`, `capacityExceeded`,
/// `needAdditionalClaims`).
pub fn is_terminal(evaluation: &Evaluation) -> bool {
    let state_done = matches!(
        evaluation.state,
        Some(EvaluationState::Completed | EvaluationState::Cancelled)
    );
    let failed = evaluation
        .result
        .as_ref()
        .and_then(|r| r.as_ref())
        .and_then(|r| r.type_.as_ref())
        .is_some_and(|t| {
            matches!(
                t,
                EvaluationResultType::Error
                    | EvaluationResultType::Rejected
                    | EvaluationResultType::TimedOut
                    | EvaluationResultType::CapacityExceeded
                    | EvaluationResultType::NeedAdditionalClaims
            )
        });
    state_done || failed || evaluation.is_cancelled == Some(true)
}

impl Evaluation {
    /// The answer text (`result.content`), when there is one.
    pub fn answer(&self) -> Option<&str> {
        self.result
            .as_ref()
            .and_then(|r| r.as_ref())
            .and_then(|r| r.content.as_ref())
            .and_then(|c| c.as_deref())
    }
}

impl WorkspaceSessionPromptEvaluationHandle {
    /// Polls this evaluation until [`is_terminal`], with exponential backoff between polls and
    /// an overall deadline. Dropping the future cancels the wait.
    pub async fn wait(&self, options: WaitOptions) -> Result<Evaluation, Error> {
        let started = Instant::now();
        let mut interval = options.initial_interval;
        loop {
            let evaluation = self.get().await?;
            if is_terminal(&evaluation) {
                return Ok(evaluation);
            }
            let elapsed = started.elapsed();
            if elapsed >= options.deadline {
                return Err(Error::Timeout {
                    elapsed,
                    client_request_id: None,
                });
            }
            let pause = interval.min(options.deadline - elapsed);
            tokio::time::sleep(pause).await;
            interval = (interval * 2).min(options.max_interval);
        }
    }
}

impl WorkspaceSessionPromptEvaluationsHandle {
    /// Starts an evaluation of the prompt (posts `{}`) and waits for it to finish.
    pub async fn create_and_wait(&self, options: WaitOptions) -> Result<Evaluation, Error> {
        let created = self.create(crate::models::Evaluation::new()).await?;
        if is_terminal(&created) {
            return Ok(created);
        }
        let id = created.id.clone().ok_or_else(|| {
            Error::InvalidRequest("the created evaluation has no id to poll".to_string())
        })?;
        let handle = WorkspaceSessionPromptEvaluationHandle {
            client: self.client.clone(),
            workspace_id: self.workspace_id.clone(),
            session_id: self.session_id.clone(),
            prompt_id: self.prompt_id.clone(),
            evaluation_id: id,
        };
        handle.wait(options).await
    }
}
