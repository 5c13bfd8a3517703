//! Judging the server budgets: the figure of a monitored series over a window (the
//! whole run, or one stage), or why there is none.
//!
//! - `server_memory` is the highest point; `server_cpu` and a named series the mean
//!   (`min(…)`, `max(…)`, `mean(…)` choose);
//! - a growth (`server_memory_growth`, `growth(…)`) is the least-squares slope of the
//!   points, as a share of their mean level, per hour. Over the whole run it is fitted
//!   to the stages that hold the load (same users, or the same rate, at start and end,
//!   above zero), so that warming up during a ramp does not count as a leak; a run
//!   with no such stage is fitted whole. Pinned to a stage, it is fitted to that stage.
//!
//! A series that has no point in the window fails its budget with the reason: every
//! scrape failed (and why), its metric was in none of the scrapes, or it has points
//! elsewhere in the run but none here.

use super::rule::SeriesStat;
use crate::metrics::server::{growth, stats, Point, ServerMetrics};

/// Where a server figure is taken.
#[derive(Debug, Clone)]
pub(crate) struct ServerWindow<'a> {
    /// What the monitor recorded (`None`: nothing was monitored).
    pub server: Option<&'a ServerMetrics>,
    /// Seconds from the run's start: from, to (exclusive).
    pub span: (f64, f64),
    /// The spans a whole-run growth is fitted to (empty: the whole span).
    pub holds: Vec<(f64, f64)>,
    /// `stage 2 `steady``, for reasons; `None` for the whole run.
    pub stage: Option<String>,
}

/// The figure, in the series' unit (a growth as a fraction per hour), or why there is
/// none.
pub(crate) fn figure(series: &str, stat: SeriesStat, window: &ServerWindow) -> Result<f64, String> {
    let Some(server) = window.server else {
        return Err("the target was not monitored".to_string());
    };
    let Some(recorded) = server.series_named(series) else {
        return Err(format!("the series `{series}` was not recorded"));
    };
    let points: Vec<Point> = if stat == SeriesStat::Growth && !window.holds.is_empty() {
        window
            .holds
            .iter()
            .flat_map(|(from, to)| recorded.window(*from, *to))
            .collect()
    } else {
        recorded.window(window.span.0, window.span.1)
    };
    if points.is_empty() {
        return Err(never_seen(
            server,
            series,
            window,
            recorded.points.len(),
            recorded.absent,
            &recorded.source,
        ));
    }
    if stat == SeriesStat::Growth {
        return growth(&points)
            .map(|g| g.share_per_hour)
            .map_err(|why| format!("no growth of {series}: {why}"));
    }
    let stats = stats(&points).expect("points is not empty");
    Ok(match stat {
        SeriesStat::Mean => stats.mean,
        SeriesStat::Min => stats.min,
        _ => stats.max,
    })
}

/// Why a series has no point in the window.
fn never_seen(
    server: &ServerMetrics,
    series: &str,
    window: &ServerWindow,
    in_run: usize,
    absent: u64,
    source: &str,
) -> String {
    let ok = server.scrapes.saturating_sub(server.failed);
    if in_run > 0 {
        return format!(
            "no point of {series} in {}: it has {in_run} in the run",
            window
                .stage
                .as_deref()
                .unwrap_or("the stages that hold the load")
        );
    }
    if server.scrapes == 0 {
        return format!("{series} was never scraped: the run ended before the first scrape");
    }
    if ok == 0 {
        return format!(
            "{series} was never scraped: {} ({})",
            server.scrape_statement(),
            examples(server)
        );
    }
    if absent >= ok {
        return format!(
            "{series} was never scraped: its metrics ({source}) were in none of the {ok} successful scrapes of {}",
            server.url
        );
    }
    format!(
        "{series} has no point: a rate needs two successful scrapes in a row, and a ratio a denominator that moved ({ok} scrapes succeeded)"
    )
}

/// `status 404: 404 Not Found: …` for the first failure class.
fn examples(server: &ServerMetrics) -> String {
    server
        .failures
        .iter()
        .next()
        .map(|(reason, f)| format!("{reason}: {}", f.example))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(points: &[(f64, f64)]) -> ServerMetrics {
        ServerMetrics::memory_only("http://127.0.0.1:1/metrics", points)
    }

    /// Why the whole of 0–9 s has no peak memory.
    fn no_peak(server: &ServerMetrics) -> String {
        figure(
            "server_memory",
            SeriesStat::Max,
            &window(server, (0.0, 9.0), vec![]),
        )
        .unwrap_err()
    }

    fn window<'a>(
        server: &'a ServerMetrics,
        span: (f64, f64),
        holds: Vec<(f64, f64)>,
    ) -> ServerWindow<'a> {
        ServerWindow {
            server: Some(server),
            span,
            holds,
            stage: None,
        }
    }

    #[test]
    fn peak_mean_and_growth_over_the_holding_stages() {
        // A ramp from 10 to 100 (0–10 s), then flat at 100 with noise (10–30 s).
        let mut points: Vec<(f64, f64)> = (0..10)
            .map(|t| (t as f64, 10.0 + 10.0 * t as f64))
            .collect();
        points.extend((10..30).map(|t| (t as f64, if t % 2 == 0 { 99.0 } else { 101.0 })));
        let s = server(&points);
        let whole = window(&s, (0.0, 30.0), vec![(10.0, 30.0)]);
        assert_eq!(
            figure("server_memory", SeriesStat::Max, &whole).unwrap(),
            101.0
        );
        let growth = figure("server_memory", SeriesStat::Growth, &whole).unwrap();
        assert!(growth.abs() < 1.0, "the ramp does not count: {growth}");
        let unheld = window(&s, (0.0, 30.0), vec![]);
        assert!(figure("server_memory", SeriesStat::Growth, &unheld).unwrap() > 10.0);
    }

    #[test]
    fn a_series_never_scraped_says_why() {
        let mut s = server(&[]);
        s.scrapes = 5;
        s.record_failure("status 404", "404 Not Found");
        for _ in 0..4 {
            s.record_failure("status 404", "x");
        }
        let reason = no_peak(&s);
        assert!(
            reason.starts_with("server_memory was never scraped: 5 of 5 scrapes failed (status 404 ×5) (status 404: 404 Not Found)"),
            "{reason}"
        );
        let mut s = server(&[]);
        s.scrapes = 3;
        s.series[0].absent = 3;
        let reason = no_peak(&s);
        assert!(
            reason.contains("were in none of the 3 successful scrapes"),
            "{reason}"
        );
        let s = server(&[(1.0, 5.0)]);
        let mut late = window(&s, (5.0, 9.0), vec![]);
        late.stage = Some("stage 2".into());
        let reason = figure("server_memory", SeriesStat::Max, &late).unwrap_err();
        assert_eq!(
            reason,
            "no point of server_memory in stage 2: it has 1 in the run"
        );
        assert!(figure("cache", SeriesStat::Mean, &late)
            .unwrap_err()
            .contains("not recorded"));
    }
}
