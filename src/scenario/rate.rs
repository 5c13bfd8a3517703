//! Arrival rates for open-model stages: `50/s`, `3000/m`, `90/h`, read as iterations per
//! second.

/// The highest rate a stage may ask for, per second: far past what one process sends.
pub const MAX_PER_SECOND: f64 = 1_000_000.0;

/// Parses `N/s`, `N/m` or `N/h` (N a non-negative decimal) into iterations per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let Some((count, unit)) = text.rsplit_once('/') else {
        return Err(format!(
            "`{text}` is not a rate: write iterations per unit, like `50/s`, `3000/m` or `90/h`"
        ));
    };
    let per = match unit.trim() {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `/{other}`; use `/s`, `/m` or `/h`"
            ))
        }
    };
    let count = count.trim();
    let valid = !count.is_empty()
        && count.chars().all(|c| c.is_ascii_digit() || c == '.')
        && count.chars().filter(|&c| c == '.').count() <= 1;
    let value: f64 = match (valid, count.parse::<f64>()) {
        (true, Ok(value)) if value.is_finite() => value,
        _ => {
            return Err(format!(
                "`{text}`: `{count}` is not a number of iterations (like `50` or `2.5`)"
            ))
        }
    };
    let per_second = value / per;
    if per_second > MAX_PER_SECOND {
        return Err(format!(
            "`{text}` is more than {MAX_PER_SECOND:.0}/s, far past what one process can send"
        ));
    }
    Ok(per_second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_units() {
        assert_eq!(parse_rate("50/s"), Ok(50.0));
        assert_eq!(parse_rate(" 3000/m "), Ok(50.0));
        assert_eq!(parse_rate("90/h"), Ok(0.025));
        assert_eq!(parse_rate("2.5/s"), Ok(2.5));
        assert_eq!(parse_rate("0/s"), Ok(0.0));
    }

    #[test]
    fn refuses_what_is_not_a_rate() {
        for bad in [
            "50",
            "50/d",
            "-5/s",
            "1e3/s",
            "/s",
            "a/s",
            "1.2.3/s",
            "NaN/s",
            "2000000/s",
        ] {
            let err = parse_rate(bad).expect_err(bad);
            assert!(err.contains('`'), "{bad}: {err}");
        }
        assert!(parse_rate("50/d")
            .unwrap_err()
            .contains("`/s`, `/m` or `/h`"));
    }
}
