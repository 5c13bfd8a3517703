//! The budget syntax, written to be read aloud:
//! `p95 < 200ms for http`, `error_rate < 0.05%`, `throughput >= 100/s for send-message`,
//! `mean < 500ms for ws-reply in stage steady`, `ws_connections >= 1000`.
//!
//! `<measure> <comparison> <limit> [for <scope>] [in stage <number or name>]`.

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
}

impl Measure {
    /// The unit its figures are in.
    pub fn unit(&self) -> Unit {
        match self {
            Measure::Percentile(_) | Measure::Mean | Measure::Max => Unit::Micros,
            Measure::ErrorRate => Unit::Fraction,
            Measure::Throughput => Unit::PerSecond,
            Measure::WsConnections => Unit::Count,
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
    let limit = parse_limit(&measure, limit_text.trim())?;
    if measure == Measure::WsConnections && scope != Scope::All {
        return Err("`ws_connections` counts the whole run's sockets; drop the `for` part".into());
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
        ] {
            let err = parse_rule(bad).unwrap_err();
            assert!(err.contains(hint), "{bad}: {err}");
        }
    }
}
