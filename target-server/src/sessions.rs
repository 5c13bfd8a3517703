//! The in-memory token -> user id map in front of the `sessions` table, so
//! checking a bearer token is usually a hash lookup. It holds no reference
//! to the rest of the server, so the shared state can own it.

use std::collections::HashMap;
use std::sync::RwLock;

/// Tokens remembered in memory before the map is cleared and refilled from
/// the database, bounding memory under endless logins.
const MAX_CACHED_SESSIONS: usize = 200_000;

/// In-memory token -> user id map in front of the `sessions` table.
#[derive(Default)]
pub(crate) struct Sessions {
    known: RwLock<HashMap<String, i64>>,
}

impl Sessions {
    /// Remembers a token just issued or just found in the database.
    pub(crate) fn remember(&self, token: &str, user_id: i64) {
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        if known.len() >= MAX_CACHED_SESSIONS {
            known.clear();
        }
        known.insert(token.to_owned(), user_id);
    }

    /// The user a known token belongs to.
    pub(crate) fn lookup(&self, token: &str) -> Option<i64> {
        self.known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_tokens() {
        let sessions = Sessions::default();
        assert_eq!(sessions.lookup("t"), None);
        sessions.remember("t", 7);
        assert_eq!(sessions.lookup("t"), Some(7));
    }
}
