//! Human durations (`200ms`, `1m30s`, `1.5s`) and think-time ranges (`200ms..1s`).

use std::time::Duration;

/// Parses `10s`, `250ms`, `1m30s`, `1.5h`, `750us`; a bare number is refused so that
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
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration; bad number"))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "" => {
                return Err(format!(
                    "`{text}` has no unit; write e.g. `{text}s` or `{text}ms`"
                ))
            }
            other => {
                return Err(format!(
                    "`{text}` has unknown unit `{other}` (use h, m, s, ms or us)"
                ))
            }
        };
        rest = &rest[unit_len..];
        total += number * seconds_per_unit;
    }
    if !total.is_finite() || total > 366.0 * 24.0 * 3600.0 {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(Duration::from_secs_f64(total))
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
    } else if micros % 1_000_000 == 0 {
        format!("{}s", micros / 1_000_000)
    } else if micros >= 1_000_000 {
        let seconds = format!("{:.3}", d.as_secs_f64());
        format!("{}s", seconds.trim_end_matches('0').trim_end_matches('.'))
    } else if micros % 1000 == 0 {
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
