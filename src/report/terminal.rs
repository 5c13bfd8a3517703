//! The summary printed when a run ends: the step table, failures by kind, the verdict
//! per budget and the capacity — the same figures as the report files, from the same
//! [`RunView`]. (The baseline comparison's table is `super::comparison`.)
//!
//! It fits the terminal: tables are laid out for the terminal's width (80 columns when
//! stdout is not a terminal or its width is unknown), dropping the p90 and max columns
//! when all nine do not fit and wrapping long step names inside their column; prose is
//! wrapped at word boundaries. PASS and FAIL are coloured only when stdout is a
//! terminal and `NO_COLOR` is unset or empty (<https://no-color.org>).

use super::view::{GeneratorView, RunView, ServerView, StepTable, VerdictRow};
use crate::summary::RunSummary;
use anstyle::{AnsiColor, Style};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table};
use std::ffi::OsStr;
use std::io::IsTerminal as _;

/// The width assumed when stdout is not a terminal or its width is unknown.
pub const DEFAULT_WIDTH: usize = 80;

/// The narrowest width laid out for; a narrower terminal gets this and wraps.
const MIN_WIDTH: usize = 40;

/// How the end-of-run summary is laid out: for how many columns, and with colour or
/// not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// Columns available; every line printed fits in them.
    pub width: usize,
    /// Whether PASS and FAIL are coloured (ANSI escapes).
    pub colour: bool,
}

/// True when colour is wanted: stdout is a terminal and `NO_COLOR` is unset or empty.
pub fn colour_wanted(stdout_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    stdout_is_terminal && no_color.is_none_or(|value| value.is_empty())
}

impl Terminal {
    /// The layout for this process's stdout: its width when it is a terminal (80
    /// otherwise), colour when [`colour_wanted`].
    pub fn detect() -> Terminal {
        let tty = std::io::stdout().is_terminal();
        let width = if tty {
            Table::new()
                .width()
                .map(usize::from)
                .filter(|w| *w > 0)
                .unwrap_or(DEFAULT_WIDTH)
        } else {
            DEFAULT_WIDTH
        };
        Terminal {
            width: width.max(MIN_WIDTH),
            colour: colour_wanted(tty, std::env::var_os("NO_COLOR").as_deref()),
        }
    }

    /// Plain text for `width` columns, with no colour (for tests and files).
    pub fn plain(width: usize) -> Terminal {
        Terminal {
            width: width.max(MIN_WIDTH),
            colour: false,
        }
    }

    /// Everything printed when a run ends, as lines.
    pub fn summary(&self, summary: &RunSummary) -> Vec<String> {
        let view = RunView::new(summary);
        let mut lines = self.step_table(&view.steps);
        for f in &view.failures {
            let text = if f.label == "cancelled" {
                format!("{}: cancelled ×{} ({})", f.step, f.count, f.example)
            } else {
                format!("{}: {} ×{} (e.g. {})", f.step, f.label, f.count, f.example)
            };
            lines.extend(self.wrap(&text, "  ", "    "));
        }
        if let Some(note) = view.latency_note {
            lines.extend(self.wrap(note, "", "  "));
        }
        for a in &view.arrivals {
            let text = format!(
                "Arrivals in {}: {} asked, {} planned, {} started ({}), {} dropped",
                a.stage, a.target, a.planned, a.started, a.delivered, a.dropped
            );
            lines.extend(self.wrap(&text, "", "  "));
        }
        if let Some(generator) = &view.generator {
            lines.extend(self.generator_table(generator));
        }
        if let Some(server) = &view.server {
            lines.extend(self.server_lines(server));
        }
        lines.extend(self.verdict_lines(&view));
        lines
    }

    /// The generator's own figures: one row for the run and one per stage.
    pub fn generator_table(&self, generator: &GeneratorView) -> Vec<String> {
        let mut header = vec![
            "generator",
            "cpu mean",
            "cpu peak",
            "lag p50",
            "lag p99",
            "lag max",
        ];
        if generator.open_model {
            header.push("slot p99");
        }
        let rows: Vec<Vec<String>> = generator
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    r.window.clone(),
                    r.cpu_mean.clone(),
                    r.cpu_peak.clone(),
                    r.lag_p50.clone(),
                    r.lag_p99.clone(),
                    r.lag_max.clone(),
                ];
                row.extend(r.slot_p99.clone());
                row
            })
            .collect();
        let right: Vec<usize> = (1..header.len()).collect();
        let mut lines = self.fit_table(
            &header,
            &rows,
            &[
                Droppable {
                    name: "lag p50",
                    columns: &[3],
                },
                Droppable {
                    name: "cpu peak",
                    columns: &[2],
                },
            ],
            &right,
            "report.html has every figure",
        );
        lines.extend(self.wrap(&generator.note, "", ""));
        lines
    }

    /// The monitored server: where and how often it was scraped, failed scrapes by
    /// reason, and one row per series (the source column goes first when narrow).
    pub fn server_lines(&self, server: &ServerView) -> Vec<String> {
        let mut lines = self.wrap(&format!("Server: {}", server.statement), "", "  ");
        for (reason, count, example) in &server.failures {
            lines.extend(self.wrap(
                &format!("scrape failed: {reason} ×{count} (e.g. {example})"),
                "  ",
                "    ",
            ));
        }
        let header = ["series", "source", "points", "min", "mean", "max", "growth"];
        let rows: Vec<Vec<String>> = server
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.source.clone(),
                    r.points.clone(),
                    r.min.clone(),
                    r.mean.clone(),
                    r.max.clone(),
                    r.growth.clone(),
                ]
            })
            .collect();
        lines.extend(self.fit_table(
            &header,
            &rows,
            &[
                Droppable {
                    name: "source",
                    columns: &[1],
                },
                Droppable {
                    name: "points",
                    columns: &[2],
                },
            ],
            &[2, 3, 4, 5, 6],
            "report.html has every figure",
        ));
        if let Some(note) = server.note {
            lines.extend(self.wrap(note, "", "  "));
        }
        lines
    }

    /// `word` in green (pass) or red (fail) when colour is on.
    pub fn mark(&self, word: &str, good: bool) -> String {
        if !self.colour {
            return word.to_string();
        }
        let colour = if good {
            AnsiColor::Green
        } else {
            AnsiColor::Red
        };
        let style = Style::new().bold().fg_color(Some(colour.into()));
        format!("{style}{word}{style:#}")
    }

    /// `text` wrapped at word boundaries to the width, the first line starting with
    /// `first`, the others with `rest`.
    pub fn wrap(&self, text: &str, first: &str, rest: &str) -> Vec<String> {
        let options = textwrap::Options::new(self.width)
            .initial_indent(first)
            .subsequent_indent(rest)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .break_words(true);
        textwrap::wrap(text, options)
            .into_iter()
            .map(|line| line.into_owned())
            .collect()
    }

    /// A table laid out for the width. Column 0 (a name) may wrap; the others keep
    /// their content's width. When the table does not fit, the column groups in
    /// `droppable` are left out one after another until it does, and a line says
    /// what was left out and where to find it (`elsewhere`). Every line fits.
    pub fn fit_table(
        &self,
        header: &[&str],
        rows: &[Vec<String>],
        droppable: &[Droppable],
        right_aligned: &[usize],
        elsewhere: &str,
    ) -> Vec<String> {
        let mut dropped: Vec<usize> = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for group in std::iter::once(None).chain(droppable.iter().map(Some)) {
            if let Some(group) = group {
                dropped.extend(group.columns);
                names.push(group.name);
            }
            let kept: Vec<usize> = (0..header.len()).filter(|i| !dropped.contains(i)).collect();
            if natural_width(header, rows, &kept) <= self.width {
                break;
            }
        }
        let kept: Vec<usize> = (0..header.len()).filter(|i| !dropped.contains(i)).collect();
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .force_no_tty()
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(u16::try_from(self.width).unwrap_or(u16::MAX))
            .set_header(kept.iter().map(|&i| header[i]).collect::<Vec<_>>());
        for row in rows {
            table.add_row(kept.iter().map(|&i| row[i].clone()).collect::<Vec<_>>());
        }
        for (position, &index) in kept.iter().enumerate() {
            if let Some(column) = table.column_mut(position) {
                if position > 0 {
                    column.set_constraint(ColumnConstraint::ContentWidth);
                }
                if right_aligned.contains(&index) {
                    column.set_cell_alignment(CellAlignment::Right);
                }
            }
        }
        let mut lines: Vec<String> = table.lines().collect();
        if !names.is_empty() {
            lines.extend(self.wrap(
                &format!(
                    "({} left out to fit {} columns; {elsewhere})",
                    join_names(&names),
                    self.width
                ),
                "",
                "",
            ));
        }
        lines
    }

    /// The per-step table, with every column that fits: all nine when they do, else
    /// without p90 and max, else without req/s and p50 too.
    pub fn step_table(&self, steps: &StepTable) -> Vec<String> {
        let header = [
            "step", "count", "errors", "req/s", "p50", "p90", "p95", "p99", "max",
        ];
        let rows: Vec<Vec<String>> = steps
            .rows
            .iter()
            .chain(steps.total.as_ref())
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.count.clone(),
                    r.errors_with_pct(),
                    r.rps.clone(),
                    r.p50.clone(),
                    r.p90.clone(),
                    r.p95.clone(),
                    r.p99.clone(),
                    r.max.clone(),
                ]
            })
            .collect();
        self.fit_table(
            &header,
            &rows,
            &[
                Droppable {
                    name: "p90",
                    columns: &[5],
                },
                Droppable {
                    name: "max",
                    columns: &[8],
                },
                Droppable {
                    name: "req/s",
                    columns: &[3],
                },
                Droppable {
                    name: "p50",
                    columns: &[4],
                },
            ],
            &[1, 2, 3, 4, 5, 6, 7, 8],
            "report.html has every figure",
        )
    }

    /// The verdict block: one line per budget, the capacity, and the overall result.
    pub fn verdict_lines(&self, view: &RunView) -> Vec<String> {
        let mut lines = Vec::new();
        if view.verdicts.is_empty() {
            return self.gate_line(view, " (add `slo:` or `budgets:` to the scenario)");
        }
        lines.push("SLO budgets:".to_string());
        for v in &view.verdicts {
            lines.extend(self.verdict_line(v));
        }
        if let Some(capacity) = view.capacity_paragraph() {
            lines.extend(self.wrap(&format!("Capacity: {capacity}"), "", "  "));
        }
        lines.extend(self.gate_line(view, ""));
        if let Some(bottleneck) = &view.bottleneck {
            lines.extend(self.wrap(bottleneck, "", "  "));
        }
        lines
    }

    /// `SLO gate: FAIL · 2 of 5 budgets broken.`, wrapped, the word coloured.
    fn gate_line(&self, view: &RunView, hint: &str) -> Vec<String> {
        let word = view.headline.word;
        let text = format!("SLO gate: {word} · {}{hint}", view.headline.detail);
        self.colour_first(self.wrap(&text, "", "  "), word, view.headline.passed)
    }

    /// Colours the first `word` of the first line (after wrapping, so widths count
    /// only what is seen).
    fn colour_first(&self, mut lines: Vec<String>, word: &str, good: bool) -> Vec<String> {
        if self.colour {
            if let Some(first) = lines.first_mut() {
                *first = first.replacen(word, &self.mark(word, good), 1);
            }
        }
        lines
    }

    /// `  FAIL  p95 < 200ms for http  (measured 250.3ms, limit < 200.0ms)`, wrapped.
    fn verdict_line(&self, v: &VerdictRow) -> Vec<String> {
        let word = if v.passed { "PASS" } else { "FAIL" };
        let text = format!("{}  {}  ({})", word, v.rule, v.statement);
        self.colour_first(self.wrap(&text, "  ", "        "), word, v.passed)
    }
}

/// Columns a table may leave out when the terminal is narrow, with the name it says.
#[derive(Debug, Clone, Copy)]
pub struct Droppable {
    /// What the note calls them: `p90`.
    pub name: &'static str,
    /// Their indexes in the full header.
    pub columns: &'static [usize],
}

/// `a`, `a and b`, `a, b and c`.
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Names up to this many characters keep one line when a table is narrowed.
const NAME_MIN: usize = 12;

/// The width a table of the `kept` columns needs with every cell after the first on
/// one line and the first at least [`NAME_MIN`] wide (longer names wrap inside it).
fn natural_width(header: &[&str], rows: &[Vec<String>], kept: &[usize]) -> usize {
    let chars = |s: &str| unicode_width::UnicodeWidthStr::width(s);
    let mut total = 1; // the closing border
    for (position, &index) in kept.iter().enumerate() {
        let content = rows
            .iter()
            .map(|r| chars(&r[index]))
            .chain([chars(header[index])])
            .max()
            .unwrap_or(0);
        let content = if position == 0 {
            content.min(NAME_MIN)
        } else {
            content
        };
        total += content + 3; // a space either side and the left border
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real stress run (`tests/data/`, 12 steps) with a 13th step and long names.
    fn stress_run() -> RunSummary {
        let mut summary: RunSummary =
            serde_json::from_str(include_str!("../../tests/data/stress-summary.json"))
                .expect("the recorded stress run parses");
        let long = "list-conversations-for-the-signed-in-user-with-paging";
        let copy = summary.metrics.steps["list-bots"].clone();
        summary.metrics.steps.insert(long.to_string(), copy);
        summary.step_order.push(long.to_string());
        let old = "ws-first-token";
        let new = "ws-first-token-of-the-streamed-chatbot-reply";
        if let Some(step) = summary.metrics.steps.remove(old) {
            summary.metrics.steps.insert(new.to_string(), step);
        }
        for name in &mut summary.step_order {
            if name == old {
                *name = new.to_string();
            }
        }
        summary
    }

    fn widest(lines: &[String]) -> usize {
        lines.iter().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn a_stress_run_fits_80_columns() {
        let summary = stress_run();
        assert!(summary.metrics.steps.len() >= 13, "13 steps");
        let lines = Terminal::plain(80).summary(&summary);
        let text = lines.join("\n");
        for line in &lines {
            assert!(
                line.chars().count() <= 80,
                "{} characters: {line}\n{text}",
                line.chars().count()
            );
        }
        for name in summary.metrics.steps.keys() {
            let first = &name[..name.len().min(10)];
            assert!(text.contains(first), "{name} is shown:\n{text}");
        }
        assert!(
            text.contains("p90 and max left out to fit 80 columns"),
            "{text}"
        );
        assert!(text.contains("SLO gate: "), "{text}");
        assert!(!text.contains('\u{1b}'), "no colour in plain text");
    }

    #[test]
    fn a_wide_terminal_gets_every_column_and_a_narrow_one_still_fits() {
        let summary = stress_run();
        let wide = Terminal::plain(200).summary(&summary);
        assert!(
            wide[1].contains("p90") && wide[1].contains("max"),
            "{}",
            wide[1]
        );
        assert!(!wide.join("\n").contains("left out"));
        assert!(widest(&wide) <= 200);
        let narrow = Terminal::plain(50).summary(&summary);
        assert!(widest(&narrow) <= 50, "{}", narrow.join("\n"));
    }

    #[test]
    fn colour_marks_only_the_verdict_words() {
        let summary = stress_run();
        let coloured = Terminal {
            width: 80,
            colour: true,
        }
        .summary(&summary);
        let text = coloured.join("\n");
        assert!(text.contains("\u{1b}["), "{text}");
        let plain = Terminal::plain(80).summary(&summary);
        assert_eq!(coloured.len(), plain.len(), "colour changes no layout");
    }

    #[test]
    fn no_color_and_no_terminal_mean_no_colour() {
        use std::ffi::OsStr;
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some(OsStr::new(""))));
        assert!(!colour_wanted(true, Some(OsStr::new("1"))));
        assert!(!colour_wanted(true, Some(OsStr::new("false"))));
        assert!(!colour_wanted(false, None));
    }
}
