//! What the user sees while a run goes on: an indicatif line on a terminal, or a plain
//! line every few seconds when stderr is not a terminal (CI logs).

use crate::engine::plan::PlannedStage;
use crate::metrics::{LiveView, Recorder};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often a plain (non-terminal) progress line is printed.
pub const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The running display; [`Progress::finish`] stops it.
pub struct Progress {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// One progress line's text. The p95s are of successful attempts, one per latency
/// budget scope, since pooling steps would show none of what the budgets judge.
pub fn describe(view: &LiveView, stages: &[PlannedStage]) -> String {
    let error_rate = if view.requests == 0 {
        0.0
    } else {
        view.errors as f64 * 100.0 / view.requests as f64
    };
    let mut line = format!(
        "stage {}/{} · {} users · {:.1} req/s · errors {:.2}%",
        (view.stage + 1).min(stages.len()),
        stages.len(),
        view.users,
        view.recent_rate,
        error_rate,
    );
    let p95: Vec<String> = view
        .p95
        .iter()
        .filter_map(|(label, p95)| {
            p95.map(|micros| format!("{label} {}", crate::report::format_micros(micros)))
        })
        .collect();
    if !p95.is_empty() {
        line.push_str(&format!(" · p95 {}", p95.join(" · ")));
    }
    line
}

impl Progress {
    /// Starts the display for a run of `stages`.
    pub fn start(recorder: Arc<Recorder>, stages: Vec<PlannedStage>) -> Self {
        let total: Duration = stages.iter().map(|s| s.duration).sum();
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let terminal = std::io::stderr().is_terminal();
            let bar = terminal.then(|| {
                let bar = ProgressBar::with_draw_target(
                    Some(total.as_secs().max(1)),
                    ProgressDrawTarget::stderr(),
                );
                let style = ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise} / {len}s] {bar:24} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar
            });
            let mut last_plain = std::time::Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {}
                }
                recorder.tick();
                let view = recorder.live();
                match &bar {
                    Some(bar) => {
                        bar.set_position(view.elapsed.as_secs());
                        bar.set_message(describe(&view, &stages));
                    }
                    None if last_plain.elapsed() >= PLAIN_EVERY => {
                        last_plain = std::time::Instant::now();
                        eprintln!(
                            "[{:>4}s/{}s] {}",
                            view.elapsed.as_secs(),
                            total.as_secs(),
                            describe(&view, &stages)
                        );
                    }
                    None => {}
                }
            }
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
        });
        Progress { stop, task }
    }

    /// Stops and clears the display.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Sample, Scope, StagePlan, StepKind};

    #[test]
    fn shows_each_budget_scope_apart() {
        let recorder = Recorder::new(
            &[StagePlan {
                name: None,
                users: 1,
                duration: Duration::from_secs(10),
                rate: None,
            }],
            &[
                Scope::Http,
                Scope::Steps(vec!["ws-ack".into(), "ws-ping".into()]),
            ],
        );
        let sample = |ms| Sample {
            latency: Some(Duration::from_millis(ms)),
            failure: None,
            frames: 0,
            service: None,
        };
        recorder.record("list", StepKind::Http, sample(7));
        recorder.record("ws-ack", StepKind::WsReceive, sample(2));
        recorder.record("ws-reply", StepKind::WsReceive, sample(900));
        let stages = vec![PlannedStage {
            name: None,
            users: 1,
            duration: Duration::from_secs(10),
            rate: None,
        }];
        let line = describe(&recorder.live(), &stages);
        assert!(
            line.ends_with("p95 http 7.0ms · ws-ack,ws-ping 2.0ms"),
            "{line}"
        );
        assert!(
            !line.contains("900"),
            "ws-reply has no budget scope here: {line}"
        );
    }
}
