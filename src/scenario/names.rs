//! What names and other shown text may hold. Names reach the terminal, every report
//! and, for the scenario name, a folder name; so they may not carry control characters
//! (an escape sequence would recolour the terminal) and have sensible lengths.
//!
//! YAML's double-quoted escapes (`"\e[31m"`, `"\0"`) can put any character into a value,
//! so these checks run on parsed values, after the raw file check in `source`.

use super::source::describe_char;

/// Longest scenario name: it becomes `reports/<name>-<timestamp>`, and a file name may
/// have at most 255 bytes.
pub const MAX_SCENARIO_NAME_CHARS: usize = 64;

/// Most bytes a scenario name may take in UTF-8, leaving room for the timestamp within
/// the 255 bytes of a file name.
pub const MAX_SCENARIO_NAME_BYTES: usize = 200;

/// Longest flow, step, stage or `first:` name; they head table rows and chart labels.
pub const MAX_NAME_CHARS: usize = 128;

/// Longest description (one line for humans, shown in reports).
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// Characters that reorder how text is displayed (bidirectional overrides and isolates);
/// they can make a name read differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first character no shown text may hold: control characters (except those in
/// `allowed`) and bidirectional controls.
fn first_unsafe_char(text: &str, allowed: &[char]) -> Option<(usize, char)> {
    text.chars()
        .enumerate()
        .find(|(_, c)| (c.is_control() && !allowed.contains(c)) || is_bidi_control(*c))
}

fn unsafe_char_message(text: &str, allowed: &[char]) -> Option<String> {
    first_unsafe_char(text, allowed).map(|(at, c)| {
        format!(
            "must not contain control characters: {} at character {}",
            describe_char(c),
            at + 1
        )
    })
}

/// Checks text that is shown to people (rule text, a budget's `source`): no control or
/// bidirectional characters.
pub fn check_shown_text(text: &str) -> Result<(), String> {
    unsafe_char_message(text, &[]).map_or(Ok(()), Err)
}

/// Checks a flow, step, stage or `first:` name.
pub fn check_name(name: &str) -> Result<(), String> {
    check_shown_text(name)?;
    let count = name.chars().count();
    if count > MAX_NAME_CHARS {
        return Err(format!(
            "is {count} characters long; names have at most {MAX_NAME_CHARS}"
        ));
    }
    Ok(())
}

/// Checks a description: one paragraph of text; line breaks and tabs are allowed.
pub fn check_description(text: &str) -> Result<(), String> {
    if let Some(message) = unsafe_char_message(text, &['\n', '\r', '\t']) {
        return Err(message);
    }
    let count = text.chars().count();
    if count > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "is {count} characters long; a description has at most {MAX_DESCRIPTION_CHARS}"
        ));
    }
    Ok(())
}

/// Checks the scenario name, which names the report folder `reports/<name>-<timestamp>`:
/// 1 to 64 letters (at most 200 bytes), digits, `-`, `_` or `.`, starting with a letter or digit.
pub fn check_scenario_name(name: &str) -> Result<(), String> {
    check_shown_text(name)?;
    let count = name.chars().count();
    if count > MAX_SCENARIO_NAME_CHARS {
        return Err(format!(
            "is {count} characters long; a scenario name has at most {MAX_SCENARIO_NAME_CHARS} (it names the report folder)"
        ));
    }
    if name.len() > MAX_SCENARIO_NAME_BYTES {
        return Err(format!(
            "is {} bytes long in UTF-8; a scenario name has at most {MAX_SCENARIO_NAME_BYTES} (it names the report folder)",
            name.len()
        ));
    }
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    if let Some((at, c)) = name.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        return Err(format!(
            "`{c}` (character {}) is not allowed: a scenario name names the report folder, so use letters, digits, `-`, `_` and `.`",
            at + 1
        ));
    }
    if !name.starts_with(|c: char| c.is_alphanumeric()) {
        return Err("must start with a letter or digit (it names the report folder)".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_make_folder_names() {
        for good in ["normal", "stress-2", "v1.2_spike", "Lasttest-ü", "負荷"] {
            assert!(check_scenario_name(good).is_ok(), "{good}");
        }
        for (bad, hint) in [
            ("a/b", "not allowed"),
            ("..", "start with a letter"),
            (".hidden", "start with a letter"),
            ("with space", "not allowed"),
            ("red\u{1b}[31m", "U+001B (ESC)"),
            (&"x".repeat(65), "at most 64"),
        ] {
            let err = check_scenario_name(bad).unwrap_err();
            assert!(err.contains(hint), "{bad}: {err}");
        }
    }

    #[test]
    fn names_refuse_control_and_bidi_characters() {
        assert!(check_name("GET /api/bots?x=1, and more").is_ok());
        assert!(check_name("a\u{7}b").unwrap_err().contains("character 2"));
        assert!(check_name("a\u{202E}b").is_err());
        assert!(check_name(&"n".repeat(129))
            .unwrap_err()
            .contains("at most 128"));
        assert!(check_description("two\nlines\twith a tab").is_ok());
        assert!(check_description("bell\u{7}").is_err());
    }
}
