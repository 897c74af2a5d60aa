//! A spinner with elapsed time while waiting for an evaluation: on stderr, and only when stderr
//! is a terminal (never in pipes, files or CI logs).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK: Duration = Duration::from_millis(100);

/// A running spinner; stopped (and its line cleared) by [`Spinner::stop`] or on drop.
#[derive(Debug)]
pub struct Spinner {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spinner {
    /// Starts a spinner showing `message`, if stderr is a terminal.
    pub fn start(message: &'static str) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner { task: None };
        }
        let started = Instant::now();
        let task = tokio::spawn(async move {
            let mut frame = 0;
            loop {
                draw(FRAMES[frame % FRAMES.len()], message, started);
                frame += 1;
                tokio::time::sleep(TICK).await;
            }
        });
        Spinner { task: Some(task) }
    }

    /// Stops the spinner and clears its line.
    pub fn stop(mut self) {
        self.clear();
    }

    fn clear(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

fn draw(frame: char, message: &str, started: Instant) {
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r{frame} {message} {:.1}s ",
        started.elapsed().as_secs_f64()
    );
    let _ = err.flush();
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.clear();
    }
}
