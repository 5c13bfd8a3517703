//! The "model": a deterministic reply generator.
//!
//! A reply depends only on the bot's persona and the user's text, so tests
//! and load scenarios can predict it, yet it varies with the input and is a
//! few dozen words long so streaming it token by token means something.

/// Openers, picked by hash.
const OPENERS: &[&str] = &[
    "Good question.",
    "Let me think about that.",
    "Here is my take.",
    "Interesting point.",
    "Right, so.",
    "Thanks for asking.",
];

/// Closers, picked by hash.
const CLOSERS: &[&str] = &[
    "Does that help?",
    "Want me to go deeper?",
    "Happy to say more.",
    "That is the short version.",
    "Ask me anything else.",
];

/// Builds the bot's reply to `text`.
pub(crate) fn compose(persona: &str, text: &str) -> String {
    let hash = fnv1a(persona.as_bytes(), fnv1a(text.as_bytes(), FNV_OFFSET));
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let opener = OPENERS[(hash % OPENERS.len() as u64) as usize];
    let closer = CLOSERS[((hash >> 16) % CLOSERS.len() as u64) as usize];
    let body = match words.iter().max_by_key(|w| w.chars().count()) {
        None => "You did not say much, so I will keep this brief.".to_owned(),
        Some(longest) => {
            let echoed: Vec<&str> = words.iter().take(6).map(String::as_str).collect();
            format!(
                "You wrote {count} words, and \"{longest}\" stands out. \
                 Speaking as {persona}, I would start from \"{echo}\" and build on it.",
                count = words.len(),
                echo = echoed.join(" "),
            )
        }
    };
    format!("{opener} {body} {closer}")
}

/// Splits a reply into the tokens streamed over the WebSocket: one word per
/// token, each but the first carrying its leading space, so concatenating
/// the tokens gives back the reply exactly.
pub(crate) fn tokens(reply: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = reply.as_bytes();
    for (i, &b) in bytes.iter().enumerate().skip(1) {
        if b == b' ' && bytes[i - 1] != b' ' {
            out.push(&reply[start..i]);
            start = i;
        }
    }
    if start < reply.len() {
        out.push(&reply[start..]);
    }
    out
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: a tiny stable hash (std's hasher is randomly seeded per process,
/// which would make replies differ between runs).
fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_same_reply() {
        let a = compose("a chef", "How do I boil an egg?");
        assert_eq!(a, compose("a chef", "How do I boil an egg?"));
        assert_ne!(a, compose("a teacher", "How do I boil an egg?"));
        assert!(a.contains("\"boil\"") || a.contains("\"egg\""), "{a}");
    }

    #[test]
    fn tokens_rebuild_the_reply() {
        for text in ["hello there world", "", "one", "  spaced   out  "] {
            let reply = compose("a parrot", text);
            let toks = tokens(&reply);
            assert!(toks.len() > 5);
            assert_eq!(toks.concat(), reply);
        }
        assert_eq!(tokens("a  b"), ["a", "  b"]);
        assert_eq!(tokens("x"), ["x"]);
        assert!(tokens("").is_empty());
    }
}
