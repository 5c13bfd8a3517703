//! From scraped text to points: the text is parsed with the `prometheus-parse` crate,
//! each series' selectors pick and add up their samples, and gauges, rates and ratios
//! become points of [`ServerSeries`].
//!
//! A rate needs two scrapes: its point is the increase between them per second,
//! timed at the later one. A counter that went down was reset (the server
//! restarted), and its new value is taken as the increase, as Prometheus does. A ratio
//! is the increase of its numerator over that of its denominator, and has no point
//! while the denominator does not move (no lookups, no hit rate).

use super::fetch::ScrapeFailure;
use crate::metrics::server::{SeriesUnit, ServerSeries};
use crate::scenario::monitor::{anchored_regex, MatchOp, Selector, SeriesDef, SeriesSource};
use prometheus_parse::{Sample, Scrape, Value};
use std::time::Instant;

/// A selector made ready to match: its regular expressions compiled once.
struct Matcher {
    selector: Selector,
    regexes: Vec<Option<regex::Regex>>,
}

impl Matcher {
    fn new(selector: &Selector) -> Matcher {
        let regexes = selector
            .labels
            .iter()
            .map(|l| match l.op {
                MatchOp::Matches | MatchOp::NotMatches => anchored_regex(&l.value).ok(),
                _ => None,
            })
            .collect();
        Matcher {
            selector: selector.clone(),
            regexes,
        }
    }

    fn matches(&self, sample: &Sample) -> bool {
        if sample.metric != self.selector.metric {
            return false;
        }
        self.selector
            .labels
            .iter()
            .zip(&self.regexes)
            .all(|(label, regex)| {
                // An absent label reads as empty, as in PromQL.
                let value = sample.labels.get(&label.name).unwrap_or("");
                match label.op {
                    MatchOp::Equal => value == label.value,
                    MatchOp::NotEqual => value != label.value,
                    MatchOp::Matches => regex.as_ref().is_some_and(|r| r.is_match(value)),
                    MatchOp::NotMatches => regex.as_ref().is_none_or(|r| !r.is_match(value)),
                }
            })
    }
}

/// The sum of the samples `matchers` select; `None` when none is in the scrape.
fn sum(matchers: &[Matcher], samples: &[Sample]) -> Option<f64> {
    let mut total: Option<f64> = None;
    for sample in samples {
        let value = match sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            Value::Histogram(_) | Value::Summary(_) => continue,
        };
        if value.is_finite() && matchers.iter().any(|m| m.matches(sample)) {
            *total.get_or_insert(0.0) += value;
        }
    }
    total
}

/// What one series computes from each scrape.
enum Kind {
    Gauge(Vec<Matcher>),
    Rate(Vec<Matcher>),
    Ratio(Vec<Matcher>, Vec<Matcher>),
}

/// One series being recorded: how to compute it, the previous scrape's counters, and
/// its points so far.
pub struct Tracker {
    kind: Kind,
    /// `server_cpu` is divided by the monitored cores.
    divisor: f64,
    /// The previous scrape's time and counter sums (numerator, denominator).
    previous: Option<(Instant, f64, f64)>,
    /// The series as recorded.
    pub series: ServerSeries,
}

impl Tracker {
    /// A tracker for one series definition; `cores` divides a `server_cpu` series.
    pub fn new(def: &SeriesDef, cores: f64) -> Tracker {
        let matchers = |s: &[Selector]| s.iter().map(Matcher::new).collect::<Vec<_>>();
        let kind = match &def.source {
            SeriesSource::Gauge(s) => Kind::Gauge(matchers(s)),
            SeriesSource::Rate(s) => Kind::Rate(matchers(s)),
            SeriesSource::Ratio { of, over } => Kind::Ratio(matchers(of), matchers(over)),
        };
        let unit = SeriesUnit::of(def);
        Tracker {
            kind,
            divisor: if unit == SeriesUnit::Cores {
                cores
            } else {
                1.0
            },
            previous: None,
            series: ServerSeries::new(&def.name, def.source.describe(), unit),
        }
    }

    /// Takes one successful scrape, made at `now` (`at` seconds into the run, or
    /// `None` before the run's clock started: such a scrape only sets the counters a
    /// first rate is measured from).
    pub fn observe(&mut self, samples: &[Sample], now: Instant, at: Option<f64>) {
        let (value, numerator, denominator) = match &self.kind {
            Kind::Gauge(m) => (sum(m, samples), None, None),
            Kind::Rate(m) => (None, sum(m, samples), Some(1.0)),
            Kind::Ratio(of, over) => (None, sum(of, samples), sum(over, samples)),
        };
        if let Kind::Gauge(_) = self.kind {
            match (value, at) {
                (None, _) => self.series.absent += 1,
                (Some(v), Some(at)) => self.series.push(at, v / self.divisor),
                (Some(_), None) => {}
            }
            return;
        }
        let (Some(numerator), Some(denominator)) = (numerator, denominator) else {
            self.series.absent += 1;
            self.previous = None;
            return;
        };
        let previous = self.previous.replace((now, numerator, denominator));
        let (Some((then, before_n, before_d)), Some(at)) = (previous, at) else {
            return;
        };
        let increase = |now: f64, before: f64| if now >= before { now - before } else { now };
        let point = match self.kind {
            Kind::Rate(_) => {
                let seconds = now.duration_since(then).as_secs_f64();
                (seconds > 0.0).then(|| increase(numerator, before_n) / seconds)
            }
            _ => {
                let over = increase(denominator, before_d);
                (over > 0.0).then(|| increase(numerator, before_n) / over)
            }
        };
        if let Some(value) = point {
            self.series.push(at, value / self.divisor);
        }
    }
}

/// Parses an exposition; a body with no sample at all (an HTML page, garbage, an
/// empty answer) is a failed scrape.
pub fn parse(text: &str) -> Result<Vec<Sample>, ScrapeFailure> {
    let lines = text.lines().map(|line| Ok(line.to_string()));
    let scrape =
        Scrape::parse(lines).map_err(|e| ScrapeFailure::new("unreadable", e.to_string()))?;
    if scrape.samples.is_empty() {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(ScrapeFailure::new(
            "no samples",
            format!(
                "no Prometheus sample in the body (it starts `{}`)",
                first.chars().take(80).collect::<String>()
            ),
        ));
    }
    Ok(scrape.samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::monitor::{built_in_series, LabelMatcher};
    use std::time::Duration;

    const TEXT: &str = "# HELP process_resident_memory_bytes Resident memory.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 2.5e7
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total CPU
# TYPE hits_total counter
hits_total{cache=\"bots\"} H
hits_total{cache=\"users\"} 1000
misses_total{cache=\"bots\"} M
";

    fn scrape(cpu: f64, hits: f64, misses: f64) -> Vec<Sample> {
        parse(
            &TEXT
                .replace("CPU", &cpu.to_string())
                .replace(" H\n", &format!(" {hits}\n"))
                .replace(" M\n", &format!(" {misses}\n")),
        )
        .unwrap()
    }

    fn hit_rate() -> SeriesDef {
        let bots = |metric: &str| Selector {
            metric: metric.to_string(),
            labels: vec![LabelMatcher {
                name: "cache".into(),
                op: MatchOp::Equal,
                value: "bots".into(),
            }],
        };
        SeriesDef {
            name: "hit_rate".into(),
            source: SeriesSource::Ratio {
                of: vec![bots("hits_total")],
                over: vec![bots("hits_total"), bots("misses_total")],
            },
            position: None,
        }
    }

    #[test]
    fn gauges_rates_and_ratios_become_points() {
        let defs = built_in_series();
        let mut memory = Tracker::new(&defs[0], 2.0);
        let mut cpu = Tracker::new(&defs[1], 2.0);
        let mut hits = Tracker::new(&hit_rate(), 2.0);
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(2);
        let t2 = t1 + Duration::from_secs(2);
        for (tracker, at) in [(&mut memory, None), (&mut cpu, None), (&mut hits, None)] {
            tracker.observe(&scrape(10.0, 90.0, 10.0), t0, at);
        }
        assert!(memory.series.points.is_empty(), "before the run's clock");
        for tracker in [&mut memory, &mut cpu, &mut hits] {
            tracker.observe(&scrape(12.0, 170.0, 30.0), t1, Some(1.0));
        }
        assert_eq!(memory.series.points[0].value(), 2.5e7);
        assert_eq!(memory.series.unit, SeriesUnit::Bytes);
        // 2 CPU seconds in 2 s on 2 cores: half of them.
        assert_eq!(cpu.series.points[0].value(), 0.5);
        assert_eq!(cpu.series.unit, SeriesUnit::Cores);
        // 80 hits of 100 lookups; the `users` cache is not selected.
        assert_eq!(hits.series.points[0].value(), 0.8);
        assert_eq!(hits.series.unit, SeriesUnit::Fraction);
        // A restarted server: counters start again from 0.
        cpu.observe(&scrape(1.0, 170.0, 30.0), t2, Some(3.0));
        assert_eq!(cpu.series.points[1].value(), 0.25);
        // No lookups: no hit rate.
        hits.observe(&scrape(1.0, 170.0, 30.0), t2, Some(3.0));
        assert_eq!(hits.series.points.len(), 1);
    }

    #[test]
    fn label_matchers_select_as_promql_does() {
        let samples = scrape(1.0, 5.0, 7.0);
        let select = |op: MatchOp, value: &str| {
            let matcher = Matcher::new(&Selector {
                metric: "hits_total".into(),
                labels: vec![LabelMatcher {
                    name: "cache".into(),
                    op,
                    value: value.into(),
                }],
            });
            sum(&[matcher], &samples)
        };
        assert_eq!(select(MatchOp::Equal, "bots"), Some(5.0));
        assert_eq!(select(MatchOp::NotEqual, "bots"), Some(1000.0));
        assert_eq!(select(MatchOp::Matches, "b.*"), Some(5.0));
        assert_eq!(select(MatchOp::Matches, "ot"), None, "anchored");
        assert_eq!(select(MatchOp::NotMatches, "u.*"), Some(5.0));
        assert_eq!(select(MatchOp::Equal, "none"), None);
    }

    #[test]
    fn a_missing_metric_is_counted_and_garbage_is_no_scrape() {
        let def = SeriesDef {
            name: "x".into(),
            source: SeriesSource::Gauge(vec![Selector::metric("not_there")]),
            position: None,
        };
        let mut tracker = Tracker::new(&def, 1.0);
        tracker.observe(&scrape(1.0, 1.0, 1.0), Instant::now(), Some(0.0));
        assert_eq!((tracker.series.absent, tracker.series.points.len()), (1, 0));
        for body in [
            "<html><body>Not metrics</body></html>",
            "",
            "just words here\n",
        ] {
            let failure = parse(body).unwrap_err();
            assert_eq!(failure.reason, "no samples", "{body}");
        }
    }
}
