//! What text may enter the YAML parser: scenario and budgets files are read with a size
//! cap, only from regular files, as UTF-8, with a leading byte-order mark skipped and
//! control characters refused where they stand.
//!
//! The YAML scanner treats a NUL as the end of the input and a control character can
//! recolour a terminal, so these are refused before parsing instead of being misread.

use super::diagnostic::{Diagnostics, Position};
use std::io::Read;
use std::path::Path;

/// Largest scenario or budgets file loadgate reads (1 MiB); real scenarios are a few KiB,
/// and a cap keeps a wrong path (a log, a disk image, `/dev/zero`) from eating memory.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The UTF-8 byte-order mark some Windows editors write at the start of a file.
const BOM: char = '\u{FEFF}';

/// Reads `path` as one of loadgate's input files (`what` names it in messages): only a
/// regular file of at most [`MAX_FILE_BYTES`], read through a bounded reader.
///
/// A file that cannot be opened has no line to point at, so its problem carries no
/// position and prints as `cannot read FILE: REASON`.
pub fn read_input_file(path: &Path, what: &str) -> Result<Vec<u8>, Diagnostics> {
    let unreadable = |reason: String| {
        Diagnostics::unplaced(
            path,
            format!("cannot read {what} {}: {reason}", path.display()),
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(os_reason(&e)))?;
    if !meta.is_file() {
        return Err(unreadable(format!(
            "it is {}, not a regular file",
            file_kind(&meta)
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(path, what, Some(meta.len())));
    }
    let file = std::fs::File::open(path).map_err(|e| unreadable(os_reason(&e)))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(os_reason(&e)))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(path, what, None));
    }
    Ok(bytes)
}

/// What the OS said, without Rust's ` (os error 2)` suffix: `No such file or directory`.
pub fn os_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match (error.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) => text[..at].to_string(),
        _ => text,
    }
}

fn too_large(path: &Path, what: &str, size: Option<u64>) -> Diagnostics {
    let size = size.map(|s| format!(" ({s} bytes)")).unwrap_or_default();
    Diagnostics::whole_file(
        path,
        Position { line: 1, column: 1 },
        format!(
            "the {what} is too large{size}: at most {} bytes (1 MiB) are read",
            MAX_FILE_BYTES
        ),
    )
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_fifo() {
        "a pipe"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }
}

/// Decodes file bytes as UTF-8; invalid bytes are reported at their line and column.
pub fn decode<'b>(path: &Path, bytes: &'b [u8]) -> Result<&'b str, Diagnostics> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        // The prefix is valid UTF-8 by construction.
        let before = std::str::from_utf8(valid).unwrap_or_default();
        Diagnostics::whole_file(
            path,
            position_after(before),
            format!(
                "the file is not UTF-8 text: byte 0x{:02X} at offset {} is not valid UTF-8",
                bytes[e.valid_up_to()],
                e.valid_up_to()
            ),
        )
    })
}

/// Skips a leading byte-order mark: it is an encoding marker, not part of the first key.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

/// Whether a character may never appear in an input file: every control character but
/// tab, line feed and carriage return (this includes NUL, ESC, DEL and the C1 range),
/// byte-order marks past the start, and the non-characters U+FFFE and U+FFFF.
pub fn is_forbidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, BOM | '\u{FFFE}' | '\u{FFFF}')
}

/// Refuses forbidden characters (see [`is_forbidden_char`]) with the place of the first
/// one; the YAML scanner would stop at a NUL and silently drop the rest of the file.
pub fn check_characters(path: &Path, text: &str) -> Result<(), Diagnostics> {
    match text.char_indices().find(|(_, c)| is_forbidden_char(*c)) {
        None => Ok(()),
        Some((at, c)) => Err(Diagnostics::whole_file(
            path,
            position_after(&text[..at]),
            format!(
                "{} is not allowed in a scenario file (only tab, line feed and carriage return among control characters)",
                describe_char(c)
            ),
        )),
    }
}

/// Names a character for a message without printing it raw: `U+001B (ESC)`.
pub fn describe_char(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\u{1B}' => " (ESC)",
        '\u{7F}' => " (DEL)",
        '\u{85}' => " (NEL)",
        BOM => " (byte-order mark)",
        '\r' => " (carriage return)",
        '\n' => " (line feed)",
        '\t' => " (tab)",
        _ => "",
    };
    format!("character U+{:04X}{name}", c as u32)
}

/// The 1-based line and column just after `before`, as an editor counts them.
fn position_after(before: &str) -> Position {
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    Position {
        line,
        column: before[line_start..].chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "s.yaml";

    fn at(d: &Diagnostics) -> (usize, usize) {
        (d.0[0].position.line, d.0[0].position.column)
    }

    #[test]
    fn nul_and_escape_are_refused_where_they_stand() {
        let err = check_characters(Path::new(FILE), "name: a\nload:\0 x\n").unwrap_err();
        assert_eq!(at(&err), (2, 6));
        assert!(err.0[0].message.contains("U+0000 (NUL)"), "{err}");
        let err = check_characters(Path::new(FILE), "name: \u{1b}[31mred\n").unwrap_err();
        assert_eq!(at(&err), (1, 7));
        assert!(check_characters(Path::new(FILE), "a:\tb\r\nc: ü — 😀\n").is_ok());
    }

    #[test]
    fn a_leading_bom_is_skipped_but_not_a_later_one() {
        assert_eq!(strip_bom("\u{FEFF}name: x"), "name: x");
        let err = check_characters(Path::new(FILE), "name: x\u{FEFF}\n").unwrap_err();
        assert!(err.0[0].message.contains("byte-order mark"));
    }

    #[test]
    fn invalid_utf8_is_placed() {
        let err = decode(Path::new(FILE), b"name: a\nx: \xffz\n").unwrap_err();
        assert_eq!(at(&err), (2, 4));
        assert!(err.0[0].message.contains("0xFF"), "{err}");
    }

    #[test]
    fn files_are_capped_and_must_be_regular() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let err = read_input_file(&big, "scenario").unwrap_err();
        assert!(err.0[0].message.contains("too large"), "{err}");
        let err = read_input_file(dir.path(), "scenario").unwrap_err();
        assert!(err.0[0].message.contains("a directory"), "{err}");
        let err = read_input_file(Path::new("/dev/zero"), "scenario").unwrap_err();
        assert!(err.0[0].message.contains("a device"), "{err}");
        let missing = dir.path().join("missing.yaml");
        let err = read_input_file(&missing, "scenario").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot read scenario {}: No such file or directory",
                missing.display()
            ),
            "no bogus 0:0 position, no `(os error 2)`, no problem count"
        );
        let exact = dir.path().join("exact.yaml");
        std::fs::write(&exact, vec![b'#'; MAX_FILE_BYTES as usize]).unwrap();
        assert_eq!(
            read_input_file(&exact, "scenario").unwrap().len() as u64,
            MAX_FILE_BYTES
        );
    }
}
