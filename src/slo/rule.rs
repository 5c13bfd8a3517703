//! The budget syntax, written to be read aloud:
//! `p95 < 200ms for http`, `error_rate < 0.05%`, `throughput >= 100/s for send-message`,
//! `mean < 500ms for ws-reply in stage steady`, `ws_connections >= 1000`.
//!
//! `<measure> <comparison> <limit> [for <scope>] [in stage <number or name>]`.
//!
//! Server measures judge the series of the scenario's `monitor:` (see
//! `scenario::monitor`): `server_memory < 512MB` (the peak), `server_cpu < 70%` (the
//! mean), `server_memory_growth < 5%/h` (the fitted slope over the stages that hold the
//! load, as a share of the level), and any named series by its mean, or
//! `min(name)`, `max(name)`, `mean(name)`, `growth(name)`.

use super::verdict::Unit;
pub use crate::metrics::Scope;
use crate::scenario::duration::parse_duration;
use std::fmt;

/// What a budget measures.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// A latency percentile, e.g. `p95`, `p99.9`.
    Percentile(f64),
    /// Mean latency.
    Mean,
    /// Largest latency.
    Max,
    /// Failed attempts over all attempts.
    ErrorRate,
    /// Successful attempts per second.
    Throughput,
    /// Most WebSockets open at once.
    WsConnections,
    /// A figure of a monitored server series.
    Server {
        /// The series' name (`server_memory`, `cache_hit_rate`).
        series: String,
        /// Which figure of it.
        stat: SeriesStat,
        /// How the limit was written, which gives the unit.
        limit: LimitKind,
    },
}

/// The figure of a server series a budget judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStat {
    /// The mean of the window's points.
    Mean,
    /// The lowest point.
    Min,
    /// The highest point.
    Max,
    /// The least-squares slope as a share of the level, per hour.
    Growth,
}

impl SeriesStat {
    fn name(self) -> &'static str {
        match self {
            SeriesStat::Mean => "mean",
            SeriesStat::Min => "min",
            SeriesStat::Max => "max",
            SeriesStat::Growth => "growth",
        }
    }
}

/// A server budget's limit, by how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// `512MB`, `4GB`, `800MiB`.
    Bytes,
    /// `70%`, stored as a fraction.
    Percent,
    /// `5%/h`, stored as a fraction per hour.
    PercentPerHour,
    /// `20/s`.
    PerSecond,
    /// A plain number.
    Number,
}

/// The memory series, and its growth's name in rules.
const SERVER_MEMORY: &str = crate::scenario::monitor::SERVER_MEMORY;
const SERVER_CPU: &str = crate::scenario::monitor::SERVER_CPU;
const SERVER_MEMORY_GROWTH: &str = "server_memory_growth";

impl Measure {
    /// Whether it judges a monitored server series.
    pub fn is_server(&self) -> bool {
        matches!(self, Measure::Server { .. })
    }

    /// The unit its figures are in.
    pub fn unit(&self) -> Unit {
        match self {
            Measure::Percentile(_) | Measure::Mean | Measure::Max => Unit::Micros,
            Measure::ErrorRate => Unit::Fraction,
            Measure::Throughput => Unit::PerSecond,
            Measure::WsConnections => Unit::Count,
            Measure::Server { limit, .. } => match limit {
                LimitKind::Bytes => Unit::Bytes,
                LimitKind::Percent => Unit::Fraction,
                LimitKind::PercentPerHour => Unit::FractionPerHour,
                LimitKind::PerSecond => Unit::PerSecond,
                LimitKind::Number => Unit::Number,
            },
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Measure::Percentile(p) => write!(f, "p{p}"),
            Measure::Mean => f.write_str("mean"),
            Measure::Max => f.write_str("max"),
            Measure::ErrorRate => f.write_str("error_rate"),
            Measure::Throughput => f.write_str("throughput"),
            Measure::WsConnections => f.write_str("ws_connections"),
            Measure::Server { series, stat, .. } => match (series.as_str(), stat) {
                (SERVER_MEMORY, SeriesStat::Growth) => f.write_str(SERVER_MEMORY_GROWTH),
                (SERVER_MEMORY, SeriesStat::Max) => f.write_str(series),
                (name, SeriesStat::Mean) if name != SERVER_MEMORY => f.write_str(name),
                (name, stat) => write!(f, "{}({name})", stat.name()),
            },
        }
    }
}

/// How the measured value must relate to the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Below,
    /// `<=`
    AtMost,
    /// `>`
    Above,
    /// `>=`
    AtLeast,
}

impl Comparison {
    /// Whether `measured` meets `limit`.
    pub fn holds(self, measured: f64, limit: f64) -> bool {
        match self {
            Comparison::Below => measured < limit,
            Comparison::AtMost => measured <= limit,
            Comparison::Above => measured > limit,
            Comparison::AtLeast => measured >= limit,
        }
    }

    /// Upper bounds (`<`, `<=`) describe health and are judged stage by stage; lower
    /// bounds (`>`, `>=`) are capacity goals judged where the rule says.
    pub fn is_upper_bound(self) -> bool {
        matches!(self, Comparison::Below | Comparison::AtMost)
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Below => "<",
            Comparison::AtMost => "<=",
            Comparison::Above => ">",
            Comparison::AtLeast => ">=",
        }
    }
}

/// A stage named in a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageRef {
    /// 1-based, as written.
    Number(usize),
    /// The stage's `name:`.
    Name(String),
}

/// A parsed budget rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// What is measured.
    pub measure: Measure,
    /// How it must compare.
    pub comparison: Comparison,
    /// The limit in the measure's unit (µs, fraction, per second, count).
    pub limit: f64,
    /// Which steps.
    pub scope: Scope,
    /// Only this stage, when given.
    pub stage: Option<StageRef>,
}

/// Parses one rule; the error says which part is wrong and what would be right.
pub fn parse_rule(text: &str) -> Result<Rule, String> {
    let text = text.trim();
    let (head, stage) = match text.split_once(" in stage ") {
        Some((head, stage)) => (head.trim(), Some(parse_stage(stage.trim())?)),
        None => (text, None),
    };
    let (head, scope) = match head.split_once(" for ") {
        Some((head, scope)) => (head.trim(), parse_scope(scope.trim())?),
        None => (head, Scope::All),
    };
    let op_at = head
        .find(['<', '>'])
        .ok_or_else(|| format!("`{text}`: no comparison; write e.g. `p95 < 200ms for http`"))?;
    let measure = parse_measure(head[..op_at].trim())?;
    let rest = &head[op_at..];
    let (comparison, limit_text) = if let Some(l) = rest.strip_prefix("<=") {
        (Comparison::AtMost, l)
    } else if let Some(l) = rest.strip_prefix(">=") {
        (Comparison::AtLeast, l)
    } else if let Some(l) = rest.strip_prefix('<') {
        (Comparison::Below, l)
    } else {
        (Comparison::Above, &rest[1..])
    };
    let (measure, limit) = match measure {
        Measure::Server { series, stat, .. } => {
            let (limit, kind) = parse_server_limit(&series, stat, limit_text.trim())?;
            (
                Measure::Server {
                    series,
                    stat,
                    limit: kind,
                },
                limit,
            )
        }
        other => {
            let limit = parse_limit(&other, limit_text.trim())?;
            (other, limit)
        }
    };
    if measure == Measure::WsConnections && scope != Scope::All {
        return Err("`ws_connections` counts the whole run's sockets; drop the `for` part".into());
    }
    if measure.is_server() && scope != Scope::All {
        return Err(format!(
            "`{measure}` is the server's, not a step's; drop the `for` part"
        ));
    }
    Ok(Rule {
        measure,
        comparison,
        limit,
        scope,
        stage,
    })
}

fn parse_measure(text: &str) -> Result<Measure, String> {
    match text {
        "mean" | "avg" => Ok(Measure::Mean),
        "max" => Ok(Measure::Max),
        "error_rate" | "errors" => Ok(Measure::ErrorRate),
        "throughput" | "rate" => Ok(Measure::Throughput),
        "ws_connections" => Ok(Measure::WsConnections),
        SERVER_MEMORY => Ok(server(SERVER_MEMORY, SeriesStat::Max)),
        SERVER_CPU => Ok(server(SERVER_CPU, SeriesStat::Mean)),
        SERVER_MEMORY_GROWTH => Ok(server(SERVER_MEMORY, SeriesStat::Growth)),
        _ if text.ends_with(')') => {
            let (stat, rest) = text
                .split_once('(')
                .ok_or_else(|| format!("unknown measure `{text}`"))?;
            let stat = match stat.trim() {
                "mean" | "avg" => SeriesStat::Mean,
                "min" => SeriesStat::Min,
                "max" => SeriesStat::Max,
                "growth" => SeriesStat::Growth,
                other => {
                    return Err(format!(
                    "unknown figure `{other}(…)` of a server series (use mean, min, max or growth)"
                ))
                }
            };
            let name = rest.trim_end_matches(')').trim();
            if !is_series_name(name) {
                return Err(format!("`{name}` is not a series name"));
            }
            Ok(server(name, stat))
        }
        _ if is_series_name(text) && !looks_like_percentile(text) => {
            Ok(server(text, SeriesStat::Mean))
        }
        _ => {
            let percentile = text
                .strip_prefix('p')
                .and_then(|p| p.parse::<f64>().ok())
                .filter(|p| p.is_finite() && *p > 0.0 && *p <= 100.0);
            percentile.map(Measure::Percentile).ok_or_else(|| {
                format!("unknown measure `{text}` (use pNN such as p95 or p99.9, mean, max, error_rate, throughput, ws_connections)")
            })
        }
    }
}

fn server(series: &str, stat: SeriesStat) -> Measure {
    Measure::Server {
        series: series.to_string(),
        stat,
        limit: LimitKind::Number,
    }
}

/// What a series may be called: lowercase letters, digits and `_`.
fn is_series_name(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `p95`, `p99x`: a percentile, written right or wrong, never a series.
fn looks_like_percentile(text: &str) -> bool {
    text.strip_prefix('p')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Bytes in one of each size suffix: powers of 1024, as memory tools count
/// (`512MB` is 512 × 1024 × 1024 bytes; `MiB` says the same).
const BYTE_UNITS: &[(&str, f64)] = &[
    ("KiB", 1024.0),
    ("MiB", 1048576.0),
    ("GiB", 1073741824.0),
    ("TiB", 1099511627776.0),
    ("KB", 1024.0),
    ("MB", 1048576.0),
    ("GB", 1073741824.0),
    ("TB", 1099511627776.0),
    ("B", 1.0),
];

/// A server budget's limit and how it was written: `512MB`, `70%`, `5%/h`, `20/s`, or
/// a plain number. Growth takes only `%/h`, and `%/h` only growth.
fn parse_server_limit(
    series: &str,
    stat: SeriesStat,
    text: &str,
) -> Result<(f64, LimitKind), String> {
    let number = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| format!("`{text}` is not a limit"))
    };
    if let Some(percent) = text.strip_suffix("%/h") {
        if stat != SeriesStat::Growth {
            return Err(format!(
                "`%/h` is a growth; write `growth({series})` (or `server_memory_growth`), or give {series} a level"
            ));
        }
        return Ok((number(percent)? / 100.0, LimitKind::PercentPerHour));
    }
    if stat == SeriesStat::Growth {
        return Err(format!(
            "a growth needs a rate of change such as `5%/h` (a share of the level per hour), not `{text}`"
        ));
    }
    if let Some(percent) = text.strip_suffix('%') {
        return Ok((number(percent)? / 100.0, LimitKind::Percent));
    }
    if let Some(rate) = text.strip_suffix("/s") {
        return Ok((number(rate)?, LimitKind::PerSecond));
    }
    for (suffix, bytes) in BYTE_UNITS {
        if let Some(value) = text.strip_suffix(suffix) {
            return Ok((number(value)? * bytes, LimitKind::Bytes));
        }
    }
    number(text)
        .map(|n| (n, LimitKind::Number))
        .map_err(|_| format!("`{text}` is not a limit: write a size (`512MB`), a percentage (`80%`), a rate (`20/s`) or a number"))
}

fn parse_limit(measure: &Measure, text: &str) -> Result<f64, String> {
    let number = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    match measure.unit() {
        Unit::Micros => parse_duration(text)
            .map(|d| d.as_micros() as f64)
            .map_err(|e| format!("{measure} needs a duration limit: {e}")),
        Unit::Fraction => match text.strip_suffix('%') {
            Some(percent) => number(percent)
                .filter(|p| *p <= 100.0)
                .map(|p| p / 100.0)
                .ok_or_else(|| format!("`{text}` is not a percentage")),
            None => number(text).filter(|f| *f <= 1.0).ok_or_else(|| {
                format!(
                    "error_rate needs a percentage (`0.05%`) or a fraction up to 1, not `{text}`"
                )
            }),
        },
        Unit::PerSecond => text
            .strip_suffix("/s")
            .and_then(number)
            .ok_or_else(|| format!("throughput needs a rate such as `100/s`, not `{text}`")),
        Unit::Count => number(text)
            .filter(|n| n.fract() == 0.0)
            .ok_or_else(|| format!("ws_connections needs a whole number, not `{text}`")),
        // Server measures read their limits in `parse_server_limit`.
        Unit::Bytes | Unit::FractionPerHour | Unit::Number => {
            number(text).ok_or_else(|| format!("`{text}` is not a limit"))
        }
    }
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    match text {
        "all" | "everything" => Ok(Scope::All),
        "http" => Ok(Scope::Http),
        "ws" | "websocket" => Ok(Scope::Ws),
        _ => {
            let steps: Vec<String> = text.split(',').map(|s| s.trim().to_string()).collect();
            if steps.iter().any(String::is_empty) {
                return Err(format!("`for {text}`: a step name is empty"));
            }
            Ok(Scope::Steps(steps))
        }
    }
}

fn parse_stage(text: &str) -> Result<StageRef, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("stages are numbered from 1".into()),
        Ok(n) => Ok(StageRef::Number(n)),
        Err(_) if !text.is_empty() => Ok(StageRef::Name(text.to_string())),
        Err(_) => Err("`in stage` needs a stage number or name".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_aloud() {
        let r = parse_rule("p95 < 200ms for http").unwrap();
        assert_eq!(
            (r.measure, r.comparison, r.limit, r.scope),
            (
                Measure::Percentile(95.0),
                Comparison::Below,
                200_000.0,
                Scope::Http
            )
        );
        let r = parse_rule("error_rate < 0.05%").unwrap();
        assert!((r.limit - 0.0005).abs() < 1e-12);
        let r =
            parse_rule("throughput >= 100/s for send-message, ws-send in stage steady").unwrap();
        assert_eq!(
            r.scope,
            Scope::Steps(vec!["send-message".into(), "ws-send".into()])
        );
        assert_eq!(r.stage, Some(StageRef::Name("steady".into())));
        let r = parse_rule("p99.9 <= 1.5s for ws-reply in stage 2").unwrap();
        assert_eq!(
            (r.measure, r.limit, r.stage),
            (
                Measure::Percentile(99.9),
                1_500_000.0,
                Some(StageRef::Number(2))
            )
        );
        assert_eq!(parse_rule("ws_connections >= 1000").unwrap().limit, 1000.0);
    }

    #[test]
    fn server_measures_read_aloud() {
        let r = parse_rule("server_memory < 512MB").unwrap();
        assert_eq!(r.limit, 512.0 * 1024.0 * 1024.0);
        assert_eq!(r.measure.unit(), Unit::Bytes);
        assert_eq!(r.measure.to_string(), "server_memory");
        let r = parse_rule("server_cpu < 70% in stage steady").unwrap();
        assert!((r.limit - 0.7).abs() < 1e-12);
        assert_eq!(r.stage, Some(StageRef::Name("steady".into())));
        let r = parse_rule("server_memory_growth < 5%/h").unwrap();
        assert_eq!(
            (r.measure.unit(), r.measure.to_string()),
            (Unit::FractionPerHour, "server_memory_growth".to_string())
        );
        assert!((r.limit - 0.05).abs() < 1e-12);
        let r = parse_rule("cache_hit_rate > 80%").unwrap();
        assert_eq!(
            r.measure,
            Measure::Server {
                series: "cache_hit_rate".into(),
                stat: SeriesStat::Mean,
                limit: LimitKind::Percent
            }
        );
        for (text, shown) in [
            ("min(cache_hit_rate) > 0.7", "min(cache_hit_rate)"),
            ("max(api_5xx) < 2/s", "max(api_5xx)"),
            ("growth(open) <= 10%/h", "growth(open)"),
            ("mean(server_memory) < 1GiB", "mean(server_memory)"),
            ("max(server_cpu) < 200%", "max(server_cpu)"),
        ] {
            assert_eq!(parse_rule(text).unwrap().measure.to_string(), shown);
        }
        assert_eq!(
            parse_rule("server_memory < 4GB").unwrap().limit,
            4.0 * 1073741824.0
        );
    }

    #[test]
    fn latency_limits_take_the_units_reports_print() {
        for (text, micros) in [
            ("p95 < 393µs", 393.0),
            ("p95 < 393us for http", 393.0),
            ("max <= 1.5ms", 1500.0),
            ("mean < 2 s", 2_000_000.0),
        ] {
            assert_eq!(parse_rule(text).unwrap().limit, micros, "{text}");
        }
        let err = parse_rule("p95 < 1 second").unwrap_err();
        assert!(err.contains("did you mean `1s`?"), "{err}");
    }

    #[test]
    fn wrong_rules_say_why() {
        for (bad, hint) in [
            ("p95 200ms", "no comparison"),
            ("p101 < 1s", "unknown measure"),
            ("p95 < 200", "duration"),
            ("error_rate < 5", "percentage"),
            ("throughput > 100", "100/s"),
            ("ws_connections >= 10 for http", "whole run"),
            ("mean < 1s in stage 0", "from 1"),
            ("server_memory_growth < 5%", "5%/h"),
            ("server_memory < 5%/h", "growth"),
            ("server_cpu < 70% for http", "drop the `for` part"),
            ("server_memory < lots", "not a limit"),
            ("median(cache_hit_rate) > 1%", "mean, min, max or growth"),
            ("p95x < 1s", "unknown measure"),
        ] {
            let err = parse_rule(bad).unwrap_err();
            assert!(err.contains(hint), "{bad}: {err}");
        }
    }
}
