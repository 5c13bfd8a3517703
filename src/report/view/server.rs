//! The server part of the view: what the monitor scraped (where, how often, how many
//! scrapes failed and why) and one row per series with its lowest, mean and highest
//! value and, for levels such as memory, its growth, in the words every format uses.

use super::format::{format_bytes, format_number, format_percent, NONE};
use crate::metrics::server::{growth, stats, Point, SeriesUnit, ServerSeries};
use crate::summary::RunSummary;

/// Said when the bundled server shares loadgate's process.
pub const SHARED_PROCESS: &str = "The bundled server runs inside loadgate's own process, so its process figures (memory, CPU) include loadgate's: a memory or CPU budget they meet, the server alone meets too, but one they break may be loadgate's doing. For the server's own figures, run target-server as its own process and pass --target.";

/// The monitored server, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerView {
    /// `http://…/metrics every 1s: 90 scrapes, 2 failed (status 503 ×2)`.
    pub statement: String,
    /// True when any scrape failed.
    pub has_failures: bool,
    /// Failed scrapes by reason: reason, count, first detail.
    pub failures: Vec<(String, String, String)>,
    /// One row per series.
    pub rows: Vec<ServerRow>,
    /// [`SHARED_PROCESS`] when the target was the bundled server.
    pub note: Option<&'static str>,
}

/// One series' figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRow {
    /// `server_memory`.
    pub name: String,
    /// `gauge process_resident_memory_bytes`.
    pub source: String,
    /// Points recorded.
    pub points: String,
    /// Lowest, mean and highest value (`–` without points).
    pub min: String,
    /// The mean.
    pub mean: String,
    /// The highest.
    pub max: String,
    /// For levels (bytes, numbers): the fitted growth over the stages that hold the
    /// load, `+1.2%/h`; `–` for rates and ratios, or with too few points.
    pub growth: String,
}

/// The server section of a run, when it was monitored.
pub fn server_view(summary: &RunSummary) -> Option<ServerView> {
    let server = summary.metrics.server.as_ref()?;
    let holds = crate::slo::holding_spans(&summary.metrics);
    Some(ServerView {
        statement: format!(
            "{} every {}: {}",
            server.url,
            interval(server.interval_secs),
            server.scrape_statement()
        ),
        has_failures: server.failed > 0,
        failures: server
            .failures
            .iter()
            .map(|(reason, f)| (reason.clone(), f.count.to_string(), f.example.clone()))
            .collect(),
        rows: server.series.iter().map(|s| row(s, &holds)).collect(),
        note: summary.settings.embedded_target.then_some(SHARED_PROCESS),
    })
}

/// `1s`, `500ms`.
fn interval(secs: f64) -> String {
    if secs < 1.0 {
        format!("{:.0}ms", secs * 1000.0)
    } else {
        format!("{}s", format_number(secs, 0))
    }
}

/// A value of a series in its unit: `412.3MB`, `43%` (of the cores), `97.5%`, `12.5/s`.
pub fn series_value(value: f64, unit: SeriesUnit) -> String {
    match unit {
        SeriesUnit::Bytes => format_bytes(value, 0),
        SeriesUnit::Cores | SeriesUnit::Fraction => format_percent(value, 0),
        SeriesUnit::PerSecond => format!("{}/s", format_number(value, 0)),
        SeriesUnit::Number => format_number(value, 0),
    }
}

fn row(series: &ServerSeries, holds: &[(f64, f64)]) -> ServerRow {
    let figure = |pick: fn(&crate::metrics::server::Stats) -> f64| {
        stats(&series.points)
            .map(|s| series_value(pick(&s), series.unit))
            .unwrap_or_else(|| NONE.to_string())
    };
    let level = matches!(series.unit, SeriesUnit::Bytes | SeriesUnit::Number);
    let fitted: Vec<Point> = if holds.is_empty() {
        series.points.clone()
    } else {
        holds
            .iter()
            .flat_map(|(from, to)| series.window(*from, *to))
            .collect()
    };
    let growth = match growth(&fitted) {
        Ok(g) if level => {
            let sign = if g.share_per_hour > 0.0 { "+" } else { "" };
            format!("{sign}{}/h", format_percent(g.share_per_hour, 0))
        }
        _ => NONE.to_string(),
    };
    ServerRow {
        name: series.name.clone(),
        source: series.source.clone(),
        points: series.points.len().to_string(),
        min: figure(|s| s.min),
        mean: figure(|s| s.mean),
        max: figure(|s| s.max),
        growth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::server::ServerMetrics;
    use crate::report::html::fixture::sample_summary;

    #[test]
    fn a_monitored_run_gets_a_row_per_series() {
        let mut summary = sample_summary();
        assert!(server_view(&summary).is_none(), "nothing monitored");
        let mut memory =
            ServerSeries::new("server_memory", "gauge m_bytes".into(), SeriesUnit::Bytes);
        let mut cpu = ServerSeries::new("server_cpu", "rate of c".into(), SeriesUnit::Cores);
        for t in 0..120 {
            memory.push(t as f64, 100.0 * 1048576.0);
            cpu.push(t as f64, 0.25);
        }
        let mut server = ServerMetrics {
            url: "http://127.0.0.1:9/metrics".into(),
            interval_secs: 1.0,
            cores: 2.0,
            scrapes: 122,
            failed: 0,
            failures: Default::default(),
            series: vec![memory, cpu],
        };
        server.record_failure("status 503", "busy");
        summary.metrics.server = Some(server);
        let view = server_view(&summary).unwrap();
        assert_eq!(
            view.statement,
            "http://127.0.0.1:9/metrics every 1s: 1 of 122 scrapes failed (status 503 ×1)"
        );
        let memory = &view.rows[0];
        assert_eq!(
            (
                memory.min.as_str(),
                memory.max.as_str(),
                memory.growth.as_str()
            ),
            ("100.0MB", "100.0MB", "0%/h")
        );
        assert_eq!(
            (view.rows[1].mean.as_str(), view.rows[1].growth.as_str()),
            ("25%", NONE)
        );
        assert_eq!(view.failures[0].0, "status 503");
    }
}
