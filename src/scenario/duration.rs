//! Human durations (`200ms`, `1m30s`, `1.5s`) and think-time ranges (`200ms..1s`).

use std::time::Duration;

/// Parses `10s`, `250ms`, `1m30s`, `1.5h`, `750us` (or `750µs`, as reports print it);
/// a space may stand between a number and its unit. A bare number is refused so that
/// nobody has to guess whether `10` meant seconds or milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration; write e.g. `10s` or `250ms`".into());
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!(
                "`{text}` is not a duration; write e.g. `10s` or `250ms`"
            ));
        }
        let number_text = &rest[..number_len];
        let number: f64 = number_text
            .parse()
            .map_err(|_| format!("`{text}` is not a duration: `{number_text}` is not a number"))?;
        rest = rest[number_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let seconds_per_unit = unit_seconds(unit).ok_or_else(|| {
            if unit.is_empty() && number_len == text.len() {
                format!("`{text}` has no unit; write e.g. `{text}s` or `{text}ms`")
            } else if unit.is_empty() {
                format!("`{text}`: `{number_text}` has no unit (use {UNITS})")
            } else {
                let hint = long_unit(unit)
                    .map(|short| format!("; did you mean `{number_text}{short}`?"))
                    .unwrap_or_default();
                format!("`{text}` has unknown unit `{unit}` (use {UNITS}){hint}")
            }
        })?;
        rest = rest[unit_len..].trim_start();
        total += number * seconds_per_unit;
    }
    if !total.is_finite() || total > 366.0 * 24.0 * 3600.0 {
        return Err(format!("`{text}` is out of range (at most 366 days)"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// The units, as listed in messages.
const UNITS: &str = "h, m, s, ms, or us/µs";

/// Seconds per unit; `µ` is accepted as the micro sign (U+00B5) and as Greek mu (U+03BC).
fn unit_seconds(unit: &str) -> Option<f64> {
    Some(match unit {
        "h" => 3600.0,
        "m" => 60.0,
        "s" => 1.0,
        "ms" => 1e-3,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
        _ => return None,
    })
}

/// The short unit for a spelled-out one, for the did-you-mean hint.
fn long_unit(unit: &str) -> Option<&'static str> {
    let unit = unit.to_lowercase();
    let singular = unit.strip_suffix('s').unwrap_or(&unit);
    Some(match singular {
        "hour" | "hr" => "h",
        "minute" | "min" => "m",
        "second" | "sec" => "s",
        "millisecond" | "msec" | "milli" => "ms",
        "microsecond" | "usec" | "micro" => "us",
        _ => return None,
    })
}

/// A wait between a user's steps: fixed (`1s`) or uniformly drawn from `min..max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThinkTime {
    /// Shortest wait.
    pub min: Duration,
    /// Longest wait (equal to `min` for a fixed wait).
    pub max: Duration,
}

/// Parses `500ms` or `200ms..1s`; the range must not run backwards.
pub fn parse_think_time(text: &str) -> Result<ThinkTime, String> {
    match text.split_once("..") {
        Some((low, high)) => {
            let (min, max) = (parse_duration(low)?, parse_duration(high)?);
            if min > max {
                return Err(format!("`{text}`: the range runs backwards"));
            }
            Ok(ThinkTime { min, max })
        }
        None => {
            let fixed = parse_duration(text)?;
            Ok(ThinkTime {
                min: fixed,
                max: fixed,
            })
        }
    }
}

/// Shows a duration the way users write them (`1.5s`, `250ms`).
pub fn format_duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros == 0 {
        "0s".into()
    } else if micros.is_multiple_of(1_000_000) {
        format!("{}s", micros / 1_000_000)
    } else if micros >= 1_000_000 {
        let seconds = format!("{:.3}", d.as_secs_f64());
        format!("{}s", seconds.trim_end_matches('0').trim_end_matches('.'))
    } else if micros.is_multiple_of(1000) {
        format!("{}ms", micros / 1000)
    } else {
        format!("{micros}us")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("750us").unwrap(), Duration::from_micros(750));
        assert_eq!(parse_duration("393µs").unwrap(), Duration::from_micros(393));
        assert_eq!(
            parse_duration("393\u{3bc}s").unwrap(),
            Duration::from_micros(393)
        );
        assert_eq!(parse_duration("1 s").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
    }

    #[test]
    fn hints_suggest_what_parses() {
        let err = parse_duration("1 second").unwrap_err();
        assert!(err.contains("did you mean `1s`?"), "{err}");
        let err = parse_duration("5 minutes").unwrap_err();
        assert!(err.contains("did you mean `5m`?"), "{err}");
        let err = parse_duration("10").unwrap_err();
        assert!(err.contains("`10s`"), "{err}");
        let err = parse_duration("1s500").unwrap_err();
        assert!(err.contains("`500` has no unit"), "{err}");
        assert!(!err.contains("1s500s"), "{err}");
        let err = parse_duration("5 parsecs").unwrap_err();
        assert!(
            err.contains("unknown unit `parsecs`") && !err.contains("did you mean"),
            "{err}"
        );
        for bad in ["10", "1s500", "1 second", "5 parsecs", "2 hours", "1.5.2s"] {
            let err = parse_duration(bad).unwrap_err();
            if let Some((_, hint)) = err.split_once("did you mean `") {
                let suggested = hint.split('`').next().unwrap();
                assert!(
                    parse_duration(suggested).is_ok(),
                    "{bad}: hint `{suggested}` does not parse"
                );
            }
        }
    }

    #[test]
    fn refuses_ambiguous_or_broken_text() {
        for bad in ["", "10", "s", "10x", "1..2s", "ten seconds", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn think_time_ranges() {
        let t = parse_think_time("200ms..1s").unwrap();
        assert_eq!(
            (t.min, t.max),
            (Duration::from_millis(200), Duration::from_secs(1))
        );
        assert!(parse_think_time("2s..1s").is_err());
        assert_eq!(parse_think_time("1s").unwrap().min, Duration::from_secs(1));
    }

    #[test]
    fn formats_round_trip() {
        for text in ["10s", "250ms", "1.5s", "750us", "0s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }
}
