//! Waiting for an evaluation: Security Copilot answers a prompt asynchronously; the evaluation is
//! polled until it reaches a terminal state, which [`EvaluationOutcome`] tells apart.

use std::time::{Duration, Instant};

use crate::models::{Evaluation, EvaluationResultType, EvaluationState};
use crate::resources::{
    WorkspaceSessionPromptEvaluationHandle, WorkspaceSessionPromptEvaluationsHandle,
};
use crate::Error;

/// How to poll an evaluation.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WaitOptions {
    /// First pause between polls (default 250 ms).
    pub initial_interval: Duration,
    /// Longest pause between polls; the pause doubles up to this (default 5 s).
    pub max_interval: Duration,
    /// Give up with [`Error::Timeout`] after this long (default 300 s).
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

impl WaitOptions {
    /// Gives up after `deadline` instead of 300 s.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Polls first after `initial` and at most every `max`.
    pub fn with_intervals(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_interval = initial;
        self.max_interval = max.max(initial);
        self
    }
}

/// How an evaluation ended.
///
/// `wait()` and `create_and_wait()` return it so that a failed or cancelled evaluation is not
/// mistaken for an answer: only [`EvaluationOutcome::Completed`] has one.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EvaluationOutcome {
    /// The evaluation completed; [`Evaluation::answer`] has the answer.
    Completed(Evaluation),
    /// The evaluation ended with a failure result (`error`, `rejected`, `timedOut`,
    /// `capacityExceeded`, `needAdditionalClaims`);
    /// [`EvaluationOutcome::failure`] names it and `result.content` may explain it.
    Failed(Evaluation),
    /// The evaluation was cancelled (`state: cancelled` or `isCancelled: true`).
    Cancelled(Evaluation),
}

impl EvaluationOutcome {
    /// The outcome of `evaluation`, or the evaluation back while it is still running.
    // Both sides are one evaluation, moved once per poll: boxing would only add an allocation.
    #[allow(clippy::result_large_err)]
    pub fn of(evaluation: Evaluation) -> Result<EvaluationOutcome, Evaluation> {
        if evaluation.state == Some(EvaluationState::Cancelled)
            || evaluation.is_cancelled == Some(true)
        {
            return Ok(EvaluationOutcome::Cancelled(evaluation));
        }
        if failure_type(&evaluation).is_some() {
            return Ok(EvaluationOutcome::Failed(evaluation));
        }
        if evaluation.state == Some(EvaluationState::Completed) {
            return Ok(EvaluationOutcome::Completed(evaluation));
        }
        Err(evaluation)
    }

    /// The evaluation as it ended.
    pub fn evaluation(&self) -> &Evaluation {
        match self {
            EvaluationOutcome::Completed(e)
            | EvaluationOutcome::Failed(e)
            | EvaluationOutcome::Cancelled(e) => e,
        }
    }

    /// The evaluation as it ended, by value.
    pub fn into_evaluation(self) -> Evaluation {
        match self {
            EvaluationOutcome::Completed(e)
            | EvaluationOutcome::Failed(e)
            | EvaluationOutcome::Cancelled(e) => e,
        }
    }

    /// Whether it completed (the only outcome with an answer).
    pub fn is_completed(&self) -> bool {
        matches!(self, EvaluationOutcome::Completed(_))
    }

    /// The answer, for a completed evaluation only.
    pub fn answer(&self) -> Option<&str> {
        match self {
            EvaluationOutcome::Completed(e) => e.answer(),
            _ => None,
        }
    }

    /// The failure result type of a failed evaluation (`error`, `rejected`...).
    pub fn failure(&self) -> Option<&EvaluationResultType> {
        match self {
            EvaluationOutcome::Failed(e) => failure_type(e),
            _ => None,
        }
    }

    /// The completed evaluation, or the outcome back as the error (for `?` chains).
    #[allow(clippy::result_large_err)] // the same evaluation either way (see `of`)
    pub fn completed(self) -> Result<Evaluation, EvaluationOutcome> {
        match self {
            EvaluationOutcome::Completed(e) => Ok(e),
            other => Err(other),
        }
    }
}

impl std::fmt::Display for EvaluationOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvaluationOutcome::Completed(_) => f.write_str("completed"),
            EvaluationOutcome::Cancelled(_) => f.write_str("cancelled"),
            EvaluationOutcome::Failed(e) => match failure_type(e) {
                Some(kind) => write!(f, "failed ({})", kind.as_str()),
                None => f.write_str("failed"),
            },
        }
    }
}

/// The failure result type, if the result is one of the failures the spec lists.
fn failure_type(evaluation: &Evaluation) -> Option<&EvaluationResultType> {
    let kind = evaluation
        .result
        .as_ref()
        .and_then(|r| r.as_ref())
        .and_then(|r| r.type_.as_ref())?;
    matches!(
        kind,
        EvaluationResultType::Error
            | EvaluationResultType::Rejected
            | EvaluationResultType::TimedOut
            | EvaluationResultType::CapacityExceeded
            | EvaluationResultType::NeedAdditionalClaims
    )
    .then_some(kind)
}

/// Whether an evaluation will not change any more (see [`EvaluationOutcome::of`]).
pub fn is_terminal(evaluation: &Evaluation) -> bool {
    evaluation.state == Some(EvaluationState::Completed)
        || evaluation.state == Some(EvaluationState::Cancelled)
        || evaluation.is_cancelled == Some(true)
        || failure_type(evaluation).is_some()
}

impl Evaluation {
    /// The answer text (`result.content`), when there is one. Check the outcome first: a
    /// failed evaluation's content explains the failure ([`EvaluationOutcome::answer`] only
    /// answers for a completed one).
    pub fn answer(&self) -> Option<&str> {
        self.result
            .as_ref()
            .and_then(|r| r.as_ref())
            .and_then(|r| r.content.as_ref())
            .and_then(|c| c.as_deref())
    }
}

impl WorkspaceSessionPromptEvaluationHandle {
    /// Polls this evaluation until it ends, with exponential backoff between polls and an
    /// overall deadline ([`Error::Timeout`] past it). Dropping the future cancels the wait.
    pub async fn wait(&self, options: WaitOptions) -> Result<EvaluationOutcome, Error> {
        let started = Instant::now();
        let mut interval = options.initial_interval;
        loop {
            if let Ok(outcome) = EvaluationOutcome::of(self.get().await?) {
                return Ok(outcome);
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
    /// Starts an evaluation of the prompt (posts `{}`) and waits for it to end.
    pub async fn create_and_wait(&self, options: WaitOptions) -> Result<EvaluationOutcome, Error> {
        match EvaluationOutcome::of(self.create(Evaluation::new()).await?) {
            Ok(outcome) => Ok(outcome),
            Err(running) => self.handle(&running)?.wait(options).await,
        }
    }
}
